-- deld: distinct people unemployed for 12 months or more at entry
-- (`is_deld`, views.sql); when a
-- person's reports disagree, the report of the latest period decides.
-- Input: latest (each person's latest report per scope, tallied in
-- `people`). Output: scope_kind, scope, value, people.
SELECT scope_kind, scope,
       coalesce(sum(people) FILTER (WHERE is_deld(unemployment_months)), 0) AS value,
       coalesce(sum(people) FILTER (WHERE is_deld(unemployment_months)), 0) AS people
FROM latest
GROUP BY ALL
