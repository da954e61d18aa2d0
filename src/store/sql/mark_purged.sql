-- An original deleted by the retention period. Input: sha256.
UPDATE files SET purged_at = now() WHERE sha256 = ?
