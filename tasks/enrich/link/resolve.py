"""Choosing an id for every mention of a document: reference look-ups, the document's own evidence,
name-part identities of persons, unknown ids."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from newsetl.doc import Doc, Mention

from .kb import BIG_CITY, Entity, KnowledgeBase
from .names import (
    _base_norm,
    clean_surface,
    phon,
    ru_stem,
    script_of,
    skeleton,
    weak_forms,
)
from .parts import (
    NameTable,
    PersonName,
    family_id,
    other_ids,
    person_id,
    ru_oblique_lemma,
    skeleton_ids,
    split_person,
)

# --------------------------------------------------------------------------------------------
# Linking
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _M:
    mention: Mention
    lang: str | None
    script: str
    base: str  # strong form (apostrophe suffix / elision / title removed)
    weak: list[str]  # forms accepted only on evidence
    key: str = ""  # phonetic key of ``base``
    tokens: list[str] = field(default_factory=list)  # phonetic keys of the tokens of ``base``
    ids: list[str] = field(default_factory=list)  # reference candidates, best first
    eid: str | None = None
    tail_word: str | None = None  # last word of a 2-word person mention that opens a sentence
    table: NameTable | None = None
    person: PersonName | None = None  # name parts of a PER mention
    ambiguous: bool = False  # a family name alone that fits several full names of its document

    def rebase(self, form: str) -> None:
        self.base = form
        # a surface with no letters or digits (rare NER noise) keeps its own text as key
        self.key = phon(form, self.lang) or unicodedata.normalize("NFKC", form).strip().casefold()
        toks = [phon(t, self.lang) for t in form.split()]
        self.tokens = [t for t in toks if t]
        if self.table is not None and self.mention.label == "PER":
            self.person = split_person(form, self.lang, self.table)
            if self.person is not None:
                # part keys: the same for every spelling of a part, in every script
                self.tokens = [*self.person.given, self.person.family]

    @property
    def cls(self) -> str:
        return "PER" if self.mention.label == "PER" else "NAM"

    def unknown_id(self) -> str:
        """Id of an entity nobody listed: from its name parts for a person, else from its key."""
        if self.person is not None and self.person.family:
            return person_id(self.person)
        return _unknown_id(self.mention.label, self.key)

    @property
    def is_person(self) -> bool:
        return self.mention.label == "PER"


def _unknown_id(label: str, key: str) -> str:
    """Stable id of an entity outside the reference tables: label class + phonetic key."""
    cls = "PER" if label == "PER" else "NAM"
    return "u:" + hashlib.blake2b(f"{cls}|{key}".encode(), digest_size=6).hexdigest()


def _mention_lang(doc: Doc, m: Mention) -> str | None:
    if 0 <= m.sent_idx < len(doc.sentences):
        lang = doc.sentences[m.sent_idx].lang
        if lang and lang != "und":
            return lang
    return doc.lang if doc.lang and doc.lang != "und" else None


def _prepare(doc: Doc, table: NameTable | None = None) -> list[_M]:
    out = []
    for m in doc.mentions:
        lang = _mention_lang(doc, m)
        script = script_of(m.surface)
        if script == "latin" and lang is None and any(c in m.surface for c in "şğıŞĞİ"):
            lang = "tr"
        base = clean_surface(m.surface, lang, m.label) or m.surface.strip()
        weak = weak_forms(base, lang, script, m.label)
        if m.label == "PER":
            # the person core may have cut a name that starts like a title ("البابا فرنسيس")
            full = clean_surface(m.surface, lang)
            if full and full != base:
                weak.insert(0, full)
        if _SPACED_DASH_RE.search(m.surface):
            # a dateline glued to the name: "HABERRUS – Milli Savunma Bakanı Hulusi Akar"
            for part in reversed(_SPACED_DASH_RE.split(m.surface)):
                for form in (clean_surface(part, lang), clean_surface(part, lang, "PER")):
                    if form and form != base and form not in weak:
                        weak.append(form)
        mm = _M(m, lang, script, base, weak, table=table)
        mm.rebase(base)
        toks = base.split()
        if (
            m.label == "PER"
            and len(toks) == 2
            and lang in ("tr", "az")
            and len(toks[0]) >= 5
            and toks[0].lower().endswith(_TR_CASE_ENDINGS)
            and _sentence_initial(doc, m)
        ):
            # "Görüşmede Akar": the capitalised first word of the sentence is an inflected noun
            mm.tail_word = toks[1]
        out.append(mm)
    return out


# locative/ablative/genitive/plural endings: rare at the end of a Turkish first name
_TR_CASE_ENDINGS = tuple("de da te ta den dan ten tan nin nın nun nün ler lar deki daki".split())
_SPACED_DASH_RE = re.compile(r"\s[-–—]\s")
_LEADING_PUNCT = " \t\r\n\"“”«»„'‘’`-–—:;()[]•*·"


def _sentence_initial(doc: Doc, m: Mention) -> bool:
    if 0 <= m.sent_idx < len(doc.sentences):
        start = doc.sentences[m.sent_idx].start
        if start <= m.start:
            return not doc.text[start : m.start].strip(_LEADING_PUNCT)
    return m.start == 0 or doc.text[max(0, m.start - 2) : m.start].strip(_LEADING_PUNCT) in ("", ".", "!", "?")


class _Registry:
    """Resolved mentions of a document or a batch, indexed for evidence look-ups."""

    def __init__(self) -> None:
        self.by_key: dict[str, set[str]] = {}
        self.token1: dict[str, set[str]] = {}  # first/last token of multi-token person names
        self.fullnames: dict[str, set[frozenset[str]]] = {}  # eid -> token sets
        self.skel: dict[str, set[str]] = {}

    def add(self, mm: _M) -> None:
        eid = mm.eid
        if not eid:
            return
        self.by_key.setdefault(mm.cls + "|" + mm.key, set()).add(eid)
        if mm.is_person and len(mm.tokens) >= 2:
            self.fullnames.setdefault(eid, set()).add(frozenset(mm.tokens))
            for pos, t in (("F|", mm.tokens[0]), ("L|", mm.tokens[-1])):
                if len(t) >= 2:
                    self.token1.setdefault(pos + t, set()).add(eid)
                    self.token1.setdefault(pos + "st:" + ru_stem(t), set()).add(eid)
        if mm.script == "latin":
            sk = skeleton(mm.base, mm.lang)
            if len(sk.replace(" ", "")) >= 4:
                self.skel.setdefault(sk, set()).add(eid)

    def partial(self, mm: _M, in_doc: bool = False) -> str | None:
        """Part of a person's name that belongs to exactly one full name seen here: a single token
        equal to its last token (Akar -> Hulusi Akar) or, within a document, its first token
        (Kang -> Kang Soon Nam), or several tokens that are all in it (Tayyip Erdoğan -> Recep
        Tayyip Erdoğan). Within a document, also a single word that NER did not tag PER."""
        if not mm.tokens or (not mm.is_person and not (in_doc and len(mm.tokens) == 1)):
            return None
        if len(mm.tokens) == 1:
            if mm.person is not None and mm.person.family:
                k = mm.person.family
                hit = set(self.token1.get("L|" + k, ()))
                if in_doc:
                    hit |= self.token1.get("F|" + k, set())
                if len(hit) == 1:
                    return next(iter(hit))
                if hit and in_doc:
                    mm.ambiguous = True  # Trump beside Donald and Melania Trump: keeps a family-only id
                if hit or mm.ambiguous:
                    return None
            for f in (mm.base, *mm.weak):
                k = phon(f, mm.lang)
                if mm.script == "cyrillic":
                    k = "st:" + ru_stem(k)
                hit = set(self.token1.get("L|" + k, ()))
                if in_doc:
                    hit |= self.token1.get("F|" + k, set())
                if len(hit) == 1:
                    return next(iter(hit))
            return None
        toks = set(mm.tokens)
        hits = {eid for eid, sets in self.fullnames.items() if any(len(s) > len(toks) and toks <= s for s in sets)}
        if len(hits) == 1:
            return next(iter(hits))
        if mm.tail_word:
            hit = set(self.token1.get("L|" + phon(mm.tail_word, mm.lang), ()))
            hit.discard(mm.eid)
            if len(hit) == 1:
                return next(iter(hit))
        return None

    def same_key(self, mm: _M, forms: Iterable[str]) -> str | None:
        for f in forms:
            hit = self.by_key.get(mm.cls + "|" + phon(f, mm.lang))
            if hit and len(hit) == 1:
                return next(iter(hit))
        return None

    def cross_script(self, mm: _M) -> str | None:
        """An Arabic/Cyrillic mention whose consonant skeleton matches one Latin name seen here."""
        if mm.script == "latin":
            return None
        sk = skeleton(mm.base, mm.lang)
        hit = self.skel.get(sk) if len(sk.replace(" ", "")) >= 4 else None
        return next(iter(hit)) if hit and len(hit) == 1 else None


def _pick(kb: KnowledgeBase, ids: list[str], countries: set[str]) -> str:
    """Among reference candidates, prefer a city of a country the document mentions."""
    if len(ids) > 1 and countries:
        first = kb.entities[ids[0]]
        if first.entity_id.startswith("geo:") and first.country not in countries:
            for i in ids[1:]:
                e = kb.entities[i]
                if e.entity_id.startswith("geo:") and e.country in countries:
                    return i
    return ids[0]


def _notable(e: Entity) -> bool:
    return not e.entity_id.startswith("geo:") or e.population >= BIG_CITY


def _reference_pass(kb: KnowledgeBase, mms: list[_M]) -> None:
    """Stage 1: look-ups in the reference tables (strong form, then weak forms)."""
    for mm in mms:
        ids = kb.lookup(mm.base, mm.lang, mm.mention.label, mm.script)
        if not ids:
            for w in mm.weak:
                ids = kb.lookup(w, mm.lang, mm.mention.label, mm.script)
                if ids and mm.script == "latin":
                    # a Turkish suffix cut off one word (Colani -> Cola) must land on something
                    # notable: a curated entity, a country/region or a big city
                    ids = [i for i in ids if _notable(kb.entities[i])]
                if ids:
                    mm.rebase(w)
                    break
        if not ids and mm.person is not None and mm.person.given:
            # a curated person by the identities of their parts (Сергей Кужугетович Шойгу)
            eid = kb.person_lookup(mm.person)
            ids = [eid] if eid else []
        mm.ids = ids
    countries = {mm.ids[0][4:] for mm in mms if mm.ids and mm.ids[0].startswith("iso:")}
    for mm in mms:
        if mm.ids:
            mm.eid = _pick(kb, mm.ids, countries)


def _local_unknowns(mms: list[_M], reg: _Registry) -> None:
    """Stage 2: unresolved full names become unknown entities of the document. A form with a
    suffix/clitic takes the key of the bare form when the document has it (Gülerin -> Güler)."""
    bare = {mm.key for mm in mms if not mm.eid}
    for mm in mms:
        if not mm.eid:
            for w in mm.weak:
                k = phon(w, mm.lang)
                if k in bare and k != mm.key:
                    mm.rebase(w)
                    break
    for mm in sorted(mms, key=lambda x: -len(x.tokens)):
        if mm.eid or len(mm.tokens) < 2:
            continue
        # a shorter person name may still belong to a longer one (stage 3)
        if mm.is_person and reg.partial(mm, in_doc=True):
            continue
        mm.eid = mm.unknown_id()
        reg.add(mm)


def _evidence_pass(mms: list[_M], reg: _Registry, in_doc: bool) -> None:
    """Stage 3: partial names, suffixed forms and cross-script names resolved on the evidence of
    the registry (the document's, then the batch's). In the document, remaining single words
    that are not persons become unknown entities afterwards."""
    for mm in mms:
        if mm.eid:
            continue
        eid = reg.partial(mm, in_doc=in_doc)
        if not eid and not mm.ambiguous:
            eid = reg.same_key(mm, mm.weak) or reg.cross_script(mm)
        if eid:
            mm.eid = eid
    if in_doc:
        _acronyms(mms)
        for mm in mms:
            if not mm.eid and not mm.is_person:
                mm.eid = _unknown_id(mm.mention.label, mm.key)
                reg.add(mm)


_ACRONYM_RE = re.compile(r"[A-ZА-ЯЁ][A-ZА-ЯЁ&]{1,7}")
_FUNCTION_WORDS = frozenset(
    "of the for and on in at to a an de du des la le les et pour sur en del y für und der die das von "
    "ve ile için и по для на в с о об".split()
)


def _initials(form: str) -> str:
    words = [w for w in re.split(r"[\s\-‐/]+", form) if w and w.casefold() not in _FUNCTION_WORDS]
    return "".join(w[0] for w in words).casefold()


def _acronyms(mms: list[_M]) -> None:
    """Within a document, an acronym and its expansion are one organisation (IRGC / Islamic Revolutionary
    Guard Corps, ОДКБ / Организация Договора о коллективной безопасности): the reference id of either
    wins, else the expansion's id. Persons are never part of it."""
    longs = [mm for mm in mms if not mm.is_person and mm.eid and len(mm.base.split()) >= 2]
    for mm in mms:
        if mm.is_person or not _ACRONYM_RE.fullmatch(mm.base):
            continue
        hits = {x.eid for x in longs if _initials(x.base) == mm.base.casefold().replace("&", "")}
        if len(hits) != 1:
            continue
        eid = next(iter(hits))
        if mm.eid and not mm.eid.startswith("u:"):
            for x in longs:  # the acronym is a reference entity: its expansion joins it
                if x.eid == eid and eid.startswith("u:"):
                    x.eid = mm.eid
        else:
            mm.eid = eid


