"""The names of Việt Nam's administrative units, from official data, to tell an address
in another ward, commune, district, town or province from one in our city.

The names come from the `vietnamadminunits` package (MIT): the 63-province units in
use until 2025 and the 34-province units after the 1 July 2025 reorganisation. Its
SQLite file is read directly, once per process (`official_names`), so that the
package's address parser, which loads several megabytes of JSON on import, is never
imported. Pure: no Flask, no network.
"""
from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .address_text import UNIT_MARKERS, address_tokens, joined

MAX_NAME_TOKENS = 7
_UNIT_PREFIXES = tuple(UNIT_MARKERS)  # "thanhpho ho chi minh", "phuong van mieu quoc tu giam"


def dataset_path() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vietnamadminunits package is not installed")
    return Path(spec.submodule_search_locations[0]) / "data" / "dataset.db"


def official_rows(sql: str, params: Sequence = ()) -> list[sqlite3.Row]:
    """Rows of the package's dataset, opened read-only."""
    with sqlite3.connect(f"{dataset_path().as_uri()}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()


@dataclass(frozen=True)
class OfficialUnit:
    name: str
    home: bool  # our city, one of its wards, or our province


class OfficialNames:
    """Lookup of unit names in address tokens (see address_text.address_tokens).

    `marked` reads a name after a unit word ("thị xã Quảng Trị", "Quận 3", "xã Hải
    Thượng"): every unit, wards and communes included. `bare` reads a name with no unit
    word, for provinces and districts only (thousands of wards share their names with
    streets: "Lê Lợi" is a street here and a ward in a dozen cities), and only names of
    two words or more, or the aliases of the data ("HCM").
    """

    def __init__(self, units: Iterable[tuple[str, str, Iterable[str], bool]]):
        # (full name, kind, aliases as joined keys, home)
        self._marked: dict[str, OfficialUnit] = {}
        self._bare: dict[str, OfficialUnit] = {}
        for name, kind, aliases, home in units:
            tokens = address_tokens(name)
            unit = OfficialUnit(name, home)
            keys_marked = {joined(tokens)}
            keys_bare = set()
            if kind in ("province", "district") and tokens[0] in UNIT_MARKERS and len(tokens) >= 3:
                keys_bare.add(joined(tokens[1:]))
            for alias in aliases:  # the data's aliases are joined keys already
                if alias.startswith(_UNIT_PREFIXES):
                    keys_marked.add(alias)
                elif kind != "ward":
                    keys_bare.add(alias)
            for index, keys in ((self._marked, keys_marked), (self._bare, keys_bare)):
                for key in keys:
                    known = index.get(key)
                    # A name that is also ours is ours: "Quảng Trị" is our province,
                    # though a town has the same name.
                    if known is None or (home and not known.home):
                        index[key] = unit

    def marked(self, tokens: Sequence[str]) -> tuple[OfficialUnit, int] | None:
        """(unit, tokens used) for the longest unit name at the start of tokens, which
        begin with a unit word; None if none."""
        return self._longest(self._marked, tokens, shortest=2)

    def bare(self, tokens: Sequence[str]) -> tuple[OfficialUnit, int] | None:
        return self._longest(self._bare, tokens, shortest=1)

    @staticmethod
    def _longest(index, tokens, shortest):
        for n in range(min(MAX_NAME_TOKENS, len(tokens)), shortest - 1, -1):
            unit = index.get(joined(tokens[:n]))
            if unit is not None:
                return unit, n
        return None


def _aliases(*cells: str | None) -> list[str]:
    return [alias for cell in cells if cell for alias in json.loads(cell)]


@lru_cache(maxsize=4)
def official_names(home_ward_codes: frozenset[str]) -> OfficialNames:
    """The index, built once per process for a city given by its ward codes (2008 and
    2025). The city's district and province are those of its wards in the data."""
    legacy = official_rows(
        "SELECT DISTINCT province, provinceCode, provinceAlias, district, districtCode,"
        " districtAlias, ward, wardCode, wardAlias FROM admin_units_legacy")
    current = official_rows(
        "SELECT DISTINCT province, provinceCode, provinceAlias, ward, wardCode, wardAlias"
        " FROM admin_units")
    home_districts = {r["districtCode"] for r in legacy if r["wardCode"] in home_ward_codes}
    home_provinces = {r["province"] for r in [*legacy, *current] if r["wardCode"] in home_ward_codes}
    units: list[tuple[str, str, list[str], bool]] = []
    for r in [*legacy, *current]:
        units.append((r["province"], "province", _aliases(r["provinceAlias"]),
                      r["province"] in home_provinces))
        units.append((r["ward"], "ward", _aliases(r["wardAlias"]), r["wardCode"] in home_ward_codes))
    for r in legacy:
        units.append((r["district"], "district", _aliases(r["districtAlias"]),
                      r["districtCode"] in home_districts))
    return OfficialNames(dict.fromkeys((n, k, tuple(a), h) for n, k, a, h in units))
