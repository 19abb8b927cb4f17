"""Train the sound-key models of name parts (``models/translit/la.json``, ``ru.json``, ``ar.json``).

Run::

    python training/train_translit.py [--data ../shared]

Data: the name-token pairs of ``shared/names`` (``wd_en_ru.tsv``, ``wd_en_ar.tsv``, ``google_ar2en.tsv``). The
Latin tokens that ``tools/build_names.py`` holds out (``held_out``) are never read, with all their pairs; of the
rest, a tenth of the Latin tokens (by another hash) is the *dev* split, on which the model is chosen and its
confidence threshold set; the models are trained on the others.

* ``la``: Latin spelling (lowercase ASCII, ``latin_spelling``) -> the sound key of its Russian spelling
  (:func:`~tasks.enrich.link.translit.ru_sound`), from the English-Russian pairs;
* ``ar``: folded Arabic spelling -> the sound key of its Latin partner as the ``la`` model writes it, from the
  English-Arabic and Arabic-English pairs;
* ``ru`` (``link-2.6``): Cyrillic spelling -> the key the ``la`` model reads first for its Latin partner, from the
  English-Russian pairs: a Cyrillic spelling's other readings, towards Latin (below).

Method: each pair is aligned character by character (every source character is written as 0 to 3 key
characters; hard EM: Viterbi alignments under the current emission probabilities, three rounds, starting from
a letter-identity prior); then, for every source character with up to four characters of context on each side,
the key strings it is written as, counted in two context trees (one backing off first on the right, the other
first on the left; :class:`~tasks.enrich.link.translit.Translit`), every node's distribution interpolated with
its parent's (``(count + beta * parent) / (total + beta)``). A node is kept when seen ``--min-count`` times and
its answer, or that answer's probability by more than 0.1, differs from its nearest kept ancestor's.

Settings chosen on the dev split, trials in order, each on top of the best so far (Latin model; recall of "same
name, same key" on 1,500 dev pairs, precision 0.985-0.989 throughout): the linker's phonetic key as input, two
characters of context, Wikidata counts as weights: 0.597; three characters: 0.612; vowel qualities and s/z/sh,
ch/ts, h/g, j/y folded: 0.661 (minimum count 2: 0.649, 6: 0.648); the spelling itself as input: 0.679; v/f, p/b
folded (for Arabic; Arabic model 0.425 -> 0.483): 0.671; each distinct pair counted once: **0.699** (1 + log
count: 0.693; then four characters of context: 0.691, minimum count 2: 0.676). Context-aware trials (link-2.3): a
beam over each character's alternatives scored with a character 4-gram model of the training keys, weight 0.3 /
0.6 / 1.0: 0.677 / 0.598 / 0.451 (the key model prefers short keys), as pointwise mutual information, 0.2 / 0.4
/ 0.7: 0.695 / 0.687 / 0.665; the best key among the 8-best that is the sound of a known Russian spelling (within
1 / 2 nats of the best): 0.694 / 0.635 (the 8-best hold the right key for 0.869); coarser keys, a/i folded:
precision 0.777 / recall 0.784, i beside a cut: 0.928 / 0.727, a final vowel cut: 0.910 / 0.719 (all rejected:
too much precision for the recall). Smoothed context trees, four characters each side, unpruned: one tree, beta
10: 0.707; two trees, beta 2 / 5 / 10 / 20 / 40: 0.685 / 0.706 / 0.718 / 0.710 / 0.693 (Witten-Bell weights,
0.5 / 1 / 2 / 5 times the outputs seen: 0.683 / 0.684 / 0.688 / 0.709); pruned as above, beta 10, minimum count 3: **0.713** (1.7 MB), 2:
0.711 (3.0 MB).

The corpus case (``--corpus``: trains nothing, reads the models of ``--out``; ``link-2.4``): where a corpus names a
person in a surer script, a Latin or Arabic spelling whose first key misses may take the one key of the corpus
among its other readings (``tasks/enrich/link/parts.py``, view ``stg_alt_ids``). On the 1,500 dev pairs as one
corpus, the 8-best keys within a margin of the first, a target key that another source reads first left out
(taking it too cost precision everywhere: en-ru 0.978 / 0.870 at 3 nats): margin 0 / 0.5 / 1 / 1.5 / 2 / 3 / 4
nats: en-ru recall 0.713 / 0.753 / 0.789 / 0.818 / 0.846 / **0.875** / 0.875, precision 0.988 / 0.988 / 0.989 /
0.989 / 0.988 / **0.984** / 0.984; en-ar 0.517 / 0.563 / 0.611 / 0.647 / 0.678 / **0.711** / 0.716 at 0.966 /
0.965 / 0.966 / 0.963 / 0.962 / **0.961** / 0.958. In a corpus ten times larger (every dev pair) precision is
lower from the start, as more first keys meet by chance (en-ru 0.925 at margin 0), and the other readings keep it
(0.927, recall 0.714 -> 0.825 at 3 nats). With the Latin name unknown too (both sides read by models, as in the
held-out names): first keys only 0.916 / 0.576; the Arabic spelling's other readings 0.904 / 0.754; failing any,
the one Latin spelling one of whose other readings is the Arabic first key, that Latin first key read first by no
Arabic spelling, **0.905 / 0.811** (without that condition 0.905 / 0.809). A Latin spelling that the table knows
(``link-2.5``; its key is its group's sound; the Russian spelling read letter by letter): with no other readings
(``link-2.4``) en-ru 0.955 / 0.969, en-ar 0.900 / 0.721; with the model's readings of the spelling within the
margin as other readings, **0.955 / 0.984** and **0.905 / 0.791** (every dev pair: en-ru 0.718 / 0.965 -> 0.719 /
0.973, en-ar 0.727 / 0.680 -> 0.736 / 0.734).

Readings towards Latin (``link-2.6``): ``ru`` (``--only ru``): Cyrillic spelling -> the key the ``la`` model reads
first for its Latin partner, trained as the others (each distinct pair once); a Cyrillic person's readings are its
keys within the margin, and a Latin spelling whose readings meet no Russian key takes the one Russian key whose
spelling reads its first key (``corpus_report_cyrillic``, counted per spelling pair, so precision is lower than
above): en-ru recall 0.872 -> **0.908** at precision 0.958 (every dev pair: 0.825 -> 0.844 at 0.680 -> 0.682);
minimum count 3 / 6 / 10 / 20: recall 0.910 / 0.909 / 0.909 / 0.908 at 0.957 / 0.957 / 0.957 / 0.958, 47,153 /
20,955 / 12,246 / 5,730 nodes: **20**, the smallest. Tried and not kept: a wider search of the Latin readings
(16-best instead of 8: recall 0.875 -> 0.879 at 3 nats; a beam of 32 or 64 instead of 16 in ``Translit.nbest``:
0.875 at 0.984 all the same); a Latin spelling that meets no Arabic one taking the one Arabic first key among its
readings (rule 4 of ``corpus_report_unknown_latin``): 0.905 / 0.810 -> 0.903 / 0.815 (every dev pair: 0.748 /
0.736 -> 0.744 / 0.752), precision lost where the held-out names are already under 0.9. The Arabic keys of the
corpus reports take the linker's three-letter minimum (``AR_MIN_LEN``; before ``link-2.6`` they did not): rule 3
0.905 / 0.811 -> 0.905 / 0.810 (every pair 0.740 / 0.739 -> 0.748 / 0.736); Latin in the table, with readings,
en-ar 0.905 / 0.791 -> 0.908 / 0.787 (0.736 / 0.734 -> 0.742 / 0.731).

Consonant skeletons (``link-2.7``; ``parts.sound_skeleton``: a key's first letter, then its consonants): where
nothing else joins a spelling, it takes the one key of the next surer script with the skeleton of its own key (a
Latin spelling) or of one of its keys within the margin (an Arabic spelling), that key read first by no spelling of
its own script and taken so by no other spelling (rule 2 of ``corpus_report_cyrillic``, rule 5 of
``corpus_report_unknown_latin``, the ``skeletons`` rows of ``corpus_report_table_latin``): en-ru 0.958 / 0.908 ->
**0.956 / 0.923** (every dev pair 0.682 / 0.844 -> 0.680 / 0.852); en-ar, Latin unknown too, 0.905 / 0.810 ->
**0.897 / 0.855** (0.748 / 0.736 -> 0.748 / 0.771); Latin in the table en-ru 0.955 / 0.984 -> 0.956 / 0.988, en-ar
0.908 / 0.787 -> 0.902 / 0.834. Without the last condition: en-ru the same, en-ar 0.894 / 0.857 (every pair 0.744 /
0.774). Tried and not kept (on the same 1,500 / every pair): the skeletons of a Latin spelling's other readings too,
en-ru 0.953 / 0.929 (0.680 / 0.853); a skeleton keeping where the vowels were (``m-t-l-m-f``), en-ru 0.955 / 0.919,
en-ar 0.900 / 0.840; scoring a spelling against each unmatched key of the same first letter by the model's forward
probability (summed over alignments) and taking the one key within 5 nats of the model's first reading (or the best
by 1 nat): en-ru 0.956 / 0.919 (0.682 / 0.853), en-ar 0.902 / 0.841 (0.737 / 0.776): less recall or precision than
the skeletons, and a Python step in the warehouse. On the held-out names (``bench/link.py``, once) en-ru gained 0.062
of recall for 0.004 of precision and en-ar 0.051 for 0.020, under the 0.9 en-ar precision is held to: the linker
wrote skeleton ids for Latin and Cyrillic spellings only.

Skeletons for Arabic (``link-2.8``): of the 97 pairs rule 5 added on the 1,500 en-ar pairs, 20 were wrong, 17 of
them by a skeleton of one to three letters (``gl``: ``hallier`` and ``holy`` to an Arabic ``gil``; ``ml``, ``ks``,
``mt``). The skeleton now leaves out an article ``al``/``il``, writes a first vowel ``a`` (ʿayn, hamza, alef) and
leaves out ``w`` after the first letter, and one of fewer than ``SKELETON_MIN_LEN`` (4) letters counts for nothing
(both sides; rules 2 and 5 above). On 1,500 pairs / every dev pair: en-ar, both unknown, rule 5 0.906 / 0.846
(0.753 / 0.770), against 0.905 / 0.810 without skeletons (0.748 / 0.736) and 0.897 / 0.855 (0.748 / 0.771) with
the ``link-2.7`` skeleton; en-ru rule 2 0.958 / 0.917 (0.682 / 0.850) against 0.956 / 0.923 (0.680 / 0.852), the
four wrong skeleton joins of the 1,500 en-ru pairs all gone; Latin in the table, en-ru 0.955 / 0.985, en-ar 0.911 /
0.826. Variants (en-ar, 1,500 pairs): the new fold at any length 0.898 / 0.861, at least three letters 0.904 /
0.861, five 0.906 / 0.827 (en-ru 0.958 / 0.913); only the skeleton of the Arabic first key 0.906 / 0.836; only
readings within 1.5 nats 0.906 / 0.842; mutual uniqueness (the Arabic spelling is also the one unmatched Arabic
spelling with that skeleton) 0.906 / 0.846, no change; ``g`` left out too (``ج`` read j or g) 0.906 / 0.838. A
coarser skeleton as a last fallback for en-ru (``c`` as ``s``, ``g`` as ``k``, same uniqueness): 0.958 / 0.920
(every pair 0.682 / 0.852), with ``w``/``f``, ``d``/``t``, ``b``/``f`` too 0.956 / 0.920: not kept, 0.003 of
recall for a second skeleton id per person. On the held-out names (``bench/link.py``, once): en-ar 0.896 / 0.687 ->
0.898 / 0.719, en-ru 0.946 / 0.869 -> 0.951 / 0.839.

Trials of ``link-2.9`` (not kept; the ``trial`` rows). A minimum per script: between Latin and Cyrillic, skeletons
of three letters or any length (rule 2 of ``corpus_report_cyrillic``): 1,500 pairs 0.957 / 0.922 and 0.956 / 0.923
against 0.958 / 0.917 at four; every dev pair 0.680 / 0.851 and 0.679 / 0.851 against 0.682 / 0.850 (three letters
add 75 joins there, 61 of them wrong): four stays. The ``link-2.7`` fold (no article, first vowel or ``w`` rule)
for Latin-Cyrillic: at four letters the same joins on 1,500 pairs, 6 fewer wrong ones of 18,508 on every pair: not
worth a skeleton id per fold. The wrong en-ar joins of rule 5 by the rule that made them (1,500 pairs, right /
wrong): first key 860 / 78, other readings 267 / 42, reverse readings 88 / 7, skeletons 54 / 5; the wrong reading
joins are mostly short readings (``bai``, ``gali``, ``kari``). An Arabic reading of fewer than
``TRIAL_AR_READING_MIN_LEN`` (5) letters giving no reading id unless within 0.5 nats of the first key (its
skeleton still counting): 0.915 / 0.842 (every pair 0.764 / 0.777; 4 letters 0.911 / 0.845; without the 0.5-nat
exception, 5 letters 0.917 / 0.833, 6 letters 0.924 / 0.814); with skeletons of three letters between Latin and Arabic
(Cyrillic spellings writing none) too: **0.911 / 0.858** (every pair 0.762 / 0.781; Latin in the table 0.911 /
0.826 -> 0.919 / 0.843). Other conditions tried: a reading or reverse join only when no other Arabic spelling
takes that Latin spelling so, 0.913 / 0.840 (every pair 0.763 / 0.761); the reverse join alone so, 0.906 / 0.845;
a margin of 2 nats for the readings 0.908 / 0.844; the skeletons of readings within 2 nats only 0.906 / 0.845. On
the held-out names (``bench/link.py``, once) the chosen pair (short readings, skeletons of three) gave en-ar
0.898 / 0.719 -> 0.888 / 0.737, en-ru unchanged 0.951 / 0.839: precision fell under the 0.9 floor, so the linker
stays at ``link-2.8``.

Prints, per model, precision and recall on 1,500 dev pairs per confidence threshold (below it a source keeps a
key of its own), as ``bench/link.py`` counts them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import build_names  # noqa: E402

from tasks.enrich.link.names import phon  # noqa: E402
from tasks.enrich.link.parts import (  # noqa: E402
    AR_MIN_LEN,
    AR_SOUND_MIN_CONF,
    N_BEST,
    READING_MARGIN,
    SKELETON_MIN_LEN,
    SOUNDS_FILE,
    NameTable,
    ar_unarticled,
    latin_spelling,
    norm_token,
    sound_skeleton,
)
from tasks.enrich.link.translit import _RU, MODELS_DIR, Translit, coarse, ru_sound  # noqa: E402

MAX_EMIT = 3
# the ru model's minimum count (chosen on the dev split, --corpus, 1,500 pairs, rule 1 of corpus_report_cyrillic:
# 3 / 6 / 10 / 20: recall 0.910 / 0.909 / 0.909 / 0.908 at precision 0.957 / 0.957 / 0.957 / 0.958; 47,153 / 20,955 /
# 12,246 / 5,730 nodes): the smallest model
RU_MIN_COUNT = 20
# A trial of link-2.9, measured and not kept (the held-out names lost en-ar precision, 0.898 -> 0.888): an Arabic
# spelling's other readings of fewer than TRIAL_AR_READING_MIN_LEN letters giving no reading id unless within
# TRIAL_AR_SHORT_READING_MARGIN nats of its first, and skeletons of TRIAL_AR_SKELETON_MIN_LEN letters counting
# between Latin and Arabic spellings (the linker's SKELETON_MIN_LEN, 4, everywhere)
TRIAL_AR_READING_MIN_LEN = 5
TRIAL_AR_SHORT_READING_MARGIN = 0.5
TRIAL_AR_SKELETON_MIN_LEN = 3
THRESHOLDS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
BETA = 10.0
ALTERNATIVES = 3  # key strings kept per context, most probable first
MIN_SHARE = 0.05  # ... each at least this probable there
_AR_PRIOR = {
    "ا": "a",
    "ب": "b",
    "ت": "t",
    "ث": "s",
    "ج": "j",
    "ح": "h",
    "خ": "h",
    "د": "d",
    "ذ": "z",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "x",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "g",
    "ف": "f",
    "ق": "k",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "u",
    "ي": "i",
    "ء": "",
}


def weight(count: int, how: str) -> float:
    """A pair's weight: how many Wikidata people carry it (``count``), 1, or 1 + log of the count."""
    return {"count": count, "one": 1, "log": 1 + math.log(count)}[how]


