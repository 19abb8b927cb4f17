"""Reference entities (curated people/organisations, places gazetteer) and their alias indexes."""

from __future__ import annotations

import csv
import re
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tasks.enrich.compact import FrozenStrMap, KeyIndex, PackedStrings

from .names import (
    _ABJAD_RE,
    _SPECIAL_LANGS,
    ABJAD_NS,
    KEY_VERSION,
    _has_surname,
    alias_keys,
    clean_surface,
    fold,
    phon,
    ru_stem,
    skeleton,
)
from .parts import NameTable, PersonName, split_person

PEOPLE_ORGS_FILE = "people_orgs.csv"
# Cities at least this big may be matched by lossy keys or suffix-stripped forms of one word.
BIG_CITY = 100_000
PLACES_FILE = "places.parquet"
PLACE_INDEX_FILE = "place_index.parquet"
PLACE_ALIASES_FILE = "place_aliases.parquet"

# --------------------------------------------------------------------------------------------
# Knowledge base
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Entity:
    entity_id: str
    name: str
    label: str  # PER / ORG / LOC / MISC
    source: str
    external_id: str | None = None
    country: str | None = None  # ISO alpha-2 of a place
    population: int = 0


class EntityTable:
    """The reference entities by id, read-only, in flat arrays (``compact``): ``[id]``, ``get``, ``in``, ``len``,
    ``values``. 34k entities take ~4 MB instead of ~19 MB of objects that forked workers would copy."""

    __slots__ = ("_index", "_ids", "_names", "_codes", "_texts", "_population")

    _FIELDS = ("label", "source", "external_id", "country")  # few distinct values each

    def __init__(self, entities: dict[str, Entity]):
        self._index = KeyIndex(entities)
        self._ids = PackedStrings(entities)
        self._names = PackedStrings(e.name for e in entities.values())
        texts: dict[str | None, int] = {}
        codes = [[texts.setdefault(getattr(e, f), len(texts)) for f in self._FIELDS] for e in entities.values()]
        self._codes = tuple(array("i", (c[k] for c in codes)) for k in range(len(self._FIELDS)))
        self._texts = tuple(texts)
        self._population = array("q", (e.population for e in entities.values()))

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, entity_id: str) -> bool:
        return self._index.find(entity_id) >= 0

    def _entity(self, row: int) -> Entity:
        t = self._texts
        label, source, ext, country = (t[c[row]] for c in self._codes)
        return Entity(self._ids[row], self._names[row], label, source, ext, country, self._population[row])

    def __getitem__(self, entity_id: str) -> Entity:
        row = self._index.find(entity_id)
        if row < 0:
            raise KeyError(entity_id)
        return self._entity(row)

    def get(self, entity_id: str) -> Entity | None:
        row = self._index.find(entity_id)
        return None if row < 0 else self._entity(row)

    def values(self) -> Iterator[Entity]:
        return (self._entity(row) for row in range(len(self)))


_LABEL_PREFS = {
    "PER": ("PER",),
    "LOC": ("LOC", "ORG"),
    "ORG": ("ORG", "LOC"),
    "MISC": ("ORG", "LOC", "MISC"),
}


