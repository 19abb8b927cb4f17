"""Normal forms and keys of names: pure functions shared by the linker and ``tools/build_gazetteer.py``.

Keys: ``k1`` (script-folded ASCII), ``k2`` (phonetic Latin key, language-specific for Turkish/French),
``st`` (Russian case-ending stem), ``sk`` (consonant skeleton). Surface cleaning: titles, Turkish
apostrophe suffixes, French elisions, Arabic proclitics. Name parts of persons (given, family,
patronymic) and their cross-script identities live in :mod:`tasks.enrich.link.parts`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

# Version of the key functions below. The gazetteer index stores it; a mismatch means the built
# files must be rebuilt with ``tools/build_gazetteer.py`` (the loader then recomputes keys, slowly).
KEY_VERSION = "keys-2"

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


@functools.lru_cache(maxsize=8192)
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


@functools.lru_cache(maxsize=8192)
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


@functools.lru_cache(maxsize=8192)
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


_NO_SURNAME = frozenset(
    fold(t) for t in "of Pope Papa Pape Kral King Roi البابا الملك bin ben ibn bint بن Папа".split()
)


def _has_surname(alias: str) -> bool:
    """Whether the last word of a reference person's alias can name them alone (not for
    "Abdullah II of Jordan", "Papa Franciscus" or "Mohammed bin Salman")."""
    return not any(fold(t) in _NO_SURNAME for t in alias.split())