def dev_split(latin: str) -> bool:
    return hashlib.blake2b(("dev|" + latin.lower()).encode(), digest_size=4).digest()[0] % 10 == 0


def read_pairs(data: Path) -> dict[str, list[tuple[str, str, int]]]:
    """(latin token, other token, count) per script: ``tools/build_names.py``'s pairs (held-out Latin tokens left
    out), alphabetic Latin tokens lower-cased and the other side normalised."""
    return {
        script: [(la.lower(), norm_token(other), n) for la, other, n in pairs if la.isalpha()]
        for script, pairs in build_names.read_pairs(data).items()
    }


def _prior(s: str, e: str, script: str) -> float:
    """Cost of writing source character ``s`` as key string ``e`` before any training."""
    if script == "ar":
        base = _AR_PRIOR.get(s, s)
    elif script == "ru":
        base = coarse(_RU.get(s, s))[:1]
    else:
        base = s
    if e == "":
        return 2.0
    c = 0.0 if e[0] == base or (base == "" and e[0] in "aiu") else 3.0
    return c + 1.5 * (len(e) - 1)


def align(src: str, tgt: str, cost) -> list[str] | None:
    """Viterbi alignment: the key string each source character is written as (None if impossible)."""
    n, m = len(src), len(tgt)
    inf = math.inf
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n):
        row, nxt, s = best[i], best[i + 1], src[i]
        for j in range(m + 1):
            b = row[j]
            if b == inf:
                continue
            for k in range(min(MAX_EMIT, m - j) + 1):
                c = b + cost(s, tgt[j : j + k])
                if c < nxt[j + k]:
                    nxt[j + k] = c
                    back[i + 1][j + k] = k
    if best[n][m] == inf:
        return None
    out, j = [], m
    for i in range(n, 0, -1):
        k = back[i][j]
        out.append(tgt[j - k : j])
        j -= k
    return out[::-1]


