-- Every file with its structure, period, verdict and whether current, for `status`.
SELECT f.sha256, f.name, f.structure, f.period, strftime(f.received_at, '%Y-%m-%d %H:%M:%S'), f.verdict, f.reason,
       f.rows_accepted, f.rows_rejected, f.sha256 IN (SELECT sha256 FROM current_tables)
FROM files f ORDER BY f.structure NULLS LAST, f.period_end, f.received_at, f.name
