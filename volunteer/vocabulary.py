"""The words stored in the database outside the ticket lifecycle (that vocabulary is in
lifecycle.py): each defined once, as a `StrEnum`, so a member compares and stores as
its plain string. A leaf module: it imports nothing from the package, so models,
domain modules and forms can all use it.

A new member also needs a migration: the database refuses values it does not know."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    LEAD = "lead"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


# Who works tickets in the field, inside a team; who sees the whole city.
FIELD_ROLES = (Role.VOLUNTEER, Role.LEAD)
COORDINATOR_ROLES = (Role.COORDINATOR, Role.ADMIN)


class Channel(StrEnum):
    """How a request reached us."""

    WEB = "web"
    QR_POINT = "qr_point"
    PHONE = "phone"
    DOOR_TO_DOOR = "door_to_door"
    API = "api"


class NotifyChannel(StrEnum):
    """How a resident chose to hear back about a request (or not at all)."""

    SMS = "sms"
    ZALO = "zalo"
    EMAIL = "email"
    NONE = "none"


class OutboxStatus(StrEnum):
    """Where an outbox message stands: waiting (new, or a retry after a temporary
    failure), claimed by a worker, delivered, refused for good, or given up after
    the last try (the dead letters)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


class LocationSource(StrEnum):
    """Where a ticket's coordinates came from."""

    DEVICE = "device"
    MAP_PIN = "map_pin"
    GEOCODED = "geocoded"
    WARD_CENTRE = "ward_centre"
    API = "api"


class RoutingReason(StrEnum):
    """Why routing could not decide the ward (the ticket waits in triage), or why a
    picked ward is flagged."""

    NO_PLACE = "no_place"  # the address names no place we know
    SEVERAL_CANDIDATES = "several_candidates"  # a merged ward, a long street, or a close call
    OUT_OF_AREA = "out_of_area"  # the address names a unit outside the city
    LOCATION_FAR = "location_far"  # the phone's location is far from the city


# Positions somebody measured or pointed at (a phone's location, a pin, a client app's
# coordinates). A geocoded street or a ward's centre is one shared point for every
# ticket sent there: those tickets are not near each other.
MEASURED_POSITIONS = (LocationSource.DEVICE, LocationSource.MAP_PIN, LocationSource.API)


class VisitOutcome(StrEnum):
    """What a door-to-door visit found."""

    HELPED = "helped"
    NOT_HOME = "not_home"
    DECLINED = "declined"
    ALREADY_DONE = "already_done"
    NEEDS_FOLLOW_UP = "needs_follow_up"
    MOVED = "moved"
    LANGUAGE_BARRIER = "language_barrier"


class AuditAction(StrEnum):
    """What an audit-log row records."""

    USER_ADDED = "user_added"
    USER_MOVED = "user_moved"
    ROLE_CHANGED = "role_changed"
    USER_ACTIVATED = "user_activated"
    USER_DEACTIVATED = "user_deactivated"
    HOUSEHOLDS_CHANGED = "households_changed"
    API_KEY_ISSUED = "api_key.issued"
    API_KEY_REVOKED = "api_key.revoked"
    EXPORT = "export"
    EXPORT_PERSONAL_DATA = "export_personal_data"


class NewRequestAlerts(StrEnum):
    """What a volunteer chose to hear about new requests in the team's queue."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    NEVER = "never"
