//! Recomputing the figures: reference data, current rows
//! narrowed to integers, people linked, each person's latest report
//! tallied, then every registered indicator's SQL, in one transaction.

use std::sync::Arc;

use duckdb::arrow::array::{Array, ArrayRef, BooleanArray, Int32Array, Int64Array};
use duckdb::{params, Connection};

use crate::identity::{layout, tally_latest, Persons, Report, SAYS, SCOPE_KINDS};
use crate::indicators::publish::{publish, Published};
use crate::indicators::{Figure, Leaf};
use crate::model::registry::Registry;

use super::{Ctx, Result, Store, StoreError};

const CURRENT_ROWS: &str = include_str!("recompute/current_rows.sql");
const LATEST: &str = include_str!("recompute/latest.sql");

impl Store {
    /// Whether the figures are older than the loaded data.
    ///
    /// # Errors
    /// SQL errors.
    pub fn indicators_stale(&self) -> Result<bool> {
        self.conn
            .query_row("SELECT version <> indicators_version FROM state", [], |r| {
                r.get(0)
            })
            .ctx("read state")
    }

    /// Recomputes every indicator in one transaction: reference data, person
    /// groups, then each registered SQL file; the values are stored under
    /// `run_id` beside the earlier ones.
    ///
    /// # Errors
    /// SQL errors; the previous figures then stay.
    pub fn recompute(&mut self, run_id: i64, registry: &Registry) -> Result<()> {
        // Every core for the recomputation's queries (the workers are done
        // by then), then back to the calling thread only (`Store::open`).
        self.conn
            .execute_batch("RESET threads")
            .ctx("threads for the recomputation")?;
        let done = self.recompute_all(run_id, registry);
        let back = self
            .conn
            .execute_batch(&format!("SET threads = {}", super::schema::LOADING_THREADS))
            .ctx("threads after the recomputation");
        done.and(back)
    }

    fn recompute_all(&mut self, run_id: i64, registry: &Registry) -> Result<()> {
        // What the loads wrote goes into the database file with their log:
        // that memory is then free for the recomputation, under the memory
        // limit.
        let started = std::time::Instant::now();
        self.checkpoint()?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "checkpointed before the recomputation"
        );
        let tx = self.conn.transaction().ctx("begin recomputation")?;
        let t0 = std::time::Instant::now();
        let phase = |what: &str| {
            tracing::debug!(
                phase = what,
                elapsed_ms = t0.elapsed().as_millis() as u64,
                "recomputation"
            );
        };
        tx.execute_batch("DELETE FROM ref_innovations; DELETE FROM ref_structures;")
            .ctx("clear reference")?;
        {
            let mut app = tx
                .appender("ref_innovations")
                .ctx("appender ref_innovations")?;
            for i in &registry.innovations {
                app.append_row(params![i.code, i.name, i.phase.label()])
                    .ctx("append innovation")?;
            }
            app.flush().ctx("flush ref_innovations")?;
            let mut app = tx
                .appender("ref_structures")
                .ctx("appender ref_structures")?;
            for s in &registry.structures {
                app.append_row(params![s.code, s.name, s.innovation, s.departement])
                    .ctx("append structure")?;
            }
            app.flush().ctx("flush ref_structures")?;
        }
        // People: the current rows narrowed to integers, then the groups of
        // linked keys.
        phase("reference");
        tx.execute_batch(include_str!("recompute/current.sql"))
            .ctx("current tables, files and their scopes")?;
        tx.execute_batch(&crate::identity::layout::sql(CURRENT_ROWS))
            .ctx("current job-seeker rows")?;
        phase("current rows");
        let persons = update_persons(&tx)?;
        phase("persons");
        tally_latest_reports(&tx, &persons)?;
        drop(persons);
        // The rows are tallied: their memory goes back to the indicators.
        tx.execute_batch("DROP TABLE seeker_rows;")
            .ctx("drop current rows")?;
        phase("latest");
        for ind in crate::indicators::REGISTRY {
            let sql = format!(
                "INSERT INTO indicator_values SELECT ?, now(), '{}', scope_kind, scope, value, people FROM ({})",
                ind.name, ind.sql
            );
            tx.execute(&sql, params![run_id]).ctx(&format!(
                "indicator {} (src/indicators/sql/{}.sql)",
                ind.name, ind.name
            ))?;
            phase(ind.name);
        }
        tx.execute(
            "INSERT INTO indicator_leaves SELECT ?, structure, innovation, departement, period FROM current_seeker_cells",
            params![run_id],
        )
        .ctx("record the cells figures add up from")?;
        tx.execute_batch(include_str!("sql/finish_recompute.sql"))
            .ctx("finish recomputation")?;
        tx.commit().ctx("commit recomputation")?;
        Ok(())
    }

    /// The figures of the latest recomputation.
    ///
    /// # Errors
    /// SQL errors.
    pub fn latest_figures(&self) -> Result<Vec<Figure>> {
        match self.latest_figures_run()? {
            Some(run) => self.figures_of(run),
            None => Ok(Vec::new()),
        }
    }

    /// The figures of the recomputation before the latest (for changes).
    ///
    /// # Errors
    /// SQL errors.
    pub fn previous_figures(&self) -> Result<Vec<Figure>> {
        let run: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(run_id) FROM indicator_values WHERE run_id < (SELECT max(run_id) FROM indicator_values)",
                [],
                |r| r.get(0),
            )
            .ctx("previous figures run")?;
        match run {
            Some(run) => self.figures_of(run),
            None => Ok(Vec::new()),
        }
    }
}

