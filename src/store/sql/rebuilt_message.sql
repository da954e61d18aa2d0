-- A failed feedback built at last: queued with its body.
-- Inputs: eml_path, subject, id.
UPDATE messages SET state = 'pending', eml_path = ?, subject = ?, last_error = NULL, next_attempt_at = NULL
WHERE id = ?
