"""A ward's household count, set by a coordinator: refused out of range, audited when
changed. Runs on PostgreSQL too (the column is an INTEGER there)."""
import json

import pytest
from sqlalchemy import select

from tests.factories import make_user, ward
from volunteer import wards
from volunteer.extensions import db
from volunteer.models import AuditLog
from volunteer.vocabulary import AuditAction, Role


@pytest.mark.parametrize("households", [None, -1, wards.HOUSEHOLDS_MAX + 1, 2**31])
def test_a_count_out_of_range_is_refused_and_changes_nothing(app, households):
    with app.app_context():
        place = ward("19333")
        before = place.households
        with pytest.raises(wards.WardError) as refused:
            wards.set_households(None, place, households)
        assert refused.value.field == "households"
        db.session.rollback()
        assert ward("19333").households == before
        assert db.session.scalars(select(AuditLog)).all() == []


def test_a_change_is_kept_with_who_made_it_and_the_count_before(app):
    with app.app_context():
        coordinator = make_user(role=Role.COORDINATOR)
        place = ward("19333")
        before = place.households
        wards.set_households(coordinator.id, place, wards.HOUSEHOLDS_MAX)
        db.session.commit()
        assert ward("19333").households == wards.HOUSEHOLDS_MAX
        row = db.session.scalars(select(AuditLog)).one()
        assert (row.user_id, row.action) == (coordinator.id, AuditAction.HOUSEHOLDS_CHANGED)
        assert json.loads(row.detail) == {"ward_id": place.id, "before": before, "after": wards.HOUSEHOLDS_MAX}
