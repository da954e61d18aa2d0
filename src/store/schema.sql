-- Schema of the essaim database, version 1.
-- Purpose: the history of every file, run and rejection, and the accepted
-- records of every file, keyed so that figures can always be recomputed.
-- Identities appear only as keyed hashes (HMAC-SHA256, hex).

CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    applied_at TIMESTAMP NOT NULL
);

-- One row per run of `run`, `reimport` or a scheduled job.
CREATE TABLE IF NOT EXISTS runs (
    id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,            -- run | reimport
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome VARCHAR,                  -- ok | rows_rejected | file_rejected | failed
    files_seen INTEGER,
    files_new INTEGER,
    rows_accepted INTEGER,
    rows_rejected INTEGER,
    note VARCHAR
);

-- Every distinct file ever received (by content), with its outcome.
CREATE TABLE IF NOT EXISTS files (
    sha256 VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    format VARCHAR,
    structure VARCHAR,
    innovation VARCHAR,
    period VARCHAR,
    period_end DATE,
    received_at TIMESTAMP NOT NULL,   -- modification time when first seen
    run_id BIGINT NOT NULL,
    verdict VARCHAR NOT NULL,         -- accepted | rows_rejected | file_rejected
    reason VARCHAR,
    rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    declared_professionals INTEGER,
    archive_path VARCHAR,
    purged_at TIMESTAMP
);

-- The tables a file carries (a workbook all its sheets, a CSV its one).
CREATE TABLE IF NOT EXISTS file_tables (
    sha256 VARCHAR NOT NULL,
    tbl VARCHAR NOT NULL,
    PRIMARY KEY (sha256, tbl)
);

-- What the inbox held: lets an unchanged inbox be recognised without
-- reading any file again.
CREATE TABLE IF NOT EXISTS inbox_seen (
    path VARCHAR PRIMARY KEY,
    size BIGINT NOT NULL,
    modified TIMESTAMP NOT NULL,
    sha256 VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS rejections (
    sha256 VARCHAR NOT NULL,
    sheet VARCHAR,
    row_number INTEGER,
    col VARCHAR,
    header VARCHAR,
    value VARCHAR,                    -- '***' for identity columns
    reason VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS job_seekers (
    sha256 VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    key_id VARCHAR,                   -- HMAC of the identifier
    key_name VARCHAR,                 -- HMAC of surname + first name + birth date
    sex VARCHAR,
    postal_code VARCHAR NOT NULL,
    entry DATE NOT NULL,
    unemployment_months INTEGER NOT NULL,
    education VARCHAR,
    situation VARCHAR NOT NULL,
    exit_date DATE,
    is_exit BOOLEAN NOT NULL,
    is_employment BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS companies (
    sha256 VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    siret VARCHAR,                    -- 14 digits, NULL when only the SIREN is known
    siren VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    counts_as_company BOOLEAN NOT NULL,
    engagement VARCHAR NOT NULL,
    postal_code VARCHAR,
    hires INTEGER
);

CREATE TABLE IF NOT EXISTS professionals (
    sha256 VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    key VARCHAR NOT NULL,             -- HMAC of surname + first name + organisation
    function VARCHAR
);

-- Person ids, stable across runs: a key keeps the id it was first given.
CREATE TABLE IF NOT EXISTS person_keys (
    key VARCHAR PRIMARY KEY,
    person_id BIGINT NOT NULL
);

-- Monotonic counter of loaded state; indicators remember which they reflect.
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL,
    indicators_version BIGINT NOT NULL
);

-- The figures of each recomputation, kept as history.
CREATE TABLE IF NOT EXISTS indicator_values (
    run_id BIGINT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    indicator VARCHAR NOT NULL,
    scope_kind VARCHAR NOT NULL,      -- national | innovation | departement | period | structure | duration
    scope VARCHAR NOT NULL,
    value DOUBLE,
    people BIGINT                     -- how many people the cell covers (small-count suppression)
);

-- Operators' manual re-imports.
CREATE TABLE IF NOT EXISTS reimports (
    run_id BIGINT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    scope VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    dry_run BOOLEAN NOT NULL
);

-- Every e-mail composed, with its delivery state. The body is kept as an
-- .eml file under data/messages/; the Message-ID is stable across retries.
CREATE TABLE IF NOT EXISTS messages (
    id VARCHAR PRIMARY KEY,           -- Message-ID without angle brackets
    kind VARCHAR NOT NULL,            -- digest | feedback | alert
    recipient VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    state VARCHAR NOT NULL,           -- pending | sending | sent | failed
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP,
    last_error VARCHAR,
    sent_at TIMESTAMP,
    eml_path VARCHAR NOT NULL
);

-- Each digest composed, and the recomputation it showed (for "change since
-- the previous digest").
CREATE TABLE IF NOT EXISTS digests (
    id BIGINT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    figures_run_id BIGINT,           -- indicator_values.run_id shown
    last_run_id BIGINT NOT NULL       -- files up to this run are covered
);
