//! Opening the database: migrations (versioned `.sql` files), views, and
//! the facts the database keeps about itself (`meta`).

use std::path::Path;

use duckdb::{params, Connection};

use super::{private_umask, Ctx, Result, Store, StoreError, DB_FILE};

/// Migrations, in order: index + 1 is the schema version they bring.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
    include_str!("schema_v6.sql"),
    include_str!("schema_v7.sql"),
];
const VIEWS: &str = include_str!("views.sql");
/// DuckDB's memory limit for one connection.
const MEMORY_LIMIT: &str = "320MB";
const COMMENTS: &str = include_str!("comments.sql");
/// DuckDB's threads outside the recomputation (see [`Store::connect`]): the
/// database opens with it, and `Store::recompute` sets it back.
pub(super) const LOADING_THREADS: i64 = 1;

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
        if !path.exists() {
            create(data, &path)?;
        }
        let mut store = Self::connect(data, &path)?;
        store.set_up()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [store.path.clone(), store.path.with_extension("duckdb.wal")] {
                let _ = std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600));
            }
        }
        Ok(store)
    }

    /// A connection to the database file `path` with essaim's settings.
    fn connect(data: &Path, path: &Path) -> Result<Store> {
        let failed = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        // DuckDB's buffer pool defaults to 80 % of the machine: on a shared
        // server that is memory the nightly run has no use for. Beyond the
        // limit DuckDB evicts and spills (README, "Benchmarks"). Loads are
        // checkpointed once, before the recomputation (`Store::recompute`),
        // not every 16 MiB of log: each automatic checkpoint at a group's
        // commit rewrote the row groups still filling up (committing was
        // 1.0 s of the shared generator's first load, 0.4 s since).
        // DuckDB works on the calling thread only, except while it
        // recomputes (`Store::recompute`): while files load, the worker
        // processes hold every core, and a statement's thread spun on
        // DuckDB's task queue waiting for a helper thread that had no core
        // (a tenth of the writer's CPU in `perf`; loading 0.5 s shorter on
        // the side-by-side data, the run's CPU 0.9 s less). Given when the
        // database opens, not as `SET` statements after: no helper thread
        // is started only to be stopped, and nothing is parsed.
        let settings = duckdb::Config::default()
            .with("memory_limit", MEMORY_LIMIT)
            .and_then(|c| c.with("preserve_insertion_order", "false"))
            .and_then(|c| c.with("checkpoint_threshold", "1GB"))
            .and_then(|c| c.threads(LOADING_THREADS))
            .map_err(failed)?;
        let conn = Connection::open_with_flags(path, settings).map_err(failed)?;
        Ok(Store::over(conn, data, path.to_path_buf()))
    }

    /// Migrates the schema, recreates the views when they changed and
    /// reads (or makes) the database id. Schema changes go to the database
    /// file at once, not left in the log: a log of DDL is what DuckDB has
    /// been seen to fail to replay after a crash (duckdb/duckdb#25510).
    fn set_up(&mut self) -> Result<()> {
        let migrated = self.migrate()?;
        let mut meta = self.meta_all()?;
        let views = meta.remove("views");
        let id = meta.remove("database_id");
        let views = self.ensure_views(migrated, views.as_deref())?;
        self.database_id = match id {
            Some(id) => id,
            None => self.make_database_id()?,
        };
        if migrated || views {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Recreates the views and the comments when this binary's differ from
    /// those the database holds (a fingerprint in `meta`) or the schema was
    /// migrated, in one transaction: an unchanged binary opens without
    /// rewriting them.
    fn ensure_views(&self, force: bool, recorded: Option<&str>) -> Result<bool> {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(VIEWS);
        h.update(COMMENTS);
        let fingerprint = hex::encode(h.finalize());
        if !force && recorded == Some(fingerprint.as_str()) {
            return Ok(false);
        }
        let tx = self.conn.unchecked_transaction().ctx("begin views")?;
        tx.execute_batch(VIEWS).ctx("create views (views.sql)")?;
        tx.execute_batch(COMMENTS)
            .ctx("comment tables and views (comments.sql)")?;
        tx.execute(
            "INSERT OR REPLACE INTO meta VALUES ('views', ?)",
            params![fingerprint],
        )
        .ctx("record views")?;
        tx.commit().ctx("commit views")?;
        Ok(true)
    }

    /// Gives the database its id (the first time it is opened).
    fn make_database_id(&self) -> Result<String> {
        let mut raw = [0u8; 6];
        rand::fill(&mut raw);
        let id = hex::encode(raw);
        self.conn
            .execute(include_str!("sql/record_database_id.sql"), params![id])
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

    /// Every fact in `meta`, by key (one statement for the few that opening
    /// the database reads).
    fn meta_all(&self) -> Result<std::collections::HashMap<String, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM meta")
            .ctx("prepare meta")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("query meta")?;
        rows.collect::<std::result::Result<_, _>>().ctx("read meta")
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
                include_str!("sql/set_key_fingerprint.sql"),
                params![fingerprint],
            )
            .ctx("record key fingerprint")?;
        Ok(())
    }

    /// Brings the schema to this binary's version; whether it changed.
    fn migrate(&self) -> Result<bool> {
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
            tx.execute(include_str!("sql/record_migration.sql"), params![version])
                .ctx("record migration")?;
            tx.commit().ctx("commit migration")?;
            tracing::info!(version, "database schema migrated");
        }
        Ok(current < supported)
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
}

/// Makes a new database at `path` whole or not at all: it is set up under a
/// temporary name (schema, views, database id, written to the file by
/// [`Store::set_up`]'s checkpoint), then renamed into place. A run killed while the database
/// was being created leaves no half-made file that the next run could not
/// open (only a temporary one, replaced by the next attempt).
fn create(data: &Path, path: &Path) -> Result<()> {
    let tmp = path.with_extension("duckdb.new");
    let io = |what: String| move |source: std::io::Error| StoreError::Io { what, source };
    for leftover in [tmp.clone(), tmp.with_extension("new.wal")] {
        match std::fs::remove_file(&leftover) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io(format!("remove {}", leftover.display()))(e));
            }
            _ => {}
        }
    }
    Store::connect(data, &tmp)?.set_up()?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("flush {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io(format!("rename {}", tmp.display())))?;
    std::fs::File::open(data)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("flush {}", data.display())))
}
