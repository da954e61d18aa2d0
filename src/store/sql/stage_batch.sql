-- Staging tables for a group of loaded files (see apply_batch.sql).
CREATE TEMP TABLE IF NOT EXISTS stage_inbox (path VARCHAR, size BIGINT, modified TIMESTAMP, sha256 VARCHAR);
CREATE TEMP TABLE IF NOT EXISTS stage_messages (
    id VARCHAR, kind VARCHAR, recipient VARCHAR, subject VARCHAR, eml_path VARCHAR, about VARCHAR, failed VARCHAR
);
