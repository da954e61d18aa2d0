//! The history: runs, what the inbox held and when each entry was first
//! seen, entries passed over, re-imports, and the archive's retention.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use duckdb::params;

use super::{ArchivedFile, Ctx, Result, Store};

impl Store {
    /// Whether any file's records were ever stored (hashes exist).
    ///
    /// # Errors
    /// SQL errors.
    pub fn holds_hashes(&self) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM job_seekers) + (SELECT count(*) FROM professionals) > 0",
                [],
                |r| r.get(0),
            )
            .ctx("count hashed rows")
    }

    /// Records the first sighting of each inbox entry (path, size, change
    /// time) at `now`, keeping earlier sightings, and returns when each was
    /// first seen. One transaction, before any file is loaded.
    ///
    /// # Errors
    /// SQL errors.
    pub fn first_seen(
        &mut self,
        entries: &[(String, u64, NaiveDateTime)],
        now: NaiveDateTime,
    ) -> Result<HashMap<String, NaiveDateTime>> {
        // Nothing listed, nothing to record: no transaction (most of a
        // nightly run with nothing new was this empty one).
        if entries.is_empty() {
            return Ok(HashMap::new());
        }
        let tx = self.conn.transaction().ctx("begin sightings")?;
        tx.execute_batch(
            "CREATE OR REPLACE TEMP TABLE listed (path VARCHAR, size BIGINT, stamp TIMESTAMP)",
        )
        .ctx("create listed")?;
        {
            let mut app = tx.appender("listed").ctx("appender listed")?;
            for (p, size, stamp) in entries {
                app.append_row(params![p, *size as i64, stamp])
                    .ctx("append listed")?;
            }
            app.flush().ctx("flush listed")?;
        }
        tx.execute(include_str!("sql/record_sightings.sql"), params![now])
            .ctx("record sightings")?;
        let mut out = HashMap::new();
        {
            let mut stmt = tx
                .prepare("SELECT s.path, s.first_seen FROM sightings s JOIN listed l USING (path, size, stamp)")
                .ctx("prepare sightings")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, NaiveDateTime>(1)?))
                })
                .ctx("query sightings")?;
            for r in rows {
                let (p, t) = r.ctx("read sighting")?;
                out.insert(p, t);
            }
        }
        tx.execute_batch("DROP TABLE listed").ctx("drop listed")?;
        tx.commit().ctx("commit sightings")?;
        Ok(out)
    }

    /// Records an inbox entry passed over (a link, a FIFO, an unreadable
    /// entry or folder).
    ///
    /// # Errors
    /// SQL errors.
    pub fn record_skipped(&self, run_id: i64, path: &str, reason: &str) -> Result<()> {
        self.conn
            .execute(
                include_str!("sql/record_skipped.sql"),
                params![run_id, path, reason],
            )
            .ctx("record skipped entry")?;
        Ok(())
    }

    /// Starts a run and returns its id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn begin_run(&self, kind: &str, note: Option<&str>) -> Result<i64> {
        self.conn
            .query_row(
                include_str!("sql/begin_run.sql"),
                params![kind, note],
                |r| r.get(0),
            )
            .ctx("record run start")
    }

    /// Records how a run ended.
    ///
    /// # Errors
    /// SQL errors.
    pub fn finish_run(
        &self,
        id: i64,
        outcome: &str,
        files_seen: usize,
        files_new: usize,
        accepted: usize,
        rejected: usize,
    ) -> Result<()> {
        self.conn
            .execute(
                include_str!("sql/finish_run.sql"),
                params![
                    outcome,
                    files_seen as i64,
                    files_new as i64,
                    accepted as i64,
                    rejected as i64,
                    id
                ],
            )
            .ctx("record run end")?;
        Ok(())
    }

    /// What the inbox held at the last run: path -> (size, modification
    /// time). One query, so that an unchanged inbox is recognised without
    /// reading any file or asking once per file.
    ///
    /// # Errors
    /// SQL errors.
    pub fn inbox_entries(&self) -> Result<HashMap<String, (i64, NaiveDateTime)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, modified FROM inbox_seen")
            .ctx("prepare inbox entries")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    (r.get::<_, i64>(1)?, r.get::<_, NaiveDateTime>(2)?),
                ))
            })
            .ctx("query inbox entries")?;
        rows.collect::<std::result::Result<HashMap<_, _>, _>>()
            .ctx("read inbox entries")
    }

    /// The hashes of every file ever received (one query per run, so
    /// that the parallel stage can tell repeats without the database).
    ///
    /// # Errors
    /// SQL errors.
    pub fn known_hashes(&self) -> Result<std::collections::HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256 FROM files")
            .ctx("prepare known hashes")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .ctx("query known hashes")?;
        rows.collect::<std::result::Result<_, _>>()
            .ctx("read known hashes")
    }

    /// Archived files matching a re-import scope: hash prefix or name,
    /// structure, period, innovation, or all (`None`s).
    ///
    /// # Errors
    /// SQL errors.
    pub fn select_files(
        &self,
        file: Option<&str>,
        structure: Option<&str>,
        period: Option<&str>,
        innovation: Option<&str>,
    ) -> Result<Vec<ArchivedFile>> {
        let mut stmt = self
            .conn
            .prepare(include_str!("sql/select_files.sql"))
            .ctx("prepare file selection")?;
        let rows = stmt
            .query_map(params![file, structure, period, innovation], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .ctx("query file selection")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read file selection")
    }

    /// Files whose original was purged but whose records remain (their
    /// hashes cannot be made again).
    ///
    /// # Errors
    /// SQL errors.
    pub fn purged_with_records(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM files WHERE purged_at IS NOT NULL AND verdict <> 'file_rejected' ORDER BY name")
            .ctx("prepare purged files")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .ctx("query purged files")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read purged files")
    }

    /// Records a manual re-import.
    ///
    /// # Errors
    /// SQL errors.
    pub fn record_reimport(
        &self,
        run_id: i64,
        scope: &str,
        reason: &str,
        dry_run: bool,
    ) -> Result<()> {
        self.conn
            .execute(
                include_str!("sql/record_reimport.sql"),
                params![run_id, scope, reason, dry_run],
            )
            .ctx("record reimport")?;
        Ok(())
    }

    /// Marks originals received before `cutoff` as purged (their archive
    /// copies are deleted by the caller); records and hashes stay.
    ///
    /// # Errors
    /// SQL errors.
    pub fn purgeable(&self, cutoff: NaiveDateTime) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT sha256, archive_path FROM files WHERE purged_at IS NULL AND received_at <= ? AND archive_path IS NOT NULL")
            .ctx("prepare purge")?;
        let rows = stmt
            .query_map(params![cutoff], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("query purge")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read purge")
    }

    /// Records that an original was purged.
    ///
    /// # Errors
    /// SQL errors.
    pub fn mark_purged(&self, sha256: &str) -> Result<()> {
        self.conn
            .execute(include_str!("sql/mark_purged.sql"), params![sha256])
            .ctx("mark purged")?;
        Ok(())
    }
}
