-- Files received after a run, for the digest.
-- Input: ?1 the last run covered by the previous digest.
SELECT sha256, name, structure, innovation, period, verdict, reason, sha256 IN (SELECT sha256 FROM current_tables),
       rows_accepted, rows_rejected
FROM files WHERE run_id > ? ORDER BY received_at, name
