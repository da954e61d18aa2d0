-- One received file's history row.
-- Inputs, in order: the columns listed.
INSERT INTO files (sha256, name, size, format, structure, innovation, period, period_end, received_at, run_id, verdict, reason,
                   rows_read, rows_accepted, rows_rejected, declared_professionals, archive_path, mtime_hint, rejections_omitted)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