def train(pairs: list[tuple[str, str, int]], script: str, min_count: int, beta: float, rounds: int = 3) -> Translit:
    """``pairs``: (source, target key, weight)."""
    emit: dict[str, Counter[str]] | None = None
    for _ in range(rounds):
        if emit is None:

            def cost(s, e):
                return _prior(s, e, script)

        else:
            tot = {s: sum(c.values()) for s, c in emit.items()}

            def cost(s, e, emit=emit, tot=tot):
                n = emit.get(s, {}).get(e, 0)
                return -math.log((n + 0.01) / (tot.get(s, 0) + 1.0))

        new: dict[str, Counter[str]] = defaultdict(Counter)
        aligned = []
        for src, tgt, w in pairs:
            a = align(src, tgt, cost)
            if a is None:
                continue
            aligned.append((src, a, w))
            for s, e in zip(src, a, strict=True):
                new[s][e] += w
        emit = new
    return build(aligned, beta, min_count)


def build(aligned, beta: float, min_count: int) -> Translit:
    """The two context trees from the aligned pairs: every node's distribution interpolated with its parent's
    (``(count + beta * parent) / (total + beta)``); a node is kept when seen ``min_count`` times and its answer
    or that answer's probability (by more than 0.1) differs from its nearest kept ancestor's."""
    model = Translit([{}, {}])
    trees = []
    for chain in model.chains:
        counts: list[dict[str, Counter[str]]] = [defaultdict(Counter) for _ in chain]
        for src, a, w in aligned:
            for i, e in enumerate(a):
                for level, ctx in enumerate(model.contexts(src, i, chain)):
                    counts[level][ctx][e] += w
        rules: dict[str, list] = {}
        smooth: dict[str, dict[str, float]] = {}  # context -> smoothed distribution (p >= 0.01)
        kept: dict[str, list] = {}  # context -> the rule answering there (its own or its nearest kept ancestor's)
        for level in range(len(chain) - 1, -1, -1):
            left, right = chain[level]
            parent_of = chain[level + 1] if level + 1 < len(chain) else None
            for ctx, c in sorted(counts[level].items()):
                lc, ch, rc = ctx.split("|")
                total = sum(c.values())
                if parent_of is None:
                    parent, up = {}, None
                else:
                    pctx = f"{lc[len(lc) - parent_of[0] :]}|{ch}|{rc[: parent_of[1]]}"
                    parent, up = smooth.get(pctx, {}), kept.get(pctx)
                lam = beta if parent else 0.0
                dist = {e: (c.get(e, 0) + lam * parent.get(e, 0.0)) / (total + lam) for e in set(c) | set(parent)}
                smooth[ctx] = {e: p for e, p in dist.items() if p >= 0.01}
                top = sorted(dist.items(), key=lambda kv: (-kv[1], kv[0]))
                rule = [x for e, p in top[:ALTERNATIVES] if p >= MIN_SHARE for x in (e, round(p, 3))]
                if up is None or (total >= min_count and (up[0] != rule[0] or abs(up[1] - rule[1]) > 0.1)):
                    rules[ctx] = rule
                    kept[ctx] = rule
                else:
                    kept[ctx] = up
        trees.append(rules)
    model.rules = trees
    return model


