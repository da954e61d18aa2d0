//! The run itself: inbox -> ingest and validation (in parallel) -> archive
//! and load (one writer, one transaction per file) -> indicators (one
//! transaction). Returns a [`RunReport`] whose counts add up: rows read =
//! accepted + rejected; files seen = new + duplicates + unchanged.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::app::worker::{Judgement, Pool};
use crate::config::Config;
use crate::identity::{HashKey, KeyError, KeySource};
use crate::ingest::{self, ReadError, SourceFile};
use crate::model::Verdict;
use crate::store::{FileLoad, Reception, Store};
use crate::validate::FileReport;

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

/// Whether a file's bytes were new to essaim this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// First received now: judged and loaded (or refused).
    New,
    /// The same bytes as a file already received: nothing changes.
    Duplicate,
}

/// What became of one file this run.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub name: String,
    pub sha256: String,
    pub status: FileStatus,
    pub verdict: Option<Verdict>,
    pub structure: Option<String>,
    pub period: Option<String>,
    pub reason: Option<String>,
    pub rows: usize,
    pub accepted: usize,
    pub rejected: usize,
}

impl FileOutcome {
    /// A file refused before it could be read.
    fn refused(name: String, sha256: String, reason: String) -> Self {
        FileOutcome {
            status: FileStatus::New,
            verdict: Some(Verdict::FileRejected),
            reason: Some(reason),
            ..FileOutcome::duplicate(name, sha256)
        }
    }

    /// Bytes already received: nothing changes.
    fn duplicate(name: String, sha256: String) -> Self {
        FileOutcome {
            name,
            sha256,
            status: FileStatus::Duplicate,
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

/// An inbox entry passed over, and why (its path made printable).
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: i64,
    pub files_seen: usize,
    pub unchanged: usize,
    pub files: Vec<FileOutcome>,
    /// Inbox entries passed over (links, FIFOs, unreadable entries).
    pub skipped: Vec<Skipped>,
    pub rows: usize,
    pub rows_accepted: usize,
    pub rows_rejected: usize,
    pub recomputed: bool,
    pub purged: usize,
    /// Feedback messages queued for structures.
    pub feedback: usize,
    /// A stop request ended the run early (the next run finishes the work).
    pub interrupted: bool,
    /// Where the writer's time went.
    pub phases: Phases,
}

/// Where a run's time went, in milliseconds. The writer's own time (wall
/// clock): waiting for files judged by the workers, flushing archived
/// originals to the disk a group at a time, writing feedback, loading
/// groups of files into the database (`load_ms`, of which `commit_ms`
/// committing them), recomputing the figures. And the workers' CPU time,
/// summed over the workers, which run in parallel with the writer and each
/// other: reading (parsing cells into rows, on a reading thread),
/// validating the rows as they come, hashing identities, making annotated
/// copies.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Phases {
    pub waiting_ms: Ms,
    pub archive_ms: Ms,
    pub feedback_ms: Ms,
    pub load_ms: Ms,
    pub commit_ms: Ms,
    pub recompute_ms: Ms,
    pub workers_read_ms: Ms,
    pub workers_validate_ms: Ms,
    pub workers_hash_ms: Ms,
    pub workers_annotate_ms: Ms,
}

/// A duration summed from many short ones (kept whole, shown in
/// milliseconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ms(pub std::time::Duration);

impl Ms {
    pub fn ms(self) -> u64 {
        u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX)
    }
}

impl std::ops::AddAssign<std::time::Duration> for Ms {
    fn add_assign(&mut self, d: std::time::Duration) {
        self.0 += d;
    }
}

impl Serialize for Ms {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.ms())
    }
}

/// Adds the time `f` takes to `total`.
fn timed<T>(total: &mut Ms, f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let out = f();
    *total += t.elapsed();
    out
}

