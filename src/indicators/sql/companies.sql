-- companies: distinct SIREN having at least one current company row of type
-- Entreprise or Partenaire privé, in every scope of `file_scopes`.
-- Input: current_companies_scoped. Output: scope_kind, scope, value, people (NULL).
SELECT scope_kind, scope, count(DISTINCT siren) FILTER (WHERE counts_as_company) AS value, NULL AS people
FROM current_companies_scoped
GROUP BY ALL
