"""Every length limit, once. The columns (models.py), the forms, the Open311 intake and
the values derived from what a resident typed all read these names, so a value a form
accepts always fits its column, and a derived value is cut to fit (`fit`), never
overflows (PostgreSQL refuses an over-long VARCHAR; SQLite never checks)."""
from __future__ import annotations

NAME_MAX = 120
PHONE_TYPED_MAX = 30  # as typed, spaces and all; stored normalized in PHONE_MAX
PHONE_MAX = 16  # +84 and up to 11 digits
EMAIL_MAX = 254  # RFC 5321's longest path
PASSWORD_MAX = 128
ADDRESS_MAX = 300
STREET_MAX = 160  # derived from an address or a household label
DESCRIPTION_MAX = 2000  # the public form; the column is TEXT
OPEN311_DESCRIPTION_MAX = 4000  # the GeoReport v2 spec's limit; the column is TEXT
PREFERRED_TIME_MAX = 120
MEDIA_URL_MAX = 500
SUBMISSION_KEY_MAX = 80
REFERENCE_TYPED_MAX = 20
HOUSEHOLD_LABEL_MAX = 200  # also the household key derived from it
HELPED_WITH_MAX = 255
NOTE_MAX = 1000  # a volunteer's or a resident's note on a ticket; the column is TEXT
SHORT_NOTE_MAX = 500  # a coordinator's note, a visit's note
CAMPAIGN_NAME_MAX = 160
ORGANISATION_MAX = 160
TEAM_NAME_MAX = 160


def fit(value: str | None, limit: int) -> str | None:
    """A derived value cut to its column's length (None and "" stay as they are)."""
    if not value:
        return value
    return value[:limit].rstrip()
