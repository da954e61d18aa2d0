//! The only module that talks to DuckDB: schema and migrations, the
//! content-addressed archive, transactional loads through the Appender, and
//! the recomputation of indicators.
//!
//! Every write is one transaction: a file's load (its row in `files`, its
//! rejections and records, the inbox entry), and each recomputation of the
//! figures. A process killed at any instant leaves the database as it was
//! before or after each of them; DuckDB's write-ahead log replays only what
//! was committed.

mod archive;
mod digest;
mod queries;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use duckdb::{params, Connection};

use crate::identity::{tally_latest, LoadData, Persons, Report, SAYS};
use crate::model::registry::Registry;
use crate::model::Verdict;
use crate::validate::FileReport;
use duckdb::arrow::array::{Array, Int64Array};

use crate::indicators::Figure;
pub use archive::Archive;
pub use digest::{FileSummary, MessageRow};
pub use queries::{FileRow, RunRow};

/// Storage failures, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        source: duckdb::Error,
    },
    #[error("{what}: {source}")]
    Sql { what: String, source: duckdb::Error },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The data or database is not what this binary can work with.
    #[error("{0}")]
    Unsupported(String),
    #[error("the database {path} has schema version {found}, newer than this binary's {supported}: upgrade essaim")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

trait Ctx<T> {
    fn ctx(self, what: &str) -> Result<T>;
}

impl<T> Ctx<T> for std::result::Result<T, duckdb::Error> {
    fn ctx(self, what: &str) -> Result<T> {
        self.map_err(|source| StoreError::Sql {
            what: what.to_string(),
            source,
        })
    }
}

/// Migrations, in order: index + 1 is the schema version they bring.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
];
const VIEWS: &str = include_str!("views.sql");
const NUMBER_KEYS: &str = include_str!("recompute/number_keys.sql");
const CURRENT_ROWS: &str = include_str!("recompute/current_rows.sql");
const LATEST: &str = include_str!("recompute/latest.sql");

/// The database file inside the data folder.
pub const DB_FILE: &str = "essaim.duckdb";

/// An open database and archive.
pub struct Store {
    conn: Connection,
    pub path: PathBuf,
    pub archive: Archive,
    /// Random, made with the database: part of every Message-ID.
    pub database_id: String,
}

/// When a file was received: the start of the run that first listed it,
/// and its modification time, never later than that (which only orders
/// files first seen in the same run).
#[derive(Debug, Clone, Copy)]
pub struct Reception {
    pub at: NaiveDateTime,
    pub hint: NaiveDateTime,
}

/// A message recorded with the load of the file it is about, in the same
/// transaction (its .eml is written before).
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: String,
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub eml_path: String,
}

/// Everything stored of one received file, in one transaction.
pub struct FileLoad<'a> {
    pub run_id: i64,
    pub report: &'a FileReport,
    /// Records to load (accepted files only).
    pub load: Option<&'a LoadData>,
    pub received: Reception,
    /// Where the original is archived (`None` for a file too large to be
    /// read, left in the inbox).
    pub archive_path: Option<&'a Path>,
    /// The inbox entry: path, size, change time.
    pub inbox: Option<(&'a str, u64, NaiveDateTime)>,
    /// The feedback to the structure about this file.
    pub message: Option<&'a NewMessage>,
}

/// Makes everything this process writes owner-only, whatever the umask it
/// was started with (the data folder holds personal data's hashes, the
/// archive and e-mails).
pub fn private_umask() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// An archived file selected for re-import: hash, name, verdict, archive path.
pub type ArchivedFile = (String, String, String, Option<String>);

