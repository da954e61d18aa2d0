-- professionals: distinct professionals listed in the Professionnels sheets
-- of current files (matched on their keyed hash, across structures), plus,
-- for each structure none of whose current files lists any, the largest
-- "Professionnels mobilisés" it declared in its current files.
-- Inputs: current_professionals, current_files_scoped.
-- Output: scope_kind, scope, value, people.
WITH listed AS (
    SELECT 'national' AS scope_kind, '' AS scope, key, structure FROM current_professionals
    UNION ALL SELECT 'innovation', innovation, key, structure FROM current_professionals
    UNION ALL SELECT 'departement', departement, key, structure FROM current_professionals
    UNION ALL SELECT 'period', period, key, structure FROM current_professionals
    UNION ALL SELECT 'structure', structure, key, structure FROM current_professionals
),
listing AS (SELECT DISTINCT structure FROM current_professionals),
declared AS (
    SELECT scope_kind, scope, structure, max(declared_professionals) AS n
    FROM current_files_scoped
    WHERE declared_professionals IS NOT NULL AND structure NOT IN (SELECT structure FROM listing)
    GROUP BY ALL
),
scopes AS (SELECT DISTINCT scope_kind, scope FROM current_files_scoped)
SELECT s.scope_kind, s.scope,
       coalesce((SELECT count(DISTINCT key) FROM listed l WHERE l.scope_kind = s.scope_kind AND l.scope = s.scope), 0)
     + coalesce((SELECT sum(n) FROM declared d WHERE d.scope_kind = s.scope_kind AND d.scope = s.scope), 0) AS value,
       NULL AS people
FROM scopes s
