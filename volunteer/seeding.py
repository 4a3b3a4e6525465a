"""Load a city's wards, teams and categories from its data file. Idempotent: a second
run changes nothing, and household counts edited by coordinators are never overwritten."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from .extensions import db
from .models import Category, Team, Ward

MERGED_PERIOD_DEFAULT = "2025"


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


TEAM_NAME_PREFIX = "Tổ công nghệ số cộng đồng "


def team_name(ward_name: str) -> str:
    return TEAM_NAME_PREFIX + ward_name


def ward_of_team_name(name: str) -> str | None:
    """The ward a seeded team is named after, or None for a team named otherwise."""
    if not name.startswith(TEAM_NAME_PREFIX):
        return None
    return name.removeprefix(TEAM_NAME_PREFIX) or None


def _upsert(model, lookup: dict, values: dict, report: SeedReport, kind: str,
            insert_only: dict | None = None):
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values, **(insert_only or {}))
        db.session.add(row)
        report.count(kind, created=True)
        return row
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if changed:
        report.count(kind, created=False)
    return row


def _keywords(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(value)[:255]
    return (value or "")[:255]


def seed_city(city: dict) -> SeedReport:
    report = SeedReport()
    merged = {}
    for item in city.get("merged_wards", []):
        merged[item["code"]] = _upsert(
            Ward,
            {"code": item["code"], "period": item.get("period", MERGED_PERIOD_DEFAULT)},
            {"name": item["name"], "is_routing_area": False, "boundary_geojson": None},
            report,
            "merged ward",
        )
    db.session.flush()
    for feature in city["features"]:
        props = feature["properties"]
        if props.get("kind") != "ward":
            continue
        parent = merged.get(props.get("merged_into"))
        centre = props.get("centre") or {}
        ward = _upsert(
            Ward,
            {"code": props["code"], "period": props.get("period", "2008")},
            {
                "name": props["name"],
                "is_routing_area": True,
                "boundary_geojson": json.dumps(feature["geometry"], separators=(",", ":")),
                "centre_lat": centre.get("lat"),
                "centre_lon": centre.get("lon"),
                "merged_into_id": parent.id if parent is not None else None,
            },
            report,
            "ward",
            insert_only={"households": int(props.get("households") or 0)},
        )
        db.session.flush()
        team = db.session.scalar(select(Team).where(Team.name == team_name(props["name"])))
        if team is None:
            team = Team(name=team_name(props["name"]))
            db.session.add(team)
            report.count("team", created=True)
        if ward not in team.wards:
            team.wards.append(ward)
            report.count("team ward", created=True)
    for position, item in enumerate(city.get("categories", [])):
        _upsert(
            Category,
            {"code": item["code"]},
            {
                "name_vi": item["name_vi"],
                "name_en": item["name_en"],
                "description_vi": item.get("description_vi", ""),
                "description_en": item.get("description_en", ""),
                "keywords": _keywords(item.get("keywords")),
                "position": position,
            },
            report,
            "category",
        )
    db.session.flush()
    return report
