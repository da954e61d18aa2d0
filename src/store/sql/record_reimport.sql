-- An operator's re-import. Inputs: run id, scope, reason, dry run.
INSERT INTO reimports VALUES (?, now(), ?, ?, ?)
