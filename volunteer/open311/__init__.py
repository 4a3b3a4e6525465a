"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) as plain values.

- documents.py: discovery, services and service definitions;
- intake.py: a POST turned into a `tickets.Request`;
- queries.py: GET requests, their filters and their one query;
- public_view.py: our lifecycle as open/closed and the public view of a ticket
  (masking is volunteer/privacy.py's);
- formats.py: XML and JSON.

The blueprint (volunteer/blueprints/open311) holds the URLs; `flask apikeys` the keys.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from ..domain_errors import DomainError

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
WINDOW_DAYS = 90  # the spec's default and largest date range
PAGE_SIZE_MAX = 1000  # the spec's default result cap
IDS_MAX = 1000
DUPLICATE_WINDOW = timedelta(hours=24)

NEEDS = ("elderly", "disability", "home_visit")


class Open311Error(DomainError):
    """A refusal in the spec's error format: an HTTP status and one or more
    descriptions (the body's `code` is the HTTP status, as the spec suggests)."""

    def __init__(self, status_code: int, *descriptions: str):
        super().__init__("; ".join(str(d) for d in descriptions))
        self.status_code = status_code
        self.descriptions = [str(d) for d in descriptions]

    def as_list(self) -> list[dict]:
        return errors_document(self.status_code, self.descriptions)


def errors_document(status: int, descriptions: Iterable[str]) -> list[dict]:
    return [{"code": status, "description": str(d)} for d in descriptions]