impl RunReport {
    /// 0 all accepted, 1 some rows rejected, 2 some file rejected.
    /// Files whose bytes were new this run.
    pub fn new_files(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.status == FileStatus::New)
            .count()
    }

    /// An inbox entry passed over counts as a refused file.
    pub fn exit_code(&self) -> u8 {
        let skipped = (!self.skipped.is_empty()).then_some(Verdict::FileRejected);
        crate::model::exit_code_of(self.files.iter().filter_map(|f| f.verdict).chain(skipped))
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

/// Loads the identity hash key and checks it against the database's.
///
/// A key is made only for a database that holds no hash yet; a missing key
/// on a database that does is an error, and so is a key whose fingerprint
/// is not the one recorded (unless `rotating`: `reimport --all
/// --rotate-key`, which records the new one when it is done).
///
/// # Errors
/// [`PipelineError::Key`], [`PipelineError::Store`].
pub fn hash_key(config: &Config, store: &Store, rotating: bool) -> Result<HashKey, PipelineError> {
    std::fs::create_dir_all(&config.data).map_err(PipelineError::Archive)?;
    let stored = store.key_fingerprint()?;
    let fresh = stored.is_none() && !store.holds_hashes()?;
    let (key, source) = HashKey::load(&config.privacy.hash_key_file, fresh)?;
    if let KeySource::Created(path) = source {
        tracing::warn!(
            path = %path.display(),
            "created a new identity hash key for this new database; back it up with the database: without it, people can no longer be matched"
        );
    }
    match stored {
        Some(expected) if expected != key.fingerprint() && !rotating => {
            return Err(PipelineError::Key(KeyError::Mismatch {
                expected,
                found: key.fingerprint(),
            }));
        }
        None => store.set_key_fingerprint(&key.fingerprint())?,
        _ => {}
    }
    Ok(key)
}

/// An inbox entry's identity for triage and sightings: its path (lossy
/// text), size and change time. The change time (ctime) is set by the
/// kernel at every change of content, name or times, so a sender cannot
/// forge it, unlike the modification time.
fn entry_stamp(meta: &std::fs::Metadata) -> NaiveDateTime {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        DateTime::from_timestamp(meta.ctime(), u32::try_from(meta.ctime_nsec()).unwrap_or(0))
            .map_or(NaiveDateTime::MIN, |d| d.naive_utc())
    }
    #[cfg(not(unix))]
    {
        meta.modified()
            .map(|t| DateTime::<Utc>::from(t).naive_utc())
            .unwrap_or(NaiveDateTime::MIN)
    }
}