def main() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared"))
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--out", default=str(MODELS_DIR))
    ap.add_argument(
        "--seeds", default=str(ROOT / "seeds"), help="where name_parts.parquet is; name_sounds.parquet is written there"
    )
    ap.add_argument("--beta", type=float, default=BETA, help="weight of a node's parent distribution")
    ap.add_argument("--weight", default="one", choices=("count", "one", "log"), help="weight of a pair in training")
    ap.add_argument("--only", choices=("la", "ru", "ar"), help="train one model (the ru and ar models need la.json)")
    ap.add_argument(
        "--corpus", action="store_true", help="train nothing: the corpus case of the models in --out on the dev split"
    )
    args = ap.parse_args()
    pairs = read_pairs(Path(args.data))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Latin -> Russian sound key
    ru = [(latin_spelling(la), ru_sound(o), n, la) for la, o, n in pairs["ru"]]
    ru = [r for r in ru if r[0].isalpha() and r[1]]
    train_ru = [(s, t, weight(n, args.weight)) for s, t, n, la in ru if not dev_split(la)]
    dev_ru = [(s, t, n) for s, t, n, la in ru if dev_split(la)]
    if args.only in ("ru", "ar") or args.corpus:
        la_model = Translit.load(out / "la.json")
    if args.corpus:
        corpus_report("la (en-ru)", la_model, dev_ru)
        corpus_report("la (en-ru)", la_model, dev_ru, size=0)
        corpus_report("la (en-ru)", la_model, dev_ru, n=16)  # a wider search (link-2.6 trial, not kept)
    elif args.only in (None, "la"):
        la_model = train(train_ru, "la", args.min_count, args.beta)
        report("la (en-ru)", la_model, dev_ru)
    meta = {
        "what": "Latin phonetic key -> sound key of the Russian spelling (tasks/enrich/link/translit.py)",
        "data": "shared/names wd_en_ru.tsv (CC0, Wikidata, Merhav and Ash 2018), held-out and dev tokens left out",
        "pairs": len(train_ru),
        "min_count": args.min_count,
        "beta": args.beta,
    }
    if args.only in (None, "la") and not args.corpus:
        write(out / "la.json", la_model, meta)
    if args.only == "la":
        return

    # Cyrillic -> the key the Latin model gives the Latin partner (the readings of a Cyrillic spelling towards Latin)
    rr = ru_pairs(pairs, la_model)
    dev_rr = [(s, t, 1) for s, t, la in rr if dev_split(la)]
    if args.corpus:
        for size in (1500, 0):
            corpus_report_cyrillic(la_model, Translit.load(out / "ru.json"), pairs, size)
    elif args.only in (None, "ru"):
        train_rr = sorted({(s, t, 1) for s, t, la in rr if not dev_split(la)})
        ru_model = train(train_rr, "ru", RU_MIN_COUNT, args.beta)
        report("ru (ru-en)", ru_model, dev_rr)
        meta = {
            "what": "Cyrillic spelling (nominative, lowercase) -> the sound key la.json gives its Latin partner",
            "data": "shared/names wd_en_ru.tsv (CC0, Wikidata, Merhav and Ash 2018), held-out and dev tokens left out",
            "pairs": len(train_rr),
            "min_count": RU_MIN_COUNT,
            "beta": args.beta,
        }
        write(out / "ru.json", ru_model, meta)
    if args.only == "ru":
        return

    # the sound key of every known Latin key (canonical key of seeds/name_parts.parquet): the sound of the
    # Russian spelling its pairs give most often
    table = NameTable.load(Path(args.seeds))
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for la, o, n in pairs["ru"]:
        snd = ru_sound(o)
        for key in {table.la.get(phon(la)), table.ru.get(o)}:
            if key and snd:
                votes[key][snd] += n
    sounds = sorted((k, c.most_common(1)[0][0]) for k, c in votes.items())
    t = pa.table({"key": [k for k, _ in sounds], "sound": [s for _, s in sounds]})
    t = t.replace_schema_metadata(
        {
            "what": "canonical Latin key of name_parts.parquet -> sound key of its most frequent Russian spelling",
            "sources": "Wikidata name-token pairs en-ru (CC0, Merhav and Ash 2018), held-out tokens left out",
        }
    )
    sounds_path = Path(args.seeds) / SOUNDS_FILE
    if not args.corpus:
        pq.write_table(t, sounds_path, compression="zstd", compression_level=19)
        print(f"{sounds_path}: {len(sounds)} keys, {sounds_path.stat().st_size / 1e3:.0f} kB", file=sys.stderr)
    sound_of = dict(sounds)

    # Arabic -> the same key: the sound of the Latin partner as the linker gives it (table, else the model)
    def la_key(la: str) -> str:
        return sound_of.get(table.canon(phon(la))) or coarse(la_model.predict(latin_spelling(la))[0])

    def unarticled(o: str, key: str) -> tuple[str, str]:
        src = ar_unarticled(o)
        if src != o and key[:2] in ("al", "il"):
            key = key[2:]
        return src, key

    ar = [(*unarticled(o, la_key(la)), n, la) for la, o, n in pairs["ar"] if o]
    ar = [r for r in ar if r[1]]
    if args.corpus:
        dev_ar = [(s, t, n) for s, t, n, la in ar if dev_split(la)]
        ar_model = Translit.load(out / "ar.json")
        for size in (1500, 0):
            corpus_report("ar (en-ar)", ar_model, dev_ar, AR_SOUND_MIN_CONF, size=size)
        dev_pairs = [(ar_unarticled(o), la) for la, o, _ in pairs["ar"] if o and dev_split(la)]
        for size in (1500, 0):
            corpus_report_unknown_latin(la_model, ar_model, dev_pairs, size)
        for size in (1500, 0):
            corpus_report_table_latin(la_model, ar_model, table, pairs, size)
        return
    train_ar = [(s, t, weight(n, args.weight)) for s, t, n, la in ar if not dev_split(la)]
    dev_ar = [(s, t, n) for s, t, n, la in ar if dev_split(la)]
    ar_model = train(train_ar, "ar", args.min_count, args.beta)
    report("ar (en-ar)", ar_model, dev_ar)
    meta = {
        "what": "folded Arabic spelling -> sound key of the Latin partner as la.json writes it",
        "data": "shared/names wd_en_ar.tsv (CC0, Wikidata, Merhav and Ash 2018) and google_ar2en.tsv "
        "(Apache-2.0, Google transliteration), held-out and dev tokens left out",
        "pairs": len(train_ar),
        "min_count": args.min_count,
        "beta": args.beta,
    }
    write(out / "ar.json", ar_model, meta)


