"""Read-only look-up tables kept in a few flat arrays instead of Python dicts of strings.

The enrich stage's reference tables (the knowledge base's alias keys, the taggers' gazetteers and word clusters)
are loaded once in the forkserver and shared by the forked workers. As dicts, each entry is two or three Python
objects, several hundred MB in all, whose reference counts a look-up writes to, so every worker also ends up with
private copies of the pages it touched. Here a table is a handful of ``array.array`` buffers that workers only
read: an open-addressing hash table of the keys' ``hash()`` values and row numbers (~0.3 µs a look-up against
~0.1 µs for a dict, and about a fifth of the memory).

``hash()`` of a str is salted per interpreter (``PYTHONHASHSEED``), so a table is only valid in the process that
built it and in processes forked from it: tables are built at load time, never stored.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable, Iterator
from itertools import accumulate


class KeyIndex:
    """Rows of unique hashable keys, found by hash (``find``, ``in``, ``len``). Two distinct keys with the same
    64-bit hash (odds ~1e-8 for a million keys) would share the first one's row, and an absent key matches a
    present one with odds ~1e-14: neither matters for look-ups of names."""

    __slots__ = ("_hashes", "_rows", "_mask", "_n")

    def __init__(self, keys: Iterable[Hashable]):
        hashes = [hash(k) for k in keys]
        size = 8
        while size * 0.6 < len(hashes):
            size *= 2
        mask = size - 1
        slots = array("q", bytes(8 * size))
        rows = array("i", bytes(4 * size))  # row + 1; 0 = empty slot
        for row, h in enumerate(hashes, 1):
            i = h & mask
            while rows[i]:
                if slots[i] == h:
                    break  # a repeated key keeps its first row
                i = (i + 1) & mask
            else:
                slots[i] = h
                rows[i] = row
        self._hashes, self._rows, self._mask, self._n = slots, rows, mask, len(hashes)

    def __len__(self) -> int:
        return self._n

    def __contains__(self, key: Hashable) -> bool:
        return self.find(key) >= 0

    def find(self, key: Hashable) -> int:
        """The row of ``key``, or -1."""
        h = hash(key)
        i = h & self._mask
        rows, hashes = self._rows, self._hashes
        while True:
            r = rows[i]
            if not r:
                return -1
            if hashes[i] == h:
                return r - 1
            i = (i + 1) & self._mask


class PackedStrings:
    """A read-only list of strings in one UTF-8 buffer and an offsets array."""

    __slots__ = ("_blob", "_offsets")

    def __init__(self, strings: Iterable[str]):
        encoded = [s.encode() for s in strings]
        self._offsets = array("q", accumulate((len(b) for b in encoded), initial=0))
        self._blob = b"".join(encoded)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self._blob[self._offsets[i] : self._offsets[i + 1]].decode()

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))


class FrozenIntMap:
    """A read-only ``key -> int`` mapping (``get``, ``in``, ``len``) for values that fit in 32 bits."""

    __slots__ = ("_index", "_values")

    def __init__(self, items: Iterable[tuple[Hashable, int]]):
        keys: list[Hashable] = []
        values: list[int] = []
        for k, v in items:
            keys.append(k)
            values.append(v)
        self._index = KeyIndex(keys)
        self._values = array("i", values)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: Hashable) -> bool:
        return self._index.find(key) >= 0

    def get(self, key: Hashable, default: int | None = None) -> int | None:
        row = self._index.find(key)
        return default if row < 0 else self._values[row]


class FrozenStrMap(FrozenIntMap):
    """A read-only ``key -> str`` mapping (``get``, ``in``, ``len``): each key's value is the code of a string
    stored once, however many keys share it."""

    __slots__ = ("_strings",)

    def __init__(self, items: Iterable[tuple[Hashable, str]]):
        strings: dict[str, int] = {}
        super().__init__((k, strings.setdefault(v, len(strings))) for k, v in items)
        self._strings = PackedStrings(strings)

    def get(self, key: Hashable, default: str | None = None) -> str | None:
        code = super().get(key)
        return default if code is None else self._strings[code]
