"""The volunteers' phone app: manifest, service worker, offline support, notifications
and alerts. Shares the /volunteer prefix with the volunteers' pages it serves."""
from flask import Blueprint

bp = Blueprint("phone", __name__, url_prefix="/volunteer")

from . import routes  # noqa: E402,F401