/// The figures of one recomputation as published: small counts hidden,
/// with the linked suppression over the cells they add up from.
#[derive(Debug, Clone)]
pub struct Publication {
    pub run_id: i64,
    pub computed_at: chrono::NaiveDateTime,
    pub cells: Vec<Published>,
}

impl Store {
    /// The figures of recomputation `run_id`, as published.
    ///
    /// # Errors
    /// SQL errors.
    pub fn publication(&self, run_id: i64, threshold: i64) -> Result<Publication> {
        let figures = self.figures_of(run_id)?;
        let mut leaves = Vec::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT structure, innovation, departement, period FROM indicator_leaves WHERE run_id = ? ORDER BY ALL",
            )
            .ctx("prepare leaves")?;
        let rows = stmt
            .query_map(params![run_id], |r| {
                Ok(Leaf {
                    structure: r.get(0)?,
                    innovation: r.get(1)?,
                    departement: r.get(2)?,
                    period: r.get(3)?,
                })
            })
            .ctx("query leaves")?;
        for row in rows {
            leaves.push(row.ctx("read leaf")?);
        }
        let computed_at = self
            .conn
            .query_row(
                "SELECT max(computed_at) FROM indicator_values WHERE run_id = ?",
                params![run_id],
                |r| r.get::<_, Option<chrono::NaiveDateTime>>(0),
            )
            .ctx("computation time")?
            .unwrap_or_default();
        Ok(Publication {
            run_id,
            computed_at,
            cells: publish(&figures, &leaves, threshold),
        })
    }

    /// The latest figures as published, if any were computed.
    ///
    /// # Errors
    /// SQL errors.
    pub fn latest_publication(&self, threshold: i64) -> Result<Option<Publication>> {
        self.latest_figures_run()?
            .map(|run| self.publication(run, threshold))
            .transpose()
    }
}

/// Calls `f` with each row of a query returning `N` non-null BIGINT
/// columns, read as Arrow batches (a million rows in milliseconds, where
/// row-by-row reading takes a second).
fn each_row<const N: usize>(
    conn: &Connection,
    sql: &str,
    what: &str,
    mut f: impl FnMut([i64; N]),
) -> Result<()> {
    let mut stmt = conn.prepare(sql).ctx(what)?;
    for batch in stmt.query_arrow([]).ctx(what)? {
        let mut columns = Vec::with_capacity(N);
        for i in 0..N {
            let c = batch
                .column(i)
                .as_any()
                .downcast_ref::<Int64Array>()
                .filter(|c| c.null_count() == 0)
                .ok_or_else(|| {
                    StoreError::Unsupported(format!(
                        "{what}: column {i} is not a BIGINT without nulls"
                    ))
                })?;
            columns.push(c.values());
        }
        (0..batch.num_rows())
            .map(|row| std::array::from_fn(|i| columns[i][row]))
            .for_each(&mut f);
    }
    Ok(())
}