def _cross_script_merge(mms: list[_M], reg: _Registry) -> None:
    """An unknown Arabic-script name whose consonant skeleton matches exactly one Latin-script name
    of the batch is that entity (أنطون كوني ~ Anton Quni): remap the document's mentions of it."""
    remap: dict[str, str] = {}
    for mm in mms:
        if mm.eid and mm.eid.startswith("u:") and mm.script != "latin" and mm.eid not in remap:
            hit = reg.cross_script(mm)
            if hit and hit != mm.eid:
                remap[mm.eid] = hit
    if remap:
        for mm in mms:
            if mm.eid in remap:
                mm.eid = remap[mm.eid]


def _final_pass(kb: KnowledgeBase, mms: list[_M], reg: _Registry) -> None:
    """Stage 4: unique curated family names (Putin, Erdoğan; also by name parts: Шойгу, شويغو), then unknown ids."""
    for mm in mms:
        if mm.eid or not mm.is_person or len(mm.tokens) != 1 or mm.ambiguous:
            continue
        for f in (mm.base, *mm.weak):
            eid = kb.surname_lookup(f, mm.lang, mm.script)
            if eid:
                mm.eid = eid
                break
        if not mm.eid and mm.person is not None:
            # a curated person's family name in any script (شويغو, Шойгу), when unique in the table
            mm.eid = kb.family_lookup(mm.person.family)
    for mm in mms:
        if mm.eid:
            continue
        eid = reg.same_key(mm, [mm.base])
        mm.eid = eid or mm.unknown_id()


