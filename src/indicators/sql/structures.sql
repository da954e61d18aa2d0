-- structures: registered structures with at least one current file.
-- Input: current_files_scoped. Output: scope_kind, scope, value, people.
SELECT scope_kind, scope, count(DISTINCT structure) AS value, NULL AS people
FROM current_files_scoped
GROUP BY ALL
