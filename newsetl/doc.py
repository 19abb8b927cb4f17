"""The document that flows through the pipeline.

Every stage is a component in the spaCy sense: it takes a :class:`Doc` and returns it, filling in
the fields it owns. Offsets (``start``/``end``) are code-point offsets into ``Doc.text``, so that
``doc.text[m.start:m.end] == m.surface`` always holds.

Stage ownership:
    extract  -> source_uri, fetched_at, raw_text, media_type, raw_hash, given, defaults, fetch
    clean    -> text, title, published_at, site, author, blocks
    segment  -> sentences (start, end, text)
    langid   -> lang, lang_score, Sentence.lang, Sentence.lang_score
    ner      -> mentions (sent_idx, start, end, surface, label)
    link     -> Mention.entity_id
    stories  -> embedding (the document vector that story grouping compares, computed with the CPU stages)
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

BLOCK_KINDS = ("body", "title", "ad", "related", "comment", "cookie", "nav", "other")
ENTITY_LABELS = ("PER", "ORG", "LOC", "MISC")
UNDETERMINED = "und"


@dataclass(slots=True)
class Block:
    """One block of the raw input (a paragraph, a line, an HTML element) and what it was classified as."""

    idx: int
    kind: str  # one of BLOCK_KINDS
    text: str


@dataclass(slots=True)
class Sentence:
    idx: int
    start: int
    end: int
    text: str
    lang: str = UNDETERMINED
    lang_score: float = 0.0


@dataclass(slots=True)
class Mention:
    sent_idx: int
    start: int
    end: int
    surface: str
    label: str  # one of ENTITY_LABELS
    score: float = 1.0
    entity_id: str | None = None
    entity_name: str | None = None  # canonical name of the linked entity (set by link)
    entity_norm: str | None = None  # normal form of the surface: Russian nominative, no suffix/clitic (set by link)
    family_id: str | None = None  # a person named by given and family name: the id of its family name alone (link)
    alt_ids: tuple[str, ...] = ()  # an unknown person: its id under the other readings of its family name (link)


@dataclass(slots=True)
class Doc:
    source_uri: str
    raw_text: str = ""
    media_type: str = "text"  # "text" or "html"
    fetched_at: datetime | None = None
    raw_hash: str = ""  # sha256 of the raw input bytes (incremental skip key)
    file_stamp: str | None = None  # size:mtime_ns:ctime_ns of a local file (the skip check before hashing)
    given: dict | None = None  # fields a source states (a record's title, date, lang...): they win over clean's
    defaults: dict | None = None  # fields a feed item states: used where clean finds none
    fetch: dict | None = None  # a URL's fetch: validators and <link rel=canonical> (warehouse fetch_state)
    # clean
    text: str = ""
    title: str | None = None
    published_at: datetime | None = None
    site: str | None = None
    author: str | None = None
    blocks: list[Block] = field(default_factory=list)
    # segment
    sentences: list[Sentence] = field(default_factory=list)
    # enrich
    lang: str = UNDETERMINED
    lang_score: float = 0.0
    mentions: list[Mention] = field(default_factory=list)
    embedding: Any = field(default=None, repr=False, compare=False)  # numpy float32[512]: tasks.stories.embed_docs
    _hashed: tuple[str, str] | None = field(default=None, repr=False, compare=False)  # (text, its sha256)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the clean article text: the document's identity (computed once per text)."""
        if self._hashed is None or self._hashed[0] is not self.text:
            self._hashed = (self.text, hashlib.sha256(self.text.encode("utf-8")).hexdigest())
        return self._hashed[1]

    @property
    def doc_id(self) -> str:
        """Stable id derived from content: the same article text always gets the same id."""
        return self.content_hash[:16]


@dataclass(slots=True)
class Reject:
    """An input that could not be loaded, and why. ``reason`` is a short machine-readable code."""

    source_uri: str
    reason: str
    detail: str


class Processed:
    """A batch of documents (and the rejects so far) on its way between the flow and the workers.

    Deliberately not a dataclass or a list: Prefect walks those in task arguments and results looking for
    futures, which for a batch means every block, sentence and mention. It pickles itself in one call of the C
    pickler, as plain tuples (a slots dataclass unpickles through a Python ``__setstate__`` per object), and
    unpickles lazily: Prefect's process pool deserialises a task's result once per ``result()`` call and once
    per done-callback, so the batch is only decoded when its contents are first read."""

    __slots__ = ("docs", "rejects", "seconds", "skipped", "ignored", "_packed")

    def __init__(
        self,
        docs: list[Doc],
        rejects: list[Reject],
        seconds: dict[str, float] | None = None,
        skipped: list[str] | None = None,
        ignored: int = 0,
    ) -> None:
        self.docs = docs
        self.rejects = rejects
        self.seconds = seconds or {}  # wall time per stage, for the benchmarks
        self.skipped = skipped or []  # inputs whose raw content this pipeline version already loaded
        self.ignored = ignored  # inputs that are not articles (a WARC's requests, images...): counted, not loaded

    def __getattr__(self, name: str):  # noqa: ANN204 - only reached while the slots are unset: still packed
        if name == "_packed":
            raise AttributeError(name)
        docs, rejects, self.seconds, self.skipped, self.ignored = pickle.loads(self._packed)
        self.docs = [_unpack_doc(d) for d in docs]
        self.rejects = [Reject(*r) for r in rejects]
        del self._packed
        return getattr(self, name)

    def __reduce__(self) -> tuple:
        try:
            packed = self._packed  # never opened here: pass the bytes on as they came
        except AttributeError:
            docs, rejects = [_pack_doc(d) for d in self.docs], [_reject_fields(r) for r in self.rejects]
            state = (docs, rejects, self.seconds, self.skipped, self.ignored)
            packed = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        return _unpickle, (packed,)


_PARTS = {"blocks": Block, "sentences": Sentence, "mentions": Mention}
_DOC_FIELDS = tuple(f for f in Doc.__slots__ if f not in _PARTS)
_doc_fields = attrgetter(*_DOC_FIELDS)
_part_fields = {name: attrgetter(*cls.__slots__) for name, cls in _PARTS.items()}
_reject_fields = attrgetter(*Reject.__slots__)


def _pack_doc(doc: Doc) -> tuple:
    return (_doc_fields(doc), *([get(p) for p in getattr(doc, name)] for name, get in _part_fields.items()))


def _unpack_doc(packed: tuple) -> Doc:
    fields, *parts = packed
    doc = Doc(**dict(zip(_DOC_FIELDS, fields, strict=True)))
    for (name, cls), rows in zip(_PARTS.items(), parts, strict=True):
        setattr(doc, name, [cls(*r) for r in rows])
    return doc


def _unpickle(packed: bytes) -> Processed:
    batch = Processed.__new__(Processed)
    batch._packed = packed
    return batch
