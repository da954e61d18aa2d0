//! The read-only snapshot: a copy of the database made when a writing
//! command ends with new data, so that `status`, `indicators` and
//! `digest --list` can answer while another process holds the data
//! folder (DuckDB lets one process write, and then no other read).

use std::path::{Path, PathBuf};

use duckdb::{AccessMode, Config, Connection};

use super::{Ctx, Result, Store, StoreError, DB_FILE};

/// Where the snapshot of a data folder lives.
pub fn snapshot_dir(data: &Path) -> PathBuf {
    data.join("snapshot")
}

impl Store {
    /// Copies the database to the snapshot folder when its data changed
    /// since the last copy (or there is none): a checkpoint, then a copy
    /// renamed into place, so a reader sees the old copy or the new one.
    /// Only a process holding the writer lock calls this.
    ///
    /// # Errors
    /// SQL or I/O errors (the caller logs them: the snapshot is a comfort).
    pub fn refresh_snapshot(&self) -> Result<bool> {
        let version: i64 = self
            .conn
            .query_row("SELECT version FROM state", [], |r| r.get(0))
            .ctx("read state")?;
        let data = self.path.parent().unwrap_or_else(|| Path::new("."));
        let dir = snapshot_dir(data);
        let target = dir.join(DB_FILE);
        if target.exists() && self.meta("snapshot_version")? == Some(version.to_string()) {
            return Ok(false);
        }
        self.checkpoint()?;
        let io = |what: &str, source| StoreError::Io {
            what: format!("{what} {}", dir.display()),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(|e| io("create", e))?;
        let tmp = dir.join(format!("{DB_FILE}.tmp"));
        std::fs::copy(&self.path, &tmp).map_err(|e| io("copy into", e))?;
        std::fs::rename(&tmp, &target).map_err(|e| io("rename in", e))?;
        // Recorded once the copy is in place: a copy that failed is tried
        // again by the next writing command.
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta VALUES ('snapshot_version', ?)",
                duckdb::params![version.to_string()],
            )
            .ctx("record snapshot version")?;
        Ok(true)
    }

    /// Opens the snapshot of `data` read-only, with when it was taken;
    /// `None` when there is none.
    ///
    /// # Errors
    /// SQL errors.
    pub fn open_snapshot(data: &Path) -> Result<Option<(Store, std::time::SystemTime)>> {
        let path = snapshot_dir(data).join(DB_FILE);
        let Ok(meta) = std::fs::metadata(&path) else {
            return Ok(None);
        };
        let config = Config::default()
            .access_mode(AccessMode::ReadOnly)
            .ctx("read-only configuration")?;
        let conn =
            Connection::open_with_flags(&path, config).map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        let mut store = Store::over(conn, data, path);
        store.database_id = store.meta("database_id")?.unwrap_or_default();
        Ok(Some((
            store,
            meta.modified().unwrap_or(std::time::SystemTime::UNIX_EPOCH),
        )))
    }
}
