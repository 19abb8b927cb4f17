"""Constants of the stories stage: versions, near-duplicate parameters, document state, the pair model."""

from __future__ import annotations

import numpy as np

# stories-6: the encoder reads 96 tokens (64 before; its graph a third cheaper: plain Add + LayerNormalization in
# place of the fused SkipLayerNormalization, activation ranges recalibrated), the pair model refitted;
# stories-5: the encoder quantizes activations with fixed scales (a document's vectors no longer depend on its
# batch), the pair model refitted on them; stories-4: multilingual-e5-small vectors (in place of USE), the pair
# model refitted on them; stories-3: pair similarity fitted on human-labelled pairs (title and lead vectors,
# lexical score), near duplicates must also be the same story; stories-2: faster shingle and MinHash hashes
STORIES_VERSION = "stories-6"
EMBED_VERSION = "stories-6"  # the document vectors (doc_embeddings.stories_version): [lead | title], 768 floats

# near duplicates
SHINGLE_K = 4
NUM_PERM = 64
LSH_BANDS = 16  # x 4 rows: a pair with Jaccard 0.5 shares a bucket with probability 0.65, 0.7 with 0.98
DUP_OVERLAP = 0.8
DUP_JACCARD = 0.5

# stories: document state
EMBED_DIM = 384  # one multilingual-e5-small vector; a document's is [lead | title]
EMBED_CHARS = 500  # title + lead sentences fed to the encoder, per document
EMBED_TOKENS = 96  # ... of which the encoder reads this many tokens (its cost is about linear in them: bench/stories.py --encoders)
EMBED_SENT_CHARS = 240  # one segment at most
LEAD_SENTENCES = 6
LEX_CHARS = 1500  # characters of the text whose 3-grams make the lexical vector
LEX_N = 3
LEX_DIM = 1024
CHUNK_DOCS = 1000  # new documents featurized and assigned at a time (their shingle sets are the big part)
BLOCK_DOCS = 128  # new documents whose cosines with the pool are one matrix product
WINDOW_DAYS = 3
ENTITY_SUPPORT = 2  # shared entities needed for full entity evidence
ENTITY_MIN = 2  # linked entities each document needs for entity evidence to count (else 0)

# stories: the pair model (bench/stories.py --fit, on the tuning half of the labelled pairs)
PAIR_FEATURES = (
    "lead", "title", "lexical", "lead^2", "title^2", "lexical^2",
    "cross_language", "cross_language*lead", "cross_language*title", "cross_language*lexical", "entities",
)  # fmt: skip
PAIR_WEIGHTS = np.array(
    [0.6924, 0.4631, 0.3763, 1.1660, 0.8014, -0.1905, -0.1602, 0.1592, 0.1360, 0.1830, 0.0898]
)  # ridge (penalty by cross-validation): e5 cosines run in ~[0.7, 1], nearly collinear terms
PAIR_BIAS = -2.1250
STORY_THRESHOLD = 0.515  # pair similarity to join a story (best smoothed same-story F1 on the tuning half)
# a near duplicate is the same story too (else: two stories sharing boilerplate or a template): titles that agree
DUP_TITLE_MIN = 0.89  # title cosine (e5 cosines run high: ~6% of different-story titles reach it, as 0.5 did with USE)
DUP_MIN_SIMILARITY = 0.35  # pair similarity, when either has none
