"""Name parts of persons and their identities across scripts.

A person mention is split into parts (given, middle, family; a Russian patronymic is recognised and left
out of the identity; particles such as al-/bin/de/van stay with the part they introduce). Each part is
normalised for its language before any look-up, then mapped to a *part key*: a Latin phonetic key shared
by every spelling of that name part (``Шойгу``, ``شويغو``, ``Şoygu`` -> ``shoigu``).

Evidence, strongest first (the compact table ``seeds/name_parts.parquet``, built by ``tools/build_names.py``):

1. ``rigour`` name-part groups (spellings in all scripts keyed by Wikidata ids), indexed at build time;
2. Wikidata/Wikipedia name-token pairs of ``shared/names`` (English-Russian, English-Arabic);
3. a romanisation key (``phon`` of the spelling itself), weakest: the key of Latin and Cyrillic parts the
   table does not know, used within a document; an unknown Arabic part keeps an Arabic-only key.

Ids are made of *sound keys* (:mod:`~tasks.enrich.link.translit`): a known part has the sound of its group
(``seeds/name_sounds.parquet``), an unknown Cyrillic part its letters, an unknown Latin part the Latin model's
reading, an unknown Arabic part the Arabic model's where it is sure (``AR_SOUND_MIN_CONF``), else its
Arabic-only key. Where a model read the family part, or the family part is a Latin spelling that the table knows
(its group's sound is that of its most frequent Russian spelling, not always this spelling's), the ids of the
model's other readings of the spelling (:func:`other_ids`) go with the mention, for the warehouse to match against
the persons of the corpus; a Cyrillic family part carries the keys the Latin model would most likely give its Latin
spellings (the ``ru`` model, ``link-2.6``), which the warehouse matches the other way round.

Per-language normal forms: Russian case forms to the nominative (``pymorphy3`` lemmas and a few endings,
accepted when the table knows the result), Turkish suffixes without an apostrophe only when the stem is a
known name, Arabic proclitics (و ف ب ل ك ال لل بال) only when the rest is a known name; Arabic diacritics,
tatweel and alef/ya/ta-marbuta variants are folded by :func:`~tasks.enrich.link.names.arabic_norm`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from .names import _ARABIC_RE, _CYRILLIC_RE, ABJAD_NS, _lang_pre, arabic_norm, fold, phon
from .translit import coarse, model, ru_sound

PARTS_FILE = "name_parts.parquet"
SOUNDS_FILE = "name_sounds.parquet"
# An Arabic part no table knows gets the Arabic model's sound key only at least this sure of it (the
# product of its rules' probabilities; chosen on the dev split by training/train_translit.py)
AR_SOUND_MIN_CONF = 0.1
# ... and only when that key, or another reading of it, has at least this many letters (a shorter one meets too
# many other names)
AR_MIN_LEN = 3
# An Arabic spelling one long vowel short of a known spelling is read as that name below this confidence of the
# model in its own reading (dev split: precision 0.929 / recall 0.513 against 0.921 / 0.527 always trusting the
# model, and 0.783 / 0.289 always trusting the nearest spelling)
AR_NEAR_MAX_CONF = 0.45
# Other readings of a part that a sound model read (``other_readings``): of its N_BEST keys, those within
# READING_MARGIN nats (log probability) of its first. Chosen on the dev split by ``training/train_translit.py
# --corpus`` (corpus case, 1,500 dev pairs: en-ru recall 0.713 -> 0.875 at precision 0.988 -> 0.984, en-ar
# 0.517 -> 0.711 at 0.966 -> 0.961; 4 nats gain nothing more, 2 nats 0.846 / 0.678)
N_BEST = 8
READING_MARGIN = 3.0
# A consonant skeleton (``sound_skeleton``) shorter than this gives no skeleton id: short skeletons meet other
# names by chance (dev split, ``training/train_translit.py --corpus``: en-ar 0.898 / 0.861 -> 0.906 / 0.846,
# en-ru 0.956 / 0.923 -> 0.958 / 0.917, every skeleton join that was wrong on the en-ru dev pairs was shorter)
SKELETON_MIN_LEN = 4

# particles that introduce a part (kept with it, never a part of their own)
PARTICLES = frozenset(
    "al el ul bin ben ibn bint abu ebu de da di du des del della van von der den ter la le dos "
    "бен бин ибн аль эль ад ас ван фон дер де ди да дель ла ле "
    "بن ابن بنت ابو".split()
)
_RU_PATRONYMIC = re.compile(r"(ович|евич|ьич|ич)(а|у|ем|е)?$|(овн|евн|ичн|иничн)(а|ы|е|у|ой|ою)$")
_RU_ENDINGS = (
    "ами",
    "ого",
    "ому",
    "ыми",
    "ими",
    "ой",
    "ою",
    "ом",
    "ым",
    "им",
    "ем",
    "ую",
    "ых",
    "а",
    "у",
    "е",
    "ы",
    "и",
    "ю",
    "я",
)
_RU_REFILL = ("", "й", "ь", "а", "я")
_AR_PROCLITICS = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_TR_SUFFIXES = tuple(
    sorted(
        "nın nin nun nün ın in un ün ya ye yı yi yu yü a e ı i u ü da de ta te dan den tan ten la le yla yle".split(),
        key=len,
        reverse=True,
    )
)


def norm_token(token: str) -> str:
    """The spelling of one name part as stored in the table: lowercase, ё->е, Arabic folded."""
    t = token.strip(" .,;:!?\"'’«»()[]").lower().replace("ё", "е")
    if _ARABIC_RE.search(t):
        t = arabic_norm(t).replace("\u0640", "")
    return t


def ar_skeleton(token: str) -> str:
    """Arabic spelling without its long-vowel letters after the first (كالفرت ~ كالفيرت -> كلفرت)."""
    return token[:1] + "".join(c for c in token[1:] if c not in "اوي")


@functools.cache
def _morph():
    import pymorphy3  # MIT; dictionaries inside pymorphy3-dicts-ru

    return pymorphy3.MorphAnalyzer(lang="ru")


_NAME_TAGS = ("Surn", "Name", "Patr")


def _in_dictionary(p) -> bool:
    """A reading from the dictionary (not a guess for an unknown word), in the singular: names in the
    plural are rare, and the plural readings invent lemmas (Линнес -> линнеса)."""
    return type(p.methods_stack[0][0]).__name__ == "DictionaryAnalyzer" and "plur" not in p.tag


def _nominative(p) -> str:
    """The nominative singular of a parse, keeping its gender (Цыплаковой -> цыплакова, where the
    lemma would be the masculine цыплаков)."""
    form = p.inflect({"nomn", "sing"}) if p.tag.case not in (None, "nomn") else None
    word = form.word if form is not None else (p.word if p.tag.case == "nomn" else p.normal_form)
    return word.replace("ё", "е")


@functools.lru_cache(maxsize=4096)
def ru_lemmas(token: str) -> tuple[str, ...]:
    """Nominative candidates of a Russian name part, most plausible first (Кляйна -> кляйн): the
    spelling, the dictionary's readings as a name, then common case endings cut. The analyser's guesses
    for words it does not know are left out: they invent endings (Линнес -> линнеса)."""
    low = norm_token(token)
    parses = [p for p in _morph().parse(low) if _in_dictionary(p)]
    named = [_nominative(p) for p in parses if any(t in p.tag for t in _NAME_TAGS)]
    other = [_nominative(p) for p in parses if p.tag.POS == "NOUN"]
    out = [low]
    for form in (*named, *other):
        if form not in out:
            out.append(form)
    for e in _RU_ENDINGS:
        if low.endswith(e) and len(low) - len(e) >= 3:
            for r in _RU_REFILL:
                form = low[: -len(e)] + r
                if form not in out:
                    out.append(form)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def ru_nominative(token: str) -> str:
    """Best guess at the nominative of a Russian name part no table knows: the nominative of a name the
    dictionary knows (Медведева -> медведев), an instrumental ending cut (Зорбековым -> зорбеков),
    else the spelling itself (foreign names in -и/-о/-у do not decline: Носекени)."""
    low = norm_token(token)
    for p in _morph().parse(low):
        if any(t in p.tag for t in _NAME_TAGS) and _in_dictionary(p):
            return _nominative(p)
    m = re.fullmatch(r"(.{3,}[бвгджзклмнпрстфхцчшщ])(ом|ым|ем)", low)
    return m.group(1) if m else low


@functools.lru_cache(maxsize=4096)
def ru_oblique_lemma(token: str, tags: tuple[str, ...] = _NAME_TAGS) -> str | None:
    """The nominative when the dictionary's most likely reading of the word is a name in an oblique case
    (``tags``: person names by default; ``("Geox", "Orgn")`` for places and organisations)."""
    low = norm_token(token)
    named = [p for p in _morph().parse(low) if any(t in p.tag for t in tags)]
    if named and named[0].tag.case not in (None, "nomn") and _in_dictionary(named[0]):
        form = _nominative(named[0])
        return form if form != low else None
    return None


def is_patronymic(token: str) -> bool:
    low = norm_token(token)
    return bool(_CYRILLIC_RE.search(low)) and len(low) > 6 and bool(_RU_PATRONYMIC.search(low))


class _HashMap:
    """A read-only str -> str map in a few MB where a dict takes ~100 bytes a row: sorted 64-bit
    hashes of the keys (``hash()``, this process's) with indexes into an Arrow array of the distinct
    values. Keys are not stored: a 64-bit collision between a query and a row is possible but
    negligible. With ``multi``, a key may have several values (``getall``)."""

    _CHUNK = 16_384

    def __init__(self, keys, values, multi: bool = False) -> None:
        """``keys``/``values``: Arrow string arrays (or lists) of equal length."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        keys = pa.array(keys, pa.string()) if not isinstance(keys, pa.Array) else keys
        values = pa.array(values, pa.string()) if not isinstance(values, pa.Array) else values
        enc = pc.dictionary_encode(values)
        h = np.empty(len(keys), dtype=np.int64)
        for i in range(0, len(keys), self._CHUNK):  # Python strings only a chunk at a time
            chunk = keys.slice(i, self._CHUNK).to_pylist()
            h[i : i + len(chunk)] = [hash(k) for k in chunk]
        v = enc.indices.to_numpy(zero_copy_only=False).astype(np.int32)
        order = np.argsort(h, kind="stable")
        self._h, self._v = h[order], v[order]
        self._values = enc.dictionary
        self._multi = multi
        self._np = np

    def __len__(self) -> int:
        return len(self._h)

    def _find(self, key: str) -> int:
        h = hash(key)
        i = int(self._np.searchsorted(self._h, h))
        return i if i < len(self._h) and self._h[i] == h else -1

    def __contains__(self, key: str) -> bool:
        return self._find(key) >= 0

    def get(self, key: str, default: str | None = None) -> str | None:
        i = self._find(key)
        return self._values[int(self._v[i])].as_py() if i >= 0 else default

    def __getitem__(self, key: str) -> str:
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self._values[int(self._v[i])].as_py()

    def getall(self, key: str) -> list[str]:
        i, h = self._find(key), hash(key)
        out = []
        while 0 <= i < len(self._h) and self._h[i] == h:
            out.append(self._values[int(self._v[i])].as_py())
            i += 1
        return out


@dataclass(frozen=True, slots=True)
class PartKey:
    key: str  # Latin phonetic key (or an Arabic-only key, ABJAD_NS + spelling)
    evidence: str  # "table" (rigour or name pairs), "rom" (romanisation of the spelling), "ar" (Arabic only)
    form: str = ""  # the part's normal form in its own script (nominative, no suffix or proclitic)
    sound: str = ""  # sound key shared by its spellings in every script (translit.py); ids are made of it
    reading: str = ""  # the sound model ("la", "ar") that read the sound, whose other readings count (other_ids)
    # (a Cyrillic part's sound is sure; the "ru" model reads how the Latin model would read its Latin partner)


class NameTable:
    """The compact name-part table of ``seeds_dir`` (see :mod:`tools.build_names`). Load with :meth:`load`."""

    _cache: dict[Path, NameTable] = {}
    _lock = threading.Lock()

    def __init__(self, table=None, sounds=None) -> None:
        """``table``: the Arrow table of ``seeds/name_parts.parquet`` (script, form, key), or None;
        ``sounds``: the Arrow table of ``seeds/name_sounds.parquet`` (key, sound), or None."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if table is None:
            table = pa.table(
                {
                    "script": pa.array([], pa.string()),
                    "form": pa.array([], pa.string()),
                    "key": pa.array([], pa.string()),
                }
            )

        def part(script: str) -> tuple[pa.Array, pa.Array]:
            t = table.filter(pc.equal(table.column("script"), script))
            return t.column("form").combine_chunks(), t.column("key").combine_chunks()

        self.ru = _HashMap(*part("ru"))  # Russian nominative -> Latin key
        self.ar = _HashMap(*part("ar"))  # folded Arabic spelling -> Latin key
        self.la = _HashMap(*part("la"))  # Latin key -> canonical Latin key
        # Arabic spelling without its long vowels -> the known spellings (the nearest one wins)
        ar_forms = part("ar")[0]
        skel = pa.array([ar_skeleton(f) for f in ar_forms.to_pylist()], pa.string())
        self.ar_skel = _HashMap(skel, ar_forms, multi=True)
        # canonical Latin key -> sound key of the Russian spelling its pairs give most often
        if sounds is None:
            sounds = pa.table({"key": pa.array([], pa.string()), "sound": pa.array([], pa.string())})
        self.sounds = _HashMap(sounds.column("key").combine_chunks(), sounds.column("sound").combine_chunks())

    @classmethod
    def load(cls, seeds_dir: Path) -> NameTable:
        seeds_dir = Path(seeds_dir).resolve()
        with cls._lock:
            t = cls._cache.get(seeds_dir)
            if t is None:
                t = cls._cache[seeds_dir] = cls._read(seeds_dir / PARTS_FILE)
            return t

    @classmethod
    def _read(cls, path: Path) -> NameTable:
        if not path.exists():
            return cls()
        import pyarrow.parquet as pq

        sounds = path.with_name(SOUNDS_FILE)
        model("la"), model("ar"), model("ru")  # the sound-key models, loaded with the table (in the forkserver)
        return cls(
            pq.read_table(path, columns=["script", "form", "key"]),
            pq.read_table(sounds, columns=["key", "sound"]) if sounds.exists() else None,
        )

    def sound_of_key(self, latin_key: str) -> str:
        """Sound key of a Latin key: the table's (from the Russian spellings of its pairs), else the Latin model's."""
        s = self.sounds.get(latin_key)
        if s is not None:
            return s
        return latin_sound(latin_key)

    # -- one part ------------------------------------------------------------------------------

    def canon(self, latin_key: str) -> str:
        return self.la.get(latin_key, latin_key)

    def known_latin(self, latin_key: str) -> bool:
        return latin_key in self.la

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one table per process, kept for the process
    def part(self, token: str, lang: str | None) -> PartKey | None:
        """The identity of one name part (already without titles and apostrophe suffixes)."""
        t = norm_token(token)
        if not t:
            return None
        if _ARABIC_RE.search(t):
            return self._arabic(t)
        if _CYRILLIC_RE.search(t):
            oblique = ru_oblique_lemma(t)
            if oblique in self.ru:
                return self._known(self.ru[oblique], oblique)  # Бута -> бут, though a name Бута exists
            for form in ru_lemmas(t):
                if form in self.ru:
                    return self._known(self.ru[form], form)
            nominative = ru_nominative(t)
            k = phon(nominative)
            return PartKey(self.canon(k), "rom", nominative, ru_sound(nominative)) if k else None
        k = phon(t, lang)
        if not k:
            return None
        if k in self.la:
            return self._known(self.la[k], t, "la")
        if lang in ("tr", "az"):
            # Turkish suffix without an apostrophe: only when a lexicon confirms the stem
            for suf in _TR_SUFFIXES:
                if t.endswith(suf) and len(t) - len(suf) >= 3:
                    s = phon(t[: -len(suf)], lang)
                    if s in self.la:
                        return self._known(self.la[s], t[: -len(suf)], "la")
        g = phon(t, None)
        if g != k and g in self.la:
            return self._known(self.la[g], t, "la")
        return PartKey(k, "rom", t, latin_sound(latin_spelling(t, lang)), "la")

    def _known(self, key: str, form: str, reading: str = "") -> PartKey:
        # a Latin spelling that the table knows takes its group's sound (the Russian spelling its pairs give most
        # often); the Latin model's readings of the spelling itself are its other readings (reading "la")
        return PartKey(key, "table", form, self.sound_of_key(key), reading)

    def _arabic(self, t: str) -> PartKey:
        for form in self._ar_forms(t):
            if form in self.ar:
                return self._known(self.ar[form], form)
        for form in self._ar_forms(t):
            spellings = self.ar_skel.getall(ar_skeleton(form))
            if not spellings:
                continue
            sound, conf = arabic_sound(form)
            # a known spelling with one more long vowel (كالفرت ~ كالفيرت: Arabic often leaves one out) is that
            # name, unless the model is sure of its own reading
            longer = sorted(s for s in spellings if len(s) == len(form) + 1 and _distance(s, form) == 1)
            if longer and conf < AR_NEAR_MAX_CONF:
                return self._known(self.ar[longer[0]], form)
            # else the known spelling nearest to this one gives the part's key (for the curated persons' parts),
            # and the model its sound where it is sure: on the dev split, an Arabic spelling that the table lacks
            # meets its Latin partner more often and more precisely so than by the nearest spelling's sound
            near = min(spellings, key=lambda s: (_distance(s, form), s))
            if _distance(near, form) <= max(1, len(form) // 3):
                key = self.ar[near]
                if sound:
                    return PartKey(key, "table", form, sound, "ar")
                return self._known(key, form)
        sound = arabic_sound(t)[0]
        return PartKey(ABJAD_NS + t, "ar", t, sound or ABJAD_NS + t, "ar")

    def normal_form(self, name: str, lang: str | None) -> str:
        """A name with each part in its normal form: lowercase, Russian nominative, no Turkish suffix
        or Arabic proclitic the lexicon confirms (Майкла Фэллона -> майкл фэллон)."""
        out = []
        for w in re.split(r"\s+", name):
            p = self.part(w, lang) if w and norm_token(w) not in PARTICLES else None
            out.append(p.form if p else norm_token(w))
        return " ".join(x for x in out if x)

    def _ar_forms(self, t: str) -> list[str]:
        """The spelling, then the spelling without a proclitic, only where the rest is a known name."""
        out = [t]
        for p in _AR_PROCLITICS:
            if t.startswith(p) and len(t) - len(p) >= 3:
                rest = t[len(p) :]
                if rest in self.ar or ar_skeleton(rest) in self.ar_skel:
                    out.append(rest)
        return out


def latin_spelling(token: str, lang: str | None = None) -> str:
    """The Latin model's input: a Latin name part in lowercase ASCII (Turkish letters as English spells them:
    ``Şoygu`` -> ``shoygu``; other diacritics dropped: ``Förster`` -> ``forster``)."""
    return fold(_lang_pre(token, lang) if lang in ("tr", "az") else token).replace(" ", "")


@functools.lru_cache(maxsize=4096)
def latin_sound(spelling: str) -> str:
    """Sound key of a Latin spelling (:func:`latin_spelling`, or a phonetic key) by the Latin model
    (``knightley`` -> ``naitli``); without the model, the spelling itself coarsened."""
    m = model("la")
    return coarse(m.predict(spelling)[0] if m is not None else spelling) or spelling


@functools.lru_cache(maxsize=4096)  # ~2 MB RSS when full
def other_readings(name: str, src: str, primary: str) -> tuple[str, ...]:
    """The other sound keys a sound model gives ``src`` (model ``name``: ``la``, ``ar`` or ``ru``), most probable
    first: among its ``N_BEST`` keys, those within ``READING_MARGIN`` nats of its first, ``primary`` left out (an
    Arabic part unsure of its first key keeps an Arabic-only key and all of them are other readings; an Arabic key
    of fewer than three letters is none). The ``ru`` model reads a Cyrillic spelling, whose own key is sure, as
    the Latin model would read its Latin spellings: its keys are readings *towards* the Latin side. The warehouse
    matches them against the ids of the persons of the corpus (view ``stg_alt_ids``, docs/ENTITIES.md)."""
    m = model(name)
    if m is None or not src:
        return ()
    best = m.nbest(src, N_BEST)
    if not best:
        return ()
    top = best[0][1]
    return tuple(
        k for k, lp in best if k != primary and top - lp <= READING_MARGIN and (name != "ar" or len(k) >= AR_MIN_LEN)
    )


def ar_unarticled(spelling: str) -> str:
    """An Arabic spelling without its article (الدوخي -> دوخي): Latin spellings keep al- as a particle of its own."""
    return spelling[2:] if spelling.startswith("ال") and len(spelling) >= 5 else spelling


@functools.lru_cache(maxsize=4096)
def arabic_sound(spelling: str) -> tuple[str | None, float]:
    """Sound key of a folded Arabic spelling by the Arabic model and the model's confidence; the key is None
    where the model is unsure (below ``AR_SOUND_MIN_CONF``) or missing: such a part keeps an Arabic-only identity."""
    m = model("ar")
    if m is None:
        return None, 0.0
    key, conf = m.predict(ar_unarticled(spelling))
    key = coarse(key)
    return (key if conf >= AR_SOUND_MIN_CONF and len(key) >= AR_MIN_LEN else None), conf


def _distance(a: str, b: str) -> int:
    """Levenshtein distance of two short spellings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# -- whole names ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonName:
    given: tuple[str, ...]  # part keys of the given name(s), in order
    family: str | None  # part key of the family name (the last part with its particles)
    patronymic: str | None
    evidence: str  # weakest evidence of the parts used for the id
    given_sound: tuple[str, ...] = ()  # sound keys of the given parts
    family_sound: str = ""  # sound key of the family part
    family_reading: tuple[str, str] = ("", "")  # (model, input) where a sound model read the family part

    @property
    def initial(self) -> str:
        return initial(self.given_sound[0]) if self.given_sound else ""


