"""Entity linking: give every NER mention a stable ``entity_id`` and a canonical ``entity_name``.

Design (see ``seeds/README.md`` for the data files):

* A :class:`KnowledgeBase` is loaded once per process. It holds the curated people/organisations
  table (``seeds/people_orgs.csv``) and the places gazetteer (countries and territories in every
  CLDR locale, cities from GeoNames), built by ``tools/build_gazetteer.py`` into
  ``seeds/places.parquet`` / ``seeds/place_index.parquet`` / ``seeds/place_aliases.parquet``.
* Every alias is indexed under a few *normalised keys* (pure functions below, shared with the build
  script): ``k1`` (script-folded ASCII), ``k2`` (phonetic Latin key, with language-specific
  transliteration for Turkish/French), ``st`` (Russian case-ending stem, for Cyrillic mentions) and,
  for people/organisations only, ``sk`` (consonant skeleton, for Arabic-script mentions). Linking is
  a handful of dictionary look-ups per mention: no fuzzy scan.
* Surface variants are handled by generating candidate forms. The *strong* form drops what is
  never part of a name: Turkish apostrophe suffixes (Akar’ın, Libya'yı), French elisions (l', d'),
  leading titles and, for persons, the description before the name ("Milli Savunma Bakanı Hulusi
  Akar"). *Weak* forms (Turkish suffixes without apostrophe, Arabic proclitics و ف ب ل ك, shorter
  tails of a long person name) are accepted only on evidence: a reference alias (for one Latin word:
  a curated entity, a country or a city of 100k+) or another mention of the document with that key.
  Russian case endings are matched by the symmetric ``st`` key; the Arabic article by the ``k2`` key.
* Arabic/Hebrew-script keys live in their own namespace (anyascii drops short vowels, so they would
  collide with Latin acronyms); Arabic ↔ Latin goes through curated Arabic aliases, the ``sk`` tier,
  or the consonant skeleton of a Latin name of the batch (unique match only).
* Partial person names (``Akar`` -> ``Hulusi Akar``) are resolved against the full names of the same
  document (first or last word; also a single word NER did not tag PER), then of the batch (last
  word), then against unique surnames of the curated table. Ambiguous partials are left alone.
* Mentions that match nothing get ``u:<hash>`` ids from the label class (PER or not) and the
  phonetic key, so the same unknown entity gets the same id in every document, batch and script
  that transliterates with vowels (Latin, Cyrillic).
* Place candidates are ranked curated > countries/regions > cities by population; a city of a
  country that the document mentions wins (Lübnan … Tripoli -> Tripoli, Lebanon).

Id scheme: ``Q<n>`` (Wikidata, curated table, when known) or ``kb:<slug>`` (curated, no QID);
``iso:<alpha2>`` countries/territories, ``m49:<code>`` CLDR regions (continents...), ``geo:<geonameid>``
cities (a city-state's city row is folded into its ``iso:`` country), ``u:<12 hex>`` unknown.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from anyascii import anyascii

from newsetl.doc import Doc, Mention

LINK_VERSION = "link-1.0"
# Version of the key functions below. The gazetteer index stores it; a mismatch means the built
# files must be rebuilt with ``tools/build_gazetteer.py`` (the loader then recomputes keys, slowly).
KEY_VERSION = "keys-2"

PEOPLE_ORGS_FILE = "people_orgs.csv"
# Cities at least this big may be matched by lossy keys or suffix-stripped forms of one word.
BIG_CITY = 100_000
PLACES_FILE = "places.parquet"
PLACE_INDEX_FILE = "place_index.parquet"
PLACE_ALIASES_FILE = "place_aliases.parquet"

# --------------------------------------------------------------------------------------------
# Normalisation: pure functions, shared with tools/build_gazetteer.py
# --------------------------------------------------------------------------------------------

APOSTROPHES = "'’ʼ‘`´′"
_APOS_RE = re.compile("[" + APOSTROPHES + "]")
_AR_DIACRITICS_RE = re.compile("[\u064b-\u065f\u0670\u0640\u06d6-\u06ed]")
_AR_TABLE = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ک": "ك",
        "ی": "ي",
        "گ": "ك",
        "پ": "ب",
        "چ": "ج",
        "ڤ": "ف",
    }
)
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_DOUBLE_RE = re.compile(r"(.)\1+")
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_CYRILLIC_RE = re.compile("[\u0400-\u052f]")
_ABJAD_RE = re.compile("[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\ufb1d-\ufdff\ufe70-\ufeff]")
# Keys of Arabic/Hebrew-script names (anyascii drops their short vowels: "خلوصي أكار" -> "khlwsy kr")
# live in their own namespace, so they never collide with Latin words or acronyms; the consonant
# skeleton tier and the document/batch registry bridge scripts instead.
ABJAD_NS = "~"
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f]")

# Arabic/Latin definite-article tokens dropped (when not the last token) in phonetic keys.
_ARTICLES = frozenset("al el ul il as es us ash esh ad ed at et ar er az ez an en ach ech".split())
_PHON_RULES = (
    ("sch", "sh"),
    ("tch", "ch"),
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("y", "i"),
    ("ou", "u"),
)
_TR_TABLE = str.maketrans(
    {
        "ş": "sh",
        "Ş": "sh",
        "ç": "ch",
        "Ç": "ch",
        "c": "j",
        "C": "j",
        "ğ": "g",
        "Ğ": "g",
        "ı": "i",
        "İ": "i",
        "I": "i",
        "ö": "o",
        "Ö": "o",
        "ü": "u",
        "Ü": "u",
    }
)
_SPECIAL_LANGS = frozenset({"tr", "fr", "az"})
_RU_ENDINGS = tuple(
    sorted(
        "ogo ego omu emu ami iami iakh akh om em im oi ei oiu eiu iu ia a u e i o".split(),
        key=len,
        reverse=True,
    )
)


def script_of(text: str) -> str:
    """Dominant script of ``text``: ``latin``, ``arabic``, ``cyrillic`` or ``other``."""
    ar = len(_ARABIC_RE.findall(text))
    cy = len(_CYRILLIC_RE.findall(text))
    la = len(_LATIN_RE.findall(text))
    best = max(ar, cy, la)
    if best == 0:
        return "other"
    if best == la:
        return "latin"
    return "arabic" if best == ar else "cyrillic"


def arabic_norm(text: str) -> str:
    """Remove harakat/tatweel and unify alef/hamza/ta-marbuta/alef-maqsura variants."""
    return _AR_DIACRITICS_RE.sub("", text).translate(_AR_TABLE)


def _base_norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if _ARABIC_RE.search(text):
        text = arabic_norm(text)
    return text.replace("İ", "I")


@functools.lru_cache(maxsize=50_000)
def fold(text: str) -> str:
    """Key ``k1``: any script -> lowercase ASCII words (anyascii), punctuation removed."""
    a = anyascii(_base_norm(text)).lower()
    return _NON_ALNUM_RE.sub(" ", a).strip()


def _lang_pre(text: str, lang: str | None) -> str:
    """Language-specific transliteration to an English-like Latin spelling."""
    if lang in ("tr", "az"):
        return text.translate(_TR_TABLE)
    if lang == "fr":
        a = fold(text)
        toks = []
        for t in a.split():
            t = t.replace("tch", "ch").replace("ch", "sh").replace("dj", "j")
            t = t.replace("gue", "ge").replace("gui", "gi")
            if len(t) > 3 and t.endswith("e") and t[-2] not in "aeiouy":
                t = t[:-1]
            toks.append(t)
        return " ".join(toks)
    return text


def _drop_articles(toks: list[str]) -> list[str]:
    """Articles out of a multi-word name (the last word always stays)."""
    if len(toks) < 2:
        return toks
    return [t for i, t in enumerate(toks) if i == len(toks) - 1 or t not in _ARTICLES]


def _phon_tokens(ascii_key: str) -> str:
    toks = ascii_key.split()
    toks = _drop_articles(toks)
    out = []
    for t in toks:
        for a, b in _PHON_RULES:
            if a in t:
                t = t.replace(a, b)
        out.append(_DOUBLE_RE.sub(r"\1", t))
    return " ".join(out)


def _arabic_strip_articles(text: str) -> str:
    toks = text.split()
    return " ".join(t[2:] if t.startswith("ال") and len(t) > 3 else t for t in toks)


@functools.lru_cache(maxsize=50_000)
def phon(text: str, lang: str | None = None) -> str:
    """Key ``k2``: phonetic Latin key. ``Şoygu``/tr, ``Shoigu``, ``Choïgou``/fr, ``Шойгу`` -> shoigu."""
    text = _base_norm(text)
    if _ARABIC_RE.search(text):
        text = _arabic_strip_articles(text)
    elif lang in _SPECIAL_LANGS:
        text = _lang_pre(text, lang)
    return _phon_tokens(fold(text))


def ru_stem(k2: str) -> str:
    """Key ``st``: strip Russian case endings from a phonetic key (Путина/Путин -> putin)."""
    out = []
    for t in k2.split():
        for e in _RU_ENDINGS:
            if t.endswith(e) and len(t) - len(e) >= 3:
                t = t[: -len(e)]
                break
        while len(t) > 3 and t[-1] in "aeiou":
            t = t[:-1]
        out.append(t)
    return " ".join(out)


_SKEL_RULES = (
    ("kh", "h"),
    ("gh", "g"),
    ("sh", "s"),
    ("ch", "s"),
    ("zh", "j"),
    ("dh", "z"),
    ("th", "t"),
    ("ts", "s"),
)
_SKEL_TABLE = str.maketrans({"q": "k", "c": "k", "p": "b", "v": "f", "d": "t", "z": "s", "x": "k"})
_VOWELS_RE = re.compile("[aeiouyw]")


@functools.lru_cache(maxsize=50_000)
def skeleton(text: str, lang: str | None = None) -> str:
    """Key ``sk``: consonant skeleton for cross-script matching (خلوصي أكار ~ Hulusi Akar -> hls kr)."""
    text = _base_norm(text)
    if _ARABIC_RE.search(text):
        text = _arabic_strip_articles(text)
    elif lang in ("tr", "az"):
        text = text.translate(_TR_TABLE)
    a = fold(text)
    toks = a.split()
    toks = _drop_articles(toks)
    out = []
    for t in toks:
        for x, y in _SKEL_RULES:
            t = t.replace(x, y)
        t = _VOWELS_RE.sub("", t.translate(_SKEL_TABLE))
        t = _DOUBLE_RE.sub(r"\1", t)
        if t:
            out.append(t)
    return " ".join(out)


def alias_keys(alias: str, lang: str | None, stem_latin: bool = False) -> dict[str, set[str]]:
    """All index keys of one reference alias, by tier (used by the loader and the build script).

    The Russian stem tier covers Cyrillic aliases, and Latin ones when ``stem_latin`` (the curated
    table: a Russian mention of a person known only by Latin aliases)."""
    keys: dict[str, set[str]] = {"k1": set(), "k2": set(), "st": set()}
    k1 = fold(alias)
    if not k1:
        return keys
    ns = ABJAD_NS if _ABJAD_RE.search(alias) else ""
    keys["k1"].add(ns + k1)
    k2 = phon(alias, None)
    keys["k2"].add(ns + k2)
    if lang in _SPECIAL_LANGS and not ns:
        keys["k2"].add(phon(alias, lang))
    sc = script_of(alias)
    if sc == "cyrillic" or (stem_latin and sc == "latin"):
        keys["st"].update(ru_stem(k) for k in keys["k2"])
    return keys


# --------------------------------------------------------------------------------------------
# Surface forms of a mention
# --------------------------------------------------------------------------------------------

_TITLES = frozenset(
    fold(t)
    for t in (
        "Bakan Bakanı Cumhurbaşkanı Başbakan Orgeneral General Korgeneral Tümgeneral Mareşal "
        "Sayın Bay Bayan Dr Prof Mr Mrs Ms Sir President Prime Minister Minister Secretary King "
        "Queen Prince Sheikh Emir Pope Président Premier ministre Ministre Maréchal Général "
        "Monsieur M Mme Roi Reine Cheikh Émir Pape Президент Министр Премьер Генерал Маршал "
        "الرئيس الملك الأمير الشيخ الوزير رئيس وزير الجنرال المشير "
        "Gazeteci Milletvekili Vali Başkan Başkanı Büyükelçi Büyükelçisi Sözcüsü Sözcü Lider "
        "Lideri Komutanı Komutan Mevkidaşı Cumhurbaşkanlığı Senator Senatör Governor Gouverneur "
        "Ambassador Ambassadeur Chancellor Chancelier Şansölye Генсек Глава Посол Министра "
        "Президента Министром Президентом"
    ).split()
)
_NAME_PARTICLES = frozenset(
    "al el ul bin ben ibn bint abu ebu de da di du des del della van von der den ter la le dos y e".split()
)
_FR_ELISIONS = frozenset({"l", "d", "qu", "j", "n", "s", "c", "m", "t", "lorsqu", "puisqu"})
_TR_SUFFIXES = tuple(
    sorted(
        (
            "nın nin nun nün ın in un ün ya ye yı yi yu yü a e ı i u ü da de ta te dan den tan ten "
            "nda nde ndan nden la le yla yle lar ler ları leri daki deki taki teki ndaki ndeki "
            "na ne nı ni nu nü dır dir dur dür"
        ).split(),
        key=len,
        reverse=True,
    )
)
_AR_PROCLITIC_1 = ("و", "ف")
_AR_PROCLITIC_2 = ("ب", "ل", "ك")
_STRIP_CHARS = ' \t\n"“”«»„‚‹›()[]{}.,;:!?-–—…*' + APOSTROPHES


def _person_core(toks: list[str]) -> list[str]:
    """A person mention without its leading titles and descriptions: "Milli Savunma Bakanı Hulusi
    Akar" -> "Hulusi Akar", "ministre russe de la Défense Sergei Shoigu" -> "Défense Sergei Shoigu"
    (the reference look-up then tries shorter tails), "وزير الدفاع التركي خلوصي أكار" -> "خلوصي أكار"."""
    last_title = max((i for i, t in enumerate(toks[:-1]) if fold(t) in _TITLES), default=-1)
    toks = toks[last_title + 1 :]
    if _LATIN_RE.search(" ".join(toks)) and not _ABJAD_RE.search(" ".join(toks)):
        i = len(toks)
        while i > 0:
            t = toks[i - 1]
            head = t.split("-")[-1] if "-" in t else t
            if t[:1].isupper() or head[:1].isupper() or t.lower() in _NAME_PARTICLES:
                i -= 1
            else:
                break
        core = toks[i:]
        while len(core) > 1 and core[0].lower() in _NAME_PARTICLES:
            core = core[1:]
        return core or toks
    if _ARABIC_RE.search(" ".join(toks)):
        while len(toks) > 1 and arabic_norm(toks[0]).startswith("ال"):
            toks = toks[1:]
    return toks


def clean_surface(surface: str, lang: str | None, label: str | None = None) -> str:
    """Strong form: quotes/punctuation trimmed, Turkish apostrophe suffixes and French elisions
    removed (Akar’ın -> Akar, Libya'yı -> Libya, l'Arménie -> Arménie), leading titles dropped
    (and, for persons, the description before the name)."""
    s = unicodedata.normalize("NFC", surface).strip(_STRIP_CHARS)
    toks = s.split()
    out = []
    for t in toks:
        parts = _APOS_RE.split(t)
        if len(parts) > 1:
            head, tail = parts[0], "".join(parts[1:])
            if fold(head) in _FR_ELISIONS and tail:
                t = tail  # l'Arménie, d'Idlib
            elif head and (tail.islower() or not tail):
                t = head  # Akar’ın, Libya'yı, Covid-19'la; keeps O'Brien
        out.append(t)
    while len(out) > 1 and fold(out[0]) in _TITLES:
        out = out[1:]
    if label == "PER" and len(out) > 1:
        out = _person_core(out)
    return " ".join(out).strip(_STRIP_CHARS)


def weak_forms(form: str, lang: str | None, script: str, label: str | None = None) -> list[str]:
    """Forms accepted only on evidence: Turkish suffixes without apostrophe, Arabic proclitics,
    and for persons the shorter tails of a long name ("Défense Sergei Shoigu" -> "Sergei Shoigu")."""
    toks = form.split()
    if not toks:
        return []
    out: list[str] = []
    if label == "PER" and len(toks) > 2:
        out.extend(" ".join(toks[i:]) for i in range(1, len(toks) - 1))
    elif label != "PER" and script == "latin" and len(toks) > 1 and toks[0][:1].isupper():
        # "Libya krizi" (LOC): the capitalised head without the trailing common words
        n = 1
        while n < len(toks) and toks[n][:1].isupper():
            n += 1
        if n < len(toks):
            out.append(" ".join(toks[:n]))
    if script == "latin" and lang in ("tr", "az", "und", None):
        last = toks[-1]
        low = last.lower()
        for suf in _TR_SUFFIXES:
            if low.endswith(suf) and len(low) - len(suf) >= 3:
                out.append(" ".join([*toks[:-1], last[: -len(suf)]]))
    elif script == "arabic":
        first = arabic_norm(toks[0])
        rest = toks[1:]
        cands = []
        if first.startswith("لل") and len(first) > 4:
            cands.append("ال" + first[2:])
        w = first
        if w[:1] in _AR_PROCLITIC_1 and len(w) > 3:
            w = w[1:]
            cands.append(w)
        if w[:1] in _AR_PROCLITIC_2 and len(w) > 3:
            cands.append(w[1:])
        out.extend(" ".join([c, *rest]) for c in cands)
    return out


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
        self.entities: dict[str, Entity] = {}
        # tier -> key -> space-separated entity ids, best first
        self.index: dict[str, dict[str, str]] = {"k1": {}, "k2": {}, "st": {}, "sk": {}}
        self.surnames: dict[str, str] = {}  # phonetic surname key -> person ids
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
            ids = [i for i in self.candidates(tier, key) if i in self.entities]
            if not ids:
                continue
            if tier == "sk" and len(ids) > 1:
                continue  # skeletons are lossy: only a unique hit counts
            if tier != "k1" and not multi:
                # a lossy key of one word (Kasım ~ Qasim) is not enough for a small town
                ids = [i for i in ids if self.entities[i].population >= BIG_CITY or not i.startswith("geo:")]
            for pref in prefs:
                hit = [i for i in ids if self.entities[i].label == pref]
                if hit:
                    return hit
            # a person's full name tagged ORG/MISC by NER
            if label != "PER" and multi and tier == "k1":
                hit = [i for i in ids if self.entities[i].label == "PER"]
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


# --------------------------------------------------------------------------------------------
# Linking
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _M:
    mention: Mention
    lang: str | None
    script: str
    base: str  # strong form (apostrophe suffix / elision / title removed)
    weak: list[str]  # forms accepted only on evidence
    key: str = ""  # phonetic key of ``base``
    tokens: list[str] = field(default_factory=list)  # phonetic keys of the tokens of ``base``
    ids: list[str] = field(default_factory=list)  # reference candidates, best first
    eid: str | None = None
    tail_word: str | None = None  # last word of a 2-word person mention that opens a sentence

    def rebase(self, form: str) -> None:
        self.base = form
        # a surface with no letters or digits (rare NER noise) keeps its own text as key
        self.key = phon(form, self.lang) or unicodedata.normalize("NFKC", form).strip().casefold()
        toks = [phon(t, self.lang) for t in form.split()]
        self.tokens = [t for t in toks if t]

    @property
    def is_person(self) -> bool:
        return self.mention.label == "PER"


def _unknown_id(label: str, key: str) -> str:
    """Stable id of an entity outside the reference tables: label class + phonetic key."""
    cls = "PER" if label == "PER" else "NAM"
    return "u:" + hashlib.blake2b(f"{cls}|{key}".encode(), digest_size=6).hexdigest()


def _mention_lang(doc: Doc, m: Mention) -> str | None:
    if 0 <= m.sent_idx < len(doc.sentences):
        lang = doc.sentences[m.sent_idx].lang
        if lang and lang != "und":
            return lang
    return doc.lang if doc.lang and doc.lang != "und" else None


def _prepare(doc: Doc) -> list[_M]:
    out = []
    for m in doc.mentions:
        lang = _mention_lang(doc, m)
        script = script_of(m.surface)
        if script == "latin" and lang is None and any(c in m.surface for c in "şğıŞĞİ"):
            lang = "tr"
        base = clean_surface(m.surface, lang, m.label) or m.surface.strip()
        weak = weak_forms(base, lang, script, m.label)
        if m.label == "PER":
            # the person core may have cut a name that starts like a title ("البابا فرنسيس")
            full = clean_surface(m.surface, lang)
            if full and full != base:
                weak.insert(0, full)
        if _SPACED_DASH_RE.search(m.surface):
            # a dateline glued to the name: "HABERRUS – Milli Savunma Bakanı Hulusi Akar"
            for part in reversed(_SPACED_DASH_RE.split(m.surface)):
                for form in (clean_surface(part, lang), clean_surface(part, lang, "PER")):
                    if form and form != base and form not in weak:
                        weak.append(form)
        mm = _M(m, lang, script, base, weak)
        mm.rebase(base)
        toks = base.split()
        if (
            m.label == "PER"
            and len(toks) == 2
            and lang in ("tr", "az")
            and len(toks[0]) >= 5
            and toks[0].lower().endswith(_TR_CASE_ENDINGS)
            and _sentence_initial(doc, m)
        ):
            # "Görüşmede Akar": the capitalised first word of the sentence is an inflected noun
            mm.tail_word = toks[1]
        out.append(mm)
    return out


# locative/ablative/genitive/plural endings: rare at the end of a Turkish first name
_TR_CASE_ENDINGS = tuple("de da te ta den dan ten tan nin nın nun nün ler lar deki daki".split())
_SPACED_DASH_RE = re.compile(r"\s[-–—]\s")
_LEADING_PUNCT = " \t\r\n\"“”«»„'‘’`-–—:;()[]•*·"


def _sentence_initial(doc: Doc, m: Mention) -> bool:
    if 0 <= m.sent_idx < len(doc.sentences):
        start = doc.sentences[m.sent_idx].start
        if start <= m.start:
            return not doc.text[start : m.start].strip(_LEADING_PUNCT)
    return m.start == 0 or doc.text[max(0, m.start - 2) : m.start].strip(_LEADING_PUNCT) in ("", ".", "!", "?")


class _Registry:
    """Resolved mentions of a document or a batch, indexed for evidence look-ups."""

    def __init__(self) -> None:
        self.by_key: dict[str, set[str]] = {}
        self.token1: dict[str, set[str]] = {}  # first/last token of multi-token person names
        self.fullnames: dict[str, set[frozenset[str]]] = {}  # eid -> token sets
        self.skel: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}  # canonical names of unknown entities

    def add(self, mm: _M) -> None:
        eid = mm.eid
        if not eid:
            return
        self.by_key.setdefault(mm.key, set()).add(eid)
        if mm.is_person and len(mm.tokens) >= 2:
            self.fullnames.setdefault(eid, set()).add(frozenset(mm.tokens))
            for pos, t in (("F|", mm.tokens[0]), ("L|", mm.tokens[-1])):
                if len(t) >= 2:
                    self.token1.setdefault(pos + t, set()).add(eid)
                    self.token1.setdefault(pos + "st:" + ru_stem(t), set()).add(eid)
        if mm.script == "latin":
            sk = skeleton(mm.base, mm.lang)
            if len(sk.replace(" ", "")) >= 4:
                self.skel.setdefault(sk, set()).add(eid)

    def merge(self, other: _Registry) -> None:
        for src, dst in (
            (other.by_key, self.by_key),
            (other.token1, self.token1),
            (other.fullnames, self.fullnames),
            (other.skel, self.skel),
        ):
            for k, v in src.items():
                dst.setdefault(k, set()).update(v)
        for k, v in other.names.items():
            if len(v) > len(self.names.get(k, "")):
                self.names[k] = v

    def partial(self, mm: _M, in_doc: bool = False) -> str | None:
        """Part of a person's name that belongs to exactly one full name seen here: a single token
        equal to its last token (Akar -> Hulusi Akar) or, within a document, its first token
        (Kang -> Kang Soon Nam), or several tokens that are all in it (Tayyip Erdoğan -> Recep
        Tayyip Erdoğan). Within a document, also a single word that NER did not tag PER."""
        if not mm.tokens or (not mm.is_person and not (in_doc and len(mm.tokens) == 1)):
            return None
        if len(mm.tokens) == 1:
            for f in (mm.base, *mm.weak):
                k = phon(f, mm.lang)
                if mm.script == "cyrillic":
                    k = "st:" + ru_stem(k)
                hit = set(self.token1.get("L|" + k, ()))
                if in_doc:
                    hit |= self.token1.get("F|" + k, set())
                if len(hit) == 1:
                    return next(iter(hit))
            return None
        toks = set(mm.tokens)
        hits = {eid for eid, sets in self.fullnames.items() if any(len(s) > len(toks) and toks <= s for s in sets)}
        if len(hits) == 1:
            return next(iter(hits))
        if mm.tail_word:
            hit = set(self.token1.get("L|" + phon(mm.tail_word, mm.lang), ()))
            hit.discard(mm.eid)
            if len(hit) == 1:
                return next(iter(hit))
        return None

    def same_key(self, mm: _M, forms: Iterable[str]) -> str | None:
        for f in forms:
            hit = self.by_key.get(phon(f, mm.lang))
            if hit and len(hit) == 1:
                return next(iter(hit))
        return None

    def cross_script(self, mm: _M) -> str | None:
        """An Arabic/Cyrillic mention whose consonant skeleton matches one Latin name seen here."""
        if mm.script == "latin":
            return None
        sk = skeleton(mm.base, mm.lang)
        hit = self.skel.get(sk) if len(sk.replace(" ", "")) >= 4 else None
        return next(iter(hit)) if hit and len(hit) == 1 else None


def _pick(kb: KnowledgeBase, ids: list[str], countries: set[str]) -> str:
    """Among reference candidates, prefer a city of a country the document mentions."""
    if len(ids) > 1 and countries:
        first = kb.entities[ids[0]]
        if first.entity_id.startswith("geo:") and first.country not in countries:
            for i in ids[1:]:
                e = kb.entities[i]
                if e.entity_id.startswith("geo:") and e.country in countries:
                    return i
    return ids[0]


_NO_SURNAME = frozenset(
    fold(t) for t in "of Pope Papa Pape Kral King Roi البابا الملك bin ben ibn bint بن Папа".split()
)


def _has_surname(alias: str) -> bool:
    """Whether the last word of a reference person's alias can name them alone (not for
    "Abdullah II of Jordan", "Papa Franciscus" or "Mohammed bin Salman")."""
    return not any(fold(t) in _NO_SURNAME for t in alias.split())


def _notable(e: Entity) -> bool:
    return not e.entity_id.startswith("geo:") or e.population >= BIG_CITY


def _reference_pass(kb: KnowledgeBase, mms: list[_M]) -> None:
    """Stage 1: look-ups in the reference tables (strong form, then weak forms)."""
    for mm in mms:
        ids = kb.lookup(mm.base, mm.lang, mm.mention.label, mm.script)
        if not ids:
            for w in mm.weak:
                ids = kb.lookup(w, mm.lang, mm.mention.label, mm.script)
                if ids and mm.script == "latin":
                    # a Turkish suffix cut off one word (Colani -> Cola) must land on something
                    # notable: a curated entity, a country/region or a big city
                    ids = [i for i in ids if _notable(kb.entities[i])]
                if ids:
                    mm.rebase(w)
                    break
        mm.ids = ids
    countries = {mm.ids[0][4:] for mm in mms if mm.ids and mm.ids[0].startswith("iso:")}
    for mm in mms:
        if mm.ids:
            mm.eid = _pick(kb, mm.ids, countries)


def _local_unknowns(mms: list[_M], reg: _Registry) -> None:
    """Stage 2: unresolved full names become unknown entities of the document. A form with a
    suffix/clitic takes the key of the bare form when the document has it (Gülerin -> Güler)."""
    bare = {mm.key for mm in mms if not mm.eid}
    for mm in mms:
        if not mm.eid:
            for w in mm.weak:
                k = phon(w, mm.lang)
                if k in bare and k != mm.key:
                    mm.rebase(w)
                    break
    for mm in sorted(mms, key=lambda x: -len(x.tokens)):
        if mm.eid or len(mm.tokens) < 2:
            continue
        # a shorter person name may still belong to a longer one (stage 3)
        if mm.is_person and reg.partial(mm, in_doc=True):
            continue
        mm.eid = _unknown_id(mm.mention.label, mm.key)
        if len(mm.base) > len(reg.names.get(mm.eid, "")):
            reg.names[mm.eid] = mm.base
        reg.add(mm)


def _evidence_pass(mms: list[_M], reg: _Registry, in_doc: bool) -> None:
    """Stage 3: partial names, suffixed forms and cross-script names resolved on the evidence of
    the registry (the document's, then the batch's). In the document, remaining single words
    that are not persons become unknown entities afterwards."""
    for mm in mms:
        if mm.eid:
            continue
        eid = reg.partial(mm, in_doc=in_doc) or reg.same_key(mm, mm.weak) or reg.cross_script(mm)
        if eid:
            mm.eid = eid
    if in_doc:
        for mm in mms:
            if not mm.eid and not mm.is_person:
                mm.eid = _unknown_id(mm.mention.label, mm.key)
                if len(mm.base) > len(reg.names.get(mm.eid, "")):
                    reg.names[mm.eid] = mm.base
                reg.add(mm)


def _cross_script_merge(mms: list[_M], reg: _Registry) -> None:
    """An unknown Arabic-script name whose consonant skeleton matches exactly one Latin-script name
    of the batch is that entity (أنطون كوني ~ Anton Quni): remap the document's mentions of it."""
    remap: dict[str, str] = {}
    for mm in mms:
        if mm.eid and mm.eid.startswith("u:") and mm.script != "latin" and mm.eid not in remap:
            hit = reg.cross_script(mm)
            if hit and hit != mm.eid:
                remap[mm.eid] = hit
    if remap:
        for mm in mms:
            if mm.eid in remap:
                mm.eid = remap[mm.eid]


