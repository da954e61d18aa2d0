-- The figures of one recomputation, in a stable order.
-- Inputs: ?1 the run id, ?2 a scope kind or NULL for all.
-- Output: indicator, scope_kind, scope, value, people.
SELECT indicator, scope_kind, scope, value, people FROM indicator_values
WHERE run_id = ?1 AND scope_kind = coalesce(?2, scope_kind)
ORDER BY indicator, scope_kind, scope
