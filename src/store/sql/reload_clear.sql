-- What is stored of the staged files, cleared before their new judgement.
DELETE FROM file_tables WHERE sha256 IN (SELECT sha256 FROM stage_reload);
DELETE FROM rejections WHERE sha256 IN (SELECT sha256 FROM stage_reload);
DELETE FROM job_seekers WHERE file_no IN (SELECT file_no FROM files WHERE sha256 IN (SELECT sha256 FROM stage_reload));
DELETE FROM companies WHERE file_no IN (SELECT file_no FROM files WHERE sha256 IN (SELECT sha256 FROM stage_reload));
DELETE FROM professionals WHERE file_no IN (SELECT file_no FROM files WHERE sha256 IN (SELECT sha256 FROM stage_reload));
DELETE FROM stage_reload;
