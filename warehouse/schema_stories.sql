-- Stories and duplicates (tasks/stories/). Executed after schema.sql by warehouse.db.init_schema.
-- Every row is keyed by the document it is about, so a rerun of update_stories adds no row.

-- A document whose text is (nearly) the same as an earlier one. duplicate_of is the earliest document
-- of the group (never itself a duplicate); similarity is the overlap coefficient of their word
-- 4-gram shingle sets, |A n B| / min(|A|, |B|), 1.0 for the same normalised text.
CREATE TABLE IF NOT EXISTS duplicates (
    doc_id       VARCHAR PRIMARY KEY,
    duplicate_of VARCHAR NOT NULL,
    similarity   DOUBLE NOT NULL
);

-- Articles about the same event, across languages. story_id is the doc_id of the story's first
-- document; score is the evidence that joined the document to the story (1.0 for the first one).
CREATE TABLE IF NOT EXISTS stories (
    story_id VARCHAR NOT NULL,
    doc_id   VARCHAR PRIMARY KEY,
    score    DOUBLE NOT NULL
);

-- Per-document state, so a new document is compared with the stored ones instead of recomputing the
-- corpus: MinHash signature, sentence embeddings (USE multilingual v3: lead, then title), the lexical
-- vector (hashed character 3-grams) and linked entities.
CREATE TABLE IF NOT EXISTS doc_signatures (
    doc_id          VARCHAR PRIMARY KEY,
    day             DATE,            -- the date of the story window: published_at, else fetched_at
    n_shingles      INTEGER NOT NULL,
    minhash         UINTEGER[] NOT NULL,
    embedding       FLOAT[] NOT NULL,  -- [lead (512) | title (512)]
    entities        VARCHAR[] NOT NULL,
    stories_version VARCHAR NOT NULL,
    computed_at     TIMESTAMPTZ NOT NULL
);
-- added with stories-3 (a warehouse made before gets them here; its rows are recomputed, being of stories-2)
ALTER TABLE doc_signatures ADD COLUMN IF NOT EXISTS day_source VARCHAR;  -- 'published' or 'fetched': which date day is
ALTER TABLE doc_signatures ADD COLUMN IF NOT EXISTS lang VARCHAR;
ALTER TABLE doc_signatures ADD COLUMN IF NOT EXISTS lexical FLOAT[];    -- character 3-grams, 1,024 signed hashed dimensions

-- The document vectors of the stories (USE multilingual v3: [lead | title]), computed by the ingest
-- workers with the other CPU stages and loaded with the document's other rows (lake/doc_embeddings).
CREATE TABLE IF NOT EXISTS doc_embeddings (
    doc_id          VARCHAR PRIMARY KEY,
    embedding       FLOAT[] NOT NULL,
    stories_version VARCHAR NOT NULL  -- tasks.stories.EMBED_VERSION
);

-- LSH buckets of the MinHash signatures (one row per band): candidate near-duplicates share a bucket.
CREATE TABLE IF NOT EXISTS doc_lsh (
    bucket BIGINT NOT NULL,
    doc_id VARCHAR NOT NULL,
    PRIMARY KEY (bucket, doc_id)
);
