-- The latest runs, newest first, for `status`.
SELECT id, kind, strftime(started_at, '%Y-%m-%d %H:%M:%S'), strftime(finished_at, '%Y-%m-%d %H:%M:%S'), outcome,
       files_seen, files_new, rows_accepted, rows_rejected
FROM runs ORDER BY id DESC LIMIT ?
