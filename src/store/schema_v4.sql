-- Schema version 4: each recomputation keeps the structure × period pairs
-- its counts of people add up from, so that the figures of any
-- recomputation can be published again with the same linked suppression
-- (`indicators::publish`). Recomputations before this version have none:
-- their figures are published with primary suppression alone.
CREATE TABLE IF NOT EXISTS indicator_leaves (
    run_id BIGINT NOT NULL,           -- indicator_values.run_id
    structure VARCHAR NOT NULL,
    innovation VARCHAR NOT NULL,
    departement VARCHAR NOT NULL,
    period VARCHAR NOT NULL
);

-- The file a feedback message is about (its sha256): a feedback that could
-- not be built is recorded `failed` with no body, and rebuilt from the
-- archived original by the next run or `essaim digest --retry`.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS about VARCHAR;