/// A database timestamp keeps microseconds.
fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
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
    let key = hash_key(config, store, false)?;
    let run_id = store.begin_run("run", None)?;
    let listing = ingest::discover(std::slice::from_ref(&config.inbox))
        .map_err(|e| PipelineError::Inbox(config.inbox.clone(), e))?;
    let mut report = RunReport {
        run_id,
        files_seen: listing.files.len(),
        unchanged: 0,
        files: Vec::new(),
        skipped: Vec::new(),
        rows: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        recomputed: false,
        purged: 0,
        feedback: 0,
        interrupted: false,
        phases: Phases::default(),
    };
    for (path, why) in listing.skipped {
        skip(store, run_id, &path, &why, &mut report)?;
    }
    // Triage without reading: an inbox entry whose size and change time are
    // unchanged was handled before.
    let mut candidates = Vec::new();
    let seen = store.inbox_entries()?;
    for (path, listed) in listing.files.into_iter().zip(listing.metadata) {
        let meta = match listed.map_or_else(|| std::fs::symlink_metadata(&path), Ok) {
            Ok(m) => m,
            Err(e) => {
                skip(
                    store,
                    run_id,
                    &path,
                    &format!("entrée illisible : {e}"),
                    &mut report,
                )?;
                continue;
            }
        };
        let stamp = entry_stamp(&meta);
        let key_path = path.to_string_lossy().to_string();
        let unchanged = seen
            .get(&key_path)
            .is_some_and(|(size, at)| *size == meta.len() as i64 && micros(*at) == micros(stamp));
        if unchanged {
            report.unchanged += 1;
        } else {
            let modified = meta
                .modified()
                .map(|t| DateTime::<Utc>::from(t).naive_utc())
                .unwrap_or(stamp);
            candidates.push(Candidate {
                path,
                key_path,
                size: meta.len(),
                stamp,
                modified,
            });
        }
    }
    // Reception time is when essaim first listed the entry: recorded now,
    // before anything is loaded, so that a run killed half-way gives the
    // files it had listed the same time when the next run loads them.
    let now = opts.now.naive_utc();
    let listed: Vec<_> = candidates
        .iter()
        .map(|c| (c.key_path.clone(), c.size, c.stamp))
        .collect();
    let first_seen = store.first_seen(&listed, now)?;
    let firsts = repeats_last(&mut candidates, |c| {
        let at = first_seen.get(&c.key_path).copied().unwrap_or(now);
        (at, c.modified.min(at), c.key_path.clone())
    });
    // Every hash ever received, for the workers to tell repeats; not read
    // when there is nothing to read (a nightly run with nothing new).
    let known: HashSet<String> = if candidates.is_empty() {
        HashSet::new()
    } else {
        store.known_hashes()?
    };
    let pool = Pool::new(config, opts.today, Some(&key)).map_err(PipelineError::Archive)?;
    let archive = store.archive.clone();
    let mut loaded: HashSet<String> = HashSet::new();
    let mut batch = Batch::new(&config.archive);
    let mut failure = None;
    let ahead = &Budget::new(64 << 20);
    std::thread::scope(|scope| {
        // Files are read and judged ahead of the writer, so that workers
        // go on while it commits a group: up to 256 files or 64 MiB of
        // them (one larger file goes alone) wait for the writer. With 32,
        // workers stood idle during each group's commit (the writer
        // waited 2.5 s of a 5 s load, 1.7 s since; the byte budget, not
        // the count, bounds the memory of larger files).
        let (tx, rx) = mpsc::sync_channel::<(usize, Judged)>(256);
        let known = &known;
        let archive = &archive;
        let candidates = &candidates;
        let pool = &pool;
        scope.spawn(move || {
            let cancel = opts.cancel.clone();
            let read = |from: usize, to: usize| {
                candidates[from..to].par_iter().enumerate().for_each_with(
                    tx.clone(),
                    |tx, (i, c)| {
                        if cancel
                            .as_ref()
                            .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
                        {
                            return;
                        }
                        ahead.take(c.size);
                        let judged = read_and_judge(&c.path, config, known, pool, archive);
                        let _ = tx.send((from + i, judged));
                    },
                );
            };
            // Repeats of this run's files are sent after every first: the
            // writer then knows the first is loaded and records the repeat
            // as such (or loads it, if the first could not be).
            let work = || {
                read(0, firsts);
                read(firsts, candidates.len());
            };
            // Two reading threads a worker: while one waits for a worker's
            // answer, the other reads, hashes and archives the next file,
            // so that workers are not left idle between files.
            if candidates.is_empty() {
                return;
            }
            match rayon::ThreadPoolBuilder::new()
                .num_threads(2 * rayon::current_num_threads())
                .thread_name(|i| format!("essaim-read-{i}"))
                .build()
            {
                Ok(readers) => readers.install(work),
                Err(_) => work(),
            }
        });
        // A progress bar for people at a terminal, over every file of the
        // inbox (those unchanged since the last run are done already);
        // nothing when unattended.
        let bar = crate::logging::progress(
            (candidates.len() + report.unchanged) as u64,
            report.unchanged as u64,
        );
        let mut waiting = std::time::Instant::now();
        for (i, j) in rx {
            report.phases.waiting_ms += waiting.elapsed();
            ahead.give(candidates[i].size);
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
            let c = &candidates[i];
            let at = first_seen.get(&c.key_path).copied().unwrap_or(now);
            let received = Reception {
                at,
                hint: c.modified.min(at),
            };
            let ctx = Handling {
                config,
                run_id,
                candidate: c,
                received,
            };
            let handled =
                handle(&ctx, store, j, &mut loaded, &mut report, &mut batch).and_then(|()| {
                    if batch.due() {
                        batch.flush(config, store, &mut report)
                    } else {
                        Ok(())
                    }
                });
            if let Err(e) = handled {
                failure = Some(e);
            }
            waiting = std::time::Instant::now();
        }
        // Readers waiting for room stop waiting (the run stopped early).
        ahead.close();
        // What is judged is committed, even when the run stops early.
        if let Err(e) = batch.flush(config, store, &mut report) {
            failure.get_or_insert(e);
        }
        bar.finish_and_clear();
    });
    drop(pool);
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
        let new = report.new_files();
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
        timed(&mut report.phases.recompute_ms, || {
            store.recompute(run_id, &config.registry)
        })?;
        report.recomputed = true;
    }
    let p = report.phases;
    tracing::info!(
        waiting_ms = p.waiting_ms.ms(),
        archive_ms = p.archive_ms.ms(),
        feedback_ms = p.feedback_ms.ms(),
        load_ms = p.load_ms.ms(),
        commit_ms = p.commit_ms.ms(),
        recompute_ms = p.recompute_ms.ms(),
        workers_read_ms = p.workers_read_ms.ms(),
        workers_validate_ms = p.workers_validate_ms.ms(),
        workers_hash_ms = p.workers_hash_ms.ms(),
        workers_annotate_ms = p.workers_annotate_ms.ms(),
        "where the time went"
    );
    let new = report.new_files();
    store.finish_run(
        run_id,
        report.outcome(),
        report.files_seen,
        new,
        report.rows_accepted,
        report.rows_rejected,
    )?;
    Ok(report)
}

