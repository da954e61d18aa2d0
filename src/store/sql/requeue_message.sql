-- A message put back in the queue by an operator. Input: id.
UPDATE messages SET state = 'pending', next_attempt_at = NULL WHERE id = ?