impl Store {
    /// Opens (creating if needed) the database under `data`, migrates it to
    /// this binary's schema version, and recreates the views.
    ///
    /// # Errors
    /// [`StoreError`] when the folder or database cannot be opened, or the
    /// database is newer than this binary.
    pub fn open(data: &Path) -> Result<Store> {
        private_umask();
        std::fs::create_dir_all(data).map_err(|source| StoreError::Io {
            what: format!("create {}", data.display()),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700));
        }
        let path = data.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        let mut store = Store {
            conn,
            archive: Archive::new(data),
            path,
            database_id: String::new(),
        };
        store.migrate()?;
        store.conn.execute_batch(VIEWS).ctx("create views")?;
        store.database_id = store.ensure_database_id()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [store.path.clone(), store.path.with_extension("duckdb.wal")] {
                let _ = std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600));
            }
        }
        Ok(store)
    }

    fn ensure_database_id(&self) -> Result<String> {
        if let Some(id) = self.meta("database_id")? {
            return Ok(id);
        }
        let mut raw = [0u8; 6];
        rand::fill(&mut raw);
        let id = hex::encode(raw);
        self.conn
            .execute(
                "INSERT INTO meta VALUES ('database_id', ?) ON CONFLICT DO NOTHING",
                params![id],
            )
            .ctx("record database id")?;
        Ok(self.meta("database_id")?.unwrap_or(id))
    }

    /// A fact about the database (see `meta` in schema_v3.sql).
    ///
    /// # Errors
    /// SQL errors.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT value FROM meta WHERE key = ?")
            .ctx("prepare meta")?;
        let mut rows = stmt.query(params![key]).ctx("query meta")?;
        match rows.next().ctx("read meta")? {
            Some(r) => Ok(Some(r.get(0).ctx("read meta")?)),
            None => Ok(None),
        }
    }

    /// The fingerprint of the hash key the database's hashes were made with.
    ///
    /// # Errors
    /// SQL errors.
    pub fn key_fingerprint(&self) -> Result<Option<String>> {
        self.meta("key_fingerprint")
    }

    /// Records the key fingerprint (first run, or a completed rotation).
    ///
    /// # Errors
    /// SQL errors.
    pub fn set_key_fingerprint(&self, fingerprint: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta VALUES ('key_fingerprint', ?)",
                params![fingerprint],
            )
            .ctx("record key fingerprint")?;
        Ok(())
    }

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
        tx.execute(
            "INSERT INTO sightings SELECT path, size, stamp, ? FROM listed ON CONFLICT DO NOTHING",
            params![now],
        )
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
                "INSERT INTO inbox_skipped VALUES (?, ?, ?, now())",
                params![run_id, path, reason],
            )
            .ctx("record skipped entry")?;
        Ok(())
    }

    fn migrate(&self) -> Result<()> {
        self.conn
            .execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL);")
            .ctx("create schema_version")?;
        let current: i64 = self
            .conn
            .query_row(
                "SELECT coalesce(max(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .ctx("read schema version")?;
        let supported = MIGRATIONS.len() as i64;
        if current > supported {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                supported,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as i64 + 1;
            let tx = self.conn.unchecked_transaction().ctx("begin migration")?;
            tx.execute_batch(sql)
                .ctx(&format!("migration to version {version}"))?;
            tx.execute(
                "INSERT INTO schema_version VALUES (?, now())",
                params![version],
            )
            .ctx("record migration")?;
            tx.commit().ctx("commit migration")?;
            tracing::info!(version, "database schema migrated");
        }
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS ref_innovations (code VARCHAR PRIMARY KEY, name VARCHAR, phase VARCHAR);
                 CREATE TABLE IF NOT EXISTS ref_structures (code VARCHAR PRIMARY KEY, name VARCHAR, innovation VARCHAR, departement VARCHAR);
                 INSERT INTO state SELECT 1, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM state);",
            )
            .ctx("create reference tables")?;
        Ok(())
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// SQL errors.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
            .ctx("read schema version")
    }

    /// Starts a run and returns its id.
    ///
    /// # Errors
    /// SQL errors.
    pub fn begin_run(&self, kind: &str, note: Option<&str>) -> Result<i64> {
        let id: i64 = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM runs", [], |r| {
                r.get(0)
            })
            .ctx("next run id")?;
        self.conn
            .execute(
                "INSERT INTO runs (id, kind, started_at, note) VALUES (?, ?, now(), ?)",
                params![id, kind, note],
            )
            .ctx("record run start")?;
        Ok(id)
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
                "UPDATE runs SET finished_at = now(), outcome = ?, files_seen = ?, files_new = ?, rows_accepted = ?, rows_rejected = ? WHERE id = ?",
                params![outcome, files_seen as i64, files_new as i64, accepted as i64, rejected as i64, id],
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

    /// Remembers what an inbox path held.
    ///
    /// # Errors
    /// SQL errors.
    pub fn record_inbox(
        &self,
        path: &str,
        size: u64,
        modified: NaiveDateTime,
        sha256: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO inbox_seen VALUES (?, ?, ?, ?)",
                params![path, size as i64, modified, sha256],
            )
            .ctx("record inbox entry")?;
        Ok(())
    }

    /// Loads one received file in a single transaction: its history row,
    /// the tables it carries, its rejections, its records (identities
    /// already keyed hashes), the inbox entry and the feedback message.
    /// The original must already be archived.
    ///
    /// # Errors
    /// SQL errors; nothing of the file is then stored.
    pub fn load_file(&mut self, f: &FileLoad<'_>) -> Result<()> {
        let tx = self.conn.transaction().ctx("begin file load")?;
        let report = f.report;
        let (rows, accepted, rejected) = report.totals();
        let verdict = verdict_name(report.verdict);
        let declared = f.load.and_then(|l| l.declared_professionals);
        tx.execute(
            "INSERT INTO files (sha256, name, size, format, structure, innovation, period, period_end, received_at, run_id, verdict, reason,
                                rows_read, rows_accepted, rows_rejected, declared_professionals, archive_path, mtime_hint, rejections_omitted)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                report.sha256,
                report.name,
                report.size as i64,
                report.format.map(|f| f.label()),
                report.structure,
                report.innovation,
                report.period.map(|p| p.to_string()),
                report.period.map(|p| p.end()),
                f.received.at,
                f.run_id,
                verdict,
                report.reason,
                rows as i64,
                accepted as i64,
                rejected as i64,
                declared.map(i64::from),
                f.archive_path.map(|p| p.to_string_lossy().to_string()),
                f.received.hint,
                report.rejections_omitted as i64,
            ],
        )
        .ctx("insert file")?;
        insert_content(&tx, report, f.load)?;
        if let Some((path, size, stamp)) = f.inbox {
            tx.execute(
                "INSERT OR REPLACE INTO inbox_seen VALUES (?, ?, ?, ?)",
                params![path, size as i64, stamp, report.sha256],
            )
            .ctx("record inbox entry")?;
        }
        if let Some(m) = f.message {
            tx.execute(
                "INSERT INTO messages (id, kind, recipient, subject, created_at, state, attempts, eml_path)
                 VALUES (?, ?, ?, ?, now(), 'pending', 0, ?) ON CONFLICT DO NOTHING",
                params![m.id, m.kind, m.recipient, m.subject, m.eml_path],
            )
            .ctx("record feedback message")?;
        }
        tx.execute("UPDATE state SET version = version + 1", [])
            .ctx("bump state")?;
        tx.commit().ctx("commit file load")?;
        Ok(())
    }

    /// Replaces what is stored of archived files by a new judgement of the
    /// same bytes (after aliases, rules or the hash key changed), all in one
    /// transaction: either every file is re-judged or none. Reception times
    /// and history rows stay. With `fingerprint`, the new key's fingerprint
    /// is recorded in the same transaction (a key rotation).
    ///
    /// # Errors
    /// SQL errors; every file then stays as it was.
    pub fn reload_files(
        &mut self,
        judged: &[(FileReport, Option<LoadData>)],
        fingerprint: Option<&str>,
    ) -> Result<()> {
        let tx = self.conn.transaction().ctx("begin reload")?;
        for (report, load) in judged {
            for table in [
                "file_tables",
                "rejections",
                "job_seekers",
                "companies",
                "professionals",
            ] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE sha256 = ?"),
                    params![report.sha256],
                )
                .ctx("clear file content")?;
            }
            let (rows, accepted, rejected) = report.totals();
            tx.execute(
                "UPDATE files SET format = ?, structure = ?, innovation = ?, period = ?, period_end = ?, verdict = ?, reason = ?,
                                  rows_read = ?, rows_accepted = ?, rows_rejected = ?, declared_professionals = ?, rejections_omitted = ? WHERE sha256 = ?",
                params![
                    report.format.map(|f| f.label()),
                    report.structure,
                    report.innovation,
                    report.period.map(|p| p.to_string()),
                    report.period.map(|p| p.end()),
                    verdict_name(report.verdict),
                    report.reason,
                    rows as i64,
                    accepted as i64,
                    rejected as i64,
                    load.as_ref().and_then(|l| l.declared_professionals).map(i64::from),
                    report.rejections_omitted as i64,
                    report.sha256,
                ],
            )
            .ctx("update file")?;
            insert_content(&tx, report, load.as_ref())?;
        }
        if let Some(fp) = fingerprint {
            tx.execute(
                "INSERT OR REPLACE INTO meta VALUES ('key_fingerprint', ?)",
                params![fp],
            )
            .ctx("record key fingerprint")?;
        }
        tx.execute("UPDATE state SET version = version + 1", [])
            .ctx("bump state")?;
        tx.commit().ctx("commit reload")?;
        Ok(())
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
            .prepare(
                "SELECT sha256, name, verdict, archive_path FROM files
                 WHERE purged_at IS NULL
                   AND (?1 IS NULL OR sha256 LIKE ?1 || '%' OR name = ?1)
                   AND (?2 IS NULL OR structure = ?2)
                   AND (?3 IS NULL OR period = ?3)
                   AND (?4 IS NULL OR innovation = ?4)
                 ORDER BY received_at, mtime_hint, name",
            )
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
                "INSERT INTO reimports VALUES (?, now(), ?, ?, ?)",
                params![run_id, scope, reason, dry_run],
            )
            .ctx("record reimport")?;
        Ok(())
    }

    /// Writes everything to the database file (so that it can be copied).
    ///
    /// # Errors
    /// SQL errors.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("CHECKPOINT").ctx("checkpoint")
    }

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
        // People: key numbers for the rows loaded since the last time, the
        // current rows narrowed to integers, then the groups of linked keys.
        let unnumbered: i64 = tx
            .query_row(
                // Every row has a key, so a numbered row has a number:
                // segments without NULLs are skipped on their statistics.
                "SELECT count(*) FROM job_seekers WHERE id_no IS NULL AND name_no IS NULL",
                [],
                |r| r.get(0),
            )
            .ctx("count unnumbered keys")?;
        phase("reference");
        if unnumbered > 0 {
            tx.execute_batch(NUMBER_KEYS).ctx("number identity keys")?;
        }
        phase("numbering");
        tx.execute_batch(CURRENT_ROWS)
            .ctx("current job-seeker rows")?;
        phase("current rows");
        let persons = update_persons(&tx)?;
        phase("persons");
        tally_latest_reports(&tx, &persons)?;
        drop(persons);
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
        tx.execute_batch(
            "DROP TABLE latest; DROP TABLE seeker_rows; DROP TABLE seeker_files; DROP TABLE scopes;
             UPDATE state SET indicators_version = version;",
        )
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
            .execute(
                "UPDATE files SET purged_at = now() WHERE sha256 = ?",
                params![sha256],
            )
            .ctx("mark purged")?;
        Ok(())
    }

    /// Writes published figures to a Parquet file (hidden cells as NULL).
    ///
    /// # Errors
    /// SQL errors.
    pub fn export_parquet(
        &self,
        cells: &[crate::indicators::publish::Published],
        path: &Path,
    ) -> Result<()> {
        self.conn
            .execute_batch("CREATE OR REPLACE TEMP TABLE export_figures (indicator VARCHAR, scope_kind VARCHAR, scope VARCHAR, value DOUBLE, hidden BOOLEAN);")
            .ctx("create export table")?;
        {
            let mut app = self
                .conn
                .appender("export_figures")
                .ctx("appender export")?;
            for c in cells {
                app.append_row(params![
                    c.indicator,
                    c.scope_kind,
                    c.scope,
                    c.value,
                    c.hidden
                ])
                .ctx("append export")?;
            }
            app.flush().ctx("flush export")?;
        }
        let target = path.to_string_lossy().replace('\'', "''");
        self.conn
            .execute_batch(&format!(
                "COPY export_figures TO '{target}' (FORMAT parquet); DROP TABLE export_figures;"
            ))
            .ctx("write parquet")?;
        Ok(())
    }

    /// Runs a query for tools and tests (read-only use).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Accepted => "accepted",
        Verdict::RowsRejected => "rows_rejected",
        Verdict::FileRejected => "file_rejected",
    }
}

