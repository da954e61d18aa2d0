-- Schema version 5: identity keys are numbered as rows are loaded, by the
-- one process that writes (`store::keys`, which gives a key one number and
-- never gives a number twice), instead of by the recomputation. The
-- table's primary key goes: keeping its index up to date was most of the
-- cost of numbering a ten-year load's keys. So does the sequence: numbers
-- follow the largest one given.
CREATE TABLE identity_keys_v5 (
    key VARCHAR NOT NULL,
    key_no BIGINT NOT NULL
);
INSERT INTO identity_keys_v5 SELECT key, key_no FROM identity_keys ORDER BY key_no;
DROP TABLE identity_keys;
ALTER TABLE identity_keys_v5 RENAME TO identity_keys;
DROP SEQUENCE IF EXISTS identity_key_no;
