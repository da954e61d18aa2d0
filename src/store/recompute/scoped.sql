-- The files' scopes of views.sql, computed once per recomputation as a
-- temporary table of the same name, which the indicators' SQL then reads
-- (the temporary schema comes first; DuckDB planned the nested views of
-- professionals.sql into hundreds of MiB). Dropped by finish_recompute.sql.
-- The companies' and professionals' scoped rows stay views: materialised,
-- every row copied once per scope (1.6 million rows for 200,000 companies)
-- cost more than the queries that read a few columns of them.
CREATE OR REPLACE TEMP TABLE current_files_scoped AS SELECT * FROM main.current_files_scoped;