/// Works out the people of the current rows (`seeker_rows`): keys carried
/// by the same row are linked, a person is a connected group, and its id is
/// the group's smallest key number. `persons` is brought up to date by
/// writing only what changed.
fn update_persons(tx: &duckdb::Transaction<'_>) -> Result<Persons> {
    let max_key: i64 = tx
        .query_row(
            "SELECT coalesce(max(key_no), 0) FROM identity_keys",
            [],
            |r| r.get(0),
        )
        .ctx("largest key number")?;
    let mut groups = Persons::new(max_key);
    // Repeated links are harmless to union-find: no DISTINCT.
    each_row(
        tx,
        "SELECT id_no, name_no FROM seeker_rows WHERE id_no IS NOT NULL AND name_no IS NOT NULL",
        "read linked keys",
        |[a, b]| groups.link(a, b),
    )?;
    groups.flatten();
    let mut old = Vec::new();
    each_row(
        tx,
        "SELECT key_no, person_id FROM persons",
        "read persons",
        |[k, p]| old.push((k, p)),
    )?;
    old.sort_unstable();
    let gone: Vec<i64> = old
        .iter()
        .filter(|(k, p)| groups.person(*k) != *p)
        .map(|(k, _)| *k)
        .collect();
    if !gone.is_empty() {
        tx.execute_batch("CREATE OR REPLACE TEMP TABLE persons_gone (key_no BIGINT)")
            .ctx("persons to remove")?;
        {
            let mut app = tx.appender("persons_gone").ctx("appender persons_gone")?;
            for k in &gone {
                app.append_row(params![k]).ctx("append person to remove")?;
            }
            app.flush().ctx("flush persons_gone")?;
        }
        tx.execute_batch(
            "DELETE FROM persons WHERE key_no IN (SELECT key_no FROM persons_gone); DROP TABLE persons_gone;",
        )
        .ctx("remove persons")?;
    }
    let mut app = tx.appender("persons").ctx("appender persons")?;
    for (k, p) in groups.linked() {
        if old.binary_search(&(k, p)).is_err() {
            app.append_row(params![k, p]).ctx("append person")?;
        }
    }
    app.flush().ctx("flush persons")?;
    Ok(groups)
}

/// Fills the temporary table `latest` that the indicators read: each
/// person's latest report within each scope, tallied by what it says.
fn tally_latest_reports(tx: &duckdb::Transaction<'_>, persons: &Persons) -> Result<()> {
    // Scopes are numbered 0 to n - 1.
    let scopes: i64 = tx
        .query_row("SELECT count(*) FROM scopes", [], |r| r.get(0))
        .ctx("count scopes")?;
    let mut reports = Vec::new();
    each_row(
        tx,
        include_str!("sql/current_reports.sql"),
        "read current reports",
        |[key, report, scopes @ ..]: [i64; 2 + SCOPE_KINDS.len()]| {
            reports.push(Report {
                person: persons.person(key),
                report,
                scopes: scopes.map(|n| n as u32),
            });
        },
    )?;
    let counts = tally_latest(&mut reports, usize::try_from(scopes).unwrap_or(0));
    drop(reports);
    tx.execute_batch(LATEST).ctx("create latest")?;
    // Arrow columns: a row appender's per-value binding took most of the
    // tally's time.
    let cells: Vec<(usize, i64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (i, i64::from(*n)))
        .collect();
    let says = |i: usize| (i % SAYS) as i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            cells
                .iter()
                .map(|(i, _)| i32::try_from(i / SAYS).unwrap_or(i32::MAX))
                .collect::<Int32Array>(),
        ),
        Arc::new(
            cells
                .iter()
                .map(|(i, _)| (says(*i) >> layout::MONTHS_SHIFT) as i32)
                .collect::<Int32Array>(),
        ),
        Arc::new(
            cells
                .iter()
                .map(|(i, _)| Some(says(*i) & layout::EXIT_BIT != 0))
                .collect::<BooleanArray>(),
        ),
        Arc::new(
            cells
                .iter()
                .map(|(i, _)| Some(says(*i) & layout::EMPLOYMENT_BIT != 0))
                .collect::<BooleanArray>(),
        ),
        Arc::new(cells.iter().map(|(_, n)| *n).collect::<Int64Array>()),
    ];
    let names = [
        "scope_no",
        "unemployment_months",
        "is_exit",
        "is_employment",
        "people",
    ];
    super::append_arrow(tx, "latest_cells", names.into_iter().zip(columns))
}

#[cfg(test)]
mod tests {
    use crate::model::registry::Registry;
    use crate::store::Store;

    fn threads(store: &Store) -> i64 {
        store
            .connection()
            .query_row("SELECT current_setting('threads')::BIGINT", [], |r| {
                r.get(0)
            })
            .unwrap()
    }

    #[test]
    fn duckdb_works_on_the_calling_thread_outside_the_recomputation() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(threads(&store), 1, "while files load");
        // As after a load: the figures are older than the data.
        store
            .connection()
            .execute_batch("UPDATE state SET version = version + 1")
            .unwrap();
        assert!(store.indicators_stale().unwrap());
        store.recompute(1, &Registry::default()).unwrap();
        assert_eq!(threads(&store), 1, "after the recomputation");
        assert!(
            !store.indicators_stale().unwrap(),
            "the recomputation ran and committed"
        );
    }
}
