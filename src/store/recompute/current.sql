-- The current tables and files of views.sql, computed once per
-- recomputation as temporary tables of the same names: every view and
-- indicator that reads them during the recomputation reads these (the
-- temporary schema comes first), instead of ranking every file again for
-- each of the nine scope kinds of `seeker_scopes` (listing the scopes and
-- the current rows' files took 150 ms of the shared generator's
-- recomputation, 25 ms since). Run after the reference data: current_files
-- reads ref_structures. Dropped by finish_recompute.sql.
CREATE OR REPLACE TEMP TABLE current_tables AS SELECT * FROM main.current_tables;
CREATE OR REPLACE TEMP TABLE current_files AS SELECT * FROM main.current_files;
