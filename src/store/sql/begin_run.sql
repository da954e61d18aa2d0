-- A run starts, numbered after the last one. Inputs: kind, note. Returns its id.
INSERT INTO runs (id, kind, started_at, note)
SELECT coalesce(max(id), 0) + 1, ?, now(), ? FROM runs
RETURNING id
