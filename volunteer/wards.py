"""What coordinators keep about a ward beyond the city file: its household count, the
target a new campaign starts from in that ward (`campaigns.create`). The wards, their
polygons and teams come from the city file (`seeding`) and are read through `catalog`.

Plain values in; flushes, never commits; every change leaves an audit row."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .accounts import audit
from .domain_errors import DomainError
from .extensions import db
from .models import Ward
from .vocabulary import AuditAction

HOUSEHOLDS_MAX = 1_000_000  # a ward of Đông Hà has a few thousand


class WardError(DomainError):
    """A refusal about a ward's figures; `field` names the form field it belongs to."""


def set_households(actor_id: int | None, ward: Ward, households: int | None) -> None:
    if households is None or not 0 <= households <= HOUSEHOLDS_MAX:
        raise WardError(_l("Số hộ không hợp lệ."), "households")
    audit(actor_id, AuditAction.HOUSEHOLDS_CHANGED, ward_id=ward.id, before=ward.households, after=households)
    ward.households = households
    db.session.flush()
