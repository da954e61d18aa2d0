//! Read-only questions operators ask: recent runs, each structure's files,
//! what a file became.

use duckdb::params;
use serde::Serialize;

use super::{Ctx, Result, Store};

/// One run, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub kind: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
    pub files_seen: Option<i64>,
    pub files_new: Option<i64>,
    pub rows_accepted: Option<i64>,
    pub rows_rejected: Option<i64>,
}

/// One received file, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    pub sha256: String,
    pub name: String,
    pub structure: Option<String>,
    pub period: Option<String>,
    pub received_at: String,
    pub verdict: crate::model::Verdict,
    pub reason: Option<String>,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    /// Whether at least one of its tables counts in the figures.
    pub current: bool,
}

impl Store {
    /// The last `n` runs, newest first.
    ///
    /// # Errors
    /// SQL errors.
    pub fn recent_runs(&self, n: usize) -> Result<Vec<RunRow>> {
        let mut stmt = self
            .conn
            .prepare(include_str!("sql/recent_runs.sql"))
            .ctx("prepare runs")?;
        let rows = stmt
            .query_map(params![n as i64], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    started_at: r.get(2)?,
                    finished_at: r.get(3)?,
                    outcome: r.get(4)?,
                    files_seen: r.get(5)?,
                    files_new: r.get(6)?,
                    rows_accepted: r.get(7)?,
                    rows_rejected: r.get(8)?,
                })
            })
            .ctx("query runs")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read runs")
    }

    /// Every received file, by structure then period then reception.
    ///
    /// # Errors
    /// SQL errors.
    pub fn files(&self) -> Result<Vec<FileRow>> {
        let mut stmt = self
            .conn
            .prepare(include_str!("sql/files_by_structure.sql"))
            .ctx("prepare files")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FileRow {
                    sha256: r.get(0)?,
                    name: r.get(1)?,
                    structure: r.get(2)?,
                    period: r.get(3)?,
                    received_at: r.get(4)?,
                    verdict: r.get(5)?,
                    reason: r.get(6)?,
                    rows_accepted: r.get(7)?,
                    rows_rejected: r.get(8)?,
                    current: r.get(9)?,
                })
            })
            .ctx("query files")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read files")
    }

    /// Messages not yet delivered (pending, or interrupted while sending).
    ///
    /// # Errors
    /// SQL errors.
    pub fn pending_messages(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages WHERE state IN ('pending', 'sending')",
                [],
                |r| r.get(0),
            )
            .ctx("count pending messages")
    }

    /// Structures with an accepted file (whole or with rejected rows) whose
    /// period ends within `[start, end]`.
    ///
    /// # Errors
    /// SQL errors.
    pub fn structures_reporting(
        &self,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT structure FROM files WHERE verdict <> 'file_rejected' AND period_end BETWEEN ? AND ? AND structure IS NOT NULL")
            .ctx("prepare reporting")?;
        let rows = stmt
            .query_map(params![start, end], |r| r.get::<_, String>(0))
            .ctx("query reporting")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read reporting")
    }
}
