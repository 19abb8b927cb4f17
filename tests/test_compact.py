"""The compact look-up tables behave as the dicts they replace, on the real reference tables."""

import gzip
import json
from pathlib import Path

from tasks.enrich.compact import FrozenIntMap, FrozenStrMap, KeyIndex, PackedStrings

REPO = Path(__file__).resolve().parents[1]


def test_frozen_maps_answer_as_dicts_on_a_real_gazetteer():
    with gzip.open(REPO / "models" / "ner" / "tr" / "gazetteer.json.gz", "rt", encoding="utf-8") as fh:
        entries = json.load(fh)
    d = {tuple(name.split(" ")): label for label in sorted(entries) for name in entries[label]}
    m = FrozenStrMap(d.items())
    assert len(m) == len(d) > 100_000
    assert all(m.get(k) == v for k, v in d.items())
    for absent in (("no", "such", "place"), "İstanbul", ("",), ()):
        assert absent not in d and m.get(absent) is None and absent not in m
    firsts = {k[0]: len(k) for k in d}
    fm = FrozenIntMap(firsts.items())
    assert all(fm.get(k) == v for k, v in firsts.items())
    assert fm.get("qqqqqq", 0) == 0


def test_repeated_keys_keep_their_first_row_and_strings_round_trip():
    idx = KeyIndex(["a", "b", "a", "ş"])
    assert (idx.find("a"), idx.find("b"), idx.find("ş"), idx.find("c")) == (0, 1, 3, -1)
    words = ["Şoygu", "", "شويغو", "Шойгу", "x" * 300]
    assert list(PackedStrings(words)) == words
    assert FrozenStrMap([("k", "")]).get("k") == ""
