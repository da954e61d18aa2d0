//! The run itself: inbox -> ingest and validation (in parallel) -> archive
//! and load (one writer, one transaction per file) -> indicators (one
//! transaction). Returns a [`RunReport`] whose counts add up: rows read =
//! accepted + rejected; files seen = new + duplicates + unchanged.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::identity::{HashKey, KeySource};
use crate::ingest::{self, SourceFile};
use crate::store::Store;
use crate::validate::{self, Context, FileReport, Verdict};

/// Everything that stops a run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Key(#[from] crate::identity::KeyError),
    #[error("inbox {0}: {1}")]
    Inbox(PathBuf, std::io::Error),
    #[error("archive: {0}")]
    Archive(std::io::Error),
}

/// What became of one file this run.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub name: String,
    pub sha256: String,
    /// new | duplicate
    pub status: &'static str,
    pub verdict: Option<Verdict>,
    pub structure: Option<String>,
    pub period: Option<String>,
    pub reason: Option<String>,
    pub rows: usize,
    pub accepted: usize,
    pub rejected: usize,
}

impl FileOutcome {
    /// Bytes already received: nothing changes.
    fn duplicate(name: String, sha256: String) -> Self {
        FileOutcome {
            name,
            sha256,
            status: "duplicate",
            verdict: None,
            structure: None,
            period: None,
            reason: None,
            rows: 0,
            accepted: 0,
            rejected: 0,
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: i64,
    pub files_seen: usize,
    pub unchanged: usize,
    pub files: Vec<FileOutcome>,
    pub rows: usize,
    pub rows_accepted: usize,
    pub rows_rejected: usize,
    pub recomputed: bool,
    pub purged: usize,
    /// The digest composed after this run, when figures changed.
    pub digest: Option<crate::digest::DigestOutcome>,
    /// Feedback messages queued for structures.
    pub feedback: usize,
    /// Why e-mail could not be handled (the data work is done regardless).
    pub mail_error: Option<String>,
    /// A stop request ended the run early (the next run finishes the work).
    pub interrupted: bool,
}

impl RunReport {
    /// 0 all accepted, 1 some rows rejected, 2 some file rejected.
    pub fn exit_code(&self) -> u8 {
        crate::cli::exit_code_of(self.files.iter().filter_map(|f| f.verdict))
    }

    pub fn outcome(&self) -> &'static str {
        match self.exit_code() {
            0 => "ok",
            1 => "rows_rejected",
            _ => "file_rejected",
        }
    }
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// "In the future" means after this day.
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    /// Set by a stop request: the run finishes the file it is loading,
    /// commits, and loads no other.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            today: chrono::Local::now().date_naive(),
            now: Utc::now(),
            cancel: None,
        }
    }
}

/// Loads the identity hash key, saying where it came from.
///
/// # Errors
/// [`PipelineError::Key`].
pub fn hash_key(config: &Config) -> Result<HashKey, PipelineError> {
    std::fs::create_dir_all(&config.data).map_err(PipelineError::Archive)?;
    let (key, source) = HashKey::load_or_create(&config.privacy.hash_key_file)?;
    if let KeySource::Created(path) = source {
        tracing::warn!(
            path = %path.display(),
            "created a new identity hash key; back it up with the database: without it, people can no longer be matched"
        );
    }
    Ok(key)
}