def link_entities_batch(docs: list[Doc], kb: KnowledgeBase) -> list[Doc]:
    """Link all mentions of ``docs``. Each document is resolved on its own evidence and the reference data
    only, never on the other documents of its batch: an id does not depend on how a run was cut into batches
    (a rerun after a crash gives the same ids). Offsets and surfaces are never changed."""
    prepared = [_prepare(d, kb.names) for d in docs]
    for mms in prepared:
        _reference_pass(kb, mms)
        reg = _Registry()
        for mm in mms:
            reg.add(mm)
        _local_unknowns(mms, reg)
        _evidence_pass(mms, reg, in_doc=True)
        for mm in mms:
            if mm.eid:
                reg.add(mm)
        _cross_script_merge(mms, reg)
        _evidence_pass(mms, reg, in_doc=False)
        _final_pass(kb, mms, reg)
    names = _names(prepared)
    for mms in prepared:
        for mm in mms:
            m = mm.mention
            m.entity_id = mm.eid
            e = kb.entities.get(mm.eid) if mm.eid else None
            m.entity_name = e.name if e else names.get(mm.eid, mm.base)
            m.entity_norm = _normal_form(mm)
            m.family_id = _family_id(mm)
            m.alt_ids = _alt_ids(mm)
    return docs


def _alt_ids(mm: _M) -> tuple[str, ...]:
    """For a person whose id is made of a family part that a sound model read (``Knightley``, ``كالفرت``), the ids
    the other readings of that part would give, most probable first: the warehouse takes one of them when it is
    the id of a person named in a surer script in the corpus and no other is (view ``stg_alt_ids``). Then the
    person's skeleton ids (``s:``, :func:`~.parts.skeleton_ids`; an Arabic spelling's since ``link-2.8``), which the
    warehouse matches when no reading does."""
    p = mm.person
    if not mm.is_person or not mm.eid or p is None or not p.family_sound or mm.eid != person_id(p):
        return ()
    return other_ids(p) + skeleton_ids(p)


