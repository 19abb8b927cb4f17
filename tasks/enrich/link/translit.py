"""Sound keys of name parts: one key space shared by Latin, Cyrillic and Arabic spellings of a name part.

The key of an *unknown* name part (one that ``seeds/name_parts.parquet`` does not know) is what lets the same
person nobody listed get the same id in every script. It is a coarse phonetic spelling in the space of the
Russian spelling of the name (Russian writes foreign names by their sound, with one letter per sound):

* a Cyrillic part: its letters mapped one by one (:func:`ru_sound`, no model needed: ``Найтли`` -> ``naitli``);
* a Latin part: a learned model of how Russian writes a Latin spelling (``knightley`` -> ``naitli``);
* an Arabic part: a learned model of the same key from the Arabic spelling; Arabic writes no short vowels, so
  the model is often unsure: its key is used only above a confidence learned on a dev split.

The models (``models/translit/*.json``) are smoothed context trees over characters, trained by
``training/train_translit.py`` on the Wikidata/Wikipedia name-token pairs of ``shared/names`` (the tokens that
``tools/build_names.py`` holds out are never used): for each character of the source with up to four characters
of context on each side, the strings it is written as in the key, with their smoothed probabilities.
"""

from __future__ import annotations

import functools
import json
import math
import re
from array import array
from pathlib import Path

from tasks.enrich.compact import KeyIndex

MODELS_DIR = Path(__file__).resolve().parents[3] / "models" / "translit"

# Cyrillic letter -> sound key (one letter a sound; the vowels folded by ``coarse`` below)
_RU = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "o",
    "ж": "j",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "c",
    "ч": "q",
    "ш": "x",
    "щ": "x",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
    "і": "i",
    "ї": "i",
    "є": "ie",
    "ґ": "g",
}
_DOUBLE_RE = re.compile(r"(.)\1+")
# folded where spellings of one name disagree most often (chosen on the dev split: each fold gained more
# agreement than it cost in different names sharing a key): vowel qualities, s/z/sh, ch/ts, h/g, j/y, and v/f, p/b
# (Arabic has no v or p)
_COARSE = str.maketrans(
    {"o": "a", "u": "a", "e": "i", "y": "i", "z": "s", "x": "s", "q": "c", "h": "g", "j": "i", "v": "f", "p": "b"}
)


def coarse(key: str) -> str:
    """The key compared across scripts: letters folded as above, repeated letters squeezed."""
    return _DOUBLE_RE.sub(r"\1", key.translate(_COARSE))


def ru_sound(token: str) -> str:
    """Sound key of a Cyrillic spelling (lowercase, nominative): letter by letter (дж -> j), then folded."""
    t = token.lower().replace("дж", "ж")
    t = t[:1] + t[1:].replace("э", "а")  # э inside a name mostly writes an English a (Кэлверт, Кэмерон)
    return coarse("".join(_RU.get(c, "") for c in t))


class _Rules:
    """One tree's rules, ``context -> [output, probability, ...]``, in flat arrays (``tasks.enrich.compact``):
    ~100k contexts a model take ~3 MB instead of ~12 MB of lists and strings."""

    __slots__ = ("_index", "_starts", "_outputs", "_probs", "_texts")

    def __init__(self, rules: dict[str, list]):
        texts: dict[str, int] = {}
        starts, outputs, probs = [0], [], []
        for r in rules.values():
            outputs += (texts.setdefault(out, len(texts)) for out in r[0::2])
            probs += r[1::2]
            starts.append(len(probs))
        self._index = KeyIndex(rules)
        self._starts, self._outputs, self._probs = array("i", starts), array("i", outputs), array("d", probs)
        self._texts = tuple(texts)

    def __len__(self) -> int:
        return len(self._index)

    def get(self, context: str) -> list | None:
        row = self._index.find(context)
        if row < 0:
            return None
        out: list = []
        for k in range(self._starts[row], self._starts[row + 1]):
            out += (self._texts[self._outputs[k]], self._probs[k])
        return out


