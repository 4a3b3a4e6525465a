"""Probes for the reverse proxy and monitoring: /healthz (the process answers) and
/readyz (the database and, when configured, Redis answer)."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from . import routes  # noqa: E402,F401
