"""Addresses as residents type them (issue 11): the normaliser, the gazetteer's reading,
the official names of other units, and the city file against the official data."""
import json

import pytest

from volunteer import geo
from volunteer.config import DEFAULT_CITY_FILE
from volunteer.geo.address_text import address_tokens, fold, joined
from volunteer.geo.admin_units import dataset_path, official_rows
from volunteer.vocabulary import RoutingReason

DONG_GIANG, P1, DONG_LE, DONG_THANH, P2, P4, P5, DONG_LUONG, P3 = (
    "19330", "19333", "19336", "19339", "19342", "19345", "19348", "19351", "19354")


@pytest.fixture(scope="module")
def city():
    return geo.load_city(DEFAULT_CITY_FILE)


@pytest.fixture(scope="module")
def gazetteer(city):
    return geo.OfflineGazetteer(city)


@pytest.mark.parametrize("text, tokens", [
    ("K/p 3, P.05, T/p Đông Hà", ("khupho", "3", ",", "phuong", "5", ",", "thanhpho", "dong", "ha")),
    ("K.P 3, P.5", ("khupho", "3", ",", "phuong", "5")),
    ("KP3 F2", ("khupho", "3", "phuong", "2")),
    ("Ph.3", ("phuong", "3")),
    ("Phg 2", ("phuong", "2")),
    ("f.01", ("phuong", "1")),
    ("TX Quảng Trị", ("thixa", "quang", "tri")),
    ("T.T Cam Lộ, H. Cam Lộ", ("thitran", "cam", "lo", ",", "huyen", "cam", "lo")),
    ("Q.3, TP HCM", ("quan", "3", ",", "thanhpho", "hcm")),
    ("X. Hải Thượng", ("xa", "hai", "thuong")),
    ("tổ dân phố 4", ("khupho", "4")),
    ("TDP 4", ("khupho", "4")),
    ("số 12 đường Lê Duẩn", ("12", "le", "duan")),
    ("kiệt 45/3 Hùng Vương", ("45", "3", "hung", "vuong")),
    ("hẻm 7, ngõ 2 Lê Lợi", ("7", ",", "2", "le", "loi")),
    ("H.12 Trần Phú", ("12", "tran", "phu")),
    ("Đường 9", ("duong", "9")),
    ("QL9", ("quoc", "lo", "9")),
    ("Tô Hiến Thành", ("to", "hien", "thanh")),
    ("ｐｈường　１", ("phuong", "1")),
    ("", ()),
    (None, ()),
])
def test_address_tokens(text, tokens):
    """Unicode, diacritics, abbreviations, numbers with zeros, letters typed onto digits."""
    assert address_tokens(text) == tokens


def test_fold_is_the_same_for_composed_and_decomposed_text():
    assert fold("Phường Đông Lễ") == fold("Phường Đông Lễ") == "phuong dong le"


@pytest.mark.parametrize("text, code", [
    # the forms the issue found misrouted or unrouted
    ("F1", P1), ("F.5", P5), ("f3 dong ha", P3), ("Ph.3", P3), ("Phg 2", P2),
    ("dongle", DONG_LE), ("P.DongLe", DONG_LE), ("dongthanh", DONG_THANH),
    ("dong thnah", DONG_THANH), ("dong luog", DONG_LUONG), ("đông giangg", DONG_GIANG),
    ("K.P 3, P.5", P5), ("K/p 2, P.4", P4), ("Khu phố 1, T/p Đông Hà, P.Đông Thanh", DONG_THANH),
    # and the forms it already handled
    ("Phường Đông Lễ, TP Đông Hà", DONG_LE), ("phuong dong luong", DONG_LUONG),
    ("Số 12 Lê Lợi, Phường 1", P1), ("12 Hùng Vương, Phường 5", P5),
    ("phuongdongle", DONG_LE), ("P.Đông Thanhh", DONG_THANH),
])
def test_typed_ward_is_read(gazetteer, text, code):
    match = gazetteer.resolve(text)
    assert (match.area, match.reason) == (code, None), text


