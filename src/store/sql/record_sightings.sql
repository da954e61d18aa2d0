-- Inbox entries listed by this run that were never seen before, first seen now.
-- Input: ?1 the run's start. Reads the temporary table `listed`.
INSERT INTO sightings SELECT path, size, stamp, ? FROM listed ON CONFLICT DO NOTHING