def _family_id(mm: _M) -> str | None:
    """For a person named by given and family name (``Silvio Berlusconi``, ``Donald Trump``), the id its family
    name alone gets (``Berlusconi``): the warehouse maps a family-only id to the one person of the corpus that
    has it (view ``stg_families``, docs/ENTITIES.md)."""
    p = mm.person
    if not mm.is_person or not mm.eid or p is None or not p.given or not p.family_sound:
        return None
    fid = family_id(p)
    return fid if fid != mm.eid else None


def _normal_form(mm: _M) -> str:
    """The surface's normal form for ``entity_aliases.norm``: a person's parts in their normal forms,
    anything else its cleaned form, lowercased (Arabic folded)."""
    if mm.is_person and mm.table is not None:
        return mm.table.normal_form(mm.base, mm.lang)
    base = _base_norm(mm.base).casefold()
    if mm.script == "cyrillic" and " " not in base:
        base = ru_oblique_lemma(base, ("Geox", "Orgn")) or base  # Москве -> москва
    return base or mm.mention.surface.casefold()


def _names(prepared: list[list[_M]]) -> dict[str, str]:
    """The name of an entity nobody listed: its most frequent full form in the batch (several words
    beat one word, then the count, then the longer form)."""
    counts: dict[str, Counter[str]] = {}
    for mms in prepared:
        for mm in mms:
            if mm.eid and mm.base:
                counts.setdefault(mm.eid, Counter())[mm.base] += 1
    return {
        eid: max(c.items(), key=lambda kv: (len(kv[0].split()) >= 2, kv[1], len(kv[0]), kv[0]))[0]
        for eid, c in counts.items()
    }


