-- companies: distinct SIREN having at least one current company row of type
-- Entreprise or Partenaire privé. Input: current_companies.
-- Output: scope_kind, scope, value, people (NULL).
WITH scoped AS (
    SELECT 'national' AS scope_kind, '' AS scope, * FROM current_companies
    UNION ALL SELECT 'innovation', innovation, * FROM current_companies
    UNION ALL SELECT 'departement', departement, * FROM current_companies
    UNION ALL SELECT 'period', period, * FROM current_companies
    UNION ALL SELECT 'structure', structure, * FROM current_companies
)
SELECT scope_kind, scope, count(DISTINCT siren) FILTER (WHERE counts_as_company) AS value, NULL AS people
FROM scoped
GROUP BY ALL
