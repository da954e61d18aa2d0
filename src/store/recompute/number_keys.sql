-- Numbers the identity keys of rows that have none: rows loaded by a
-- version that numbered keys at the recomputation (loads now number them,
-- `store::keys`). A key seen for the first time gets a number after every
-- existing one (the largest plus one: loads give numbers themselves, so the
-- table's sequence is behind), a key seen before keeps its own. Then the
-- rows carry the numbers, so that people are worked out over integers. Run
-- only when some row has no number yet.
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
