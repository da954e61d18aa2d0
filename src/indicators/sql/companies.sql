-- companies: distinct SIREN having at least one current company row of type
-- Entreprise or Partenaire privé, in every scope of `file_scopes` (0 in a
-- scope whose current companies are all of other types).
-- Inputs: current_companies, file_scopes. Output: scope_kind, scope, value,
-- people (NULL).
-- Over integers: each current file's distinct SIRENs by their 64-bit hash
-- (NULL for a row that does not count; a collision among 10^5 SIRENs has
-- odds of 10^-9), counted per numbered scope, then the scopes named. The
-- same count over the scoped rows' text (`current_companies_scoped`, eight
-- rows a company) was the recomputation's largest statement.
WITH scoped AS (
    SELECT file_no, scope_kind, scope, dense_rank() OVER (ORDER BY scope_kind, scope) AS scope_no
    FROM file_scopes
),
firms AS (
    SELECT file_no, CASE WHEN counts_as_company THEN hash(siren) END AS siren
    FROM current_companies
    GROUP BY ALL
),
counts AS (
    SELECT s.scope_no, count(DISTINCT f.siren) AS value
    FROM firms f JOIN scoped s USING (file_no)
    GROUP BY s.scope_no
)
SELECT DISTINCT s.scope_kind, s.scope, c.value, NULL AS people
FROM counts c JOIN scoped s USING (scope_no)
