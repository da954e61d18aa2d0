-- A message queued as pending (once: the same Message-ID again is ignored).
-- Inputs: id, kind, recipient, subject, eml_path, about (the file's sha256
-- for a feedback, else NULL).
INSERT INTO messages (id, kind, recipient, subject, created_at, state, attempts, eml_path, about)
VALUES (?, ?, ?, ?, now(), 'pending', 0, ?, ?) ON CONFLICT DO NOTHING
