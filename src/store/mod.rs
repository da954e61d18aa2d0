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
mod export;
mod keys;
mod ledger;
mod load;
mod messages;
mod queries;
mod recompute;
mod schema;
mod snapshot;
mod sql_types;

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use duckdb::Connection;

use crate::identity::LoadData;
use crate::validate::FileReport;

pub use archive::Archive;
pub use load::Reload;
pub use messages::{FileSummary, MessageRow};
pub use queries::{FileRow, RunRow};
pub use recompute::Publication;
pub use snapshot::snapshot_dir;

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

/// The database file inside the data folder.
pub const DB_FILE: &str = "essaim.duckdb";

/// An open database and archive.
pub struct Store {
    conn: Connection,
    pub path: PathBuf,
    pub archive: Archive,
    /// Random, made with the database: part of every Message-ID.
    pub database_id: String,
    /// Identity keys' numbers, read when a load first needs them.
    keys: Option<keys::KeyNumbers>,
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
    /// Empty when the message could not be built (`failed` is then set).
    pub eml_path: String,
    /// The file a feedback is about (its sha256).
    pub about: Option<String>,
    /// Why the message could not be built: it is recorded `failed`.
    pub failed: Option<String>,
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
    /// Writes everything to the database file (so that it can be copied).
    ///
    /// # Errors
    /// SQL errors.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("CHECKPOINT").ctx("checkpoint")
    }

    /// A store over an open connection to `path` in the data folder `data`
    /// (its database id is read or made by the caller).
    fn over(conn: Connection, data: &Path, path: PathBuf) -> Store {
        Store {
            conn,
            archive: Archive::new(data),
            path,
            database_id: String::new(),
            keys: None,
        }
    }

    /// Runs a query for tools and tests (read-only use).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Appends named Arrow columns to `table` through one appender.
pub(crate) fn append_arrow<'n>(
    tx: &duckdb::Transaction<'_>,
    table: &str,
    columns: impl IntoIterator<Item = (&'n str, duckdb::arrow::array::ArrayRef)>,
) -> Result<()> {
    let batch = duckdb::arrow::record_batch::RecordBatch::try_from_iter(columns)
        .map_err(|e| StoreError::Unsupported(format!("{table} as Arrow: {e}")))?;
    let mut app = tx.appender(table).ctx(&format!("appender {table}"))?;
    app.append_record_batch(batch)
        .ctx(&format!("append to {table}"))?;
    app.flush().ctx(&format!("flush {table}"))
}

/// Appends `keys` to a one-column staging table (`table`, made by the
/// caller), to be joined by a statement that works on all of them at once.
fn stage_keys<K: duckdb::ToSql>(
    tx: &duckdb::Transaction<'_>,
    table: &str,
    keys: impl IntoIterator<Item = K>,
) -> Result<()> {
    let mut app = tx.appender(table).ctx("appender stage")?;
    for k in keys {
        app.append_row([k]).ctx("append staged key")?;
    }
    app.flush().ctx("flush stage")
}
