"""Routing in its documented order (volunteer/routing.py), with the real city data and the offline gazetteer."""
from types import SimpleNamespace

import pytest

from volunteer import geo
from volunteer.config import DEFAULT_CITY_FILE
from volunteer.routing import choose_team, route_ward
from volunteer.vocabulary import RoutingReason


@pytest.fixture(scope="module")
def city():
    return geo.load_city(DEFAULT_CITY_FILE)


@pytest.fixture(scope="module")
def places(city):
    locator = geo.WardLocator(geo.ward_geometries(city))
    return SimpleNamespace(
        locate=locator.locate,
        resolve=geo.OfflineGazetteer(city).resolve,
        distance_from_city_km=locator.distance_km,
        geocode=None,
        centres={
            f["properties"]["code"]: (f["properties"]["centre"]["lat"], f["properties"]["centre"]["lon"])
            for f in city["features"]
            if f["properties"]["kind"] == "ward"
        },
    )


@pytest.fixture(scope="module")
def router(places):
    def route(**kw):
        values = dict(picked_area=None, picked_group=None, lat=None, lon=None,
                      location_source=None, address=None)
        values.update(kw)
        return route_ward(places=places, **values)

    return route


def test_picked_ward_wins_and_gets_its_centre(router):
    """A picked ward is kept; with no location it is placed at the ward centre."""
    routed = router(picked_area="19336")
    assert routed.area_code == "19336" and routed.location_source == "ward_centre"
    assert not routed.flagged


def test_picked_ward_disagreeing_with_the_device_is_kept_and_flagged(router):
    """A pick that disagrees with the phone's location stays, flagged for a coordinator."""
    routed = router(picked_area="19336", lat=16.7835, lon=107.0864, location_source="device")
    assert routed.area_code == "19336" and routed.flagged
    assert (routed.lat, routed.lon) == (16.7835, 107.0864)


def test_device_location_routes_by_polygon(router):
    """Without a pick, the device location decides by point-in-polygon."""
    routed = router(lat=16.7835, lon=107.0864, location_source="device")
    assert routed.area_code == "19351" and routed.location_source == "device"


def test_address_is_geocoded_when_there_is_no_location(router):
    """Without pick or location, the address goes through the gazetteer."""
    routed = router(address="5 Đông Lễ")
    assert routed.area_code == "19336" and routed.location_source == "geocoded"


def test_nothing_known_goes_to_triage(router):
    """No pick, no location, an address nobody knows: the coordinators' triage queue."""
    routed = router(address="xóm nào đó không rõ")
    assert routed.area_code is None


def test_location_outside_the_city_goes_to_triage(router):
    """A device location in Huế routes nowhere: triage, location kept for the coordinator."""
    routed = router(lat=16.4637, lon=107.5909, location_source="device")
    assert routed.area_code is None


def test_merged_ward_routes_among_its_own_areas(router, city):
    """Picking Phường Đông Hà routes by location among its five areas, else to triage."""
    group = geo.merged_areas(city)["19333"]
    inside = router(picked_group=group, lat=16.8195, lon=107.1028, location_source="device")
    assert inside.area_code == "19333"
    # A point in Đông Lương (part of Nam Đông Hà) is not one of its areas.
    outside = router(picked_group=group, lat=16.7835, lon=107.0864, location_source="device")
    assert outside.area_code is None
    by_address = router(picked_group=group, address="Đông Thanh")
    assert by_address.area_code == "19339"


@pytest.mark.parametrize("lat, lon", [(999, 107.1), (16.8, float("nan")), (float("inf"), 1.0)])
def test_impossible_coordinates_are_ignored(router, lat, lon):
    """Latitude 999 or NaN is treated as no location, not as a crash."""
    routed = router(lat=lat, lon=lon, location_source="device")
    assert routed.area_code is None and routed.lat is None


def test_team_with_fewest_open_tickets_is_chosen():
    """Of several teams covering a ward, the least loaded wins; ties go to the lowest id."""
    assert choose_team([(3, 10), (5, 2), (7, 2)]) == 5
    assert choose_team([]) is None


def test_typed_and_picked_merged_ward_agree(router, city):
    """"phường Nam Đông Hà" typed, or picked from the list: the same answer, with and
    without a location, inside and outside it."""
    group = geo.merged_areas(city)["19351"]
    for lat, lon in [(None, None), (16.7835, 107.0864), (16.8195, 107.1028)]:
        source = "device" if lat is not None else None
        typed = router(address="phường Nam Đông Hà", lat=lat, lon=lon, location_source=source)
        picked = router(picked_group=group, lat=lat, lon=lon, location_source=source)
        assert typed == picked, (lat, lon)
    alone = router(address="phường Nam Đông Hà")
    assert alone.area_code is None and alone.reason == RoutingReason.SEVERAL_CANDIDATES


def test_picked_ward_with_a_location_far_from_the_city_is_flagged(router):
    """A phone in Hà Nội with Đông Lễ picked: kept, flagged, and the reason said."""
    routed = router(picked_area="19336", lat=21.0285, lon=105.8542, location_source="device")
    assert routed.area_code == "19336" and routed.flagged
    assert routed.reason == RoutingReason.LOCATION_FAR
    near = router(picked_area="19336", lat=16.7300, lon=107.0500, location_source="device")
    assert near.area_code == "19336" and not near.flagged  # just outside: GPS drift


def test_location_far_without_a_pick_says_so(router):
    routed = router(lat=21.0285, lon=105.8542, location_source="device")
    assert routed.area_code is None and routed.reason == RoutingReason.LOCATION_FAR


@pytest.mark.parametrize("address", ["Phường 2, TX Quảng Trị", "Quốc lộ 9, Cam Lộ"])
def test_address_outside_the_city_never_reaches_a_team(router, address):
    routed = router(address=address)
    assert routed.area_code is None and routed.reason == RoutingReason.OUT_OF_AREA
    # Even with a location inside the city: the text says where help is needed.
    inside = router(address=address, lat=16.8195, lon=107.1028, location_source="device")
    assert inside.area_code is None and inside.reason == RoutingReason.OUT_OF_AREA
    picked = router(picked_area="19342", address=address)
    assert picked.area_code == "19342" and picked.flagged
    assert picked.reason == RoutingReason.OUT_OF_AREA


def test_triage_says_why(router):
    assert router(address="xóm nào đó không rõ").reason == RoutingReason.NO_PLACE
    assert router(address="Lê Duẩn").reason == RoutingReason.SEVERAL_CANDIDATES
    assert router(address="Phường 5").reason is None