def initial(sound: str) -> str:
    """Initial of a given-name part's sound key (Osama ~ Usama, Cory ~ Kori: vowel qualities folded)."""
    if sound[:1] == ABJAD_NS:
        return sound[:2]
    return {"o": "a", "u": "a", "e": "i", "y": "i"}.get(sound[:1], sound[:1])


def split_person(name: str, lang: str | None, table: NameTable) -> PersonName | None:
    """Parts of a cleaned person name (titles and suffixes already gone): the last part is the family
    name, a Russian patronymic is set apart, particles stay with the part they introduce."""
    toks = [t for t in re.split(r"[\s\-‐]+", name) if t]
    words: list[str] = []
    for t in toks:
        if fold(t) in PARTICLES or norm_token(t) in PARTICLES:
            continue  # the particle belongs to the next part: it does not change the part's identity
        words.append(t)
    if not words:
        return None
    patr = None
    if len(words) >= 3 and is_patronymic(words[-2]):
        patr = words.pop(-2)
    keys = [table.part(w, lang) for w in words]
    keys = [k for k in keys if k is not None]
    if not keys:
        return None
    fam = keys[-1]
    given = tuple(k.key for k in keys[:-1])
    ev = "table" if all(k.evidence == "table" for k in keys) else ("ar" if fam.evidence == "ar" else "rom")
    pk = table.part(patr, lang) if patr else None
    reading = ("", "")
    if fam.reading == "la":
        reading = ("la", latin_spelling(fam.form, lang))
    elif fam.reading == "ar":
        reading = ("ar", ar_unarticled(fam.form))
    elif _CYRILLIC_RE.search(fam.form):
        reading = ("ru", fam.form)  # the key the Latin model gives its Latin spellings (link-2.6)
    return PersonName(given, fam.key, pk.key if pk else None, ev, tuple(k.sound for k in keys[:-1]), fam.sound, reading)


