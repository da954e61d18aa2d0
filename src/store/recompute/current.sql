-- What is current, computed once per recomputation as temporary tables of
-- the same names as the views of views.sql: every view and indicator that
-- reads them during the recomputation reads these (the temporary schema
-- comes first). Without them each of the nine scope kinds of
-- `seeker_scopes` ranked every file again (listing the scopes and the
-- current rows' files took 150 ms of the shared generator's
-- recomputation, 25 ms since), and DuckDB planned the nested views of
-- professionals.sql into hundreds of MiB. The companies' and
-- professionals' scoped rows stay views: materialised, every row copied
-- once per scope (1.6 million rows for 200,000 companies) cost more than
-- the queries that read a few columns of them. Run after the reference
-- data: current_files reads ref_structures. Dropped by
-- finish_recompute.sql.
CREATE OR REPLACE TEMP TABLE current_tables AS SELECT * FROM main.current_tables;
CREATE OR REPLACE TEMP TABLE current_files AS SELECT * FROM main.current_files;
CREATE OR REPLACE TEMP TABLE current_files_scoped AS SELECT * FROM main.current_files_scoped;
