-- The loaded data changed: the figures are stale until the next recomputation.
UPDATE state SET version = version + 1
