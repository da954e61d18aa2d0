-- The most frequent reasons files and rows were refused since a run.
-- Input: ?1 the last run covered by the previous digest. Output: reason, n.
SELECT reason, count(*) AS n FROM (
    SELECT coalesce(header || ' : ', '') || r.reason AS reason FROM rejections r JOIN files f USING (sha256) WHERE f.run_id > ?1
    UNION ALL SELECT reason FROM files WHERE run_id > ?1 AND verdict = 'file_rejected')
GROUP BY reason ORDER BY n DESC, reason LIMIT ?2