def _final_pass(kb: KnowledgeBase, mms: list[_M], reg: _Registry) -> None:
    """Stage 4: unique reference surnames (Putin, Erdoğan), then unknown ids."""
    for mm in mms:
        if mm.eid or not mm.is_person or len(mm.tokens) != 1:
            continue
        for f in (mm.base, *mm.weak):
            eid = kb.surname_lookup(f, mm.lang, mm.script)
            if eid:
                mm.eid = eid
                break
    for mm in mms:
        if mm.eid:
            continue
        eid = reg.same_key(mm, [mm.base])
        mm.eid = eid or _unknown_id(mm.mention.label, mm.key)
        if not eid and len(mm.base) > len(reg.names.get(mm.eid, "")):
            reg.names[mm.eid] = mm.base


def link_entities_batch(docs: list[Doc], kb: KnowledgeBase) -> list[Doc]:
    """Link all mentions of ``docs``. Partial names resolve within their document first, then
    across the documents of the batch. Offsets and surfaces are never changed."""
    prepared = [_prepare(d) for d in docs]
    batch = _Registry()
    regs = []
    for mms in prepared:
        _reference_pass(kb, mms)
        reg = _Registry()
        for mm in mms:
            reg.add(mm)
        _local_unknowns(mms, reg)
        _evidence_pass(mms, reg, in_doc=True)
        for mm in mms:
            if mm.eid:
                reg.add(mm)
        batch.merge(reg)
        regs.append(reg)
    for mms, reg in zip(prepared, regs, strict=True):
        _cross_script_merge(mms, batch)
        _evidence_pass(mms, batch, in_doc=False)
        _final_pass(kb, mms, reg)
        batch.names.update({k: v for k, v in reg.names.items() if k not in batch.names})
    for mms in prepared:
        for mm in mms:
            m = mm.mention
            m.entity_id = mm.eid
            e = kb.entities.get(mm.eid) if mm.eid else None
            m.entity_name = e.name if e else batch.names.get(mm.eid, mm.base)
    return docs


