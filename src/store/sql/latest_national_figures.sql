-- The national figures of the latest recomputation, in figures_of.sql's order.
-- Output: indicator, scope_kind, scope, value, people.
SELECT indicator, scope_kind, scope, value, people FROM indicator_values
WHERE run_id = (SELECT max(run_id) FROM indicator_values) AND scope_kind = 'national'
ORDER BY indicator, scope_kind, scope
