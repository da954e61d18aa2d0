-- Views over the loaded data, recreated at every open so that they always
-- match the binary. Inputs: files, file_tables, job_seekers, companies,
-- professionals, persons, ref_structures, ref_innovations.

-- A (file, table) is current when no later file that is not rejected as a
-- whole carries the same table for the same structure and period. "Later"
-- is first seen by essaim later (`received_at`); among files first seen in
-- the same run, the later modification time (`mtime_hint`, never in the
-- future); then the greater file name.
-- Replaced in schema version 2 by the recomputation's `latest` table.
DROP VIEW IF EXISTS job_seekers_latest;

-- The long-term unemployed (DELD): unemployed for 12 months or more at
-- entry. The one place this rule is written (deld.sql; the digest's chart
-- draws the same figures).
CREATE OR REPLACE MACRO is_deld(months) AS months >= 12;

-- The bands of unemployment duration at entry that the Insee 2016
-- reference uses (`indicators::INSEE_2016`).
CREATE OR REPLACE MACRO duration_band(months) AS
    CASE WHEN months < 12 THEN '<12' WHEN months < 36 THEN '12-35' ELSE '36+' END;

-- The scope a figure by duration band is given for: national → `duration`
-- 'band', innovation → `innovation_duration` 'CODE|band', and so on.
CREATE OR REPLACE MACRO duration_kind(kind) AS
    CASE WHEN kind = 'national' THEN 'duration' ELSE kind || '_duration' END;
CREATE OR REPLACE MACRO duration_scope(kind, scope, band) AS
    CASE WHEN kind = 'national' THEN band ELSE scope || '|' || band END;

-- Files are joined to their rows by number (`file_no`); each view of
-- files gives the sha256 too.
CREATE OR REPLACE VIEW current_tables AS
SELECT file_no, sha256, tbl FROM (
    SELECT f.file_no, f.sha256, t.tbl,
           row_number() OVER (PARTITION BY f.structure, f.period, t.tbl
                              ORDER BY f.received_at DESC, f.mtime_hint DESC NULLS LAST, f.name DESC) AS rn
    FROM files f JOIN file_tables t USING (sha256)
    WHERE f.verdict <> 'file_rejected'
) WHERE rn = 1;

-- Files with at least one current table, with their structure's reference data.
CREATE OR REPLACE VIEW current_files AS
SELECT f.file_no, f.sha256, f.name, f.structure, s.innovation, s.departement, f.period, f.period_end,
       f.received_at, f.mtime_hint, f.declared_professionals
FROM files f JOIN ref_structures s ON s.code = f.structure
WHERE f.file_no IN (SELECT file_no FROM current_tables);

-- Every scope a current file counts in, one row each: the scopes figures
-- are given for. Crossed scopes join their two codes with '|' (the codes
-- never contain it): `innovation_period` 'TAPAJ|2019-T2',
-- `departement_period` '33|2019-T2', `departement_innovation` '33|TAPAJ'.
-- `period` is the national figure of one period. (Durations at entry are
-- crossed with national, innovation and département in the indicators'
-- SQL: `duration`, `innovation_duration`, `departement_duration`.)
-- `indicators::Cell` reads these names back.
CREATE OR REPLACE VIEW file_scopes AS
SELECT file_no, 'national' AS scope_kind, '' AS scope FROM current_files
UNION ALL SELECT file_no, 'innovation', innovation FROM current_files
UNION ALL SELECT file_no, 'departement', departement FROM current_files
UNION ALL SELECT file_no, 'structure', structure FROM current_files
UNION ALL SELECT file_no, 'period', period FROM current_files
UNION ALL SELECT file_no, 'innovation_period', innovation || '|' || period FROM current_files
UNION ALL SELECT file_no, 'departement_period', departement || '|' || period FROM current_files
UNION ALL SELECT file_no, 'departement_innovation', departement || '|' || innovation FROM current_files;

-- The scopes counts of people are tallied in: those of `file_scopes`, and
-- the finest, never published, whose empty cells the suppression takes as
-- known (`indicators::publish`).
CREATE OR REPLACE VIEW seeker_scopes AS
SELECT * FROM file_scopes
UNION ALL SELECT file_no, 'structure_period', structure || '|' || period FROM current_files;

CREATE OR REPLACE VIEW current_files_scoped AS
SELECT s.scope_kind, s.scope, f.* FROM current_files f JOIN file_scopes s USING (file_no);

-- Accepted job-seeker rows of current files, with their person (see
-- `persons`; rows loaded since the last recomputation have no person yet and
-- are counted from the next one on, like every figure).
CREATE OR REPLACE VIEW current_job_seekers AS
SELECT j.*, f.sha256, f.structure, f.innovation, f.departement, f.period, f.period_end, f.received_at,
       f.name AS file_name, coalesce(p.person_id, coalesce(j.id_no, j.name_no)) AS person_id
FROM job_seekers j
JOIN current_tables c ON c.file_no = j.file_no AND c.tbl = 'demandeurs'
JOIN current_files f ON f.file_no = j.file_no
LEFT JOIN persons p ON p.key_no = coalesce(j.id_no, j.name_no);

CREATE OR REPLACE VIEW current_companies AS
SELECT c.*, f.sha256, f.structure, f.innovation, f.departement, f.period
FROM companies c
JOIN current_tables t ON t.file_no = c.file_no AND t.tbl = 'entreprises'
JOIN current_files f ON f.file_no = c.file_no;

CREATE OR REPLACE VIEW current_professionals AS
SELECT p.*, f.sha256, f.structure, f.innovation, f.departement, f.period
FROM professionals p
JOIN current_tables t ON t.file_no = p.file_no AND t.tbl = 'professionnels'
JOIN current_files f ON f.file_no = p.file_no;

-- The current rows of companies and professionals in each of their scopes.
CREATE OR REPLACE VIEW current_companies_scoped AS
SELECT s.scope_kind, s.scope, c.* FROM current_companies c JOIN file_scopes s USING (file_no);

CREATE OR REPLACE VIEW current_professionals_scoped AS
SELECT s.scope_kind, s.scope, p.* FROM current_professionals p JOIN file_scopes s USING (file_no);

-- The structure × period pairs whose current files carry job seekers: the
-- finest cells every published count of people adds up from, which is what
-- the linked suppression (`indicators::publish`) protects.
CREATE OR REPLACE VIEW current_seeker_cells AS
SELECT DISTINCT f.structure, f.innovation, f.departement, f.period
FROM current_files f JOIN current_tables c ON c.file_no = f.file_no AND c.tbl = 'demandeurs';
