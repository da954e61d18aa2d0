-- exits_to_employment: distinct people whose latest report is an exit into
-- employment (CDI, CDD of 6 months or more, Intérim, business start).
-- Input: latest. Output: scope_kind, scope, value, people.
SELECT scope_kind, scope,
       count(*) FILTER (WHERE is_employment) AS value,
       count(*) FILTER (WHERE is_employment) AS people
FROM latest
GROUP BY ALL
UNION ALL
-- The same by unemployment duration at entry (national only).
SELECT 'duration', band, count(*) FILTER (WHERE is_employment), count(*) FILTER (WHERE is_employment)
FROM (SELECT *, CASE WHEN unemployment_months < 12 THEN '<12'
                     WHEN unemployment_months < 36 THEN '12-35' ELSE '36+' END AS band
      FROM latest WHERE scope_kind = 'national')
GROUP BY band
