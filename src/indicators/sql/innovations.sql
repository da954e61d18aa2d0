-- innovations: registered innovations with at least one structure that has
-- a current file. Input: current_files_scoped. Output: scope_kind, scope,
-- value, people (NULL: not a count of people).
SELECT scope_kind, scope, count(DISTINCT innovation) AS value, NULL AS people
FROM current_files_scoped
GROUP BY ALL