/// Records and reports an inbox entry that is passed over.
fn skip(
    store: &Store,
    run_id: i64,
    path: &Path,
    why: &str,
    report: &mut RunReport,
) -> Result<(), PipelineError> {
    let shown = crate::text::printable(&path.to_string_lossy(), 200);
    tracing::warn!(entry = %shown, reason = %why, "inbox entry passed over");
    store.record_skipped(run_id, &path.to_string_lossy(), why)?;
    report.skipped.push(Skipped {
        path: shown,
        reason: why.to_string(),
    });
    Ok(())
}

/// Bytes of files read ahead of the writer: readers take before reading
/// and wait while the budget is spent (one file alone always goes); the
/// writer gives back as it takes files in hand.
struct Budget {
    /// Bytes taken and not given back; whether the writer is gone.
    used: std::sync::Mutex<(u64, bool)>,
    room: std::sync::Condvar,
    cap: u64,
}

impl Budget {
    fn new(cap: u64) -> Self {
        Budget {
            used: std::sync::Mutex::new((0, false)),
            room: std::sync::Condvar::new(),
            cap,
        }
    }

    fn take(&self, n: u64) {
        let mut g = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while !g.1 && g.0 > 0 && g.0.saturating_add(n) > self.cap {
            g = self
                .room
                .wait(g)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        g.0 = g.0.saturating_add(n);
    }

    fn give(&self, n: u64) {
        let mut g = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.0 = g.0.saturating_sub(n);
        self.room.notify_all();
    }

    /// No one will give any more: takers stop waiting.
    fn close(&self) {
        let mut g = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.1 = true;
        self.room.notify_all();
    }
}

/// Puts last the candidates with the same bytes as another one of this
/// run that comes before them in `order` (reception, then name), and
/// returns how many come first. Only candidates of the same size are
/// hashed for this. Read in parallel, the copies of one file would
/// otherwise race: whichever finished first would be loaded and the others
/// taken for its repeats, and figures would depend on timing (two CSV
/// files of different periods with the same bytes).
fn repeats_last<K: Ord>(candidates: &mut Vec<Candidate>, order: impl Fn(&Candidate) -> K) -> usize {
    let mut by_size: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        by_size.entry(c.size).or_default().push(i);
    }
    let shared: Vec<usize> = by_size
        .into_values()
        .filter(|v| v.len() > 1)
        .flatten()
        .collect();
    if shared.is_empty() {
        return candidates.len();
    }
    let hashes: Vec<(usize, Option<String>)> = shared
        .par_iter()
        .map(|&i| {
            (
                i,
                ingest::hash_file(&candidates[i].path).ok().map(|(h, _)| h),
            )
        })
        .collect();
    let mut by_hash: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, h) in hashes {
        if let Some(h) = h {
            by_hash.entry(h).or_default().push(i);
        }
    }
    let mut repeat = vec![false; candidates.len()];
    for mut copies in by_hash.into_values().filter(|v| v.len() > 1) {
        copies.sort_by_key(|&i| order(&candidates[i]));
        for &i in &copies[1..] {
            repeat[i] = true;
        }
    }
    let mut all: Vec<(bool, Candidate)> = repeat.into_iter().zip(candidates.drain(..)).collect();
    // Stable: firsts keep their order, and so do repeats.
    all.sort_by_key(|(r, _)| *r);
    let firsts = all.iter().filter(|(r, _)| !r).count();
    candidates.extend(all.into_iter().map(|(_, c)| c));
    firsts
}