class Translit:
    """Two smoothed context trees over the characters of a spelling. For each source character, each tree gives
    the distribution of key strings at the most specific context it holds (up to four characters each side,
    backing off first on the right in one tree, first on the left in the other); every node's distribution
    was interpolated with its parent's in training (``count + BETA * parent`` over ``total + BETA``), so a rare
    long context (``tsch``, ``-igh-``, ``kn-``) moves the answer only as far as its evidence goes. The two trees'
    distributions are averaged and the most probable key string is written."""

    CHAINS = (
        ((4, 4), (4, 3), (3, 3), (3, 2), (2, 2), (2, 1), (1, 1), (1, 0), (0, 0)),
        ((4, 4), (3, 4), (3, 3), (2, 3), (2, 2), (1, 2), (1, 1), (0, 1), (0, 0)),
    )

    def __init__(self, rules: list[dict[str, list]], chains=CHAINS) -> None:
        # per tree: "l|c|r" context -> [output, probability, output2, probability2, ...], most probable first
        self.rules = [_Rules(r) for r in rules]
        self.chains = tuple(tuple(tuple(o) for o in chain) for chain in chains)
        self._pad = max(max(o) for chain in self.chains for o in chain)

    @classmethod
    def load(cls, path: Path) -> Translit:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(d["rules"], d["chains"])

    def contexts(self, src: str, i: int, chain) -> list[str]:
        s = "^" * self._pad + src + "$" * self._pad
        return self._contexts(s, i + self._pad, chain)

    @staticmethod
    def _contexts(s: str, j: int, chain) -> list[str]:
        return [f"{s[j - left : j]}|{s[j]}|{s[j + 1 : j + 1 + right]}" for left, right in chain]

    def distribution(self, src: str, i: int, padded: str | None = None) -> dict[str, float]:
        """Key strings of character ``i`` of ``src`` and their probabilities (the trees' average)."""
        s = padded or "^" * self._pad + src + "$" * self._pad
        j = i + self._pad
        dist: dict[str, float] = {}
        for chain, rules in zip(self.chains, self.rules, strict=True):
            for left, right in chain:
                r = rules.get(f"{s[j - left : j]}|{s[j]}|{s[j + 1 : j + 1 + right]}")
                if r is not None:
                    for k in range(0, len(r), 2):
                        dist[r[k]] = dist.get(r[k], 0.0) + r[k + 1] / len(self.chains)
                    break
        return dist

    def predict(self, src: str) -> tuple[str, float]:
        """The key string of ``src`` (not yet coarsened) and its confidence (product of the probabilities of the
        key strings written)."""
        out, conf = [], 1.0
        padded = "^" * self._pad + src + "$" * self._pad
        for i in range(len(src)):
            dist = self.distribution(src, i, padded)
            if not dist:
                conf *= 0.5  # a character never seen in training: dropped
                continue
            best, p = max(dist.items(), key=lambda kv: (kv[1], kv[0]))
            out.append(best)
            conf *= p
        return "".join(out), conf

    def nbest(self, src: str, n: int = 8, beam: int = 16) -> list[tuple[str, float]]:
        """The ``n`` most probable keys of ``src``, coarsened (:func:`coarse`), each with the natural log of its
        probability (the product of the probabilities of the key strings written; spellings that coarsen to
        one key count as the most probable of them), most probable first. The first is ``coarse(predict(src))``."""
        states: list[tuple[float, str]] = [(0.0, "")]
        padded = "^" * self._pad + src + "$" * self._pad
        for i in range(len(src)):
            dist = self.distribution(src, i, padded)
            if not dist:
                states = [(lp + math.log(0.5), s) for lp, s in states]
                continue
            options = [(math.log(p), out) for out, p in dist.items() if p > 0]
            grown = [(lp + lq, s + out) for lp, s in states for lq, out in options]
            grown.sort(key=lambda x: (-x[0], x[1]))
            states = grown[:beam]
        best: dict[str, float] = {}
        for lp, s in states:
            k = coarse(s)
            if k not in best:
                best[k] = lp
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@functools.cache
def model(name: str) -> Translit | None:
    path = MODELS_DIR / f"{name}.json"
    return Translit.load(path) if path.exists() else None
