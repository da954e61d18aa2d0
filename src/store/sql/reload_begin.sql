-- Re-judging archived files (see load.rs, `Reload`): the files' stored
-- content is cleared in one statement a table, their new outcomes are
-- staged in `stage_outcomes` and applied a group at a time
-- (reload_apply.sql). The files themselves stay, with their reception times.
CREATE TEMP TABLE IF NOT EXISTS stage_reload (sha256 VARCHAR);
CREATE TEMP TABLE IF NOT EXISTS stage_outcomes AS
SELECT sha256, format, structure, innovation, period, period_end, verdict, reason,
       rows_read, rows_accepted, rows_rejected, declared_professionals, rejections_omitted
FROM files LIMIT 0;
DELETE FROM stage_reload;
DELETE FROM stage_outcomes;
