"""The lifecycle as data: who may do what from where."""
import pytest

from volunteer import lifecycle
from volunteer.lifecycle import (
    Actor,
    TransitionConflict,
    TransitionForbidden,
    TransitionIncomplete,
    authorize,
    relations,
)


def test_every_transition_names_real_statuses_and_actors():
    """The table only speaks of statuses that exist and of known relations."""
    statuses = set(lifecycle.STATUS_LABELS)
    known = {"resident", "holder", "member", "lead", "coordinator", "system"}
    for transition in lifecycle.TRANSITIONS.values():
        assert transition.sources <= statuses
        assert transition.target is None or transition.target in statuses
        assert transition.actors and transition.actors <= known
        assert transition.action in lifecycle.EVENT_LABELS


def test_relations_follow_team_and_holder():
    """A volunteer is a member of their team's tickets and holder of their own."""
    volunteer = Actor(kind="user", user_id=7, role="volunteer", team_id=2)
    assert relations(volunteer, 2, None) == {"member"}
    assert relations(volunteer, 2, 7) == {"member", "holder"}
    assert relations(volunteer, 3, None) == set()
    lead = Actor(kind="user", user_id=8, role="lead", team_id=2)
    assert relations(lead, 2, 7) == {"member", "lead"}
    coordinator = Actor(kind="user", user_id=9, role="coordinator", team_id=None)
    assert relations(coordinator, 2, 7) == {"coordinator"}


def test_resolving_a_ticket_in_the_queue_is_a_conflict():
    """State is checked first: resolve on a new ticket is 409 for everyone."""
    with pytest.raises(TransitionConflict):
        authorize("resolve", "new", {"member"}, {"outcome"})


def test_acting_on_someone_elses_ticket_is_forbidden():
    """A team member who does not hold an in-progress ticket may not resolve it."""
    with pytest.raises(TransitionForbidden):
        authorize("resolve", "in_progress", {"member"}, {"outcome"})


def test_release_requires_a_reason():
    """Releasing back to the queue without a reason is refused."""
    with pytest.raises(TransitionIncomplete):
        authorize("release", "claimed", {"holder", "member"}, set())


def test_unreachable_needs_three_unanswered_calls():
    """A volunteer may mark unreachable only after three unanswered attempts."""
    with pytest.raises(TransitionConflict):
        authorize("unreachable", "in_progress", {"holder"}, set(), unanswered_attempts=2)
    assert authorize("unreachable", "in_progress", {"holder"}, set(), unanswered_attempts=3)


def test_resident_may_cancel_only_before_work_starts():
    """Cancel is open to the resident while new or claimed, not once in progress."""
    assert authorize("cancel", "claimed", {"resident"}).target == "cancelled"
    with pytest.raises(TransitionConflict):
        authorize("cancel", "in_progress", {"resident"})


def test_resident_offers_match_the_status():
    """The tracking page offers reopen and confirm on a resolved ticket, cancel on a new one."""
    assert set(lifecycle.available_actions("resolved", {"resident"})) == {"reopen", "confirm"}
    assert lifecycle.available_actions("new", {"resident"}) == ["cancel"]
    assert lifecycle.available_actions("closed", {"resident"}) == []
