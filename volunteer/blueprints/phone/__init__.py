"""The volunteers' phone app: manifest, service worker, offline support, notifications
and alerts. Shares the /volunteer prefix with the volunteers' pages it serves."""
from flask import Blueprint

bp = Blueprint("phone", __name__, url_prefix="/volunteer")

from ...phone import alerts  # noqa: E402,F401  (the volunteers' audience and the webpush channel)
from . import routes  # noqa: E402,F401
