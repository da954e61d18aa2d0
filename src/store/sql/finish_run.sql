-- How a run ended. Inputs: outcome, files seen, files new, rows accepted, rows rejected, id.
UPDATE runs SET finished_at = now(), outcome = ?, files_seen = ?, files_new = ?, rows_accepted = ?, rows_rejected = ? WHERE id = ?
