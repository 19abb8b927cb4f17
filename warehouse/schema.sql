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
    family_id  VARCHAR,           -- PER named by given + family name: the id of its family name alone (linker)
    alt_ids    VARCHAR[],         -- unknown PER: its id under the other readings of its family name (linker)
    PRIMARY KEY (doc_id, start_char, end_char)
);

ALTER TABLE mentions ADD COLUMN IF NOT EXISTS family_id VARCHAR;  -- warehouses made before link-2.3
ALTER TABLE mentions ADD COLUMN IF NOT EXISTS alt_ids VARCHAR[];  -- warehouses made before link-2.4

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
    norm      VARCHAR,  -- normal form: Russian nominative, no Turkish suffix/Arabic clitic, lowercase (linker)
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

ALTER TABLE inputs ADD COLUMN IF NOT EXISTS file_stamp VARCHAR;  -- warehouses made before 0.5.0

-- Every version of every source (docs/VERSIONS.md): a source (inputs.source_uri) has one current version,
-- the one inputs points to; a new version starts when its raw input changed and yielded another article text
-- or another title, date, author or site; earlier versions stay here with is_current = false.
-- documents holds the articles that are some source's current version; its per-source columns (source_uri,
-- title, published_at, site, author, raw_hash, media_type, fetched_at) are those of the current version of
-- its earliest source (first seen), the representative.
CREATE TABLE IF NOT EXISTS document_versions (
    source_uri       VARCHAR NOT NULL,
    version          INTEGER NOT NULL,     -- 1, 2, ... per source
    doc_id           VARCHAR NOT NULL,     -- the article of this version (documents.doc_id while current)
    raw_hash         VARCHAR NOT NULL,
    title            VARCHAR,
    published_at     TIMESTAMPTZ,
    site             VARCHAR,
    author           VARCHAR,
    media_type       VARCHAR,
    fetched_at       TIMESTAMPTZ,
    text             VARCHAR,              -- kept once no current version has this doc_id (documents row gone)
    is_current       BOOLEAN NOT NULL,
    valid_from       TIMESTAMPTZ NOT NULL, -- loaded at
    valid_to         TIMESTAMPTZ,          -- superseded at (NULL while current)
    pipeline_version VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    PRIMARY KEY (source_uri, version)
);

-- Warehouses made before versions: each input becomes its source's current version; a document that no input
-- points to any more but whose source_uri has another article from other bytes (an edit loaded as a second
-- document) becomes an earlier version of that source, and leaves documents.
INSERT INTO document_versions BY NAME
WITH todo AS (
    SELECT * FROM inputs WHERE source_uri NOT IN (SELECT source_uri FROM document_versions)
),
earlier AS (
    SELECT d.source_uri, d.doc_id, d.raw_hash, d.title, d.published_at, d.site, d.author, d.media_type,
        d.fetched_at, d.text, false AS is_current, d.loaded_at AS valid_from, d.pipeline_version, d.run_id
    FROM documents AS d
    JOIN todo AS i ON i.source_uri = d.source_uri AND i.doc_id <> d.doc_id AND i.raw_hash <> d.raw_hash
    WHERE d.doc_id NOT IN (SELECT doc_id FROM inputs)
),
now_current AS (
    SELECT i.source_uri, i.doc_id, i.raw_hash, d.title, d.published_at, d.site, d.author, d.media_type,
        d.fetched_at, NULL::VARCHAR AS text, true AS is_current, coalesce(d.loaded_at, i.seen_at) AS valid_from,
        i.pipeline_version, i.run_id
    FROM todo AS i
    LEFT JOIN documents AS d USING (doc_id)
),
every AS (
    SELECT * FROM earlier UNION ALL SELECT * FROM now_current
)
SELECT
    *,
    row_number() OVER (PARTITION BY source_uri ORDER BY is_current, valid_from, doc_id)::INTEGER AS version,
    lead(valid_from) OVER (PARTITION BY source_uri ORDER BY is_current, valid_from, doc_id) AS valid_to
FROM every;

DELETE FROM blocks WHERE doc_id IN (
    SELECT doc_id FROM document_versions WHERE NOT is_current AND doc_id NOT IN (SELECT doc_id FROM inputs)
);
DELETE FROM sentences WHERE doc_id IN (
    SELECT doc_id FROM document_versions WHERE NOT is_current AND doc_id NOT IN (SELECT doc_id FROM inputs)
);
DELETE FROM mentions WHERE doc_id IN (
    SELECT doc_id FROM document_versions WHERE NOT is_current AND doc_id NOT IN (SELECT doc_id FROM inputs)
);
DELETE FROM documents WHERE doc_id IN (
    SELECT doc_id FROM document_versions WHERE NOT is_current AND doc_id NOT IN (SELECT doc_id FROM inputs)
);

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