def link_entities(doc: Doc, kb: KnowledgeBase) -> Doc:
    """Set ``entity_id`` / ``entity_name`` on every mention of ``doc`` (offsets untouched)."""
    link_entities_batch([doc], kb)
    return doc


# -- known full names the model missed ------------------------------------------------------------

_WORD_RE = re.compile(r"\w+")
_AR_CLITICS = ("و", "ف", "ب", "ل", "ك")
MAX_NAME_TOKENS = 5


def _name_key(word: str) -> str:
    return _base_norm(word).casefold()


@functools.cache
def _known_names(kb: KnowledgeBase) -> dict[tuple[str, ...], str]:
    """Multi-word curated aliases (full names of people and organisations) -> label."""
    labels = {e.entity_id: e.label for e in kb.entities.values()}
    names: dict[tuple[str, ...], str] = {}
    for row in kb._people_aliases:  # noqa: SLF001 - the KB's own alias rows
        toks = tuple(_name_key(w) for w in _WORD_RE.findall(row["alias"]))
        if 2 <= len(toks) <= MAX_NAME_TOKENS and row["entity_id"] in labels:
            names.setdefault(toks, labels[row["entity_id"]])
    return names


@functools.cache
def _first_words(kb: KnowledgeBase) -> frozenset[str]:
    return frozenset(toks[0] for toks in _known_names(kb))


