-- exit_rate: exits_to_employment / distinct people whose latest report is
-- any exit (not "En cours"). people: the denominator.
-- Input: latest (each person's latest report per scope, tallied in
-- `people`). Output: scope_kind, scope, value, people.
SELECT scope_kind, scope,
       coalesce(sum(people) FILTER (WHERE is_employment), 0)
         / nullif(coalesce(sum(people) FILTER (WHERE is_exit), 0), 0) AS value,
       coalesce(sum(people) FILTER (WHERE is_exit), 0) AS people
FROM latest
GROUP BY ALL
UNION ALL
-- The same by unemployment duration at entry (national only), beside the
-- Insee 2016 reference held in Rust.
SELECT 'duration', band,
       coalesce(sum(people) FILTER (WHERE is_employment), 0)
         / nullif(coalesce(sum(people) FILTER (WHERE is_exit), 0), 0),
       coalesce(sum(people) FILTER (WHERE is_exit), 0)
FROM (SELECT *, CASE WHEN unemployment_months < 12 THEN '<12'
                     WHEN unemployment_months < 36 THEN '12-35' ELSE '36+' END AS band
      FROM latest WHERE scope_kind = 'national')
GROUP BY band
