-- An inbox entry passed over. Inputs: run id, path, reason.
INSERT INTO inbox_skipped VALUES (?, ?, ?, now())
