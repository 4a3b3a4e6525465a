"""The SQLite database, its backups and the instance folder hold personal data and the
secret key: they are the owner's alone (0600 files, a 0700 folder), created so from the
start rather than left to the umask (0644 lets every user of the machine read them)."""
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: str | Path) -> Path:
    """The app's own folder (instance/): made private, or kept private."""
    path = Path(path)
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path.chmod(FOLDER_MODE)
    return path


def private_file(path: str | Path) -> Path:
    """Create the file empty with owner-only rights when it is missing (SQLite takes an
    empty file as a new database, and gives its -wal and -shm files the same rights);
    an existing one loses any group or other rights."""
    path = Path(path)
    if not path.parent.is_dir():
        return path  # SQLite itself says the database is away (a 503, not a 500)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    if path.stat().st_mode & 0o077:
        path.chmod(FILE_MODE)
    return path
