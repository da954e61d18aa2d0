-- professionals: distinct professionals listed in the Professionnels sheets
-- of current files (matched on their keyed hash, across structures), plus,
-- for each structure none of whose current files lists any, the largest
-- "Professionnels mobilisés" it declared in its current files.
-- Inputs: current_professionals_scoped, current_files_scoped.
-- Output: scope_kind, scope, value, people.
-- Keys are counted by their 64-bit hash: a tenth of the memory of the
-- 64-character keys, and a collision among 10^5 keys has odds of 10^-9.
WITH listed AS (SELECT scope_kind, scope, hash(key) AS key, structure FROM current_professionals_scoped),
listing AS (SELECT DISTINCT structure FROM current_professionals),
declared AS (
    SELECT scope_kind, scope, structure, max(declared_professionals) AS n
    FROM current_files_scoped
    WHERE declared_professionals IS NOT NULL AND structure NOT IN (SELECT structure FROM listing)
    GROUP BY ALL
),
scopes AS (SELECT DISTINCT scope_kind, scope FROM current_files_scoped)
SELECT s.scope_kind, s.scope, coalesce(l.n, 0) + coalesce(d.n, 0) AS value, NULL AS people
FROM scopes s
LEFT JOIN (SELECT scope_kind, scope, count(DISTINCT key) AS n FROM listed GROUP BY ALL) l USING (scope_kind, scope)
LEFT JOIN (SELECT scope_kind, scope, sum(n) AS n FROM declared GROUP BY ALL) d USING (scope_kind, scope)