def report(name: str, model: Translit, dev: list[tuple[str, str, int]], thresholds=THRESHOLDS) -> None:
    """On a sample of 1500 dev pairs, as ``bench/link.py`` counts them: a source and a target spelling are
    *predicted same* when the model's key of the source is the target's key, *gold same* when they are a listed
    pair; precision and recall per confidence threshold (below it a source keeps a key of its own)."""
    sample = sorted({(s, t) for s, t, _ in dev}, key=lambda p: hashlib.blake2b("|".join(p).encode()).digest())[:1500]
    gold = set(sample)
    by_key: dict[str, set[str]] = defaultdict(set)
    for _, t in sample:
        by_key[coarse(t)].add(t)
    pred = {s: model.predict(s) for s, _ in sample}
    for th in thresholds:
        same = tp = 0
        for s, (key, conf) in pred.items():
            if conf < th:
                continue
            hits = by_key.get(coarse(key), ())
            same += len(hits)
            tp += sum((s, t) in gold for t in hits)
        print(
            f"{name}: dev, threshold {th}: precision {tp / max(1, same):.3f}, recall {tp / len(gold):.3f}",
            file=sys.stderr,
        )
    print(f"{name}: {sum(map(len, model.rules))} rules, {len(dev)} dev pairs", file=sys.stderr)


MARGINS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


def corpus_report(
    name: str,
    model: Translit,
    dev: list[tuple[str, str, int]],
    min_conf: float = 0.0,
    n: int = N_BEST,
    size: int = 1500,
) -> None:
    """The corpus case (``warehouse/views/staging/stg_alt_ids.sql``) on the 1500 dev pairs of :func:`report`, all
    in one corpus: a source whose first key is no target's key takes the one target key among its other keys
    within ``margin`` nats of its first (none when several; its first key when sure at most ``min_conf``). A
    target key that is already another source's first key is taken only with ``--claimed``: precision and recall
    per margin, with and without it; then (``size`` 0) the same with every dev pair in the corpus, a corpus ten
    times larger, where more keys meet by chance."""
    sample = sorted({(s, t) for s, t, _ in dev}, key=lambda p: hashlib.blake2b("|".join(p).encode()).digest())
    sample = sample[:size] if size else sample
    gold = set(sample)
    by_key: dict[str, set[str]] = defaultdict(set)
    for _, t in sample:
        by_key[coarse(t)].add(t)
    sources = sorted({s for s, _ in sample})
    best = {s: model.nbest(s, n) for s in sources}
    firsts = {s: (ks[0][0] if ks and math.exp(ks[0][1]) >= min_conf else None) for s, ks in best.items()}
    claimed = {k for k in firsts.values() if k in by_key}
    for claim in (False, True):
        for margin in MARGINS:
            same = tp = moved = 0
            for s in sources:
                key, ks = firsts[s], best[s]
                if key not in by_key and ks:
                    top = ks[0][1]
                    cands = {
                        k
                        for k, lp in ks
                        if k != key and top - lp <= margin and k in by_key and (claim or k not in claimed)
                    }
                    if len(cands) == 1:
                        key = next(iter(cands))
                        moved += 1
                hits = by_key.get(key, ()) if key else ()
                same += len(hits)
                tp += sum((s, t) in gold for t in hits)
            print(
                f"{name}: dev, corpus of {len(sample)} pairs, n={n}, margin {margin}, claimed targets {'taken' if claim else 'left'}: "
                f"precision {tp / max(1, same):.3f}, recall {tp / len(gold):.3f} ({moved} sources moved)",
                file=sys.stderr,
            )


