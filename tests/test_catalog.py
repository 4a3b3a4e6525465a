"""The shared lookups: a ward by its public key, categories in display order."""
import pytest

from tests.factories import category, ward
from volunteer import catalog
from volunteer.extensions import db


def test_a_key_with_a_period_names_that_ward(ctx):
    """19333 is both a 2008 routing area and a 2025 merged ward: the period decides."""
    merged = catalog.ward_by_key("19333:2025")
    assert (merged.code, merged.period, merged.is_routing_area) == ("19333", "2025", False)
    assert catalog.ward_by_key("19333:2008").is_routing_area


def test_a_bare_code_means_the_routing_area(ctx):
    """Older poster links and the users command give only the code."""
    ward = catalog.ward_by_key(" 19333 ")
    assert (ward.period, ward.is_routing_area) == ("2008", True)


@pytest.mark.parametrize("key", [None, "", ":2008", "99999", "19333:1999"])
def test_an_unknown_or_empty_key_finds_nothing(ctx, key):
    """No guess: an unknown key is None, never some other ward."""
    assert catalog.ward_by_key(key) is None


def test_retired_categories_only_when_asked_for(ctx):
    """Residents and volunteers choose among active categories; figures still label retired ones."""
    retired = category("vneid")
    retired.active = False
    active = catalog.categories()
    everything = catalog.categories(include_inactive=True)
    assert retired not in active and retired in everything
    assert [c for c in everything if c.active] == active
    assert [c.position for c in everything] == sorted(c.position for c in everything)


def test_the_cached_choices_follow_a_change_flushed_in_this_process(ctx):
    """Residents' choices come from a per-process copy; a seed (or any flush) that
    changes a category or a ward drops it, so the next form shows the change."""
    before = [c.code for c in catalog.active_categories()]
    assert "vneid" in before
    category("vneid").active = False
    ward("19342").name = "Phường Bốn"
    db.session.flush()
    assert [c.code for c in catalog.active_categories()] == [c for c in before if c != "vneid"]
    assert catalog.ward_by_key("19342:2008").name == "Phường Bốn"
