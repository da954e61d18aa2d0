-- A re-judged file's outcome (its reception time and history stay).
-- Inputs, in order: the columns set, then the sha256.
UPDATE files SET format = ?, structure = ?, innovation = ?, period = ?, period_end = ?, verdict = ?, reason = ?,
rows_read = ?, rows_accepted = ?, rows_rejected = ?, declared_professionals = ?, rejections_omitted = ? WHERE sha256 = ?
