-- Schema version 6: each file has a number (`files.file_no`, given in the
-- order files are loaded, never reused), and the rows of the three record
-- tables carry their file's number instead of its 64-character sha256.
-- Storing, compressing and joining that text on every row was the largest
-- single item of a ten-year load's database time. The small tables
-- (file_tables, rejections, inbox_seen, messages) keep the sha256; the
-- views give both.

ALTER TABLE files ADD COLUMN file_no BIGINT;
UPDATE files SET file_no = n.file_no
FROM (
    SELECT sha256, row_number() OVER (ORDER BY received_at, mtime_hint NULLS FIRST, name, sha256) AS file_no
    FROM files
) n
WHERE files.sha256 = n.sha256;

CREATE TABLE job_seekers_v6 (
    file_no BIGINT NOT NULL,
    row_number INTEGER NOT NULL,
    sex VARCHAR,
    postal_code VARCHAR NOT NULL,
    entry DATE NOT NULL,
    unemployment_months INTEGER NOT NULL,
    education VARCHAR,
    situation VARCHAR NOT NULL,
    exit_date DATE,
    is_exit BOOLEAN NOT NULL,
    is_employment BOOLEAN NOT NULL,
    id_no BIGINT,
    name_no BIGINT
);
INSERT INTO job_seekers_v6
SELECT f.file_no, j.row_number, j.sex, j.postal_code, j.entry, j.unemployment_months, j.education,
       j.situation, j.exit_date, j.is_exit, j.is_employment, j.id_no, j.name_no
FROM job_seekers j JOIN files f USING (sha256);
DROP TABLE job_seekers;
ALTER TABLE job_seekers_v6 RENAME TO job_seekers;

CREATE TABLE companies_v6 (
    file_no BIGINT NOT NULL,
    row_number INTEGER NOT NULL,
    siret VARCHAR,
    siren VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    counts_as_company BOOLEAN NOT NULL,
    engagement VARCHAR NOT NULL,
    postal_code VARCHAR,
    hires INTEGER
);
INSERT INTO companies_v6
SELECT f.file_no, c.row_number, c.siret, c.siren, c.name, c.kind, c.counts_as_company, c.engagement,
       c.postal_code, c.hires
FROM companies c JOIN files f USING (sha256);
DROP TABLE companies;
ALTER TABLE companies_v6 RENAME TO companies;

CREATE TABLE professionals_v6 (
    file_no BIGINT NOT NULL,
    row_number INTEGER NOT NULL,
    key VARCHAR NOT NULL,
    function VARCHAR
);
INSERT INTO professionals_v6
SELECT f.file_no, p.row_number, p.key, p.function
FROM professionals p JOIN files f USING (sha256);
DROP TABLE professionals;
ALTER TABLE professionals_v6 RENAME TO professionals;
