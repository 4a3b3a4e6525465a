"""Door-to-door campaigns: default targets, visits, coverage counted by household, and a
follow-up visit opening a ticket for the ward's team."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import category, make_user, team_of, ward
from tests.queries import count
from volunteer import campaigns
from volunteer.extensions import db
from volunteer.models import Ticket, TicketEvent, Visit

NOW = datetime(2026, 6, 15, 3, 0)
TODAY = date(2026, 6, 15)


@pytest.fixture
def campaign(ctx):
    coordinator = make_user("coordinator", None)
    made = campaigns.create_campaign(
        name="Tháng VNeID", starts_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=7),
        category_ids=[category("vneid").id], targets={ward("19333").id: 3},
        created_by_id=coordinator.id)
    return made


def visit(campaign, volunteer, label, outcome="helped", **kw):
    return campaigns.log_visit(campaign, volunteer, campaigns.VisitInput(
        ward_id=ward("19333").id, household_label=label, outcome=outcome, **kw), now=NOW)


def test_targets_default_to_household_counts(campaign):
    """A ward not given a target gets its household count; the one given keeps it."""
    targets = {t.ward_id: t.target_households for t in campaign.targets}
    assert targets[ward("19333").id] == 3
    assert targets[ward("19336").id] == ward("19336").households == 3560
    assert len(targets) == 9


def test_household_visited_twice_counts_once(campaign):
    """Coverage counts distinct households by label, and only visits that reached someone."""
    volunteer = make_user("volunteer", "19333")
    visit(campaign, volunteer, "12 Lê Duẩn")
    visit(campaign, volunteer, "12  lê duẩn", outcome="declined")
    visit(campaign, volunteer, "14 Lê Duẩn", outcome="not_home")
    visit(campaign, volunteer, "16 Lê Duẩn", outcome="moved")
    row = next(p for p in campaigns.progress(campaign.id) if p.ward_id == ward("19333").id)
    assert (row.reached, row.visits, row.target) == (1, 4, 3)
    assert row.coverage == pytest.approx(33.3)


def test_coverage_reaches_100_only_on_real_visits(campaign):
    """Three distinct households reached make 100 %; a repeat does not push it further."""
    volunteer = make_user("volunteer", "19333")
    for label in ("1 Trần Hưng Đạo", "2 Trần Hưng Đạo", "2 Trần Hưng Đạo", "3 Trần Hưng Đạo"):
        visit(campaign, volunteer, label)
    row = next(p for p in campaigns.progress(campaign.id) if p.ward_id == ward("19333").id)
    assert row.reached == 3 and row.coverage == 100.0


def test_follow_up_opens_a_door_to_door_ticket(campaign):
    """"Needs follow-up" files a ticket for the ward's team, channel door to door, in the campaign."""
    volunteer = make_user("volunteer", "19333")
    row = visit(campaign, volunteer, "20 Hùng Vương", outcome="needs_follow_up",
                helped_with="Căn cước gắn chip & VNeID", note="Cần cài lại VNeID",
                resident_name="Bà Hoa", resident_phone="+84912000111")
    ticket = db.session.get(Ticket, row.ticket_id)
    assert ticket.channel == "door_to_door"
    assert ticket.campaign_id == campaign.id
    assert ticket.team_id == team_of("19333").id
    assert ticket.status == "new" and ticket.needs_home_visit
    assert "Cần cài lại VNeID" in ticket.description
    created = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    assert created.actor_id == volunteer.id
    progress = next(p for p in campaigns.progress(campaign.id) if p.ward_id == ward("19333").id)
    assert progress.tickets_raised == 1 and progress.tickets_resolved == 0


@pytest.mark.parametrize("changes, message_part", [
    ({"outcome": "teleported"}, "kết quả"),
    ({"household_label": "   "}, "địa chỉ"),
    ({"outcome": "needs_follow_up"}, "số điện thoại"),
])
def test_bad_visits_change_nothing(campaign, changes, message_part):
    """An unknown outcome, an empty label or a follow-up without a phone is refused."""
    volunteer = make_user("volunteer", "19333")
    data = {"ward_id": ward("19333").id, "household_label": "5 Lê Lợi", "outcome": "helped", **changes}
    with pytest.raises(campaigns.CampaignError) as refused:
        campaigns.log_visit(campaign, volunteer, campaigns.VisitInput(**data), now=NOW)
    assert message_part in str(refused.value.message)
    assert count(Visit) == 0
    assert count(Ticket) == 0


def test_campaign_outside_its_dates_refuses_visits(campaign):
    """A visit on a day the campaign does not run is refused."""
    volunteer = make_user("volunteer", "19333")
    with pytest.raises(campaigns.CampaignError):
        campaigns.log_visit(campaign, volunteer, campaigns.VisitInput(
            ward_id=ward("19333").id, household_label="1 Lê Lợi", outcome="helped"),
            now=NOW + timedelta(days=30))


def test_create_campaign_refuses_bad_input(ctx):
    """Empty name, reversed dates and unknown categories are refused."""
    good = dict(name="X", starts_on=TODAY, ends_on=TODAY, category_ids=[category().id])
    for change in ({"name": "  "}, {"ends_on": TODAY - timedelta(days=1)}, {"category_ids": [99999]},
                   {"targets": {ward("19333").id: -1}}):
        with pytest.raises(campaigns.CampaignError):
            campaigns.create_campaign(**{**good, **change})


def test_household_key_folds_case_and_spaces():
    """Labels typed differently for one household give one key."""
    assert campaigns.household_key(" 12  LÊ Duẩn, ") == campaigns.household_key("12 lê duẩn")
    assert campaigns.household_key("12 Lê Duẩn") != campaigns.household_key("21 Lê Duẩn")
