from flask import Blueprint

bp = Blueprint("volunteers", __name__, url_prefix="/volunteer")

from . import routes  # noqa: E402,F401
