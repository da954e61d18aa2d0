-- A group of loaded files' inbox entries and messages, staged by appenders
-- (`load.rs`), applied in the group's transaction: an entry replaces the
-- path's earlier one; a message is queued once per Message-ID (pending, or
-- failed with its reason when it could not be built). Then the stages are
-- emptied.
DELETE FROM inbox_seen WHERE path IN (SELECT path FROM stage_inbox);
INSERT INTO inbox_seen SELECT path, size, modified, sha256 FROM stage_inbox;
INSERT INTO messages (id, kind, recipient, subject, created_at, state, attempts, last_error, eml_path, about)
SELECT id, kind, recipient, subject, now(), CASE WHEN failed IS NULL THEN 'pending' ELSE 'failed' END, 0, failed, eml_path, about
FROM (SELECT * FROM stage_messages QUALIFY row_number() OVER (PARTITION BY id ORDER BY id) = 1)
WHERE id NOT IN (SELECT id FROM messages);
DELETE FROM stage_inbox;
DELETE FROM stage_messages;