def _reads(model: Translit, src: str, min_conf: float, min_len: int = 0) -> tuple[str | None, tuple[str, ...]]:
    """A spelling's first key (None when the model is surer of it than ``min_conf`` only, or when it is shorter
    than ``min_len``) and its other readings within ``READING_MARGIN`` nats of the first, each at least ``min_len``
    letters, as the linker writes them (``parts.arabic_sound`` and ``parts.other_readings``: 3 for Arabic)."""
    best = model.nbest(src, N_BEST)
    if not best:
        return None, ()
    top = best[0][1]
    first = best[0][0] if math.exp(top) >= min_conf and len(best[0][0]) >= min_len else None
    return first, tuple(k for k, lp in best if k != first and top - lp <= READING_MARGIN and len(k) >= min_len)


def _ar_ids(model: Translit, src: str) -> tuple[str, ...]:
    """The other readings of an Arabic spelling that would give reading ids in the trial of ``link-2.9`` (not kept):
    those of :func:`_reads`, one of fewer than ``TRIAL_AR_READING_MIN_LEN`` letters only within
    ``TRIAL_AR_SHORT_READING_MARGIN`` nats of the first."""
    best = model.nbest(src, N_BEST)
    if not best:
        return ()
    first, others = _reads(model, src, AR_SOUND_MIN_CONF, AR_MIN_LEN)
    top = best[0][1]
    near = {k for k, lp in best if top - lp <= TRIAL_AR_SHORT_READING_MARGIN}
    return tuple(k for k in others if len(k) >= TRIAL_AR_READING_MIN_LEN or k in near)


def _arabic_hits(
    arabic: dict[str, tuple[str | None, tuple[str, ...]]],
    latin: dict[str, tuple[str | None, tuple[str, ...]]],
    rule: int,
    unique: bool = True,
    skel=sound_skeleton,
    min_len: int = SKELETON_MIN_LEN,
    why: dict[str, str] | None = None,
    ids: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, set[str]]:
    """The Latin spellings each Arabic spelling joins in one corpus, by the rules of
    :func:`corpus_report_unknown_latin` up to ``rule`` (``skel``: the skeleton function, ``min_len``: the shortest
    skeleton that counts; ``why``, when given, gets the rule that joined each Arabic spelling; ``ids``, when given,
    the other readings of each Arabic spelling that give reading ids, rule 1, as :func:`_ar_ids` gives them: else
    all of them, as the linker writes them)."""
    by_first: dict[str | None, set[str]] = defaultdict(set)
    owners: dict[str, set[str]] = defaultdict(set)
    for la, (first, others) in latin.items():
        by_first[first].add(la)
        for k in others:
            owners[k].add(la)
    ar_firsts = {first for first, _ in arabic.values() if first}
    out = {}
    for s, (first, others) in arabic.items():
        hits = by_first.get(first, set()) if first else set()
        how = "first"
        if not hits and rule >= 1:
            cands = {k for k in (others if ids is None else ids[s]) if k in by_first}
            how = "readings"
            if len(cands) == 1:
                hits = by_first[next(iter(cands))]
            elif not cands and rule >= 2 and first:
                ok = {la for la in owners.get(first, ()) if rule == 2 or latin[la][0] not in ar_firsts}
                how = "reverse"
                if len(ok) == 1:
                    hits = ok
        out[s] = set(hits)
        if why is not None and hits:
            why[s] = how
    if rule == 5:  # skeletons (link-2.7): failing any, the one Latin first key read first by no Arabic spelling whose
        # consonant skeleton is that of the Arabic first key or of one of its other readings
        free: dict[str, set[str]] = defaultdict(set)
        for k in by_first:
            if k and k not in ar_firsts and len(skel(k)) >= min_len:
                free[skel(k)].add(k)
        took = {}
        for s, (first, others) in arabic.items():
            if not out[s]:
                cands = set().union(*(free.get(skel(k), set()) for k in (first, *others) if k))
                if len(cands) == 1:
                    took[s] = cands.pop()
        takers = Counter(took.values())
        for s, k in took.items():
            if takers[k] == 1 or not unique:  # ... that no other Arabic spelling takes so
                out[s] = set(by_first[k])
                if why is not None:
                    why[s] = "skeleton"
        return out
    if rule >= 4:  # a Latin spelling that met no Arabic one takes the one Arabic first key among its other readings
        met = {la for hits in out.values() for la in hits}
        for la, (first, others) in latin.items():
            if la in met or first in ar_firsts:
                continue
            cands = {k for k in others if k in ar_firsts and k not in by_first}
            if len(cands) == 1:
                k = cands.pop()
                for s, (f, _) in arabic.items():
                    if f == k:
                        out[s].add(la)  # ... and with it whatever Latin spelling that Arabic one met (two steps)
    return out


