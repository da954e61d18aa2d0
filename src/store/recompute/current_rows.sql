-- The current job-seeker rows, narrowed to integers for the recomputation.
--
-- scopes: every scope a figure is given for, numbered (0 is national).
-- seeker_files: the current files carrying a `demandeurs` table, in the
--   order that decides which report is a person's latest (period, then
--   reception time, modification-time hint, name, hash), with the numbers
--   of their scopes.
-- seeker_rows: one row per accepted row of those files: its key numbers,
--   its scopes, and `report`, one integer that both orders the reports and
--   carries what the indicators read:
--     from high bits to low: the file's order, the row number, the
--     unemployment duration in months (capped), an exit (bit 1), an exit
--     into employment (bit 0): `identity::persons::layout`.
--   The greatest `report` of a person within a scope is their latest.

CREATE OR REPLACE TEMP TABLE scopes AS
SELECT (row_number() OVER (ORDER BY scope_kind <> 'national', scope_kind, scope) - 1)::INTEGER AS scope_no,
       scope_kind, scope
FROM (SELECT DISTINCT scope_kind, scope FROM seeker_scopes);

-- The numbers of a file's scopes, one column per kind of `seeker_scopes`
-- but national (0), in the order of `identity::SCOPE_KINDS`.
CREATE OR REPLACE TEMP TABLE seeker_files AS
SELECT f.file_no,
       row_number() OVER (ORDER BY f.period_end, f.received_at, f.mtime_hint, f.name, f.sha256) AS file_order,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'innovation') AS innovation_no,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'departement') AS departement_no,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'structure') AS structure_no,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'period') AS period_no,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'innovation_period') AS innovation_period_no,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'departement_period') AS departement_period_no,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'departement_innovation') AS departement_innovation_no,
       max(s.scope_no) FILTER (WHERE s.scope_kind = 'structure_period') AS structure_period_no
FROM current_files f
JOIN current_tables c ON c.file_no = f.file_no AND c.tbl = 'demandeurs'
JOIN seeker_scopes fs ON fs.file_no = f.file_no
JOIN scopes s ON s.scope_kind = fs.scope_kind AND s.scope = fs.scope
GROUP BY f.file_no, f.sha256, f.period_end, f.received_at, f.mtime_hint, f.name;

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
       f.* EXCLUDE (file_no, file_order)
FROM job_seekers j
JOIN seeker_files f ON f.file_no = j.file_no
WHERE coalesce(j.id_no, j.name_no) IS NOT NULL;
