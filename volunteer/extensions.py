"""Extensions live here uninitialised, so blueprints can import them without cycles."""
import select
import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.pool import Pool

from . import rate_storage  # noqa: F401  (registers lazy-memory:// with limits)
from .private_files import private_file

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "do_connect")
def _sqlite_file_is_private(dialect, _record, cargs, _cparams):
    """sqlite3 would create a missing database file readable by everyone (the umask)."""
    if dialect.name == "sqlite" and cargs and cargs[0] not in ("", ":memory:") \
            and not str(cargs[0]).startswith("file:"):
        private_file(cargs[0])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite leaves foreign keys off and fails at once on a busy file; the embedded
    default needs both: real constraints, and writers that wait their turn (WAL lets
    readers go on while one writes)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # We open transactions ourselves (below): Python's sqlite3 would not open one
        # before a SAVEPOINT, and SQLite then commits at its RELEASE.
        dbapi_connection.isolation_level = None


_SQLITE_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_begin_before_first_write(conn, cursor, statement, _parameters, _context, _executemany):
    """Begin SQLite's transaction at the first write, as Python's sqlite3 does, but for
    a SAVEPOINT too: a ticket and its "created" event then commit together.

    Reads before the first write stay outside the transaction, so a writer's snapshot
    starts at its write and busy_timeout lets concurrent claims wait their turn rather
    than fail on a stale snapshot."""
    if conn.dialect.name != "sqlite" or cursor.connection.in_transaction:
        return
    if statement.lstrip()[:9].upper().startswith(_SQLITE_WRITES):
        cursor.execute("BEGIN")


# psycopg forgets every statement it has prepared whenever a transaction rolls back
# (DEALLOCATE ALL, and the counts that lead to preparing start over). The session
# rolls back at the end of every request, so on PostgreSQL no statement was ever
# prepared: each page's queries were parsed and planned afresh, most of the database's
# CPU per page. A transaction that only ran SELECTs ends the same way committed or
# rolled back, so such a transaction is committed instead, and the statements a
# connection runs again and again stay prepared.
_WROTE = "volunteer.wrote"


@event.listens_for(Engine, "before_cursor_execute")
def _note_postgresql_writes(conn, _cursor, statement, _parameters, _context, _executemany):
    if conn.dialect.name == "postgresql" and statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True


@event.listens_for(Engine, "commit")
def _forget_writes_on_commit(conn):
    conn.info.pop(_WROTE, None)


@event.listens_for(Engine, "rollback")
def _end_read_only_by_commit(conn):
    """Every rollback of ours goes through a Connection (the session's, at the end of
    a request, included); a raw DBAPI connection's writes are not seen here and must be
    committed or rolled back by whoever made them."""
    if conn.dialect.name == "postgresql" and not conn.closed and not conn.invalidated:
        _commit_if_only_read(conn.connection.dbapi_connection, conn.info)


def _commit_if_only_read(dbapi_connection, info: dict) -> None:
    """Commit a psycopg transaction that wrote nothing; the rollback that follows then
    has nothing to do. Any doubt (a write, a failed statement, an error while
    committing) leaves it to the rollback."""
    from psycopg.pq import TransactionStatus

    wrote = info.pop(_WROTE, False)
    if wrote or dbapi_connection.pgconn.transaction_status != TransactionStatus.INTRANS:
        return
    try:
        dbapi_connection.commit()
    except Exception:  # noqa: BLE001  (the rollback that follows reports a broken link)
        pass


@event.listens_for(Pool, "checkout")
def _replace_a_dead_postgresql_link(dbapi_connection, _record, _proxy):
    """A pooled PostgreSQL connection whose server went away (a restart, a terminated
    backend) is replaced before a request uses it, as the pool's pre-ping would, but
    without the pre-ping's round trip on every request."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is not None and not _postgresql_link_is_up(pgconn):
        raise DisconnectionError("PostgreSQL closed the connection while it sat in the pool")


def _postgresql_link_is_up(pgconn) -> bool:
    """An idle connection's server says nothing unless it is leaving: a backend being
    terminated sends its error, then closes the socket. The two can arrive apart (the
    error with the close still on its way), so anything at all waiting on the socket of
    a connection that sat in the pool means its server has gone or is going, and the
    link is replaced. The app LISTENs for nothing; a setting the server reports after a
    reload (a ParameterStatus) costs one reconnect. Asks the server nothing."""
    from psycopg import OperationalError
    from psycopg.pq import ConnStatus

    if pgconn.status != ConnStatus.OK:
        return False
    try:
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN)
        return not poller.poll(0)
    except (OSError, OperationalError):
        return False


def insert_row(model, values: dict):
    """INSERT one row and return it as a persistent ORM object, loaded from the
    INSERT's RETURNING (in the session's identity map; reading it costs no query)."""
    return _insert(model, values, conflict=None)


def insert_unless_taken(model, values: dict, unique_column=None):
    """One INSERT … ON CONFLICT DO NOTHING RETURNING the row, on SQLite and PostgreSQL
    alike: the insert is its own uniqueness check (of `unique_column`, or of every unique
    column), and a clash aborts nothing (no savepoint, no IntegrityError); None when a
    unique value was taken."""
    return _insert(model, values, conflict=unique_column.key if unique_column is not None else "any")


# Statements built once per (table, dialect, conflict): every resident's request makes
# three inserts, and an ORM insert built per call coerces every value into the
# statement each time (~0.4 ms a row, against ~0.1 ms here). Column defaults still
# apply (Core applies them), and the returned row carries them.
_INSERTS: dict = {}


def _insert(model, values: dict, conflict: str | None):
    session = db.session
    dialect_name = session.get_bind().dialect.name
    cached = _INSERTS.get((model, dialect_name, conflict))
    if cached is None:
        table = model.__table__
        insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
        if conflict == "any":
            insert = insert.on_conflict_do_nothing()
        elif conflict is not None:
            insert = insert.on_conflict_do_nothing(index_elements=[table.c[conflict]])
        attributes = tuple(model.__mapper__.get_property_by_column(c).key for c in table.c)
        cached = _INSERTS[(model, dialect_name, conflict)] = (insert.returning(*table.c), attributes)
    statement, attributes = cached
    row = session.execute(statement, values).first()
    if row is None:
        return None
    instance = model(**dict(zip(attributes, row)))
    make_transient_to_detached(instance)  # as if loaded: its attributes are the row's
    session.add(instance)
    return instance
