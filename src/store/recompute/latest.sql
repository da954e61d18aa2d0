-- latest: each person's latest report within each scope, tallied. One row
-- per (scope, what the latest report says); `people` is how many people's
-- latest report in that scope says it. The indicators read this view.
-- Filled by the recomputation from `seeker_rows` (see
-- `identity::tally_latest`: a sort by person, then one pass) into
-- `latest_cells` by scope number; the view names the scopes (appending
-- half a million scope names took longer than joining them).
CREATE OR REPLACE TEMP TABLE latest_cells (
    scope_no INTEGER NOT NULL,             -- scopes.scope_no
    unemployment_months INTEGER NOT NULL,  -- capped at 127 (identity::layout)
    is_exit BOOLEAN NOT NULL,
    is_employment BOOLEAN NOT NULL,
    people BIGINT NOT NULL
);
CREATE OR REPLACE TEMP VIEW latest AS
SELECT s.scope_kind, s.scope, c.unemployment_months, c.is_exit, c.is_employment, c.people
FROM latest_cells c JOIN scopes s USING (scope_no);