/// An inbox entry to read.
struct Candidate {
    path: PathBuf,
    key_path: String,
    size: u64,
    stamp: NaiveDateTime,
    modified: NaiveDateTime,
}

/// A file after the parallel stage.
enum Judged {
    New {
        /// Where the original was archived (not yet flushed to the disk).
        archived: std::io::Result<PathBuf>,
        judgement: Box<Judgement>,
    },
    Duplicate {
        name: String,
        sha256: String,
    },
    /// Larger than `[limits] max_file_mib`: hashed in pieces, recorded,
    /// left in the inbox, never read whole.
    TooLarge {
        name: String,
        sha256: String,
        size: u64,
        reason: String,
    },
    Unreadable {
        reason: String,
    },
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_and_judge(
    path: &Path,
    config: &Config,
    known: &HashSet<String>,
    pool: &Pool,
    archive: &crate::store::Archive,
) -> Judged {
    match SourceFile::open(path, &config.limits) {
        Ok(file) => {
            if known.contains(&file.sha256) {
                return Judged::Duplicate {
                    name: file.name,
                    sha256: file.sha256,
                };
            }
            // The annotated copy goes with the structure's feedback.
            let judgement = pool.judge_file(&file, config.email.feedback);
            // Archived here, in parallel, rather than by the writer: the
            // archive is content-addressed, so a copy made for a file the
            // run then does not record is the same copy the next run makes.
            // The writer flushes a group's copies to the disk before its
            // commit.
            let archived = archive.put(&file.sha256, &file.bytes);
            if archived.is_ok() && judgement.report.verdict == Verdict::FileRejected {
                if let Err(e) =
                    archive.quarantine(&file.sha256, &judgement.report.name, &file.bytes)
                {
                    // The original is archived all the same: the quarantine
                    // copy is for operators to look at, never fatal.
                    tracing::warn!(file = %crate::text::printable(&file.name, 120), error = %e, "no quarantine copy");
                }
            }
            Judged::New {
                archived,
                judgement: Box::new(judgement),
            }
        }
        Err(e @ ReadError::TooLarge { .. }) => match ingest::hash_file(path) {
            Ok((sha256, size)) => Judged::TooLarge {
                name: display_name(path),
                sha256,
                size,
                reason: e.to_string(),
            },
            Err(e) => Judged::Unreadable {
                reason: e.to_string(),
            },
        },
        Err(e) => Judged::Unreadable {
            reason: e.to_string(),
        },
    }
}

/// What the writer knows of the file it handles.
struct Handling<'a> {
    config: &'a Config,
    run_id: i64,
    candidate: &'a Candidate,
    received: Reception,
}

