"""Offline place lookup: turns the region a member types into coordinates without any network.

The data is compiled by ``scripts/build_gazetteer.py`` from GeoNames-derived PyPI packages into one
compact file, so the server needs neither the 180 MB source packages nor a geocoding service. Names
are found through a sorted array of 48-bit hashes of normalised names (about 10 MB of numpy
arrays, loaded in about a tenth of a second), never by scanning.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from anyascii import anyascii

DATA_FILE = Path(__file__).parent / "data" / "gazetteer.npz"
FORMAT_VERSION = 1
# Entities are stored in this order: countries, regions, cities, postcodes.
KINDS = ("country", "region", "city", "postcode")
# Index namespaces: "n" Latin-script names, "x" names written in other scripts (only consulted
# for queries in those scripts, so a transliteration such as "bali" for 巴黎 never beats a real
# Bali), "c" codes (ISO 3166 alpha-2/alpha-3, state codes), "p" postcodes ("us:10001").
# Tiers, kept in the low two bits of each index value: 0 primary name, 1 alternate name,
# 2 name from another script, 3 code that only works as a qualifier ("Munich, BY").
TIER_PRIMARY, TIER_ALTERNATE, TIER_OTHER_SCRIPT, TIER_QUALIFIER_ONLY = range(4)
_TIER_WEIGHT = (1.0, 0.5, 0.5, 0.5)
COORD_SCALE = 100_000  # coordinates are stored as integers of 1e-5 degree (about 1 m)
MAX_QUERY_LENGTH = 500  # longer text is not a place name; refusing it keeps lookups bounded
MAX_QUERY_PARTS = 6

_COMMAS = frozenset(",\uff0c\u3001\ufe50\ufe51\uff64\u060c")
_SEPARATORS = re.compile(r"[-_/\\\t\n\r\f\v]+")
_NOT_KEPT = re.compile(r"[^a-z0-9 ,]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_EXPANSIONS = {full: short for short, full in _ABBREVIATIONS.items()}
_US = r"(?P<us>\d{5})(?: ?\d{4})?"
_AU = r"(?P<au>\d{4})"
_CA = r"(?P<ca>[a-z]\d[a-z])(?: ?(?P<ca_ldu>\d[a-z]\d))?"
_GB = r"(?P<gb>(?P<gb_area>[a-z]{1,2})\d[a-z\d]?) ?(?P<gb_in>\d[a-z]{2})?"
_POSTCODE_PATTERNS = [re.compile(f"^(?:{p})$") for p in (_US, _AU, _CA, _GB)]
# Only these areas have outward codes such as "W1A" or "EC1V"; elsewhere "M5V" is Canadian.
_GB_LETTERED_DISTRICT_AREAS = frozenset({"e", "ec", "n", "nw", "se", "sw", "w", "wc"})


@dataclass(frozen=True, slots=True)
class Place:
    """One search result: a city, first-level region, country or postcode."""

    name: str  # "Leeds"; for a postcode the code as usually written, "LS1 4AP"
    label: str  # "Leeds, England, United Kingdom", "Bavaria, Germany", "Japan"
    latitude: float
    longitude: float
    country_code: str  # ISO 3166-1 alpha-2, "GB"
    kind: str  # "city" | "region" | "country" | "postcode"
    population: int  # 0 when unknown (postcodes); a region's is the sum of its cities'


@dataclass(frozen=True)
class Towns:
    """Candidate meeting places as parallel arrays, most populous first."""

    names: tuple[str, ...]
    labels: tuple[str, ...]
    country_codes: tuple[str, ...]
    latitudes: np.ndarray
    longitudes: np.ndarray
    populations: np.ndarray


def normalise(text: str) -> str:
    """The canonical form of a query, also used as a cache key elsewhere.

    Transliterated to ASCII, casefolded, punctuation other than the comma dropped (dashes,
    slashes and underscores separate words), spacing collapsed, no spaces around commas and no
    empty comma-separated parts: "  München , Germany " and "munchen,germany" are the same.
    """
    if not text.isascii():
        text = "".join(_transliterate(ch) for ch in text)
    text = _NOT_KEPT.sub("", _SEPARATORS.sub(" ", text.casefold()))
    parts = (" ".join(part.split()) for part in text.split(","))
    return ",".join(part for part in parts if part)


def _transliterate(ch: str) -> str:
    if ch.isascii():
        return ch
    category = unicodedata.category(ch)
    if ch in _COMMAS:
        return ","
    if category[0] == "Z" or category in ("Pd", "Pc"):
        return " "
    if category[0] in "PSC":  # punctuation, symbols (emoji), controls, surrogates, unassigned
        return ""
    return anyascii(ch)


def _is_other_script(text: str) -> bool:
    """Whether the text has letters outside the Latin script (Cyrillic, CJK, Arabic...)."""
    return any(
        not ch.isascii() and ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN")
        for ch in text
    )


def key_hash(namespace: str, key: str) -> int:
    """The 48-bit index key of a normalised name; shared with the build script."""
    digest = hashlib.blake2b(f"{namespace}:{key}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


class Gazetteer:
    """Cities (GeoNames, population >= 5,000), first-level regions, countries and postcodes."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        version = int(arrays["format"][0])
        if version != FORMAT_VERSION:
            raise ValueError(f"gazetteer data format {version}, expected {FORMAT_VERSION}")
        self._starts = [int(n) for n in np.cumsum([0, *arrays["counts"].tolist()])]
        self._iso2 = arrays["iso2"].tobytes().decode("ascii")
        self._lat = arrays["lat"]
        self._lon = arrays["lon"]
        self._pop = arrays["population"]
        self._country = arrays["country"]
        self._region = arrays["region"]
        self._names = arrays["names"].tobytes()
        self._name_ends = arrays["name_ends"]
        self._hashes = np.cumsum(arrays["key_deltas"], dtype=np.uint64)
        self._values = arrays["key_values"]
        self._towns: dict[int, Towns] = {}
        self._contexts: dict[tuple[int, int], tuple[str, str, str]] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read the compiled data (the bundled file by default); meant to be called once."""
        with np.load(path or DATA_FILE, allow_pickle=False) as data:
            return cls({name: data[name] for name in data.files})

    def search(self, query: str, limit: int = 5) -> list[Place]:
        """Up to ``limit`` distinct places for free text, best first; [] when nothing matches."""
        if limit <= 0 or len(query) > MAX_QUERY_LENGTH:
            return []
        # An address's last parts are its most general ("London, SW1A 2AA, UK"); keeping a
        # few bounds the work that a long list of commas could cause
        parts = normalise(query).split(",")[-MAX_QUERY_PARTS:]
        other_script = _is_other_script(query)
        while parts and parts[0]:
            found, known = self._resolve(parts[0], parts[1:], other_script)
            if not found and len(parts) == 1:
                found = self._resolve_unpunctuated(parts[0], other_script)
            if found:
                return self._distinct_places(found, limit)
            if known:
                return []  # "Leeds, France": a known place that the qualifiers rule out
            parts = parts[1:]  # "Shoreditch, London, UK": an unknown head gives way to the rest
        return []

    def _distinct_places(self, found: list[tuple[int, str]], limit: int) -> list[Place]:
        """Places for the best candidates; one that reads exactly like a better one (the region
        "Berlin, Germany" after the city "Berlin, Germany") would only confuse a picker."""
        places: list[Place] = []
        labels: set[str] = set()
        for entity, code in found:
            place = self._place(entity, code)
            if place.label not in labels:
                labels.add(place.label)
                places.append(place)
                if len(places) == limit:
                    break
        return places

    def towns(self, min_population: int) -> Towns:
        """Cities with at least ``min_population`` people, most populous first (cached)."""
        if min_population not in self._towns:
            first, end = self._starts[2], self._starts[3]
            population = self._pop[first:end].astype(np.int64)
            chosen = np.flatnonzero(population >= min_population)
            chosen = chosen[np.argsort(-population[chosen], kind="stable")] + first
            ends = self._name_ends[chosen].tolist()
            starts = self._name_ends[chosen - 1].tolist()  # a city is never entity 0
            names = tuple(self._names[a:b].decode() for a, b in zip(starts, ends, strict=True))
            countries = self._country[chosen].tolist()
            contexts = map(self._context, self._region[chosen].tolist(), countries)
            self._towns[min_population] = Towns(
                names=names,
                labels=tuple(map(_place_label, names, contexts)),
                country_codes=tuple(self._iso2[2 * c : 2 * c + 2] for c in countries),
                latitudes=self._lat[chosen].astype(np.float64) / COORD_SCALE,
                longitudes=self._lon[chosen].astype(np.float64) / COORD_SCALE,
                populations=population[chosen - first],
            )
        return self._towns[min_population]

    # -- resolving ---------------------------------------------------------------------------

    def _resolve(
        self, head: str, qualifiers: list[str], other_script: bool
    ) -> tuple[list[tuple[int, str]], bool]:
        """Candidates for ``head`` that satisfy every recognised qualifier, best first, and
        whether ``head`` named anything at all. Unrecognised qualifiers are ignored."""
        postcodes = self._postcodes(head)
        scores = {} if postcodes else self._name_candidates(head, other_script)
        found = [*postcodes, *((e, "") for e in sorted(scores, key=lambda e: (-scores[e], e)))]
        filters = [f for f in (self._qualifier(q, other_script) for q in qualifiers) if f]
        if filters and found:
            entities = [e for e, _ in found]
            where = zip(
                self._country[entities].tolist(), self._region[entities].tolist(), strict=True
            )
            found = [
                hit
                for hit, (country, region) in zip(found, where, strict=True)
                if all(country in f or region in f for f in filters)
            ]
            return found, True
        return found, bool(found)

    def _resolve_unpunctuated(self, text: str, other_script: bool) -> list[tuple[int, str]]:
        """ "Portland OR", "Leeds UK": a trailing qualifier written without a comma."""
        words = text.split()
        for split in range(len(words) - 1, max(0, len(words) - 4), -1):
            tail = " ".join(words[split:])
            if self._qualifier(tail, other_script):
                found, _ = self._resolve(" ".join(words[:split]), [tail], other_script)
                if found:
                    return found
        return []

    def _name_candidates(self, key: str, other_script: bool) -> dict[int, float]:
        for variant in _variants(key):
            hits = self._lookup("n", variant)
            # A code is a Latin-script thing: "ሰ" transliterates to "se" but does not mean Sweden
            hits += self._lookup("x", variant) if other_script else self._lookup("c", variant)
            hits = [(e, tier) for e, tier in hits if tier != TIER_QUALIFIER_ONLY]
            if hits:
                break
        else:
            return {}
        populations = self._pop[[e for e, _ in hits]].tolist()
        scores: dict[int, float] = {}
        for (entity, tier), population in zip(hits, populations, strict=True):
            score = max(population, 1) * _TIER_WEIGHT[tier]
            scores[entity] = max(scores.get(entity, 0.0), score)
        self._demote_regions_named_after_their_city(scores)
        return scores

    def _demote_regions_named_after_their_city(self, scores: dict[int, float]) -> None:
        """ "Madrid", "New York", "São Paulo": the city, not the larger region it names, when
        the city's match weighs at least a tenth of the region's population ("Texas City" does
        not demote Texas)."""
        regions = [e for e in scores if self._kind(e) == "region"]
        cities = [e for e in scores if self._kind(e) == "city"]
        if not (regions and cities):
            return
        city_regions = self._region[cities].tolist()
        for region, region_population in zip(regions, self._pop[regions].tolist(), strict=True):
            for city, city_region in zip(cities, city_regions, strict=True):
                if city_region == region and scores[city] >= 0.1 * region_population:
                    scores[region] = min(scores[region], 0.9 * scores[city])

    def _qualifier(self, text: str, other_script: bool) -> frozenset[int]:
        """Countries and regions that a qualifier such as "UK", "OR" or "Bavaria" names."""
        hits = self._lookup("n", text) + self._lookup("c", text)
        if other_script:
            hits += self._lookup("x", text)
        return frozenset(e for e, _ in hits if self._kind(e) in ("country", "region"))

    def _postcodes(self, key: str) -> list[tuple[int, str]]:
        found = []
        for pattern in _POSTCODE_PATTERNS:
            match = pattern.match(key)
            if match is not None:
                system, index_key, code = _postcode_key(match)
                found += [(e, code) for e, _ in self._lookup("p", f"{system}:{index_key}")]
        return found

    def _lookup(self, namespace: str, key: str) -> list[tuple[int, int]]:
        """(entity, tier) pairs stored under a key."""
        target = key_hash(namespace, key)
        first = last = int(self._hashes.searchsorted(np.uint64(target)))
        while last < len(self._hashes) and int(self._hashes[last]) == target:
            last += 1  # a key rarely has more than a few entries: cheaper than a second search
        return [(v >> 2, v & 3) for v in self._values[first:last].tolist()]

    # -- building results --------------------------------------------------------------------

    def _kind(self, entity: int) -> str:
        return KINDS[bisect.bisect_right(self._starts, entity) - 1]

    def _name(self, entity: int) -> str:
        start = int(self._name_ends[entity - 1]) if entity else 0
        return self._names[start : int(self._name_ends[entity])].decode()

    def _country_code(self, entity: int) -> str:
        index = int(self._country[entity])
        return self._iso2[2 * index : 2 * index + 2]

    def _label(self, entity: int, code: str = "") -> str:
        if self._kind(entity) == "country":
            return self._name(entity)
        context = self._context(int(self._region[entity]), int(self._country[entity]))
        label = _place_label(self._name(entity), context)
        return f"{code}, {label}" if code else label

    def _context(self, region: int, country: int) -> tuple[str, str, str]:
        """What follows a place's own name in its label ("Bavaria, Germany"), that text's first
        name casefolded, and the text without it ("Germany")."""
        key = (region, country)
        if key not in self._contexts:
            names = [self._name(region)] if region >= 0 else []
            names.append(self._name(country))
            if len(names) == 2 and names[0].casefold() == names[1].casefold():
                del names[0]
            self._contexts[key] = (", ".join(names), names[0].casefold(), ", ".join(names[1:]))
        return self._contexts[key]

    def _place(self, entity: int, code: str) -> Place:
        return Place(
            name=code or self._name(entity),
            label=self._label(entity, code),
            latitude=int(self._lat[entity]) / COORD_SCALE,
            longitude=int(self._lon[entity]) / COORD_SCALE,
            country_code=self._country_code(entity),
            kind=self._kind(entity),
            population=int(self._pop[entity]),
        )


def _place_label(name: str, context: tuple[str, str, str]) -> str:
    """ "Leeds, England, United Kingdom"; a region named like its city is said once
    ("Berlin, Germany", not "Berlin, Berlin, Germany")."""
    full, first, rest = context
    if name.casefold() != first:
        return f"{name}, {full}"
    return f"{name}, {rest}" if rest else name


def _variants(key: str) -> list[str]:
    """The key, then spellings tried only when it has no match: "st albans" for "saint albans"
    (and back), "zurich" for "zuerich", "netherlands" for "the netherlands"."""
    words = key.split()
    variants = [
        key,
        " ".join(_ABBREVIATIONS.get(w, w) for w in words),
        " ".join(_EXPANSIONS.get(w, w) for w in words),
        key.replace("ae", "a").replace("oe", "o").replace("ue", "u"),
    ]
    if words and words[0] == "the":
        variants.append(" ".join(words[1:]))
    return list(dict.fromkeys(v for v in variants if v))


def _postcode_key(match: re.Match[str]) -> tuple[str, str, str]:
    """The postcode system that matched, its index key and the code as it is usually written.

    UK postcodes resolve to their postcode area ("LS1 4AP" to LS, Leeds): no package carries
    finer UK data."""
    groups = match.groupdict()
    if groups.get("us"):
        return "us", match["us"], match["us"]
    if groups.get("au"):
        return "au", match["au"], match["au"]
    if groups.get("ca"):
        code = " ".join(p for p in (match["ca"], groups.get("ca_ldu")) if p)
        return "ca", match["ca"], code.upper()
    area, outward = match["gb_area"], match["gb"]
    if outward[-1].isalpha() and area not in _GB_LETTERED_DISTRICT_AREAS:
        return "gb", "", ""  # "M5V" is a Canadian FSA, not a district of Manchester
    code = " ".join(p for p in (outward, groups.get("gb_in")) if p)
    return "gb", area, code.upper()
