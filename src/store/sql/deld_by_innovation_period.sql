-- DELD per innovation and period for the digest's chart (is_deld, views.sql).
-- Input: ?1 a département, or NULL for all. Output: innovation, period, count.
SELECT innovation, period, count(*) FILTER (WHERE is_deld(unemployment_months)) FROM (
    SELECT * FROM current_job_seekers WHERE (?1 IS NULL OR departement = ?1) AND person_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY innovation, period, person_id ORDER BY received_at DESC, file_name DESC, row_number DESC) = 1)
GROUP BY innovation, period, period_end ORDER BY period_end, innovation
