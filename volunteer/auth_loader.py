"""Flask-Login's user loader. The session holds "id:version" so that a password change
(which bumps the version) ends every older session, and a deactivated user is refused."""
from flask_babel import lazy_gettext as _l

from .extensions import db, login_manager
from .models import User

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