_ID_TABLE = str.maketrans({"z": "s", "w": "v", "q": "k", "c": "k", "x": "k", "y": "i", "o": "a", "u": "a", "e": "i"})
_ID_H_RE = re.compile(r"([bcdfgjklmnprstvz])h")
_ID_DOUBLE_RE = re.compile(r"(.)\1+")


def id_key(part_key: str) -> str:
    """A coarser form of a part key for ids: vowel qualities, h-digraphs, s/z, c/k folded, so that a
    spelling no table knows still meets its other-script form (Zerfuss ~ Зерфюсс)."""
    if part_key[:1] == ABJAD_NS:
        return part_key
    k = _ID_H_RE.sub(r"\1", part_key).translate(_ID_TABLE)
    return _ID_DOUBLE_RE.sub(r"\1", k)


def person_id(p: PersonName) -> str:
    """The id of a person nobody listed: family part + initial of the first given part (or the
    family part alone), the same in every document, batch and script."""
    return _person_id(p.family_sound, p.initial)


def other_ids(p: PersonName) -> tuple[str, ...]:
    """The ids :func:`person_id` would give ``p`` under the other readings of its family part (same given initial,
    or none), most probable first: empty where no model read the family part (a table's or a Cyrillic
    spelling's sound is sure)."""
    name, src = p.family_reading
    if not name:
        return ()
    return tuple(_person_id(k, p.initial) for k in other_readings(name, src, p.family_sound))


