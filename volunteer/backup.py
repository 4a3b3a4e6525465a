"""Backups of the database, consistent while the app writes.

SQLite (the embedded default): sqlite3's online backup API copies the file page by
page under SQLite's own locking, so a write in the middle is either wholly in the copy
or wholly out of it. PostgreSQL: pg_dump in its custom format (one snapshot, the same
guarantee), restored with pg_restore; both must be on PATH, else the command prints
what to run.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from .private_files import private_file


class BackupError(RuntimeError):
    pass


def sqlite_path(database_uri: str) -> Path | None:
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def libpq_url(database_uri: str) -> str:
    """The SQLAlchemy URL as pg_dump understands it (no "+psycopg")."""
    return make_url(database_uri).set(drivername="postgresql").render_as_string(hide_password=False)


def _libpq_target(database_uri: str) -> tuple[str, dict]:
    """The URL for pg_dump/pg_restore without its password, and the environment that
    carries it (PGPASSWORD): any user of the machine can read a process's arguments
    (ps), but not its environment."""
    url = make_url(database_uri).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url._replace(password=None).render_as_string(hide_password=False), env


def pg_dump_command(database_uri: str, target: Path) -> tuple[list[str], dict]:
    dbname, env = _libpq_target(database_uri)
    return ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
            f"--file={target}", f"--dbname={dbname}"], env


def pg_restore_command(database_uri: str, source: Path) -> tuple[list[str], dict]:
    dbname, env = _libpq_target(database_uri)
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
            "--single-transaction", "--exit-on-error",
            f"--dbname={dbname}", str(source)], env


def backup(database_uri: str, target: Path) -> str:
    """Write a backup of the database to `target`; return what was done, for the CLI."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(database_uri)
    if path is not None:
        if not path.exists():
            raise BackupError(f"no database at {path}")
        _copy_sqlite(sqlite3.connect(str(path)), sqlite3.connect(str(private_file(target))))
        return f"SQLite online backup of {path} written to {target}"
    _run(*pg_dump_command(database_uri, target), "pg_dump")
    return f"pg_dump (custom format) written to {target}"


def _copy_sqlite(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """SQLite's online backup from one open database into another, in one transaction
    of the target; both connections are closed afterwards."""
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def restore(database_uri: str, source: Path) -> str:
    """Replace the database's contents with the backup at `source`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    path = sqlite_path(database_uri)
    if path is not None:
        _check_sqlite_backup(source)
        _copy_sqlite(sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(str(path)))
        return f"SQLite database {path} restored from {source}"
    _run(*pg_restore_command(database_uri, source), "pg_restore")
    return f"PostgreSQL database restored from {source} (pg_restore)"


def _check_sqlite_backup(source: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            has_schema = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()[0] == 1
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite backup: {error}") from error
    if not ok or not has_schema:
        raise BackupError(f"{source} is not a backup of this app's database")


def _run(command: list[str], env: dict, program: str) -> None:
    if shutil.which(program) is None:
        raise BackupError(
            f"{program} is not on PATH. Install the PostgreSQL client and run (with the "
            "password in PGPASSWORD):\n  " + " ".join(command)
        )
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()}")
