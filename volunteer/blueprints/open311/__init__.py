"""Open311 GeoReport v2 at /open311/v2, for the province's operations centre and
other civic systems. Machines authenticate with an api_key, not a session, so the
blueprint is exempt from CSRF."""
from flask import Blueprint

from ...extensions import csrf

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)

from . import errors, routes  # noqa: E402,F401
