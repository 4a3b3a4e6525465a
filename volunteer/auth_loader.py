"""Flask-Login's user loader. The session holds "id:version:token": the token names
this device's row in user_sessions (signing out deletes it), and a password change
(which bumps the version) ends every older session; a deactivated user is refused."""
from flask_babel import lazy_gettext as _l

from .extensions import login_manager
from .user_sessions import user_of

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str):
    return user_of(session_id)