/// Runs the pipeline over the inbox.
///
/// # Errors
/// [`PipelineError`] when the run cannot go on (database, key, inbox). A bad
/// file is never an error: it is in the report.
pub fn run(
    config: &Config,
    store: &mut Store,
    opts: &RunOptions,
) -> Result<RunReport, PipelineError> {
    let key = hash_key(config)?;
    let run_id = store.begin_run("run", None)?;
    let paths = ingest::discover(std::slice::from_ref(&config.inbox))
        .map_err(|e| PipelineError::Inbox(config.inbox.clone(), e))?;
    let mut report = RunReport {
        run_id,
        files_seen: paths.len(),
        unchanged: 0,
        files: Vec::new(),
        rows: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        recomputed: false,
        purged: 0,
        digest: None,
        feedback: 0,
        mail_error: None,
        interrupted: false,
    };
    // Triage without reading: an inbox entry whose size and time are
    // unchanged was handled before.
    let mut candidates = Vec::new();
    let seen = store.inbox_entries()?;
    for path in paths {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let modified = meta
            .modified()
            .map(DateTime::<Utc>::from)
            .unwrap_or(opts.now);
        let key_path = path.to_string_lossy().to_string();
        // The database keeps microseconds.
        let unchanged = seen.get(&key_path).is_some_and(|(size, at)| {
            *size == meta.len() as i64
                && at.and_utc().timestamp_micros() == modified.timestamp_micros()
        });
        if unchanged {
            report.unchanged += 1;
        } else {
            candidates.push((path, meta.len(), modified));
        }
    }
    let known: HashSet<String> = store.known_hashes()?;
    let ctx = Context::new(config, opts.today);
    let mut loaded: HashSet<String> = HashSet::new();
    let mut failure = None;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Judged>(2);
        let ctx = &ctx;
        let known = &known;
        let candidates = &candidates;
        scope.spawn(move || {
            let cancel = opts.cancel.clone();
            candidates
                .par_iter()
                .for_each_with(tx, |tx, (path, size, modified)| {
                    if cancel
                        .as_ref()
                        .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
                    {
                        return;
                    }
                    let judged = judge_path(path, *size, *modified, config, ctx, known);
                    let _ = tx.send(judged);
                });
        });
        // A progress bar for people at a terminal; nothing when unattended.
        let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) && candidates.len() > 1 {
            let bar = indicatif::ProgressBar::new(candidates.len() as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} fichiers {wide_bar} {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        for j in rx {
            bar.inc(1);
            if failure.is_some() {
                continue;
            }
            if opts
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
            {
                // Stop request: what is loaded is committed; the rest waits for the next run.
                report.interrupted = true;
                break;
            }
            if let Err(e) = handle(config, store, run_id, &key, j, &mut loaded, &mut report) {
                failure = Some(e);
            }
        }
        bar.finish_and_clear();
    });
    if let Some(e) = failure {
        let _ = store.finish_run(
            run_id,
            "failed",
            report.files_seen,
            report.files.len(),
            report.rows_accepted,
            report.rows_rejected,
        );
        return Err(e);
    }
    if report.interrupted {
        let new = report.files.iter().filter(|f| f.status == "new").count();
        store.finish_run(
            run_id,
            "interrupted",
            report.files_seen,
            new,
            report.rows_accepted,
            report.rows_rejected,
        )?;
        tracing::info!(
            loaded = new,
            "run stopped on request after committing its current file"
        );
        return Ok(report);
    }
    report.purged = purge(config, store, opts)?;
    if store.indicators_stale()? {
        store.recompute(run_id, &config.registry)?;
        report.recomputed = true;
    }
    let new = report.files.iter().filter(|f| f.status == "new").count();
    store.finish_run(
        run_id,
        report.outcome(),
        report.files_seen,
        new,
        report.rows_accepted,
        report.rows_rejected,
    )?;
    mail(config, store, &mut report);
    Ok(report)
}

/// A file after the parallel stage.
enum Judged {
    New {
        file: SourceFile,
        report: Box<FileReport>,
        size: u64,
        modified: DateTime<Utc>,
    },
    Duplicate {
        path: PathBuf,
        name: String,
        sha256: String,
        size: u64,
        modified: DateTime<Utc>,
    },
    Unreadable {
        path: PathBuf,
        reason: String,
    },
}

