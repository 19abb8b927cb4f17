"""Train a spaCy CNN NER from scratch (the candidate measured against the CRFs; nothing here is committed).

Usage (from the repository root; CPU, one thread)::

    nice .venv/bin/python training/train_spacy_ner.py en --out ../spacy-en --extra btc --max-steps 4000

Model: spaCy's ``tok2vec`` (hash embeddings of NORM, PREFIX, SUFFIX and SHAPE, 96 wide, a 4-layer maxout CNN with
a window of 1, as in spaCy's efficiency-optimised CPU pipelines) + the transition-based ``ner``; no vectors, no
pretraining. Data: ner-train's ``<lang>/train.conll`` plus the ``--extra`` sets of ``training/train_ner.py``
(the same label policy: MISC kept only where that script keeps it), one CoNLL sentence a ``Doc``; the dev split
picks ``model-best``. Fixed seed (``system.seed = 0``) and a fixed number of steps, so a run is repeatable on the
same machine; ``--timeout`` only guards the wall clock (the last saved ``model-best`` counts).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

from train_ner import DEFAULT_DATA, LANG_SETTINGS, read_conll, read_extra  # noqa: E402


def to_docbin(sents, lang: str, keep_misc: bool, path: Path) -> int:
    import spacy
    from spacy.tokens import Doc, DocBin

    nlp = spacy.blank(lang)
    db = DocBin()
    for sent in sents:
        words = [t for t, _ in sent]
        tags = [tag if keep_misc or not tag.endswith("MISC") else "O" for _, tag in sent]
        fixed = []
        for i, tag in enumerate(tags):  # an I- after O (after dropping MISC) starts an entity
            if tag.startswith("I-") and (i == 0 or fixed[-1] == "O" or fixed[-1][2:] != tag[2:]):
                tag = "B-" + tag[2:]
            fixed.append(tag)
        db.add(Doc(nlp.vocab, words=words, ents=fixed))
    db.to_disk(path)
    return len(sents)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lang", choices=sorted(LANG_SETTINGS))
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--extra", nargs="*", default=None)
    ap.add_argument("--max-steps", type=int, default=3000)
    ap.add_argument("--timeout", type=int, default=900, help="wall-clock guard in seconds")
    args = ap.parse_args(argv)
    lang = args.lang
    settings = LANG_SETTINGS[lang]
    extras = settings["extra"] if args.extra is None else tuple(args.extra)
    args.out.mkdir(parents=True, exist_ok=True)
    train = read_conll(args.data / lang / "train.conll")
    for spec in extras:
        train += read_extra(args.data, spec)
    n_train = to_docbin(train, lang, settings["keep_misc"], args.out / "train.spacy")
    n_dev = to_docbin(read_conll(args.data / lang / "dev.conll"), lang, settings["keep_misc"], args.out / "dev.spacy")
    cfg = args.out / "config.cfg"
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "config", "-l", lang, "-p", "ner", "-o", "efficiency", "-F", str(cfg)],
        check=True,
        capture_output=True,
    )
    cmd = [
        sys.executable,
        "-m",
        "spacy",
        "train",
        str(cfg),
        "--output",
        str(args.out / "model"),
        "--paths.train",
        str(args.out / "train.spacy"),
        "--paths.dev",
        str(args.out / "dev.spacy"),
        "--training.max_steps",
        str(args.max_steps),
        "--training.eval_frequency",
        "500",
        "--system.seed",
        "0",
    ]
    t0 = time.time()
    try:
        subprocess.run(cmd, check=True, timeout=args.timeout)
        stopped = "max_steps"
    except subprocess.TimeoutExpired:
        stopped = f"timeout after {args.timeout}s"
    meta = {
        "lang": lang,
        "extra": list(extras),
        "train_sentences": n_train,
        "dev_sentences": n_dev,
        "max_steps": args.max_steps,
        "stopped": stopped,
        "minutes": round((time.time() - t0) / 60, 1),
        "script": "training/train_spacy_ner.py",
    }
    (args.out / "run.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
