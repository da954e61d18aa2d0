-- A message queued as pending (once: the same Message-ID again is ignored).
-- Inputs: id, kind, recipient, subject, eml_path.
INSERT INTO messages (id, kind, recipient, subject, created_at, state, attempts, eml_path)
VALUES (?, ?, ?, ?, now(), 'pending', 0, ?) ON CONFLICT DO NOTHING
