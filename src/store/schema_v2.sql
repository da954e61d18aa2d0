-- Schema version 2: identity keys are numbered once, so that people are
-- worked out over integers at every recomputation instead of over 64-
-- character hashes.

-- Every identity key ever seen (HMAC-SHA256, hex) and its number, never
-- changed; a key first loaded later gets a larger number.
CREATE SEQUENCE IF NOT EXISTS identity_key_no START 1;
CREATE TABLE IF NOT EXISTS identity_keys (
    key VARCHAR PRIMARY KEY,
    key_no BIGINT NOT NULL DEFAULT nextval('identity_key_no')
);

-- The numbers of a row's keys, filled by the first recomputation after
-- the row is loaded.
ALTER TABLE job_seekers ADD COLUMN id_no BIGINT;
ALTER TABLE job_seekers ADD COLUMN name_no BIGINT;

-- People: the keys of current rows whose person is not the key itself
-- (a key linked to an older key). Any other key is a person of its own
-- whose id is the key's number. Rewritten by each recomputation.
CREATE TABLE IF NOT EXISTS persons (
    key_no BIGINT NOT NULL,
    person_id BIGINT NOT NULL
);

-- Person ids are now the smallest key number of each group.
DROP TABLE IF EXISTS person_keys;

-- The rows have no key numbers yet: the next run recomputes the figures,
-- which numbers them.
UPDATE state SET version = version + 1;
