"""The geocoder the app uses: geocode(query) -> (lat, lon) | None, offline by default,
Nominatim (with geopy's rate limiter) one setting away. Constructing either makes no
network call."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from geopy.exc import GeopyError

from .city import city_bbox
from .gazetteer import MAX_QUERY_CHARS, OfflineGazetteer


def make_geocoder(
    kind: str = "offline",
    city: Mapping | None = None,
    user_agent: str | None = None,
    min_delay_seconds: float = 1.0,
) -> Callable[[str], tuple[float, float] | None]:
    """A callable geocode(query) -> (lat, lon) | None.

    kind "offline": the city's OfflineGazetteer.  kind "nominatim": geopy's
    Nominatim (OpenStreetMap; needs a user_agent naming the app, per the
    Nominatim usage policy) behind a RateLimiter (min_delay_seconds between
    calls, no retries), limited to Việt Nam and the city's bbox.  Any geopy
    error gives None.  Constructing either makes no network call.
    """
    if city is None:
        raise ValueError("make_geocoder needs the city dict (see load_city)")
    kind = (kind or "offline").strip().lower()
    if kind == "offline":
        gazetteer = OfflineGazetteer(city)

        def geocode(query: str) -> tuple[float, float] | None:
            try:
                loc = gazetteer.geocode(query)
            except GeopyError:
                return None
            return (loc.latitude, loc.longitude) if loc is not None else None

        geocode.geocoder = gazetteer  # type: ignore[attr-defined]
        return geocode

    if kind == "nominatim":
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        if not user_agent:
            raise ValueError("the nominatim geocoder needs a user_agent identifying this app")
        west, south, east, north = city_bbox(city)
        nominatim = Nominatim(user_agent=user_agent, timeout=5)
        limited = RateLimiter(nominatim.geocode, min_delay_seconds=min_delay_seconds,
                              max_retries=0, swallow_exceptions=False)

        def geocode(query: str) -> tuple[float, float] | None:
            if not isinstance(query, str) or not query.strip():
                return None
            try:
                loc = limited(query.strip()[:MAX_QUERY_CHARS], exactly_one=True,
                              country_codes="vn", viewbox=[(south, west), (north, east)],
                              bounded=True)
            except GeopyError:
                return None
            return (loc.latitude, loc.longitude) if loc is not None else None

        geocode.geocoder = nominatim  # type: ignore[attr-defined]
        return geocode

    raise ValueError(f"unknown geocoder kind {kind!r} (expected 'offline' or 'nominatim')")