fn handle(
    h: &Handling<'_>,
    store: &mut Store,
    judged: Judged,
    loaded: &mut HashSet<String>,
    report: &mut RunReport,
    batch: &mut Batch,
) -> Result<(), PipelineError> {
    let c = h.candidate;
    let inbox = Some((c.key_path.as_str(), c.size, c.stamp));
    // Bytes loaded earlier in this run are a repeat, like bytes known before it.
    let judged = match judged {
        Judged::TooLarge { name, sha256, .. } if loaded.contains(&sha256) => {
            Judged::Duplicate { name, sha256 }
        }
        Judged::New { judgement, .. } if loaded.contains(&judgement.report.sha256) => {
            Judged::Duplicate {
                name: judgement.report.name,
                sha256: judgement.report.sha256,
            }
        }
        other => other,
    };
    match judged {
        Judged::Unreadable { reason } => {
            // Gone, or not a regular file any more: nothing to archive.
            skip(store, h.run_id, &c.path, &reason, report)?;
        }
        Judged::Duplicate { name, sha256 } => {
            tracing::info!(file = %crate::text::printable(&name, 120), "same bytes as a file already received; nothing changes");
            batch.seen(c, sha256.clone());
            report.files.push(FileOutcome::duplicate(name, sha256));
        }
        Judged::TooLarge {
            name,
            sha256,
            size,
            reason,
        } => {
            loaded.insert(sha256.clone());
            tracing::warn!(file = %crate::text::printable(&name, 120), reason = %reason, "file too large: recorded and left in the inbox");
            let mut fr = FileReport::unreadable(&c.path, reason.clone());
            fr.name.clone_from(&name);
            fr.sha256.clone_from(&sha256);
            fr.size = size;
            store.load_file(&FileLoad {
                run_id: h.run_id,
                report: &fr,
                load: None,
                received: h.received,
                archive_path: None,
                inbox,
                message: None,
            })?;
            report
                .files
                .push(FileOutcome::refused(name, sha256, reason));
        }
        Judged::New {
            archived,
            judgement,
        } => {
            let Judgement {
                report: fr,
                load,
                annotated,
                timing,
                ..
            } = *judgement;
            report.phases.workers_read_ms += timing.read;
            report.phases.workers_validate_ms += timing.validate;
            report.phases.workers_hash_ms += timing.hash;
            report.phases.workers_annotate_ms += timing.annotate;
            loaded.insert(fr.sha256.clone());
            let archived = archived.map_err(PipelineError::Archive)?;
            // The feedback is written before the load and recorded in the
            // same transaction: a file is never loaded without it.
            let message = if h.config.email.feedback {
                let feedback = crate::digest::Feedback {
                    report: &fr,
                    annotated: annotated.as_deref(),
                    changed: None,
                };
                timed(&mut report.phases.feedback_ms, || {
                    crate::digest::prepare_feedback(h.config, &store.database_id, &feedback)
                })
            } else {
                None
            };
            batch.push(Pending {
                run_id: h.run_id,
                report: fr,
                load,
                received: h.received,
                archived,
                inbox: (c.key_path.clone(), c.size, c.stamp),
                message,
                path: c.path.clone(),
            });
        }
    }
    Ok(())
}

/// A judged file waiting for its group's commit.
struct Pending {
    run_id: i64,
    report: FileReport,
    load: Option<crate::identity::LoadData>,
    received: Reception,
    archived: PathBuf,
    inbox: (String, u64, NaiveDateTime),
    message: Option<crate::store::NewMessage>,
    path: PathBuf,
}

/// Files loaded together in one transaction (a group commit): one commit
/// and one flush of the database's log for many files. A group is
/// committed when it holds `[archive] group_files` files or [`Batch::ROWS`]
/// rows, when its first file has waited `group_secs`, and at the end of the
/// run (also when it stops early). A run killed before the commit stores
/// none of the group's files; the next run loads them.
struct Batch {
    pending: Vec<Pending>,
    /// Inbox entries holding bytes already stored (path, size, change
    /// time, sha256), recorded with the group.
    seen: Vec<(String, u64, NaiveDateTime, String)>,
    rows: usize,
    since: Option<std::time::Instant>,
    files: usize,
    wait: std::time::Duration,
}

impl Batch {
    const ROWS: usize = 200_000;

    /// A group of `[archive] group_files` files at most (at least one),
    /// committed after `group_secs` at most.
    fn new(settings: &crate::config::ArchiveSettings) -> Self {
        Batch {
            pending: Vec::new(),
            seen: Vec::new(),
            rows: 0,
            since: None,
            files: settings.group_files.max(1),
            wait: std::time::Duration::from_secs(settings.group_secs),
        }
    }

    fn push(&mut self, p: Pending) {
        self.rows += p.report.totals().0;
        self.since.get_or_insert_with(std::time::Instant::now);
        self.pending.push(p);
    }

    /// An inbox entry whose bytes are already stored.
    fn seen(&mut self, c: &Candidate, sha256: String) {
        self.since.get_or_insert_with(std::time::Instant::now);
        self.seen
            .push((c.key_path.clone(), c.size, c.stamp, sha256));
    }

