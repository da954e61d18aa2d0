-- A feedback that could not be built: recorded failed, with no body, so
-- that status shows it and it is rebuilt later (once per Message-ID).
-- Inputs: id, recipient, subject, last_error, about (the file's sha256).
INSERT INTO messages (id, kind, recipient, subject, created_at, state, attempts, last_error, eml_path, about)
VALUES (?, 'feedback', ?, ?, now(), 'failed', 0, ?, '', ?) ON CONFLICT DO NOTHING
