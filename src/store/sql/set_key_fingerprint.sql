-- The fingerprint of the hash key the hashes are made with. Input: fingerprint.
INSERT OR REPLACE INTO meta VALUES ('key_fingerprint', ?)