    fn due(&self) -> bool {
        self.pending.len() + self.seen.len() >= self.files
            || self.rows >= Self::ROWS
            || self.since.is_some_and(|t| t.elapsed() >= self.wait)
    }

    /// Commits the group, then tells of each file (log, inbox removal,
    /// report).
    fn flush(
        &mut self,
        config: &Config,
        store: &mut Store,
        report: &mut RunReport,
    ) -> Result<(), PipelineError> {
        let pending = std::mem::take(&mut self.pending);
        self.rows = 0;
        let seen = std::mem::take(&mut self.seen);
        self.since = None;
        if pending.is_empty() && seen.is_empty() {
            return Ok(());
        }
        let seen: Vec<(&str, u64, NaiveDateTime, &str)> = seen
            .iter()
            .map(|(path, size, stamp, sha)| (path.as_str(), *size, *stamp, sha.as_str()))
            .collect();
        let loads: Vec<FileLoad<'_>> = pending
            .iter()
            .map(|p| FileLoad {
                run_id: p.run_id,
                report: &p.report,
                load: p.load.as_ref(),
                received: p.received,
                archive_path: Some(&p.archived),
                inbox: Some((p.inbox.0.as_str(), p.inbox.1, p.inbox.2)),
                message: p.message.as_ref(),
            })
            .collect();
        // The originals reach the disk before the database records them.
        let archived: Vec<&Path> = pending.iter().map(|p| p.archived.as_path()).collect();
        timed(&mut report.phases.archive_ms, || {
            store.archive.sync(&archived)
        })
        .map_err(PipelineError::Archive)?;
        let commit = timed(&mut report.phases.load_ms, || {
            store.load_files(&loads, &seen)
        })?;
        report.phases.commit_ms += commit;
        for p in &pending {
            let fr = &p.report;
            if p.message.is_some() {
                report.feedback += 1;
            }
            let (rows, accepted, rejected) = fr.totals();
            tracing::info!(
                file = %crate::text::printable(&fr.name, 120),
                verdict = ?fr.verdict,
                rows,
                accepted,
                rejected,
                reason = fr.reason.as_deref().unwrap_or(""),
                "file loaded"
            );
            if config.archive.remove_from_inbox {
                match remove_exact(&p.path, &fr.sha256) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::info!(file = %crate::text::printable(&fr.name, 120), "the inbox entry changed since it was read: left in place for the next run");
                    }
                    Err(e) => {
                        tracing::warn!(file = %crate::text::printable(&fr.name, 120), error = %e, "could not remove the archived file from the inbox");
                    }
                }
            }
            report.rows += rows;
            report.rows_accepted += accepted;
            report.rows_rejected += rejected;
            report.files.push(FileOutcome {
                name: fr.name.clone(),
                sha256: fr.sha256.clone(),
                status: FileStatus::New,
                verdict: Some(fr.verdict),
                structure: fr.structure.clone(),
                period: fr.period.map(|p| p.to_string()),
                reason: fr.reason.clone(),
                rows,
                accepted,
                rejected,
            });
        }
        Ok(())
    }
}

/// Removes an archived file from the inbox only if the entry still holds
/// exactly the bytes archived as `sha256`. The entry is first renamed
/// (atomically: whatever is at the path then moves), its bytes checked,
/// then deleted; anything else (a corrected file uploaded under the same
/// name meanwhile, a link) is put back, or kept beside it when the name
/// was taken again. Returns whether it was removed.
///
/// # Errors
/// I/O errors of the rename or removal.
pub fn remove_exact(path: &Path, sha256: &str) -> std::io::Result<bool> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".essaim-retrait");
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside)?;
    match ingest::hash_file(&aside) {
        Ok((h, _)) if h == sha256 => {
            std::fs::remove_file(&aside)?;
            Ok(true)
        }
        _ => {
            // Put it back; if the name was taken again meanwhile, both stay.
            if std::fs::hard_link(&aside, path).is_ok() {
                std::fs::remove_file(&aside)?;
            } else if std::fs::symlink_metadata(path).is_err() {
                std::fs::rename(&aside, path)?;
            }
            Ok(false)
        }
    }
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