/// The tables, rejections and records of a judged file.
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
    let mut names = Vec::new();
    {
        let mut stmt = tx
            .prepare("SELECT scope_kind, scope FROM scopes ORDER BY scope_no")
            .ctx("prepare scopes")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .ctx("query scopes")?;
        for row in rows {
            names.push(row.ctx("read scope")?);
        }
    }
    let mut reports = Vec::new();
    each_row(
        tx,
        "SELECT coalesce(id_no, name_no), report, innovation_no::BIGINT, departement_no::BIGINT,
                period_no::BIGINT, structure_no::BIGINT
         FROM seeker_rows",
        "read current reports",
        |[key, report, i, d, p, s]| {
            reports.push(Report {
                person: persons.person(key),
                report,
                scopes: [i as u32, d as u32, p as u32, s as u32],
            });
        },
    )?;
    let counts = tally_latest(&mut reports, names.len());
    drop(reports);
    tx.execute_batch(LATEST).ctx("create latest")?;
    let mut app = tx.appender("latest").ctx("appender latest")?;
    for (i, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
        let (kind, scope) = &names[i / SAYS];
        let says = (i % SAYS) as i64;
        app.append_row(params![
            kind,
            scope,
            says >> 2,
            says & 2 != 0,
            says & 1 != 0,
            i64::from(*n)
        ])
        .ctx("append latest")?;
    }
    app.flush().ctx("flush latest")?;
    Ok(())
}

