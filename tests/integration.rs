//! The one integration-test binary (one link of the bundled DuckDB): each
//! module under `tests/it/` is a group of tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it;
