-- The scoped views of views.sql, computed once per recomputation as
-- temporary tables of the same names: the indicators' SQL reads these
-- (the temporary schema comes first). Dropped by finish_recompute.sql.
CREATE OR REPLACE TEMP TABLE current_files_scoped AS SELECT * FROM main.current_files_scoped;
CREATE OR REPLACE TEMP TABLE current_companies_scoped AS SELECT * FROM main.current_companies_scoped;
CREATE OR REPLACE TEMP TABLE current_professionals_scoped AS SELECT * FROM main.current_professionals_scoped;