def sound_skeleton(key: str) -> str:
    """The consonant skeleton of a sound key: an article ``al``/``il`` left out (a key of more than four letters),
    its first letter (a vowel written ``a``: ʿayn, hamza and alef at the start are read as any vowel), then its
    consonants (the folded vowels ``a`` and ``i`` and the ``w`` that Arabic و writes for u or o left out):
    ``kidirkrana`` -> ``kdrkrn``, ``isani`` and ``asani`` -> ``asn``. Arabic writes no short vowels and the sound
    models are least sure of vowels, so spellings whose readings miss each other's key often still share it."""
    if key[:2] in ("al", "il") and len(key) > 4:
        key = key[2:]
    first = "a" if key[:1] == "i" else key[:1]
    return first + key[1:].replace("a", "").replace("i", "").replace("w", "")


def skeleton_ids(p: PersonName) -> tuple[str, ...]:
    """A person's *skeleton ids* (``s:`` + hash of ``PER``, the :func:`sound_skeleton` of a family key and the given
    initial), written with its other readings in ``mentions.alt_ids``: the skeleton of its own family key
    (``link-2.7``) and, for an Arabic spelling that the Arabic model read, those of its other readings too (Arabic
    writes no short vowels; ``link-2.8``), each of at least ``SKELETON_MIN_LEN`` letters. The warehouse joins a
    person whose readings meet no one to the one person of the next surer script with a skeleton id in common
    (view ``stg_alt_ids``): a Latin person a Cyrillic one, an Arabic person a Latin one."""
    keys = [p.family_sound] if p.family_sound and p.family_sound[:1] != ABJAD_NS else []
    name, src = p.family_reading
    if name == "ar":
        keys += other_readings(name, src, p.family_sound)
    skeletons = dict.fromkeys(sk for sk in map(sound_skeleton, keys) if len(sk) >= SKELETON_MIN_LEN)
    return tuple(
        "s:" + hashlib.blake2b(f"PER|{sk}|{p.initial}".encode(), digest_size=6).hexdigest() for sk in skeletons
    )


def family_id(p: PersonName) -> str:
    """The id that the family part of ``p`` has when a document names it alone (``Berlusconi``): the id
    :func:`person_id` gives a person with no given part."""
    return _person_id(p.family_sound, "")


def _person_id(family_sound: str, initial: str) -> str:
    return "u:" + hashlib.blake2b(f"PER|{family_sound}|{initial}".encode(), digest_size=6).hexdigest()
