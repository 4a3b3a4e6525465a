"""Signed-in devices. The cookie's user id carries a random token of this device's
session; the row (by the token's hash) is what makes it valid, so signing out deletes
the row and that cookie, copied or not, is refused from then on. Other devices keep
their rows. A password change or a deactivation still ends them all (the version)."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, select

from .clock import utcnow
from .extensions import db
from .models import User, UserSession

# Longer than the remember-me cookie lives: a row this old serves no cookie any more.
FORGOTTEN_AFTER = timedelta(days=31)


def forget_expired(now=None) -> int:
    """Delete every device's session that no cookie can name any more; how many."""
    return db.session.execute(delete(UserSession).where(
        UserSession.created_at < (now or utcnow()) - FORGOTTEN_AFTER)).rowcount


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User) -> str:
    """A new session for this device; `user.get_id()` then names it."""
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id, UserSession.created_at < utcnow() - FORGOTTEN_AFTER))
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_hash(token), user_id=user.id))
    db.session.flush()
    user.session_token = token
    return token


def close_session(user: User) -> None:
    if user.session_token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _hash(user.session_token)))
        db.session.flush()
    user.session_token = ""


# Built once: constructing the statement cost more CPU than SQLite took to run it.
_USER_OF_SESSION = (
    select(User).join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"), User.id == bindparam("user_id")))


def user_of(session_id: str) -> User | None:
    """The active user whose open session this cookie names ("id:version:token")."""
    parts = session_id.split(":")
    if len(parts) != 3:
        return None
    user_id, version, token = parts
    if not (user_id.isdigit() and version.isdigit() and token):
        return None
    # One query for the device's row and its user: every signed-in page pays it.
    user = db.session.scalar(_USER_OF_SESSION, {"token_hash": _hash(token), "user_id": int(user_id)})
    if user is None or not user.active or user.session_version != int(version):
        return None
    user.session_token = token
    return user
