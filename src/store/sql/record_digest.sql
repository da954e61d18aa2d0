-- A digest composed. Inputs: id, the figures' run id; it covers the runs so far.
INSERT INTO digests VALUES (?, now(), ?, (SELECT coalesce(max(id), 0) FROM runs))
