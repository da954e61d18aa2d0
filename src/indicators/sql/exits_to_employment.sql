-- exits_to_employment: distinct people whose latest report is an exit into
-- employment (CDI, CDD of 6 months or more, Intérim, business start).
-- Input: latest (each person's latest report per scope, tallied in
-- `people`). Output: scope_kind, scope, value, people.
SELECT scope_kind, scope,
       coalesce(sum(people) FILTER (WHERE is_employment), 0) AS value,
       coalesce(sum(people) FILTER (WHERE is_employment), 0) AS people
FROM latest
GROUP BY ALL
UNION ALL
-- The same by unemployment duration at entry, for the national,
-- innovation and département scopes (`duration_kind`, views.sql), beside
-- the Insee 2016 reference held in Rust; and for each structure × period,
-- never published, for the suppression.
SELECT duration_kind(scope_kind), duration_scope(scope_kind, scope, duration_band(unemployment_months)),
       coalesce(sum(people) FILTER (WHERE is_employment), 0),
       coalesce(sum(people) FILTER (WHERE is_employment), 0)
FROM latest
WHERE scope_kind IN ('national', 'innovation', 'departement', 'structure_period')
GROUP BY ALL
