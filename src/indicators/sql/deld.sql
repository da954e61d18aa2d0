-- deld: distinct people unemployed for 12 months or more at entry; when a
-- person's reports disagree, the report of the latest period decides.
-- Input: latest. Output: scope_kind, scope, value, people.
SELECT scope_kind, scope,
       count(*) FILTER (WHERE unemployment_months >= 12) AS value,
       count(*) FILTER (WHERE unemployment_months >= 12) AS people
FROM latest
GROUP BY ALL
