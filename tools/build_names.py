"""Build ``seeds/name_parts.parquet``: the identities of name parts across scripts used by the linker.

Run (rigour is needed at build time only; the pipeline never imports it)::

    pip install 'rigour==2.6.1'   # or: uv pip install -e '.[names]'
    python tools/build_names.py [--data ../shared]

Inputs, strongest evidence first:

1. ``rigour`` (MIT, OpenSanctions): groups of spellings of given and family names in all scripts keyed by
   Wikidata ids. Every token of the vocabulary below is looked up once; tokens that share a group share an
   identity. Only the resulting token -> key rows are stored (the library's 435 MB in-process load never
   happens at run time).
2. ``shared/names`` (CC0 Wikidata name-token pairs en-ru and en-ar; Apache-2.0 Wikipedia pairs ar-en):
   a Russian or Arabic token takes the key of its most frequent Latin partner. A tenth of the Latin tokens
   (``held_out(latin)``) is held out with all their pairs: no row comes from them and ``bench/link.py``
   judges on them.

Vocabulary: the tokens of the pairs that are not held out, the curated aliases of ``seeds/people_orgs.csv``
and the PER tokens of the *train* files of ``shared/ner-train`` (Russian ones also as their nominative).

Rows (``script, form, key, src``), sorted by script then form:

* ``la``: a Latin phonetic key -> its canonical key (the most frequent Latin spelling of its rigour group);
  every known Latin name part has a row (it is the lexicon that confirms Turkish stems);
* ``ru`` / ``ar``: a normalised Russian / Arabic spelling -> canonical Latin key (the linker also indexes
  the Arabic spellings without their long-vowel letters, to meet كالفرت ~ كالفيرت).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.enrich.link.names import phon  # noqa: E402
from tasks.enrich.link.parts import PARTS_FILE, norm_token, ru_lemmas  # noqa: E402

HELD_OUT_MOD = 10
# The names of the examples that tests/test_link.py asserts (from the issue) are never held out.
NEVER_HELD_OUT = frozenset("klein kori schulman fallon knightley calvert trump melania donald clinton".split())


def held_out(latin: str) -> bool:
    """A tenth of the Latin name tokens (by hash) and all their pairs never enter any table."""
    t = latin.lower()
    return t not in NEVER_HELD_OUT and hashlib.blake2b(t.encode(), digest_size=4).digest()[0] % HELD_OUT_MOD == 0


def read_pairs(data: Path) -> dict[str, list[tuple[str, str, int]]]:
    """(latin, other, count) pairs per script, the held-out ones left out."""
    out: dict[str, list[tuple[str, str, int]]] = {"ru": [], "ar": []}
    names = data / "names"
    for script, file in (("ru", "wd_en_ru.tsv"), ("ar", "wd_en_ar.tsv")):
        for line in (names / file).read_text(encoding="utf-8").splitlines():
            la, other, n = line.split("\t")
            if not held_out(la):
                out[script].append((la, other, int(n)))
    for line in (names / "google_ar2en.tsv").read_text(encoding="utf-8").splitlines():
        ar, la = line.split("\t")
        la = la.strip(".'")
        if la and not held_out(la) and "." not in ar:
            out["ar"].append((la, ar, 1))
    return out


def conll_per_tokens(path: Path) -> list[str]:
    toks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.endswith("-PER"):
            toks.append(line.split("\t")[0])
    return toks


def script_of_token(t: str) -> str:
    if any("\u0600" <= c <= "\u06ff" for c in t):
        return "ar"
    if any("\u0400" <= c <= "\u04ff" for c in t):
        return "ru"
    return "la"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared"), help="the shared data folder (default ../shared)")
    ap.add_argument("--out", default=str(ROOT / "seeds" / PARTS_FILE))
    args = ap.parse_args()
    data = Path(args.data)

    import pyarrow as pa
    import pyarrow.parquet as pq
    from rigour.names import NameTypeTag, analyze_names

    pairs = read_pairs(data)
    weight: Counter[str] = Counter()  # Latin key -> how often Wikidata people carry it
    vocab: dict[str, set[str]] = {"la": set(), "ru": set(), "ar": set()}
    for script, rows in pairs.items():
        for la, other, n in rows:
            weight[phon(la)] += n
            vocab["la"].add(la.lower())
            vocab[script].add(norm_token(other))
    with (ROOT / "seeds" / "people_orgs.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["label"] == "PER":
                for t in r["alias"].split():
                    vocab[script_of_token(t)].add(norm_token(t))
    for lang in ("en", "ru", "ar", "tr"):
        for t in conll_per_tokens(data / "ner-train" / lang / "train.conll"):
            s = script_of_token(t)
            if s == "ru":
                vocab[s].update(ru_lemmas(t)[:2])
            else:
                vocab[s].add(norm_token(t))
    for t in conll_per_tokens(data / "ner-train" / "extra" / "ru" / "wikiner.train.conll"):
        if script_of_token(t) == "ru":
            vocab["ru"].update(ru_lemmas(t)[:2])
    vocab["la"] = {t for t in vocab["la"] if t.isalpha() and not held_out(t)}
    for s in vocab:
        vocab[s] = {t for t in vocab[s] if len(t) >= 2}
    print({s: len(v) for s, v in vocab.items()}, file=sys.stderr)

    # 1. rigour: token -> Wikidata ids of its name groups; group -> Latin members
    qids: dict[tuple[str, str], tuple[str, ...]] = {}
    members: dict[str, set[str]] = defaultdict(set)
    for s, toks in vocab.items():
        for t in sorted(toks):
            ids = set()
            for name in analyze_names(NameTypeTag.PER, [t], phonetics=False, consolidate=False):
                ids.update(sym.id for sym in name.symbols if str(sym.category).endswith("NAME"))
            if ids:
                qids[(s, t)] = tuple(sorted(ids))
                if s == "la":
                    for q in ids:
                        members[q].add(phon(t))
    print(f"rigour: {len(qids)} tokens in {len(members)} groups with a Latin spelling", file=sys.stderr)

    def best(cands: set[str]) -> str:
        return max(cands, key=lambda k: (weight[k], -len(k), k))

    rows: list[tuple[str, str, str, str]] = []
    la_canon: dict[str, str] = {}
    for t in sorted(vocab["la"]):
        k = phon(t)
        if not k or " " in k:
            continue
        cands = {m for q in qids.get(("la", t), ()) for m in members[q]}
        la_canon[k] = best(cands) if cands else k
    for k, c in sorted(la_canon.items()):
        rows.append(("la", k, la_canon.get(c, c), "rigour" if c != k else "self"))

    def canon(k: str) -> str:
        return la_canon.get(k, k)

    for s in ("ru", "ar"):
        partners: dict[str, Counter[str]] = defaultdict(Counter)
        for la, other, n in pairs[s]:
            partners[norm_token(other)][phon(la)] += n
        for t in sorted(vocab[s]):
            rig = {m for q in qids.get((s, t), ()) for m in members[q]}
            wd = partners.get(t)
            if rig:
                # rigour first; among its spellings the one the pairs also give, else the most frequent
                both = [k for k in rig if wd and k in wd]
                key, src = (max(both, key=lambda k: (wd[k], k)) if both else best(rig)), "rigour"
            elif wd:
                key, src = max(wd, key=lambda k: (wd[k], -len(k), k)), "pairs"
            else:
                continue
            key = canon(key)
            if not key or " " in key:
                continue
            rows.append((s, t, key, src))
    rows.sort()
    table = pa.table(
        {
            "script": [r[0] for r in rows],
            "form": [r[1] for r in rows],
            "key": [r[2] for r in rows],
            "src": [r[3] for r in rows],
        }
    )
    meta = {
        "sources": "rigour 2.6.1 (MIT, OpenSanctions) name groups keyed by Wikidata ids; Wikidata name-token "
        "pairs (CC0, Merhav and Ash 2018); Google transliteration ar2en pairs (Apache-2.0)",
        "held_out": f"latin tokens with blake2b(token)[0] % {HELD_OUT_MOD} == 0",
    }
    table = table.replace_schema_metadata(meta)
    pq.write_table(table, args.out, compression="zstd", compression_level=19)
    print(Counter(r[0] for r in rows), Counter(r[3] for r in rows), Path(args.out).stat().st_size, file=sys.stderr)


if __name__ == "__main__":
    main()
