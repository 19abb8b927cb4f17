"""Entity linking: give every NER mention a stable ``entity_id`` and a canonical ``entity_name``.

A component over a :class:`~newsetl.doc.Doc` (``link_entities``) or a batch of them
(``link_entities_batch``), with the reference data loaded once per process (``KnowledgeBase.load``).

* ``names.py``: normal forms and look-up keys of a surface (titles, suffixes, clitics, scripts);
* ``parts.py``: name parts of persons (given, family, patronymic) and their identities across scripts,
  from the compact table ``seeds/name_parts.parquet`` built by ``tools/build_names.py``;
* ``kb.py``: the reference entities (curated people/organisations, places) and their indexes;
* ``translit.py``: sound keys of name parts (one key space for all scripts; the models of ``models/translit/``);
* ``resolve.py``: choosing an id for each mention (reference, document and batch evidence, name parts).

See ``docs/ENTITIES.md`` (Linking) for how ids are made.
"""

from __future__ import annotations

from .kb import (
    BIG_CITY,
    PEOPLE_ORGS_FILE,
    PLACE_ALIASES_FILE,
    PLACE_INDEX_FILE,
    PLACES_FILE,
    Entity,
    KnowledgeBase,
)
from .names import KEY_VERSION, alias_keys, arabic_norm, clean_surface, fold, phon, ru_stem, script_of, skeleton
from .resolve import known_name_mentions, link_entities, link_entities_batch

LINK_VERSION = "link-2.8"

__all__ = [
    "BIG_CITY",
    "KEY_VERSION",
    "LINK_VERSION",
    "PEOPLE_ORGS_FILE",
    "PLACES_FILE",
    "PLACE_ALIASES_FILE",
    "PLACE_INDEX_FILE",
    "Entity",
    "KnowledgeBase",
    "alias_keys",
    "arabic_norm",
    "clean_surface",
    "fold",
    "known_name_mentions",
    "link_entities",
    "link_entities_batch",
    "phon",
    "ru_stem",
    "script_of",
    "skeleton",
]