fn judge_path(
    path: &Path,
    size: u64,
    modified: DateTime<Utc>,
    config: &Config,
    ctx: &Context<'_>,
    known: &HashSet<String>,
) -> Judged {
    match SourceFile::open(path, &config.limits) {
        Ok(file) => {
            if known.contains(&file.sha256) {
                return Judged::Duplicate {
                    path: path.to_path_buf(),
                    name: file.name,
                    sha256: file.sha256,
                    size,
                    modified,
                };
            }
            let report = validate::judge(&file, ctx);
            tracing::debug!(file = %file.name, verdict = ?report.verdict, "file judged");
            Judged::New {
                file,
                report: Box::new(report),
                size,
                modified,
            }
        }
        Err(e) => Judged::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

fn handle(
    config: &Config,
    store: &mut Store,
    run_id: i64,
    key: &HashKey,
    judged: Judged,
    loaded: &mut HashSet<String>,
    report: &mut RunReport,
) -> Result<(), PipelineError> {
    match judged {
        Judged::Unreadable { path, reason } => {
            // Too large or unreadable from disk: nothing to archive.
            tracing::warn!(file = %path.display(), reason = %reason, "file could not be read");
            report.files.push(FileOutcome {
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                sha256: String::new(),
                status: "new",
                verdict: Some(Verdict::FileRejected),
                structure: None,
                period: None,
                reason: Some(reason),
                rows: 0,
                accepted: 0,
                rejected: 0,
            });
        }
        Judged::Duplicate {
            path,
            name,
            sha256,
            size,
            modified,
        } => {
            tracing::info!(file = %name, "same bytes as a file already received; nothing changes");
            store.record_inbox(&path.to_string_lossy(), size, modified.naive_utc(), &sha256)?;
            report.files.push(FileOutcome::duplicate(name, sha256));
        }
        Judged::New {
            file,
            report: fr,
            size,
            modified,
        } => {
            if !loaded.insert(fr.sha256.clone()) {
                store.record_inbox(
                    &file.path.to_string_lossy(),
                    size,
                    modified.naive_utc(),
                    &fr.sha256,
                )?;
                report
                    .files
                    .push(FileOutcome::duplicate(fr.name.clone(), fr.sha256.clone()));
                return Ok(());
            }
            let archived = store
                .archive
                .put(&fr.sha256, &file.bytes)
                .map_err(PipelineError::Archive)?;
            if fr.verdict == Verdict::FileRejected {
                store
                    .archive
                    .quarantine(&fr.sha256, &fr.name, &file.bytes)
                    .map_err(PipelineError::Archive)?;
            }
            let inbox_key = file.path.to_string_lossy().to_string();
            store.load_file(
                run_id,
                &fr,
                modified,
                &archived,
                Some((&inbox_key, size, modified.naive_utc())),
                key,
            )?;
            let (rows, accepted, rejected) = fr.totals();
            tracing::info!(
                file = %fr.name,
                verdict = ?fr.verdict,
                rows,
                accepted,
                rejected,
                reason = fr.reason.as_deref().unwrap_or(""),
                "file loaded"
            );
            if config.email.feedback {
                match crate::digest::queue_feedback(config, store, &fr) {
                    Ok(true) => report.feedback += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(file = %fr.name, error = %e, "feedback could not be queued")
                    }
                }
            }
            if config.archive.remove_from_inbox {
                if let Err(e) = std::fs::remove_file(&file.path) {
                    tracing::warn!(file = %file.path.display(), error = %e, "could not remove the archived file from the inbox");
                }
            }
            report.rows += rows;
            report.rows_accepted += accepted;
            report.rows_rejected += rejected;
            report.files.push(FileOutcome {
                name: fr.name.clone(),
                sha256: fr.sha256.clone(),
                status: "new",
                verdict: Some(fr.verdict),
                structure: fr.structure.clone(),
                period: fr.period.map(|p| p.to_string()),
                reason: fr.reason.clone(),
                rows,
                accepted,
                rejected,
            });
        }
    }
    Ok(())
}

/// After the data work: a digest when any figure changed, and delivery of
/// whatever is due (feedback, retries). Mail problems never fail the run.
fn mail(config: &Config, store: &Store, report: &mut RunReport) {
    let changed = report.recomputed
        && match (store.latest_figures(), store.previous_figures()) {
            (Ok(now), Ok(before)) => now != before,
            _ => true,
        };
    let result = if changed {
        crate::digest::send_digest(config, store).map(|d| {
            report.digest = Some(d);
        })
    } else {
        crate::digest::deliver::deliver_due(config, store, opts_now()).map(|d| {
            report.digest = Some(crate::digest::DigestOutcome {
                digest_id: None,
                composed: 0,
                delivery: d,
            });
        })
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "e-mail could not be handled; messages stay queued");
        report.mail_error = Some(e.to_string());
    }
}

fn opts_now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

fn purge(config: &Config, store: &Store, opts: &RunOptions) -> Result<usize, PipelineError> {
    let cutoff = opts.now - chrono::Duration::days(i64::from(config.archive.retention_days));
    let mut n = 0;
    for (sha, path) in store.purgeable(cutoff.naive_utc())? {
        store
            .archive
            .purge(Path::new(&path))
            .map_err(PipelineError::Archive)?;
        store.mark_purged(&sha)?;
        n += 1;
    }
    if n > 0 {
        tracing::info!(
            files = n,
            "originals past the retention period removed from the archive"
        );
    }
    Ok(n)
}
