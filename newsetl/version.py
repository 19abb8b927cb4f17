"""The pipeline version: every stage's own version, stored with each document row.

A document is skipped on a later run only when its raw bytes *and* this version are unchanged, so a
new cleaner or model reprocesses everything it affects.
"""

from __future__ import annotations

from tasks.clean import CLEAN_VERSION
from tasks.enrich.langid import LANGID_VERSION
from tasks.enrich.link import LINK_VERSION
from tasks.enrich.ner import NER_VERSION
from tasks.extract import EXTRACT_VERSION
from tasks.segment import SEGMENT_VERSION

STAGE_VERSIONS = {
    "extract": EXTRACT_VERSION,
    "clean": CLEAN_VERSION,
    "segment": SEGMENT_VERSION,
    "langid": LANGID_VERSION,
    "ner": NER_VERSION,
    "link": LINK_VERSION,
}
PIPELINE_VERSION = ";".join(f"{k}={v}" for k, v in STAGE_VERSIONS.items())
