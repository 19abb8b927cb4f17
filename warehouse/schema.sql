-- newsetl warehouse schema. One row per thing; offsets are code-point offsets into documents.text,
-- so that substring(text, start_char + 1, end_char - start_char) = surface.
-- Idempotence: every data table has a primary key; the loader replaces a batch's documents in one
-- transaction (delete + insert), so re-running anything never duplicates a row.

CREATE TABLE IF NOT EXISTS documents (
    doc_id           VARCHAR PRIMARY KEY,  -- first 16 hex chars of content_hash
    source_uri       VARCHAR NOT NULL,
    title            VARCHAR,
    published_at     TIMESTAMPTZ,
    site             VARCHAR,
    author           VARCHAR,
    lang             VARCHAR NOT NULL,     -- ISO 639-1, or 'und'
    lang_score       DOUBLE,
    text             VARCHAR NOT NULL,     -- the article only, NFC
    content_hash     VARCHAR NOT NULL,     -- sha256 of text
    raw_hash         VARCHAR NOT NULL,     -- sha256 of the raw input bytes
    media_type       VARCHAR NOT NULL,     -- 'text' | 'html'
    n_chars          INTEGER NOT NULL,
    n_sentences      INTEGER NOT NULL,
    n_mentions       INTEGER NOT NULL,
    fetched_at       TIMESTAMPTZ,
    pipeline_version VARCHAR NOT NULL,
    batch_key        VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    loaded_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS blocks (
    doc_id    VARCHAR NOT NULL,
    block_idx INTEGER NOT NULL,
    kind      VARCHAR NOT NULL,  -- body | title | ad | related | comment | cookie | nav | other
    text      VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, block_idx)
);

CREATE TABLE IF NOT EXISTS sentences (
    doc_id     VARCHAR NOT NULL,
    sent_idx   INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char   INTEGER NOT NULL,
    text       VARCHAR NOT NULL,
    lang       VARCHAR NOT NULL,
    lang_score DOUBLE,
    PRIMARY KEY (doc_id, sent_idx)
);

CREATE TABLE IF NOT EXISTS mentions (
    doc_id     VARCHAR NOT NULL,
    sent_idx   INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char   INTEGER NOT NULL,
    surface    VARCHAR NOT NULL,
    label      VARCHAR NOT NULL,  -- PER | ORG | LOC | MISC
    entity_id  VARCHAR,
    score      DOUBLE,
    PRIMARY KEY (doc_id, start_char, end_char)
);

CREATE TABLE IF NOT EXISTS entities (
    entity_id   VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    label       VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,  -- reference table it came from, or 'discovered'
    external_id VARCHAR            -- Wikidata QID, GeoNames id, ISO 3166 code
);

CREATE TABLE IF NOT EXISTS entity_aliases (
    entity_id VARCHAR NOT NULL,
    alias     VARCHAR NOT NULL,
    lang      VARCHAR NOT NULL,
    PRIMARY KEY (entity_id, alias, lang)
);

CREATE TABLE IF NOT EXISTS rejects (
    source_uri  VARCHAR PRIMARY KEY,  -- latest verdict per input; fixed inputs leave this table
    reason      VARCHAR NOT NULL,     -- short code: empty | binary | undecodable | too_large | no_text | ...
    detail      VARCHAR,
    run_id      VARCHAR NOT NULL,
    rejected_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id           VARCHAR PRIMARY KEY,
    flow_run_id      VARCHAR,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    status           VARCHAR NOT NULL,  -- running | completed | failed | interrupted (killed)
    n_seen           INTEGER,
    n_loaded         INTEGER,
    n_skipped        INTEGER,
    n_rejected       INTEGER,
    pipeline_version VARCHAR,
    sources          VARCHAR,
    stage_seconds    VARCHAR            -- JSON: wall seconds per stage, summed over batches
);

-- Every input that became a document (or a duplicate of one): the incremental skip set, and lineage.
CREATE TABLE IF NOT EXISTS inputs (
    source_uri       VARCHAR PRIMARY KEY,
    raw_hash         VARCHAR NOT NULL,  -- sha256 of the input bytes
    file_stamp       VARCHAR,           -- size:mtime_ns:ctime_ns of a local file (unchanged while this is)
    doc_id           VARCHAR NOT NULL,  -- the document it became (inputs with the same article share one)
    pipeline_version VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    seen_at          TIMESTAMPTZ NOT NULL
);

ALTER TABLE inputs ADD COLUMN IF NOT EXISTS file_stamp VARCHAR;  -- warehouses made before session 6

-- Which lake batches are in the warehouse (resume after a crash loads the written-but-unloaded ones).
CREATE TABLE IF NOT EXISTS batches (
    batch_key VARCHAR PRIMARY KEY,
    run_id    VARCHAR NOT NULL,
    n_docs    INTEGER NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- Sources (tasks/extract): inputs that are not articles (a WARC's requests, images...) are counted per run.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS n_ignored INTEGER;

-- What was fetched over HTTP, per canonical URL: the validators of a conditional GET (an unchanged feed costs one
-- 304), what the URL turned out to be, and for a feed or sitemap the articles it listed (re-read after a 304).
-- Also WARC and record files read whole: their file stamp, so that an unchanged one is not read again.
CREATE TABLE IF NOT EXISTS fetch_state (
    url           VARCHAR PRIMARY KEY,  -- canonical: scheme/host lower-cased, default port, fragment, utm_* gone
    kind          VARCHAR NOT NULL,     -- page | feed | sitemap | sitemap-index | warc | records
    etag          VARCHAR,              -- the ETag; for a file: its stamp and the pipeline version that read it
    last_modified VARCHAR,              -- the Last-Modified header, as sent
    status        INTEGER,              -- HTTP status of the last fetch (304: unchanged)
    canonical_url VARCHAR,              -- a page's <link rel=canonical>
    items         VARCHAR,              -- feed/sitemap: JSON list of its entries; file: {"records": n}
    fetched_at    TIMESTAMPTZ,          -- last 200
    checked_at    TIMESTAMPTZ NOT NULL  -- last request of any outcome
);
