"""The city's geography as the running app needs it, built once from the database.

Polygons are prepared once per process; after `flask seed` changes wards the cache
is dropped with `forget()`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import current_app

from .city import load_city
from .gazetteer import AddressMatch, OfflineGazetteer, street_names
from .geocoder import make_geocoder
from .locator import WardLocator
from ..extensions import db
from ..models import Ward

_KEY = "volunteer.geography"


@dataclass
class Geography:
    locator: WardLocator | None
    area_ids: dict[str, int]  # routing area code → ward id
    area_codes: dict[int, str]  # ward id → routing area code
    centres: dict[str, tuple[float, float]]
    groups: dict[int, list[str]]  # merged ward id → its areas' codes
    gazetteer: OfflineGazetteer = field(repr=False)
    streets: dict[tuple[str, ...], str] = field(default_factory=dict)  # gazetteer.street_names
    geocode: object = field(repr=False, default=None)  # a network geocoder, or None

    def locate(self, lat, lon, among=None):
        if self.locator is None or lat is None or lon is None:
            return None
        return self.locator.locate(lat, lon, among)

    def resolve(self, address: str | None) -> AddressMatch:
        return self.gazetteer.resolve(address)

    def distance_from_city_km(self, lat: float, lon: float) -> float:
        return self.locator.distance_km(lat, lon) if self.locator is not None else 0.0


def load() -> Geography:
    cached = current_app.extensions.get(_KEY)
    if cached is not None:
        return cached
    areas = db.session.scalars(
        db.select(Ward).where(Ward.is_routing_area.is_(True)).order_by(Ward.code)
    ).all()
    pairs = [(w.code, json.loads(w.boundary_geojson)) for w in areas if w.boundary_geojson]
    groups: dict[int, list[str]] = {}
    for ward in areas:
        if ward.merged_into_id:
            groups.setdefault(ward.merged_into_id, []).append(ward.code)
    config = current_app.config
    city = load_city(config["CITY_FILE"])
    geography = Geography(
        locator=WardLocator(pairs) if pairs else None,
        area_ids={w.code: w.id for w in areas},
        area_codes={w.id: w.code for w in areas},
        centres={
            w.code: (w.centre_lat, w.centre_lon)
            for w in areas
            if w.centre_lat is not None and w.centre_lon is not None
        },
        groups=groups,
        gazetteer=OfflineGazetteer(city),
        streets=street_names(city),
        geocode=None if config["GEOCODER"].strip().lower() == "offline" else make_geocoder(
            config["GEOCODER"], city, user_agent=config["GEOCODER_USER_AGENT"]
        ),
    )
    current_app.extensions[_KEY] = geography
    return geography


def forget() -> None:
    current_app.extensions.pop(_KEY, None)
