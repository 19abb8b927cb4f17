"""NER benchmark: two checks per language (P/R/F1 per label), calibration and speed.

Every text goes through the public interface (``tasks.enrich.ner.tag_entities_batch``) and a mention counts only on an exact match of span
and label. Check 1, **dev split**: the dev files of ner-train (``<data>/ner-train/<lang>/dev.conll``: Wikipedia and
web text for tr, ar, en), each CoNLL sentence a ``Sentence`` (tokens joined by single spaces; a Turkish apostrophe
suffix is not part of a gold name, as the tagger does), 40 sentences a ``Doc``. Check 2, **news**: real news
articles hand-annotated with PER/ORG/LOC (``bench/ner_news.py``, ``load_news_dev``: tr, en, ar, fr; the texts are
read from ``<data>``), each article one ``Doc`` split into sentences by the project's segmenter
(``tasks.segment.split_spans``); predicted MISC is not scored there (the news gold has none). ru: ner-train's ru dev
split is FactRuEval news, so it is ru's news check and ru has no separate dev check. "PER/ORG/LOC" is the micro
average over the three labels (the project's target); "ALL" adds MISC on the dev split where the language has it.
Calibration: the Brier score and the expected calibration error (ECE, 10 equal-width bins) of ``Mention.score`` as
the probability that the PER/ORG/LOC mention is right. Speed: words (whitespace tokens) per CPU-second
(``time.process_time``: other load on a shared machine does not count) of ``tag_entities_batch`` over the language's
dev split (fr: its news articles, repeated to 20,000 words or more), in this single process, models loaded and
per-word caches warmed first.

Run from the repository root::

    .venv/bin/python bench/ner.py [--data ../shared] [--langs tr ar en ru fr] [--checks dev news]
    # experiments: --models DIR (CRF models other than models/ner), --crf-langs ru (the CRF of DIR/ru alone),
    # --ru-tagger natasha|ensemble, --spacy en=DIR (a spaCy NER), --fr-model fr_core_news_md, --no-known-names,
    # --no-propagate, --no-filter, --no-ar-media, --no-org-heads,
    # --no-acronyms, --no-org-words, --no-type-nouns, --no-ar-place-heads, --no-fr-demonyms,
    # --no-ar-per-spans, --no-fr-media, --no-fr-streets, --no-propagate-names, --no-harmonise-persons,
    # --no-datelines, --no-tr-org-names, --no-tr-org-first-word, --no-ar-org-heads, --no-span-breaks,
    # --no-tr-span-trim, --no-ar-generic-heads, --no-ar-leading-nisba, --no-hyphen-tails, --no-title-cut,
    # --no-title-prefix, --no-split-surname-place, --raw-scores; --json out.json
    # bench/ner_rules.py turns each of these off in turn (one process) and prints dev / news for each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

from train_ner import conll_docs, read_conll  # noqa: E402

from newsetl.doc import Doc, Sentence  # noqa: E402
from tasks.enrich import ner  # noqa: E402
from tasks.segment import split_spans  # noqa: E402

DOC_SENTS = 40  # dev sentences per Doc
LABELS = ("PER", "ORG", "LOC", "MISC")
POL = ("PER", "ORG", "LOC")
MIN_SPEED_WORDS = 20_000
NEWS_LANGS = ("tr", "en", "ar", "fr")


def build_docs(sents, lang: str):
    return conll_docs(sents, lang, DOC_SENTS)


def news_docs(lang: str, data: Path):
    """The news dev check of ``lang`` as Docs (None where it has none)."""
    if lang == "ru":
        path = data / "ner-train" / "ru" / "dev.conll"
        return build_docs(read_conll(path), lang) if path.exists() else None
    try:
        from ner_news import load_news_dev  # bench/ner_news.py (this script's folder is on sys.path)
    except ImportError:
        return None
    try:
        items = load_news_dev(lang, data, REPO)
    except FileNotFoundError:
        return None
    if not items:
        return None
    docs, golds = [], []
    for k, (text, spans) in enumerate(items):
        sents = [Sentence(i, a, b, text[a:b], lang, 1.0) for i, (a, b) in enumerate(split_spans(text))]
        docs.append(Doc(source_uri=f"news:{lang}:{k}", text=text, sentences=sents, lang=lang))
        golds.append({(s, e, label) for s, e, label in spans})
    return docs, golds


def dev_docs(lang: str, data: Path):
    path = data / "ner-train" / lang / "dev.conll"
    if lang == "ru" or not path.exists():  # ru's dev split is news: reported as its news check
        return None
    return build_docs(read_conll(path), lang)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def fresh(docs: list[Doc]) -> list[Doc]:
    return [Doc(source_uri=d.source_uri, text=d.text, sentences=list(d.sentences), lang=d.lang) for d in docs]


def score(docs: list[Doc], golds: list[set], labels: tuple[str, ...]) -> dict:
    """P/R/F1 per label and micro averages; calibration of the scores over PER/ORG/LOC mentions."""
    tp, fp, fn = Counter(), Counter(), Counter()
    scored: list[tuple[float, int]] = []  # (score, right) per predicted PER/ORG/LOC mention
    for doc, gold in zip(docs, golds, strict=True):
        pred = {(m.start, m.end, m.label): m.score for m in doc.mentions if m.label in labels}
        for x, sc in pred.items():
            right = x in gold
            (tp if right else fp)[x[2]] += 1
            if x[2] in POL:
                scored.append((sc, int(right)))
        for x in gold:
            if x[2] in labels and x not in pred:
                fn[x[2]] += 1
    rows = {}
    for label in labels:
        if tp[label] + fn[label] + fp[label]:
            rows[label] = (*prf(tp[label], fp[label], fn[label]), tp[label] + fn[label])
    groups = [("PER/ORG/LOC", POL)] + ([("ALL", LABELS)] if "MISC" in labels and tp["MISC"] + fn["MISC"] else [])
    for name, group in groups:
        t = sum(tp[x] for x in group)
        f_n = sum(fn[x] for x in group)
        rows[name] = (*prf(t, sum(fp[x] for x in group), f_n), t + f_n)
    brier = sum((s - y) ** 2 for s, y in scored) / len(scored) if scored else 0.0
    ece = 0.0
    for b in range(10):
        inbin = [(s, y) for s, y in scored if b / 10 <= s < (b + 1) / 10 or (b == 9 and s == 1.0)]
        if inbin:
            ece += (
                len(inbin)
                / len(scored)
                * abs(sum(s for s, _ in inbin) / len(inbin) - sum(y for _, y in inbin) / len(inbin))
            )
    return {"rows": rows, "brier": brier, "ece": ece, "mentions": len(scored)}


def words_per_cpu_second(docs: list[Doc]) -> tuple[float, int]:
    docs = fresh(docs)
    reps = 1
    n_words = sum(len(d.text.split()) for d in docs)
    while n_words * reps < MIN_SPEED_WORDS:
        reps += 1
    docs = [d for _ in range(reps) for d in fresh(docs)]
    t0 = time.process_time()
    ner.tag_entities_batch(docs)
    secs = time.process_time() - t0
    return (n_words * reps / secs if secs else 0.0), n_words * reps


def warm_up(lang: str, data: Path) -> None:
    """Load the model and warm its per-word caches on train text (outside the timing)."""
    path = data / "ner-train" / lang / "train.conll"
    if path.exists():
        ner.tag_entities_batch(build_docs(read_conll(path)[:1000], lang)[0])
    else:
        ner.tag_entities_batch([Doc(source_uri="warm", text="Paris.", sentences=[], lang=lang)])


def run(lang: str, data: Path, checks: list[str]) -> dict:
    warm_up(lang, data)
    out: dict = {"lang": lang, "checks": {}}
    sets = {"dev": dev_docs(lang, data) if "dev" in checks else None}
    sets["news"] = news_docs(lang, data) if "news" in checks else None
    for name, got in sets.items():
        if got is None:
            continue
        docs, golds = got
        docs = fresh(docs)
        ner.tag_entities_batch(docs)
        labels = LABELS if name == "dev" else POL
        out["checks"][name] = score(docs, golds, labels)
        out["checks"][name]["gold_entities"] = sum(len([x for x in g if x[2] in labels]) for g in golds)
    timed = sets["dev"] or sets["news"]
    if timed is not None:
        out["speed"] = words_per_cpu_second(timed[0])
    return out


#: bench flag (argparse dest) -> the module switch of ``tasks.enrich.ner`` that it turns off
SWITCHES = {
    "no_known_names": "USE_KNOWN_NAMES",
    "no_ar_media": "AR_MEDIA",
    "no_filter": "FILTER_NOT_NAMES",
    "no_org_heads": "ORG_HEADS",
    "no_acronyms": "ACRONYMS",
    "no_org_words": "KNOWN_ORG_WORDS",
    "raw_scores": "CALIBRATE",
    "no_propagate": "PROPAGATE",
    "no_type_nouns": "TYPE_NOUNS",
    "no_ar_place_heads": "AR_PLACE_HEADS",
    "no_fr_demonyms": "FR_DEMONYMS",
    "no_ar_per_spans": "AR_PER_SPANS",
    "no_fr_media": "FR_MEDIA",
    "no_fr_streets": "FR_STREETS",
    "no_propagate_names": "PROPAGATE_NAMES",
    "no_harmonise_persons": "HARMONISE_PERSONS",
    "no_datelines": "DATELINES",
    "no_tr_org_names": "TR_ORG_NAMES",
    "no_tr_org_first_word": "TR_ORG_FIRST_WORD",
    "no_ar_org_heads": "AR_ORG_HEADS",
    "no_span_breaks": "SPAN_BREAKS",
    "no_tr_span_trim": "TR_SPAN_TRIM",
    "no_ar_generic_heads": "AR_GENERIC_HEADS",
    "no_ar_leading_nisba": "AR_LEADING_NISBA",
    "no_hyphen_tails": "HYPHEN_TAILS",
    "no_title_cut": "TITLE_CUT",
    "no_title_prefix": "TITLE_PREFIX",
    "no_split_surname_place": "SPLIT_SURNAME_PLACE",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared", help="holds ner-train/ and eval/")
    ap.add_argument("--langs", nargs="+", default=["tr", "ar", "en", "ru", "fr"])
    ap.add_argument("--checks", nargs="+", default=["dev", "news"], choices=["dev", "news"])
    ap.add_argument("--models", type=Path, default=None, help="experiments: CRF model dirs (<DIR>/<lang>)")
    ap.add_argument("--crf-langs", nargs="*", default=[], help="experiments: also tag these with <models>/<lang>")
    ap.add_argument("--spacy", nargs="*", default=[], help="experiments: LANG=DIR, a spaCy NER pipeline for LANG")
    ap.add_argument("--ru-tagger", default=None, choices=["natasha", "ensemble"], help="experiments")
    ap.add_argument("--fr-model", default=None, help="experiments: another spaCy pipeline for French")
    ap.add_argument("--no-known-names", action="store_true", help="experiments: no curated names over the CRF")
    ap.add_argument("--no-propagate", action="store_true", help="experiments: no document-level name propagation")
    ap.add_argument("--no-ar-media", action="store_true", help="experiments: no quoted Arabic media names")
    ap.add_argument("--no-org-heads", action="store_true", help="experiments: no organisation names by head word")
    ap.add_argument("--no-acronyms", action="store_true", help="experiments: no names spelled out before (ACRONYM)")
    ap.add_argument("--no-org-words", action="store_true", help="experiments: no one-word curated organisations")
    ap.add_argument("--no-type-nouns", action="store_true", help="experiments: no names typed by the noun after them")
    ap.add_argument("--no-ar-place-heads", action="store_true", help="experiments: no Arabic places by head noun")
    ap.add_argument("--no-fr-demonyms", action="store_true", help="experiments: keep French plural demonyms")
    ap.add_argument("--no-ar-per-spans", action="store_true", help="experiments: no Arabic PER span fixes")
    ap.add_argument("--no-fr-media", action="store_true", help="experiments: no French names after media nouns")
    ap.add_argument("--no-fr-streets", action="store_true", help="experiments: no French street names")
    ap.add_argument("--no-propagate-names", action="store_true", help="experiments: only _propagate_names off")
    ap.add_argument("--no-harmonise-persons", action="store_true", help="experiments: no people by surname")
    ap.add_argument("--no-datelines", action="store_true", help="experiments: no upper-case datelines as LOC")
    ap.add_argument("--no-tr-org-names", action="store_true", help="experiments: no tr organisations by last word")
    ap.add_argument("--no-tr-org-first-word", action="store_true", help="experiments: cut a tr org's first word")
    ap.add_argument("--no-ar-org-heads", action="store_true", help="experiments: no ar organisations by head noun")
    for flag, helptext in (
        ("span-breaks", "a span does not end at a spaced dash, comma or quote"),
        ("tr-span-trim", "no Turkish trailing lower-case words / inner suffixes cut"),
        ("ar-generic-heads", "no Arabic generic heads cut"),
        ("ar-leading-nisba", "no Arabic leading nisba/title cut"),
        ("hyphen-tails", "a PER span does not run to the end of a hyphenated word"),
        ("title-cut", "no leading titles cut"),
        ("title-prefix", "no place/organisation kept before a cut title"),
        ("split-surname-place", "no <surname> <place> PER split"),
    ):
        ap.add_argument(f"--no-{flag}", action="store_true", help=f"experiments: {helptext}")
    ap.add_argument("--no-filter", action="store_true", help="experiments: keep month/weekday and disease spans")
    ap.add_argument("--raw-scores", action="store_true", help="experiments: uncalibrated scores")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    args = ap.parse_args(argv)
    if args.models:
        ner.MODELS_DIR = args.models
    if args.crf_langs:
        ner.TRAINED_LANGS = tuple(dict.fromkeys([*ner.TRAINED_LANGS, *args.crf_langs]))
    if args.fr_model:
        ner.FR_MODEL = args.fr_model
    if args.ru_tagger:
        ner.RU_TAGGER = args.ru_tagger
    for item in args.spacy:
        lang, _, path = item.partition("=")
        ner.SPACY_MODELS[lang] = path
    for flag, switch in SWITCHES.items():  # each rule off with its flag
        if getattr(args, flag):
            setattr(ner, switch, False)
    try:
        shown = args.data.resolve().relative_to(REPO.parent)
        shown = Path("..") / shown
    except ValueError:
        shown = args.data
    print(f"NER_VERSION={ner.NER_VERSION}  (exact span + label; data {shown})")
    if len(sys.argv) > 1 and any(
        a.startswith("--") and a not in ("--data", "--langs", "--checks", "--json") for a in sys.argv
    ):
        print("experiment:", " ".join(argv if argv is not None else sys.argv[1:]))
    results = []
    for lang in args.langs:
        results.append(run(lang, args.data, args.checks))
    print(f"{'lang':<5}{'check':<6}{'label':<13}{'P':>7}{'R':>7}{'F1':>7}{'gold':>7}")
    for res in results:
        if not res["checks"]:
            print(f"{res['lang']:<5}no data for the checks asked")
        for name, sc in res["checks"].items():
            for label, (p, r, f, n) in sc["rows"].items():
                print(f"{res['lang']:<5}{name:<6}{label:<13}{p:7.3f}{r:7.3f}{f:7.3f}{n:7d}")
    print("calibration of Mention.score (PER/ORG/LOC mentions; lower is better):")
    for res in results:
        for name, sc in res["checks"].items():
            print(f"{res['lang']:<5}{name:<6}Brier {sc['brier']:.3f}  ECE {sc['ece']:.3f}  ({sc['mentions']} mentions)")
    print("speed (tag_entities_batch, words per CPU-second, single process, models loaded, warm):")
    for res in results:
        if "speed" in res:
            wps, n_words = res["speed"]
            print(f"{res['lang']:<5}{wps:10.0f} words/s  ({n_words} words)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