def _cyrillic_hits(
    latin: dict[str, tuple[str | None, tuple[str, ...]]],
    by_key: dict[str, set[str]],
    owners: dict[str, set[str]] | None = None,
    skeletons: bool = False,
    unique: bool = True,
    skel=sound_skeleton,
    min_len: int = SKELETON_MIN_LEN,
) -> dict[str, set[str]]:
    """The Cyrillic spellings each Latin spelling joins in one corpus (``by_key``: Cyrillic key -> its spellings):
    those of its first key; failing any, those of the one Cyrillic key among its other readings that no Latin
    spelling reads first (``link-2.4``); failing any and given ``owners`` (a Latin key -> the Cyrillic keys whose
    spellings read it), those of the one Cyrillic key whose readings towards Latin hold its first key and that no
    Latin spelling reads first (``link-2.6``); failing any and given ``skeletons``, those of the one Cyrillic key
    with the consonant skeleton of its first key that no Latin spelling reads first, when no other Latin spelling
    takes it so (``unique``; ``link-2.7``)."""
    firsts = {f for f, _ in latin.values()}
    free: dict[str, set[str]] = defaultdict(set)
    for k in by_key:
        if k not in firsts and len(skel(k)) >= min_len:
            free[skel(k)].add(k)
    out, took = {}, {}
    for s, (key, others) in latin.items():
        if key not in by_key:
            cands = {k for k in others if k in by_key and k not in firsts}
            if not cands and owners is not None:
                cands = {k for k in owners.get(key, ()) if k not in firsts}
            if not cands and skeletons and key:
                cands = set(free.get(skel(key), ()))
                if len(cands) == 1:
                    took[s] = cands.pop()  # ... taken when no other Latin spelling takes it so
                    continue
            if len(cands) == 1:
                key = cands.pop()
        out[s] = by_key.get(key, set())
    takers = Counter(took.values())
    for s, k in took.items():
        out[s] = by_key[k] if takers[k] == 1 or not unique else set()
    return out


def _print_pr(what: str, hits: dict[str, set[str]], gold: set[tuple[str, str]], latin_first: bool = False) -> None:
    """Precision and recall of "same person" over the pairs ``hits`` joins (source -> the spellings it joins), against
    the ``gold`` pairs (source, spelling), or (spelling, source) with ``latin_first``."""
    same = sum(len(h) for h in hits.values())
    tp = sum(((t, s) if latin_first else (s, t)) in gold for s, h in hits.items() for t in h)
    print(f"{what}: precision {tp / max(1, same):.3f}, recall {tp / len(gold):.3f}", file=sys.stderr)


def corpus_report_unknown_latin(
    la_model: Translit, ar_model: Translit, dev: list[tuple[str, str]], size: int = 1500
) -> None:
    """The corpus case Latin-Arabic when the Latin name is unknown too (as in the held-out names): both sides read
    by their models (the Latin spelling's first key and other readings within ``READING_MARGIN``; the Arabic
    spelling's likewise, its first key only when sure), gold same = a listed pair. Rules, each on top of the
    previous: (0) first keys equal; (1) an Arabic spelling whose first key is no Latin first key takes the one
    Latin first key among its other readings; (2) failing any, the one Latin spelling one of whose other readings
    is its first key; (3) as (2), that Latin first key being no Arabic spelling's first key; (4) a Latin spelling
    that met no Arabic one takes the one Arabic first key among its other readings that no Latin spelling reads
    first (Latin -> Arabic, tried for link-2.6 and not kept: it does not pay); (5) on top of (3), not (4), an Arabic
    spelling that met no Latin one takes the one Latin first key, read first by no Arabic spelling, whose consonant
    skeleton (:func:`~tasks.enrich.link.parts.sound_skeleton`) is that of its first key or of one of its other
    readings, when no other Arabic spelling takes that key so (``link-2.7``; and without that condition)."""
    sample = sorted(set(dev), key=lambda p: hashlib.blake2b("|".join(p).encode()).digest())
    sample = sample[:size] if size else sample
    gold = set(sample)

    latin = {la: _reads(la_model, latin_spelling(la), 0.0) for _, la in sample}
    arabic = {s: _reads(ar_model, s, AR_SOUND_MIN_CONF, AR_MIN_LEN) for s, _ in sample}
    what = f"ar (en-ar), Latin unknown too: dev, corpus of {len(sample)} pairs"
    for rule in range(6):
        _print_pr(f"{what}, rule {rule}", _arabic_hits(arabic, latin, rule), gold)
    _print_pr(f"{what}, rule 5, a Latin key taken by several", _arabic_hits(arabic, latin, 5, unique=False), gold)
    why: dict[str, str] = {}  # the joins of rule 5 by the rule that made them, right / wrong (link-2.9 analysis)
    hits = _arabic_hits(arabic, latin, 5, why=why)
    counts = Counter((why[s], (s, la) in gold) for s, h in hits.items() for la in h)
    print(
        f"{what}, rule 5, joins right / wrong by rule: "
        + ", ".join(
            f"{r} {counts[r, True]} / {counts[r, False]}" for r in ("first", "readings", "reverse", "skeleton")
        ),
        file=sys.stderr,
    )
    # the trial of link-2.9 (not kept): short readings give no id, skeletons of three letters; each alone, then both
    ids = {s: _ar_ids(ar_model, s) for s in arabic}
    trial = TRIAL_AR_SKELETON_MIN_LEN
    _print_pr(f"{what}, rule 5, trial: short readings", _arabic_hits(arabic, latin, 5, ids=ids), gold)
    _print_pr(f"{what}, rule 5, trial: skeletons of {trial}", _arabic_hits(arabic, latin, 5, min_len=trial), gold)
    _print_pr(f"{what}, rule 5, trial: both", _arabic_hits(arabic, latin, 5, min_len=trial, ids=ids), gold)


