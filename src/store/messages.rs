//! What the digest and the feedback e-mails read and write: digests,
//! messages and their delivery states, files since the last digest.

use chrono::NaiveDateTime;
use duckdb::{params, OptionalExt};
use serde::Serialize;

use super::{Ctx, Result, Store};
use crate::indicators::Figure;
use crate::model::{MessageState, Verdict};

/// A file as the digest lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub sha256: String,
    pub name: String,
    pub structure: Option<String>,
    pub innovation: Option<String>,
    pub period: Option<String>,
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub current: bool,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
}

/// A message and its delivery state.
#[derive(Debug, Clone, Serialize)]
pub struct MessageRow {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub state: MessageState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub eml_path: String,
}

impl Store {
    /// The previous digest: (id, figures run id, last run id covered).
    ///
    /// # Errors
    /// SQL errors.
    pub fn last_digest(&self) -> Result<Option<(i64, Option<i64>, i64)>> {
        self.conn
            .query_row(
                "SELECT id, figures_run_id, last_run_id FROM digests ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .ctx("read last digest")
    }

    /// Records a new digest and returns its id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn record_digest(&self, figures_run_id: Option<i64>) -> Result<i64> {
        let id: i64 = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM digests", [], |r| {
                r.get(0)
            })
            .ctx("next digest id")?;
        self.conn
            .execute(
                include_str!("sql/record_digest.sql"),
                params![id, figures_run_id],
            )
            .ctx("record digest")?;
        Ok(id)
    }

    /// The run id of the latest figures.
    ///
    /// # Errors
    /// SQL errors.
    pub fn latest_figures_run(&self) -> Result<Option<i64>> {
        self.conn
            .query_row("SELECT max(run_id) FROM indicator_values", [], |r| r.get(0))
            .ctx("latest figures run")
    }

    /// The figures of one recomputation.
    ///
    /// # Errors
    /// SQL errors.
    pub fn figures_of(&self, run_id: i64) -> Result<Vec<Figure>> {
        self.figures_where(run_id, None)
    }

    /// The national figures of the latest recomputation (what `run` and
    /// `reimport` print: reading every scope's figures was most of a run
    /// with nothing new).
    ///
    /// # Errors
    /// SQL errors.
    pub fn latest_national_figures(&self) -> Result<Vec<Figure>> {
        // One statement, not the latest run's id then its figures: DuckDB
        // plans a statement that reads a table twice, as it is prepared and
        // again as it runs, and each plan costs a millisecond or more of a
        // run with nothing new.
        self.figures(include_str!("sql/latest_national_figures.sql"), [])
    }

    fn figures_where(&self, run_id: i64, scope_kind: Option<&str>) -> Result<Vec<Figure>> {
        self.figures(
            include_str!("sql/figures_of.sql"),
            params![run_id, scope_kind],
        )
    }

    fn figures(&self, sql: &str, args: impl duckdb::Params) -> Result<Vec<Figure>> {
        let mut stmt = self.conn.prepare(sql).ctx("prepare figures of run")?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(Figure {
                    indicator: r.get(0)?,
                    scope_kind: r.get(1)?,
                    scope: r.get(2)?,
                    value: r.get(3)?,
                    people: r.get(4)?,
                })
            })
            .ctx("query figures of run")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read figures of run")
    }

    /// Files first received after run `after_run`.
    ///
    /// # Errors
    /// SQL errors.
    pub fn files_since(&self, after_run: i64) -> Result<Vec<FileSummary>> {
        let mut stmt = self
            .conn
            .prepare(include_str!("sql/files_since.sql"))
            .ctx("prepare files since")?;
        let rows = stmt
            .query_map(params![after_run], |r| {
                Ok(FileSummary {
                    sha256: r.get(0)?,
                    name: r.get(1)?,
                    structure: r.get(2)?,
                    innovation: r.get(3)?,
                    period: r.get(4)?,
                    verdict: r.get(5)?,
                    reason: r.get(6)?,
                    current: r.get(7)?,
                    rows_accepted: r.get(8)?,
                    rows_rejected: r.get(9)?,
                })
            })
            .ctx("query files since")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read files since")
    }

    /// The most frequent rejection reasons of some files: (reason, count).
    ///
    /// # Errors
    /// SQL errors.
    pub fn main_reasons(&self, after_run: i64, limit: usize) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare(include_str!("sql/main_reasons.sql"))
            .ctx("prepare reasons")?;
        let rows = stmt
            .query_map(params![after_run, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ctx("query reasons")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read reasons")
    }

    /// Records a composed message as pending.
    ///
    /// # Errors
    /// SQL errors (a message id already recorded is left as it is).
    pub fn record_message(
        &self,
        id: &str,
        kind: &str,
        recipient: &str,
        subject: &str,
        eml_path: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                include_str!("sql/record_message.sql"),
                params![id, kind, recipient, subject, eml_path, None::<String>],
            )
            .ctx("record message")?;
        Ok(())
    }

    /// Feedback messages that could not be built: (id, the file's archived
    /// original, its name).
    ///
    /// # Errors
    /// SQL errors.
    pub fn unbuilt_feedback(&self) -> Result<Vec<(String, Option<String>, String)>> {
        // Asked after every run, and almost always empty: whether there is
        // any first, from `messages` alone (a join costs DuckDB three times
        // as much to plan), then the messages with their files in one join.
        const UNBUILT: &str = "SELECT * FROM messages \
             WHERE kind = 'feedback' AND state = 'failed' AND eml_path = ''";
        let any: bool = self
            .conn
            .query_row(&format!("SELECT count(*) > 0 FROM ({UNBUILT})"), [], |r| {
                r.get(0)
            })
            .ctx("look for unbuilt feedback")?;
        if !any {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT m.id, f.archive_path, f.name FROM ({UNBUILT}) m \
                 JOIN files f ON f.sha256 = m.about ORDER BY m.created_at"
            ))
            .ctx("prepare unbuilt feedback")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ctx("query unbuilt feedback")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read unbuilt feedback")
    }

    /// A message's state and whether it has a body, by id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn message_state(&self, id: &str) -> Result<Option<(MessageState, bool)>> {
        self.conn
            .query_row(
                "SELECT state, eml_path <> '' FROM messages WHERE id = ?",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ctx("read message state")
    }

    /// A failed feedback built at last: queued with its body.
    ///
    /// # Errors
    /// SQL errors.
    pub fn rebuilt_message(&self, id: &str, eml_path: &str, subject: &str) -> Result<()> {
        self.conn
            .execute(
                include_str!("sql/rebuilt_message.sql"),
                params![eml_path, subject, id],
            )
            .ctx("requeue rebuilt message")?;
        Ok(())
    }

    /// How many messages failed for good (shown by `status`).
    ///
    /// # Errors
    /// SQL errors.
    pub fn failed_messages(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages WHERE state = 'failed'",
                [],
                |r| r.get(0),
            )
            .ctx("count failed messages")
    }

    /// Messages due for a delivery attempt.
    ///
    /// # Errors
    /// SQL errors.
    pub fn due_messages(&self, now: NaiveDateTime) -> Result<Vec<MessageRow>> {
        self.messages_where(
            "state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            Some(now),
        )
    }

    /// Every message, newest first.
    ///
    /// # Errors
    /// SQL errors.
    pub fn all_messages(&self) -> Result<Vec<MessageRow>> {
        self.messages_where("TRUE", None)
    }

    fn messages_where(&self, cond: &str, now: Option<NaiveDateTime>) -> Result<Vec<MessageRow>> {
        let sql = format!(
            "SELECT id, kind, recipient, subject, state, attempts, last_error, eml_path FROM messages WHERE {cond} ORDER BY created_at, id"
        );
        let mut stmt = self.conn.prepare(&sql).ctx("prepare messages")?;
        let map = |r: &duckdb::Row<'_>| {
            Ok(MessageRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                recipient: r.get(2)?,
                subject: r.get(3)?,
                state: r.get(4)?,
                attempts: r.get(5)?,
                last_error: r.get(6)?,
                eml_path: r.get(7)?,
            })
        };
        let rows = match now {
            Some(n) => stmt.query_map(params![n], map),
            None => stmt.query_map([], map),
        }
        .ctx("query messages")?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .ctx("read messages")
    }

    /// Moves a message to a new state (`sending` before the SMTP dialogue,
    /// then `sent`, `pending` with a retry time, or `failed`).
    ///
    /// # Errors
    /// SQL errors.
    pub fn set_message_state(
        &self,
        id: &str,
        state: MessageState,
        error: Option<&str>,
        next_attempt: Option<NaiveDateTime>,
    ) -> Result<()> {
        let bump = i64::from(state == MessageState::Sending);
        self.conn
            .execute(
                include_str!("sql/set_message_state.sql"),
                params![
                    state,
                    bump,
                    error,
                    next_attempt,
                    state == MessageState::Sent,
                    id
                ],
            )
            .ctx("update message")?;
        Ok(())
    }

    /// Marks messages written to the outbox as sent, in one transaction
    /// (a message written again after a crash overwrites its own file).
    ///
    /// # Errors
    /// SQL errors.
    pub fn mark_sent(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .unchecked_transaction()
            .ctx("begin marking sent")?;
        tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS stage_sent (id VARCHAR);")
            .ctx("stage sent")?;
        super::stage_keys(&tx, "stage_sent", ids)?;
        tx.execute_batch(include_str!("sql/mark_sent.sql"))
            .ctx("mark sent")?;
        tx.commit().ctx("commit marking sent")?;
        Ok(())
    }

    /// Puts a message back in the queue (operator's `--resend`).
    ///
    /// # Errors
    /// SQL errors; `false` when no message has this id.
    pub fn requeue_message(&self, id: &str) -> Result<bool> {
        let n = self
            .conn
            .execute(include_str!("sql/requeue_message.sql"), params![id])
            .ctx("requeue message")?;
        Ok(n > 0)
    }
}
