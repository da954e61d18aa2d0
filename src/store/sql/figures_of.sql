-- The figures of one recomputation, in a stable order.
-- Input: ?1 the run id. Output: indicator, scope_kind, scope, value, people.
SELECT indicator, scope_kind, scope, value, people FROM indicator_values WHERE run_id = ?
ORDER BY indicator, scope_kind, scope