class KnowledgeBase:
    """Reference entities and their alias indexes. Use :meth:`load` (cached per process)."""

    _cache: dict[Path, KnowledgeBase] = {}
    _lock = threading.Lock()

    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = Path(seeds_dir)
        self.entities: dict[str, Entity] | EntityTable = {}  # a dict while building, then frozen
        # tier -> key -> space-separated entity ids, best first (dicts while building, then frozen)
        self.index: dict[str, dict[str, str] | FrozenStrMap] = {"k1": {}, "k2": {}, "st": {}, "sk": {}}
        self.surnames: dict[str, str] = {}  # phonetic surname key -> person ids
        self.names = NameTable()  # name-part identities (seeds/name_parts.parquet)
        self.person_parts: dict[tuple[str, str], set[str]] = {}  # (family part, initial) -> curated persons
        self.family_parts: dict[str, set[str]] = {}  # family part -> curated persons
        self._people_aliases: list[dict] = []

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def load(cls, seeds_dir: Path) -> KnowledgeBase:
        """The knowledge base of ``seeds_dir``, built once per process and kept (about 250 MB)."""
        seeds_dir = Path(seeds_dir).resolve()
        with cls._lock:
            kb = cls._cache.get(seeds_dir)
            if kb is None:
                kb = cls._cache[seeds_dir] = cls.build(seeds_dir)
            return kb

    @classmethod
    def build(cls, seeds_dir: Path) -> KnowledgeBase:
        """A fresh, uncached knowledge base (for one-off uses such as exporting the reference tables)."""
        kb = cls(Path(seeds_dir).resolve())
        kb._load_places()
        kb._load_people_orgs()
        # ~330k alias keys and 34k entities: as arrays they take ~15 MB instead of ~80 MB of objects that forked
        # workers would copy on write
        kb.index = {tier: FrozenStrMap(d.items()) for tier, d in kb.index.items()}
        kb.entities = EntityTable(kb.entities)
        return kb

    def _load_places(self) -> None:
        places = self.seeds_dir / PLACES_FILE
        index = self.seeds_dir / PLACE_INDEX_FILE
        if not places.exists() or not index.exists():
            return
        import pyarrow.parquet as pq

        t = pq.read_table(places)
        cols = {n: t.column(n).to_pylist() for n in t.column_names}
        for eid, name, label, source, ext, cc, pop in zip(
            cols["entity_id"],
            cols["name"],
            cols["label"],
            cols["source"],
            cols["external_id"],
            cols["country"],
            cols["population"],
            strict=True,
        ):
            self.entities[eid] = Entity(eid, name, label, source, ext, cc, pop or 0)
        meta = pq.read_metadata(index).metadata or {}
        if meta.get(b"key_version", b"").decode() != KEY_VERSION:
            self._reindex_places()
            return
        t = pq.read_table(index)
        tiers = t.column("tier").to_pylist()
        keys = t.column("key").to_pylist()
        ids = t.column("ids").to_pylist()
        # rows are sorted by tier; slice per tier and build each dict in one C-level call
        start = 0
        n = len(tiers)
        while start < n:
            tier = tiers[start]
            end = start
            while end < n and tiers[end] == tier:
                end += 1
            self.index[tier] = dict(zip(keys[start:end], ids[start:end], strict=True))
            start = end

    def _reindex_places(self) -> None:
        """Slow path when the built index does not match KEY_VERSION: recompute from aliases."""
        import warnings

        import pyarrow.parquet as pq

        warnings.warn(
            "place_index.parquet was built with other key functions; recomputing (run tools/build_gazetteer.py)",
            stacklevel=3,
        )
        t = pq.read_table(self.seeds_dir / PLACE_ALIASES_FILE)
        rank = {eid: i for i, eid in enumerate(self.entities)}
        acc: dict[str, dict[str, set[str]]] = {"k1": {}, "k2": {}, "st": {}}
        for eid, alias, lang in zip(
            t.column("entity_id").to_pylist(),
            t.column("alias").to_pylist(),
            t.column("lang").to_pylist(),
            strict=True,
        ):
            for tier, ks in alias_keys(alias, lang).items():
                for k in ks:
                    acc[tier].setdefault(k, set()).add(eid)
        for tier, d in acc.items():
            self.index[tier] = {k: " ".join(sorted(v, key=lambda e: rank.get(e, 1 << 30))) for k, v in d.items()}

    def _load_people_orgs(self) -> None:
        path = self.seeds_dir / PEOPLE_ORGS_FILE
        if not path.exists():
            return
        self.names = NameTable.load(self.seeds_dir)
        with path.open(encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["entity_id"] and not r["entity_id"].startswith("#")]
        added: dict[str, dict[str, list[str]]] = {"k1": {}, "k2": {}, "st": {}, "sk": {}}
        surn: dict[str, list[str]] = {}

        def add(tier: str, key: str, eid: str) -> None:
            lst = added[tier].setdefault(key, [])
            if eid not in lst:
                lst.append(eid)

        for r in rows:
            eid, label, name = r["entity_id"].strip(), r["label"].strip(), r["name"].strip()
            alias, lang = r["alias"].strip(), (r.get("lang") or "und").strip()
            if eid not in self.entities:
                ext = eid if re.fullmatch(r"Q\d+", eid) else None
                self.entities[eid] = Entity(eid, name, label, "curated", ext)
            self._people_aliases.append({"entity_id": eid, "alias": alias, "lang": lang})
            for tier, ks in alias_keys(alias, lang, stem_latin=True).items():
                for k in ks:
                    add(tier, k, eid)
            sk = skeleton(alias, lang)
            if len(sk.replace(" ", "")) >= 4:
                add("sk", sk, eid)
            if label == "PER":
                self._index_parts(eid, alias, lang)
                toks = clean_surface(alias, lang).split()
                if len(toks) >= 2 and _has_surname(alias):
                    last = phon(toks[-1], lang)
                    if len(last) >= 3:
                        for k in {last, "st:" + ru_stem(last)}:
                            lst = surn.setdefault(k, [])
                            if eid not in lst:
                                lst.append(eid)
        for tier in ("st", "k2", "k1", "sk"):  # read fallbacks before k1 changes
            idx = self.index[tier]
            for k, eids in added[tier].items():
                old = self._get(tier, k)
                rest = [e for e in old.split() if e not in eids] if old else []
                idx[k] = " ".join(eids + rest)
        self.surnames = {k: " ".join(v) for k, v in surn.items()}

    def _index_parts(self, eid: str, alias: str, lang: str) -> None:
        """A curated person under the identities of their name parts, so that spellings the CSV does
        not list (Шойгу, شويغو, Sergei Kuzhugetovich Shoigu) still find them."""
        p = split_person(clean_surface(alias, lang, "PER"), lang, self.names)
        if p is None or not p.family or not p.given:
            return
        self.person_parts.setdefault((p.family, p.initial), set()).add(eid)
        if _has_surname(alias):
            self.family_parts.setdefault(p.family, set()).add(eid)

    def person_lookup(self, p: PersonName) -> str | None:
        """The curated person with this family part and given initial, when there is exactly one."""
        hit = self.person_parts.get((p.family or "", p.initial))
        return next(iter(hit)) if hit and len(hit) == 1 else None

    def family_lookup(self, family: str | None) -> str | None:
        """The curated person with this family part, when there is exactly one."""
        hit = self.family_parts.get(family or "")
        return next(iter(hit)) if hit and len(hit) == 1 else None

    # -- reference tables for the warehouse --------------------------------------------------

    def reference_entities(self) -> list[dict]:
        return [
            {
                "entity_id": e.entity_id,
                "name": e.name,
                "label": e.label,
                "source": e.source,
                "external_id": e.external_id,
            }
            for e in self.entities.values()
        ]

    def reference_aliases(self) -> list[dict]:
        """Unique (entity_id, alias, lang) rows of the curated table and the gazetteer."""
        rows = list(self._people_aliases)
        path = self.seeds_dir / PLACE_ALIASES_FILE
        if path.exists():
            import pyarrow.parquet as pq

            rows.extend(pq.read_table(path).to_pylist())
        seen: set[tuple[str, str, str]] = set()
        out = []
        for r in rows:
            k = (r["entity_id"], r["alias"], r["lang"])
            if k not in seen:
                seen.add(k)
                out.append(r)
        return out

    # -- look-ups ----------------------------------------------------------------------------

    def entity(self, entity_id: str) -> Entity | None:
        return self.entities.get(entity_id)

    def _get(self, tier: str, key: str) -> str | None:
        # the built index omits k2/st entries equal to their fallback (st -> k2 -> k1)
        idx = self.index
        if tier == "k1" or tier == "sk":
            return idx[tier].get(key)
        if tier == "k2":
            return idx["k2"].get(key) or idx["k1"].get(key)
        return idx["st"].get(key) or idx["k2"].get(key) or idx["k1"].get(key)

    def candidates(self, tier: str, key: str) -> list[str]:
        v = self._get(tier, key)
        return v.split() if v else []

    def lookup(self, form: str, lang: str | None, label: str, script: str) -> list[str]:
        """Entity ids for one surface form, best first, restricted to labels compatible with
        ``label``. Tiers: exact folded key, phonetic key, Russian stem, consonant skeleton."""
        ns = ABJAD_NS if _ABJAD_RE.search(form) else ""
        keys = [("k1", ns + fold(form))]
        k2 = phon(form, None)
        keys.append(("k2", ns + k2))
        if lang in _SPECIAL_LANGS and not ns:
            keys.append(("k2", phon(form, lang)))
        if script == "cyrillic":
            keys.append(("st", ru_stem(k2)))
        if script in ("arabic", "other"):
            sk = skeleton(form, lang)
            if len(sk.replace(" ", "")) >= 4:
                keys.append(("sk", sk))
        prefs = _LABEL_PREFS.get(label, ("ORG", "LOC", "MISC"))
        multi = len(form.split()) >= 2
        if label == "MISC":
            keys = keys[:1]  # demonyms and events: exact names only
        for tier, key in keys:
            if not key:
                continue
            # each candidate read from the entity table once
            ents = [e for i in self.candidates(tier, key) if (e := self.entities.get(i)) is not None]
            if not ents:
                continue
            if tier == "sk" and len(ents) > 1:
                continue  # skeletons are lossy: only a unique hit counts
            if tier != "k1" and not multi:
                # a lossy key of one word (Kasım ~ Qasim) is not enough for a small town
                ents = [e for e in ents if e.population >= BIG_CITY or not e.entity_id.startswith("geo:")]
            for pref in prefs:
                hit = [e.entity_id for e in ents if e.label == pref]
                if hit:
                    return hit
            # a person's full name tagged ORG/MISC by NER
            if label != "PER" and multi and tier == "k1":
                hit = [e.entity_id for e in ents if e.label == "PER"]
                if hit:
                    return hit
        return []

    def surname_lookup(self, token: str, lang: str | None, script: str = "latin") -> str | None:
        k = phon(token, lang)
        if script == "cyrillic":
            k = "st:" + ru_stem(k)
        v = self.surnames.get(k) or self.surnames.get(phon(token, None))
        if v and " " not in v:
            return v
        return None