def link_entities(doc: Doc, kb: KnowledgeBase) -> Doc:
    """Set ``entity_id`` / ``entity_name`` on every mention of ``doc`` (offsets untouched)."""
    link_entities_batch([doc], kb)
    return doc


# -- known full names the model missed ------------------------------------------------------------

_WORD_RE = re.compile(r"\w+")
_AR_CLITICS = ("و", "ف", "ب", "ل", "ك")
MAX_NAME_TOKENS = 5


def _name_key(word: str) -> str:
    return _base_norm(word).casefold()


@functools.cache
def _known_names(kb: KnowledgeBase) -> dict[tuple[str, ...], str]:
    """Multi-word curated aliases (full names of people and organisations) -> label."""
    labels = {e.entity_id: e.label for e in kb.entities.values()}
    names: dict[tuple[str, ...], str] = {}
    for row in kb._people_aliases:  # noqa: SLF001 - the KB's own alias rows
        toks = tuple(_name_key(w) for w in _WORD_RE.findall(row["alias"]))
        if 2 <= len(toks) <= MAX_NAME_TOKENS and row["entity_id"] in labels:
            names.setdefault(toks, labels[row["entity_id"]])
    return names


@functools.cache
def _first_words(kb: KnowledgeBase) -> frozenset[str]:
    return frozenset(toks[0] for toks in _known_names(kb))


def known_name_mentions(doc: Doc, kb: KnowledgeBase) -> Doc:
    """Add a mention for every multi-word curated name (e.g. "خلوصي أكار", "Recep Tayyip Erdoğan") that the
    statistical model missed, in any script; an Arabic clitic on the first word stays outside the span.
    Single words are never matched here (too ambiguous): the linker's partial-name rules cover them."""
    names = _known_names(kb)
    firsts = _first_words(kb)
    taken = [(m.start, m.end) for m in doc.mentions]
    added = []
    for sent in doc.sentences:
        words = [
            (m.start() + sent.start, m.end() + sent.start, _name_key(m.group())) for m in _WORD_RE.finditer(sent.text)
        ]
        i = 0
        while i < len(words):
            hit = None
            first = words[i][2]
            if first not in firsts and first[1:] not in firsts:  # cheap pre-check: no name starts here
                i += 1
                continue
            for n in range(min(MAX_NAME_TOKENS, len(words) - i), 1, -1):
                key = tuple(w[2] for w in words[i : i + n])
                start = words[i][0]
                if key not in names and key[0][:1] in _AR_CLITICS and len(key[0]) > 3:
                    key, start = (key[0][1:], *key[1:]), start + 1
                if key in names:
                    hit = (start, words[i + n - 1][1], names[key], n)
                    break
            if hit and not any(s < hit[1] and hit[0] < e for s, e in taken):
                start, end, label, n = hit
                added.append(Mention(sent.idx, start, end, doc.text[start:end], label, score=0.6))
                taken.append((start, end))
                i += n
            else:
                i += 1
    if added:
        doc.mentions = sorted(doc.mentions + added, key=lambda m: m.start)
    return doc
