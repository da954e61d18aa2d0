-- What an inbox path held. Inputs: path, size, change time, sha256.
INSERT OR REPLACE INTO inbox_seen VALUES (?, ?, ?, ?)
