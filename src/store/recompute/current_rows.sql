-- The current job-seeker rows, narrowed to integers for the recomputation.
--
-- scopes: every scope a figure is given for, numbered (0 is national).
-- seeker_files: the current files carrying a `demandeurs` table, in the
--   order that decides which report is a person's latest (period, then
--   reception time, modification-time hint, name, hash), with the numbers of their scopes.
-- seeker_rows: one row per accepted row of those files: its key numbers,
--   its scopes, and `report`, one integer that both orders the reports and
--   carries what the indicators read:
--     from high bits to low: the file's order, the row number, the
--     unemployment duration in months (capped), an exit (bit 1), an exit
--     into employment (bit 0): `identity::persons::layout`.
--   The greatest `report` of a person within a scope is their latest.

CREATE OR REPLACE TEMP TABLE scopes AS
SELECT (row_number() OVER (ORDER BY kind_order, scope) - 1)::INTEGER AS scope_no, scope_kind, scope
FROM (
    SELECT 0 AS kind_order, 'national' AS scope_kind, '' AS scope
    UNION ALL SELECT DISTINCT 1, 'innovation', innovation FROM current_files
    UNION ALL SELECT DISTINCT 2, 'departement', departement FROM current_files
    UNION ALL SELECT DISTINCT 3, 'period', period FROM current_files
    UNION ALL SELECT DISTINCT 4, 'structure', structure FROM current_files
);

CREATE OR REPLACE TEMP TABLE seeker_files AS
SELECT f.sha256,
       row_number() OVER (ORDER BY f.period_end, f.received_at, f.mtime_hint, f.name, f.sha256) AS file_order,
       i.scope_no AS innovation_no, d.scope_no AS departement_no,
       p.scope_no AS period_no, s.scope_no AS structure_no
FROM current_files f
JOIN current_tables c ON c.sha256 = f.sha256 AND c.tbl = 'demandeurs'
JOIN scopes i ON i.scope_kind = 'innovation' AND i.scope = f.innovation
JOIN scopes d ON d.scope_kind = 'departement' AND d.scope = f.departement
JOIN scopes p ON p.scope_kind = 'period' AND p.scope = f.period
JOIN scopes s ON s.scope_kind = 'structure' AND s.scope = f.structure;

-- The file's order has 20 bits in `report`. (Names in double braces are
-- the layout's constants, `identity::persons::layout`, filled in when this
-- file runs.)
SELECT error(count(*) || ' current job-seeker files: a recomputation orders fewer than {{FILE_ORDER_LIMIT}}')
FROM seeker_files
HAVING count(*) >= {{FILE_ORDER_LIMIT}};

CREATE OR REPLACE TEMP TABLE seeker_rows AS
SELECT j.id_no, j.name_no,
       (f.file_order << {{FILE_ORDER_SHIFT}})
         | (j.row_number::BIGINT << {{ROW_SHIFT}})
         | (least(j.unemployment_months, {{MONTHS_MAX}})::BIGINT << {{MONTHS_SHIFT}})
         | (j.is_exit::BIGINT << 1)
         | j.is_employment::BIGINT AS report,
       f.innovation_no, f.departement_no, f.period_no, f.structure_no
FROM job_seekers j
JOIN seeker_files f ON f.sha256 = j.sha256
WHERE coalesce(j.id_no, j.name_no) IS NOT NULL;