fn insert_content(
    tx: &duckdb::Transaction<'_>,
    report: &FileReport,
    load: Option<&LoadData>,
) -> Result<()> {
    {
        let mut app = tx.appender("rejections").ctx("appender rejections")?;
        for j in &report.rejections {
            app.append_row(params![
                report.sha256,
                j.sheet,
                j.row,
                j.column,
                j.header,
                j.value,
                j.reason
            ])
            .ctx("append rejection")?;
        }
        app.flush().ctx("flush rejections")?;
    }
    let Some(load) = load else { return Ok(()) };
    {
        let mut app = tx.appender("file_tables").ctx("appender file_tables")?;
        for t in &load.carried {
            app.append_row(params![report.sha256, t.csv_name()])
                .ctx("append file table")?;
        }
        app.flush().ctx("flush file_tables")?;
    }
    {
        use crate::model::records::Listed;
        let mut app = tx.appender("job_seekers").ctx("appender job_seekers")?;
        for j in &load.job_seekers {
            app.append_row(params![
                report.sha256,
                j.row,
                j.identity.by_id,
                j.identity.by_name,
                j.sex.map(Listed::label),
                j.postal_code.as_str(),
                j.entry,
                j.unemployment_months,
                j.education.map(Listed::label),
                Listed::label(j.situation),
                j.exit,
                j.situation.is_exit(),
                j.situation.is_employment(),
                None::<i64>, // id_no and name_no: numbered at the next recomputation
                None::<i64>,
            ])
            .ctx("append job seeker")?;
        }
        app.flush().ctx("flush job_seekers")?;
    }
    {
        use crate::model::records::Listed;
        let mut app = tx.appender("companies").ctx("appender companies")?;
        for c in &load.companies {
            let siret = match &c.id {
                crate::model::records::CompanyId::Siret(s) => Some(s.as_str()),
                crate::model::records::CompanyId::Siren(_) => None,
            };
            app.append_row(params![
                report.sha256,
                c.row,
                siret,
                c.id.siren(),
                c.name,
                Listed::label(c.kind),
                c.kind.is_company_or_private_partner(),
                Listed::label(c.engagement),
                c.postal_code.as_ref().map(|p| p.as_str()),
                c.hires,
            ])
            .ctx("append company")?;
        }
        app.flush().ctx("flush companies")?;
    }
    {
        let mut app = tx.appender("professionals").ctx("appender professionals")?;
        for p in &load.professionals {
            app.append_row(params![report.sha256, p.row, p.key, p.function])
                .ctx("append professional")?;
        }
        app.flush().ctx("flush professionals")?;
    }
    Ok(())
}
