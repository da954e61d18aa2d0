-- A run starts. Inputs: id, kind, note.
INSERT INTO runs (id, kind, started_at, note) VALUES (?, ?, now(), ?)
