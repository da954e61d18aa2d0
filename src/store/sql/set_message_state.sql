-- A message moved to a new state.
-- Inputs: state, attempts to add, error (kept when NULL), next attempt, whether sent now, id.
UPDATE messages SET state = ?, attempts = attempts + ?, last_error = coalesce(?, last_error), next_attempt_at = ?,
sent_at = CASE WHEN ? THEN now() ELSE sent_at END WHERE id = ?
