-- Archived files matching a re-import selection (each filter NULL for any), oldest first.
-- Inputs: ?1 hash prefix or name, ?2 structure, ?3 period, ?4 innovation.
-- Output: sha256, name, verdict, archive_path.
SELECT sha256, name, verdict, archive_path FROM files
WHERE purged_at IS NULL
  AND (?1 IS NULL OR sha256 LIKE ?1 || '%' OR name = ?1)
  AND (?2 IS NULL OR structure = ?2)
  AND (?3 IS NULL OR period = ?3)
  AND (?4 IS NULL OR innovation = ?4)
ORDER BY received_at, mtime_hint, name
