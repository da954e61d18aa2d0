-- A group of re-judged files' outcomes (staged by an appender) applied.
UPDATE files SET format = s.format, structure = s.structure, innovation = s.innovation, period = s.period,
    period_end = s.period_end, verdict = s.verdict, reason = s.reason, rows_read = s.rows_read,
    rows_accepted = s.rows_accepted, rows_rejected = s.rows_rejected,
    declared_professionals = s.declared_professionals, rejections_omitted = s.rejections_omitted
FROM stage_outcomes s WHERE files.sha256 = s.sha256;
DELETE FROM stage_outcomes;
