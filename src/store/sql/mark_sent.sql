-- Messages written to the outbox or relayed, marked sent in one statement
-- (their ids staged by an appender in `stage_sent`), then the stage emptied.
UPDATE messages SET state = 'sent', next_attempt_at = NULL, sent_at = now()
WHERE id IN (SELECT id FROM stage_sent);
DELETE FROM stage_sent;
