"""Who may open what. Views load their object, then check access here before acting."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .vocabulary import COORDINATOR_ROLES, FIELD_ROLES


def role_required(*roles: str):
    """Sign-in first (redirect), then the role (403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


coordinator_required = role_required(*COORDINATOR_ROLES)
field_required = role_required(*FIELD_ROLES)