@pytest.mark.parametrize("text", [
    "Phường 1, thị xã Quảng Trị", "Phường 2, TX Quảng Trị", "Phường 3, Quận 3, TP HCM",
    "Quốc lộ 9, Cam Lộ", "Hùng Vương, Đồng Hới, Quảng Bình", "xã Hải Thượng",
    "phường Lê Lợi", "Phường 10", "Lê Duẩn, Đà Nẵng", "Gio Linh",
])
def test_other_units_are_out_of_area(gazetteer, text):
    """A unit of Việt Nam outside the city, named with or without its unit word."""
    match = gazetteer.resolve(text)
    assert match.reason == RoutingReason.OUT_OF_AREA and match.area is None
    assert gazetteer.geocode(text) is None


@pytest.mark.parametrize("text", ["Đông Hà", "TP Đông Hà, tỉnh Quảng Trị", "Quảng Trị", "Khu phố 3"])
def test_our_own_city_and_province_are_not_out_of_area(gazetteer, text):
    assert gazetteer.resolve(text).reason == RoutingReason.NO_PLACE


def test_close_call_between_two_names_is_refused(gazetteer):
    """"le lio" is as close to Lê Lợi as to Lê Lai: no guess."""
    assert gazetteer.resolve("le lio").area is None
    assert gazetteer.resolve("Lê Lợi, phường Đông Lễ").area == DONG_LE


def test_a_street_through_several_wards_only_narrows(gazetteer, city):
    """Hùng Vương runs through three wards: alone it decides nothing; with a ward it
    confirms it; with a merged ward it narrows to their common ward."""
    street = next(f["properties"] for f in city["features"]
                  if f["properties"].get("name") == "Hùng Vương")
    assert len(street["wards"]) > 1
    alone = gazetteer.resolve("25 Hùng Vương")
    assert alone.area is None and alone.reason == RoutingReason.SEVERAL_CANDIDATES
    assert set(alone.areas) == set(street["wards"])
    assert gazetteer.resolve("25 Hùng Vương, Phường 5").area == P5
    assert gazetteer.resolve("Lê Duẩn, phường Nam Đông Hà").areas == (P5, DONG_LUONG)


def test_a_street_in_one_ward_decides(gazetteer):
    assert gazetteer.resolve("14 Kim Đồng").area == P2


def test_ward_and_merged_ward_that_disagree_go_to_triage(gazetteer):
    assert gazetteer.resolve("Phường 5, phường Đông Hà").area is None
    assert gazetteer.resolve("Phường 5, phường Nam Đông Hà").area == P5


def test_city_file_matches_the_official_units(city):
    """Our ward codes and names, and the merged wards', are vietnamadminunits' exactly."""
    legacy = {r["wardCode"]: r["ward"] for r in official_rows(
        "SELECT wardCode, ward FROM admin_units_legacy WHERE district = ? AND province = ?",
        ("Thành phố Đông Hà", "Tỉnh Quảng Trị"))}
    ours = {f["properties"]["code"]: f["properties"]["name"]
            for f in city["features"] if f["properties"]["kind"] == "ward"}
    assert ours == legacy
    for merged in city["merged_wards"]:
        rows = official_rows("SELECT ward, province FROM admin_units WHERE wardCode = ?",
                             (merged["code"],))
        assert [(r["ward"], r["province"]) for r in rows] == [(merged["name"], "Tỉnh Quảng Trị")]


def test_city_file_merges_as_the_official_2025_mapping(city):
    """Each merged ward is made of the old wards the official 2025 mapping says."""
    mapping = json.loads((dataset_path().parent / "converter_2025.json").read_text("utf-8"))
    official = mapping["DICT_PROVINCE_WARD_NO_DIVIDED"]["tinhquangtri"]
    key_of = {f["properties"]["code"]: "tinhquangtri_thanhphodongha_" + joined(
        address_tokens(f["properties"]["name"])) for f in city["features"]
        if f["properties"]["kind"] == "ward"}
    for merged in city["merged_wards"]:
        areas = geo.merged_areas(city)[merged["code"]]
        assert sorted(key_of[c] for c in areas) == sorted(
            official[joined(address_tokens(merged["name"]))])
