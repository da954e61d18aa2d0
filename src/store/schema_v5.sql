-- Schema version 5: identity keys are numbered as rows are loaded, by the
-- one process that writes (`store::keys`, which gives a key one number and
-- never gives a number twice), instead of by the recomputation; rows keep
-- their keys' numbers only (`identity_keys` says which key a number is).
-- Numbering afterwards (two UPDATEs over every new row, an index on the
-- keys) and storing every row's two 64-character keys were a third of a
-- ten-year load's database time.

-- Rows an older version loaded without numbers are numbered first: a key
-- seen for the first time gets a number after every existing one.
INSERT INTO identity_keys (key, key_no)
SELECT key, (SELECT coalesce(max(key_no), 0) FROM identity_keys) + row_number() OVER (ORDER BY key)
FROM (
    SELECT key_id AS key FROM job_seekers WHERE id_no IS NULL AND key_id IS NOT NULL
    UNION
    SELECT key_name FROM job_seekers WHERE name_no IS NULL AND key_name IS NOT NULL
)
WHERE key NOT IN (SELECT key FROM identity_keys);
UPDATE job_seekers SET id_no = k.key_no
FROM identity_keys k
WHERE job_seekers.id_no IS NULL AND job_seekers.key_id = k.key;
UPDATE job_seekers SET name_no = k.key_no
FROM identity_keys k
WHERE job_seekers.name_no IS NULL AND job_seekers.key_name = k.key;

ALTER TABLE job_seekers DROP COLUMN key_id;
ALTER TABLE job_seekers DROP COLUMN key_name;

-- Without its primary key, whose index was most of numbering's cost, and
-- without the sequence: numbers follow the largest one given.
CREATE TABLE identity_keys_v5 (
    key VARCHAR NOT NULL,
    key_no BIGINT NOT NULL
);
INSERT INTO identity_keys_v5 SELECT key, key_no FROM identity_keys ORDER BY key_no;
DROP TABLE identity_keys;
ALTER TABLE identity_keys_v5 RENAME TO identity_keys;
DROP SEQUENCE IF EXISTS identity_key_no;
