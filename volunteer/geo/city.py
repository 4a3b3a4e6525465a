"""City data: the one GeoJSON file that describes a city's wards, merged wards,
categories and gazetteer (see volunteer/data/dong_ha.geojson). Pure: no Flask, no
database.

Ward codes used for routing are the pre-2025 ("2008") ward codes; the wards merged on
1 July 2025 are listed in the file's "merged_wards" and each old ward names the new
one in its "merged_into" property.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import shapely
from shapely.geometry import shape


def load_city(path: str | Path) -> dict:
    """Read a city GeoJSON file and check the parts the app relies on.

    Raises ValueError (with the feature's position) if the file is not a
    FeatureCollection, or a ward feature lacks a code, a name or a polygon.
    """
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ValueError(f"{path}: 'features' must be a list")
    seen: set[str] = set()
    for i, feat in enumerate(features):
        props = (feat or {}).get("properties") or {}
        if props.get("kind") != "ward":
            continue
        code, name, geom = props.get("code"), props.get("name"), feat.get("geometry")
        where = f"{path}: ward feature #{i} ({code or name or 'unnamed'})"
        if not isinstance(code, str) or not code:
            raise ValueError(f"{where} has no 'code'")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where} has no 'name'")
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"{where} has no Polygon/MultiPolygon geometry")
        if code in seen:
            raise ValueError(f"{where}: duplicate ward code {code}")
        seen.add(code)
    if not seen:
        raise ValueError(f"{path}: no ward features")
    return data


def city_wards(city: Mapping) -> list[dict]:
    return [f for f in city.get("features", [])
            if (f.get("properties") or {}).get("kind") == "ward"]


def ward_geometries(city: Mapping) -> list[tuple[str, dict]]:
    """(ward_code, GeoJSON geometry) pairs of the city's routing wards, for WardLocator."""
    return [(f["properties"]["code"], f["geometry"]) for f in city_wards(city)]


def merged_areas(city: Mapping) -> dict[str, list[str]]:
    """Merged (2025) ward code -> the routing (2008) ward codes it is made of."""
    out: dict[str, list[str]] = {m["code"]: [] for m in city.get("merged_wards", [])}
    for f in city_wards(city):
        p = f["properties"]
        if p.get("merged_into"):
            out.setdefault(p["merged_into"], []).append(p["code"])
    return out


def city_bbox(city: Mapping) -> tuple[float, float, float, float]:
    if isinstance(city.get("bbox"), list) and len(city["bbox"]) == 4:
        w, s, e, n = (float(v) for v in city["bbox"])
        return w, s, e, n
    return shapely.union_all([shape(g) for _, g in ward_geometries(city)]).bounds
