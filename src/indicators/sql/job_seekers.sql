-- job_seekers: distinct people over all current rows (a person counted once
-- per scope). Input: latest (each person's latest report per scope, tallied
-- in `people`). Output: scope_kind, scope, value, people.
SELECT scope_kind, scope, sum(people) AS value, sum(people) AS people
FROM latest
GROUP BY ALL
