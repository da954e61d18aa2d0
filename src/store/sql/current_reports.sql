-- Every current job-seeker row as integers: key, packed report, the numbers
-- of its scopes (`identity::SCOPE_KINDS`, national excepted).
SELECT coalesce(id_no, name_no), report, innovation_no::BIGINT, departement_no::BIGINT,
       structure_no::BIGINT, period_no::BIGINT, innovation_period_no::BIGINT,
       departement_period_no::BIGINT, departement_innovation_no::BIGINT,
       structure_period_no::BIGINT
FROM seeker_rows
