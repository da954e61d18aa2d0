-- latest: each person's latest report within each scope, tallied. One row
-- per (scope, what the latest report says); `people` is how many people's
-- latest report in that scope says it. The indicators read this table.
-- Filled by the recomputation from `seeker_rows` (see
-- `identity::tally_latest`: a sort by person, then one pass).
CREATE OR REPLACE TEMP TABLE latest (
    scope_kind VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    unemployment_months INTEGER NOT NULL,  -- capped at 127 (identity::layout)
    is_exit BOOLEAN NOT NULL,
    is_employment BOOLEAN NOT NULL,
    people BIGINT NOT NULL
);
