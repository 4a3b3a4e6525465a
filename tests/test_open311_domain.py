"""volunteer.open311 without HTTP: the lifecycle seen as open/closed, the public view of
free text and addresses, dates, and XML that stays well-formed."""
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from volunteer import clock, privacy
from volunteer.geo import load_city
from volunteer.geo.gazetteer import street_names
from volunteer.lifecycle import Status
from volunteer.open311 import formats, public_view, queries
from volunteer.models import Ticket, Ward


STREETS = street_names(load_city("volunteer/data/dong_ha.geojson"))


def published(ticket: Ticket) -> privacy.Published:
    return privacy.publish(description=ticket.description, address=ticket.address or ticket.street,
                           ward_name=ticket.ward.name if ticket.ward else None,
                           name=ticket.resident_name, email=ticket.email, streets=STREETS)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_maps_to_open_or_closed(status):
    """Open while someone still has to help; closed once resolved, closed, cancelled or unreachable."""
    expected = "open" if status in ("new", "claimed", "in_progress", "escalated") else "closed"
    assert public_view.public_status(status) == expected


def test_public_text_masks_contact_details_and_the_residents_own_words():
    """Phones in any spelling, e-mails, the resident's name and house address become ***."""
    text = ("Ông Trần Văn Bình ở 34/2 Hàm Nghi, gọi +84 905 111 222, 0905.111.222 hay 0084905111222, "
            "mail binh@example.vn hoặc khac@mail.com; cần 2 buổi lúc 9.30")
    ticket = Ticket(resident_name="Trần Văn Bình", email="binh@example.vn",
                    address="34/2 Hàm Nghi, Phường 5", description=text)
    public = published(ticket).description
    for secret in ("Trần Văn Bình", "34/2 Hàm Nghi", "905 111 222", "0905.111.222", "0084905111222",
                   "binh@example.vn", "khac@mail.com"):
        assert secret not in public
    assert "cần 2 buổi lúc 9.30" in public


def test_public_address_is_street_and_ward_only():
    """The address shown is the street and the ward: no house number, no duplicated ward."""
    ward = Ward(code="19348", period="2008", name="Phường 5")
    assert published(Ticket(street="Hàm Nghi, Phường 5", ward=ward)).address == "Hàm Nghi, Phường 5"
    assert published(Ticket(address="34/2 Hàm Nghi", ward=ward)).address == "Hàm Nghi, Phường 5"
    assert published(Ticket(street="Phường 5", ward=ward)).address == "Phường 5"
    assert published(Ticket(street=None, ward=None)).address is None


@pytest.mark.parametrize("raw,expected", [
    ("2026-01-01T00:00:00Z", datetime(2026, 1, 1)),
    ("2026-01-01T07:00:00+07:00", datetime(2026, 1, 1)),
    ("2026-01-01T07:00:00 07:00", datetime(2026, 1, 1)),  # "+" lost in a query string
    ("2026-01-01T07:00:00", datetime(2026, 1, 1)),  # no zone: local time
    ("2026-01-01", datetime(2025, 12, 31, 17)),
])
def test_dates_are_read_as_w3c_moments(raw, expected):
    """start_date/end_date in w3c form become naive UTC, local time when no zone is given."""
    assert queries.parse_datetime(raw, "start_date") == expected


def test_w3c_datetime_is_in_vietnam_time():
    """Stored UTC is shown with the +07:00 offset."""
    assert clock.local_isoformat(datetime(2026, 1, 1, 0, 0, 0)) == "2026-01-01T07:00:00+07:00"


def test_xml_escapes_markup_and_drops_characters_xml_cannot_carry():
    """Hostile text stays text: markup is escaped, control characters dropped, the document parses."""
    hostile = "<script>alert(1)</script>\x01 & \x0b"
    body = formats.to_xml("service_requests", [
        {"description": hostile, "lat": 16.8, "metadata": True, "media_url": None}])
    root = ET.fromstring(body)
    request = root.find("request")
    assert request.findtext("description") == "<script>alert(1)</script> & "
    assert request.findtext("metadata") == "true" and request.findtext("lat") == "16.8"
    assert request.find("media_url").text is None
    assert b"<script>" not in body