def known_name_mentions(doc: Doc, kb: KnowledgeBase) -> Doc:
    """Add a mention for every multi-word curated name (e.g. "خلوصي أكار", "Recep Tayyip Erdoğan") that the
    statistical model missed, in any script; an Arabic clitic on the first word stays outside the span.
    Single words are never matched here (too ambiguous): the linker's partial-name rules cover them."""
    names = _known_names(kb)
    firsts = _first_words(kb)
    taken = [(m.start, m.end) for m in doc.mentions]
    added = []
    for sent in doc.sentences:
        words = [
            (m.start() + sent.start, m.end() + sent.start, _name_key(m.group())) for m in _WORD_RE.finditer(sent.text)
        ]
        i = 0
        while i < len(words):
            hit = None
            first = words[i][2]
            if first not in firsts and first[1:] not in firsts:  # cheap pre-check: no name starts here
                i += 1
                continue
            for n in range(min(MAX_NAME_TOKENS, len(words) - i), 1, -1):
                key = tuple(w[2] for w in words[i : i + n])
                start = words[i][0]
                if key not in names and key[0][:1] in _AR_CLITICS and len(key[0]) > 3:
                    key, start = (key[0][1:], *key[1:]), start + 1
                if key in names:
                    hit = (start, words[i + n - 1][1], names[key], n)
                    break
            if hit and not any(s < hit[1] and hit[0] < e for s, e in taken):
                start, end, label, n = hit
                added.append(Mention(sent.idx, start, end, doc.text[start:end], label, score=0.6))
                taken.append((start, end))
                i += n
            else:
                i += 1
    if added:
        doc.mentions = sorted(doc.mentions + added, key=lambda m: m.start)
    return doc
