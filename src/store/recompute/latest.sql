-- latest: each person's latest report within each scope, tallied. One row
-- per (scope, what the latest report says); `people` is how many people's
-- latest report in that scope says it. The indicators read this table.
-- A person is the group of their keys (`persons`; a key absent from it is a
-- person of its own, with the key's number as id).
CREATE OR REPLACE TEMP TABLE latest AS
WITH seeker AS (
    SELECT coalesce(p.person_id, r.key_no) AS person_id, r.*
    FROM (SELECT coalesce(id_no, name_no) AS key_no, * FROM seeker_rows) r
    LEFT JOIN persons p ON p.key_no = r.key_no
),
last AS (
    SELECT coalesce(innovation_no, departement_no, period_no, structure_no, 0) AS scope_no,
           max(report) AS report
    FROM seeker
    GROUP BY GROUPING SETS ((person_id), (person_id, innovation_no), (person_id, departement_no),
                            (person_id, period_no), (person_id, structure_no))
),
tally AS (
    SELECT scope_no, report & 4095 AS says, count(*) AS people
    FROM last
    GROUP BY ALL
)
SELECT s.scope_kind, s.scope,
       (says >> 2)::INTEGER AS unemployment_months,
       (says & 2) <> 0 AS is_exit,
       (says & 1) <> 0 AS is_employment,
       people
FROM tally JOIN scopes s USING (scope_no);