def corpus_report_table_latin(
    la_model: Translit, ar_model: Translit, table: NameTable, pairs: dict, size: int = 1500
) -> None:
    """The corpus case when the table knows the Latin spelling (``link-2.5``): its key is its group's sound (the
    Russian spelling its pairs give most often), which need not be this spelling's. Variants: no other readings
    (``link-2.4``), or the Latin model's readings of the spelling within ``READING_MARGIN`` of its first (the first
    too, when it is not the group's sound) as other readings. en-ru: the Russian spelling read letter by letter,
    as one the table lacks; a Latin spelling whose key is no Russian key takes the one Russian key among its other
    readings that no Latin spelling has as key. en-ar: the rules of :func:`corpus_report_unknown_latin` (3). The
    dev tokens are in the table (it is built from all but the held-out ones), so its group sound is more often
    the dev partner's than on held-out names: the gain here is a floor."""

    def latin(la: str, readings: bool) -> tuple[str | None, tuple[str, ...]]:
        first, others = _reads(la_model, latin_spelling(la), 0.0)
        k = phon(la)
        if k not in table.la:
            return first, others
        sound = table.sound_of_key(table.canon(k))
        return sound, tuple(x for x in (first, *others) if x and x != sound) if readings else ()

    def sample_of(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = sorted(set(rows), key=lambda p: hashlib.blake2b("|".join(p).encode()).digest())
        return out[:size] if size else out

    ru = sample_of([(la, o) for la, o, _ in pairs["ru"] if dev_split(la) and latin_spelling(la).isalpha()])
    ru = [(la, o) for la, o in ru if ru_sound(o)]
    ar = sample_of([(la, ar_unarticled(o)) for la, o, _ in pairs["ar"] if o and dev_split(la)])
    for readings in (False, True):
        gold = set(ru)
        by_key: dict[str, set[str]] = defaultdict(set)
        for _, o in ru:
            by_key[ru_sound(o)].add(o)
        lat = {la: latin(la, readings) for la in {la for la, _ in ru}}
        what = f"Latin in the table, other readings {'yes' if readings else 'no'}: dev, corpus of"
        _print_pr(f"la (en-ru), {what} {len(ru)} pairs", _cyrillic_hits(lat, by_key), gold)
        if readings:  # and the consonant skeletons (link-2.7)
            hits = _cyrillic_hits(lat, by_key, skeletons=True)
            _print_pr(f"la (en-ru), {what} {len(ru)} pairs, skeletons", hits, gold)
        lat = {la: latin(la, readings) for la in {la for la, _ in ar}}
        arabic = {s: _reads(ar_model, s, AR_SOUND_MIN_CONF, AR_MIN_LEN) for _, s in ar}
        _print_pr(f"ar (en-ar), {what} {len(ar)} pairs", _arabic_hits(arabic, lat, 3), set(ar), latin_first=True)
        if readings:  # and the consonant skeletons (link-2.7); then the trial of link-2.9 (not kept)
            _print_pr(f"ar (en-ar), {what} {len(ar)} pairs, skeletons", _arabic_hits(arabic, lat, 5), set(ar), True)
            ids = {s: _ar_ids(ar_model, s) for s in arabic}
            hits = _arabic_hits(arabic, lat, 5, min_len=TRIAL_AR_SKELETON_MIN_LEN, ids=ids)
            _print_pr(f"ar (en-ar), {what} {len(ar)} pairs, skeletons, trial of link-2.9", hits, set(ar), True)


def ru_pairs(pairs: dict, la_model: Translit) -> list[tuple[str, str, str]]:
    """(Cyrillic spelling, the key the Latin model reads first for its Latin partner, Latin token): the ``ru``
    model's pairs, each distinct pair once."""
    out = set()
    for la, o, _ in pairs["ru"]:
        spelling = latin_spelling(la)
        if spelling.isalpha() and o.isalpha() and ru_sound(o):
            key = coarse(la_model.predict(spelling)[0])
            if key:
                out.add((o, key, la))
    return sorted(out)


def corpus_report_cyrillic(la_model: Translit, ru_model: Translit, pairs: dict, size: int = 1500) -> None:
    """The corpus case en-ru with the Cyrillic spellings' readings towards Latin (``link-2.6``): the 1,500 dev
    pairs (or every one, ``size`` 0) in one corpus, the Latin spelling read by the Latin model (first key and
    other readings within ``READING_MARGIN``), the Cyrillic one letter by letter. Rules, each on top of the
    previous: (0) the Latin spelling whose first key is no Cyrillic key takes the one Cyrillic key among its
    other readings that no Latin spelling reads first (``link-2.4``); (1) failing any, the one Cyrillic key whose
    spelling the ``ru`` model reads (first key and other readings within the margin) as the Latin first key, that
    Cyrillic key read first by no Latin spelling (the ``reverse`` rule of ``stg_alt_ids``)."""
    sample = sorted(
        {(latin_spelling(la), o) for la, o, _ in pairs["ru"] if dev_split(la) and latin_spelling(la).isalpha()},
        key=lambda p: hashlib.blake2b("|".join(p).encode()).digest(),
    )
    sample = [(s, o) for s, o in sample if o.isalpha() and ru_sound(o)]
    sample = sample[:size] if size else sample
    gold = set(sample)
    by_key: dict[str, set[str]] = defaultdict(set)
    for _, o in sample:
        by_key[ru_sound(o)].add(o)
    latin = {s: _reads(la_model, s, 0.0) for s, _ in sample}
    owners: dict[str, set[str]] = defaultdict(set)  # a Latin key -> the Cyrillic keys whose spellings read it
    for o in {o for _, o in sample}:
        first, others = _reads(ru_model, o, 0.0)
        for k in {first, *others} - {None}:
            owners[k].add(ru_sound(o))
    for rule in (0, 1, 2):
        _print_pr(
            f"ru (en-ru), Cyrillic readings towards Latin: dev, corpus of {len(sample)} pairs, rule {rule}",
            _cyrillic_hits(latin, by_key, owners if rule >= 1 else None, skeletons=rule >= 2),
            gold,
        )
    _print_pr(
        f"ru (en-ru), Cyrillic readings towards Latin: dev, corpus of {len(sample)} pairs, rule 2, a Cyrillic key "
        "taken by several",
        _cyrillic_hits(latin, by_key, owners, skeletons=True, unique=False),
        gold,
    )
    # trials of link-2.9 (not kept): a shorter skeleton between Latin and Cyrillic; the fold of link-2.7 (no article,
    # first vowel or w rule), which would need a skeleton id of its own per fold
    for skel, fold in ((sound_skeleton, "link-2.8"), (_skeleton_link27, "link-2.7")):
        for min_len in (0, 3, 4):
            _print_pr(
                f"ru (en-ru), Cyrillic readings towards Latin: dev, corpus of {len(sample)} pairs, rule 2, trial: "
                f"the {fold} fold, skeletons of at least {min_len} letters",
                _cyrillic_hits(latin, by_key, owners, skeletons=True, skel=skel, min_len=min_len),
                gold,
            )


def _skeleton_link27(key: str) -> str:
    """The consonant skeleton as ``link-2.7`` wrote it: the first letter, then the consonants (no article, first
    vowel or ``w`` rule)."""
    return key[:1] + key[1:].replace("a", "").replace("i", "")


def write(path: Path, model: Translit, meta: dict) -> None:
    path.write_text(
        json.dumps(
            {"meta": meta, "chains": model.chains, "rules": [dict(sorted(r.items())) for r in model.rules]},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{path}: {path.stat().st_size / 1e3:.0f} kB", file=sys.stderr)


if __name__ == "__main__":
    main()
