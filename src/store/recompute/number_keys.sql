-- Numbers the identity keys of the rows loaded since the last
-- recomputation: a key seen for the first time gets a number after every
-- existing one, a key seen before keeps its own. Then the rows carry the numbers, so that people
-- are worked out over integers. Run only when some row has no number yet.
INSERT INTO identity_keys (key)
SELECT key FROM (
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
