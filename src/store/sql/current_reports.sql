-- Every current job-seeker row as integers: key, packed report, the numbers of its four scopes.
SELECT coalesce(id_no, name_no), report, innovation_no::BIGINT, departement_no::BIGINT,
       period_no::BIGINT, structure_no::BIGINT
FROM seeker_rows
