//! Reading and judging files where a hostile file can only hurt itself.
//!
//! Every file that comes from outside is parsed in a worker process: this
//! same binary, re-executed with [`WORKER_ARG`], limited to
//! `[limits] worker_memory_mib` of address space (`RLIMIT_AS`), killed when
//! its parent dies (`PR_SET_PDEATHSIG`) and, by the parent, when a file
//! takes longer than `[limits] file_timeout_secs`. An abort, an allocation
//! failure, a stack overflow, a hang or runaway memory in a parser then ends
//! only that worker: the file is refused with [`UNSAFE_REASON`] and the
//! next file gets a fresh worker.
//!
//! The worker also hashes identities (it is given the key through its pipe),
//! so names, birth dates and identifiers never leave it: the parent only
//! ever holds [`LoadData`].
//!
//! Protocol, over the worker's stdin and stdout: frames of a little-endian
//! `u32` length and a postcard body. First a [`Setup`], then any number of
//! [`Job`] -> [`Judgement`] exchanges; end of input ends the worker.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::identity::{HashKey, LoadData};
use crate::ingest::SourceFile;
use crate::model::limits::Limits;
use crate::validate::{self, Context, FileReport};

/// The first argument that makes the binary a worker.
pub const WORKER_ARG: &str = "__essaim-worker";

/// Why a file whose worker died is refused (French: the structure reads it).
pub const UNSAFE_REASON: &str = "Fichier illisible ou trop gros pour être lu sans risque : sa lecture a dépassé les limites de mémoire ou de temps fixées, ou a échoué. Enregistrez-le à nouveau depuis le modèle (xlsx ou csv) puis renvoyez-le.";

/// Seconds a worker is given beyond the file's own time limit (its own
/// clock stops the reading first; this kills a worker that does not answer).
const GRACE_SECS: u64 = 5;

/// What every worker is told once.
#[derive(Debug, Serialize, Deserialize)]
struct Setup {
    /// The configuration file; `None` on a structure's machine, without
    /// one ([`Config::standalone`]).
    config: Option<PathBuf>,
    today: NaiveDate,
    /// The identity key; `None` when records are not kept (a plain check).
    key: Option<Vec<u8>>,
}

/// One file to judge. Borrowed both ways: the parent sends the bytes it
/// read without copying them, and the worker reads them from its input
/// buffer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Job<'a> {
    /// The file name as received (lossy UTF-8 for display and CSV names).
    pub name: &'a str,
    /// The bytes' SHA-256 (computed once, by the parent that read them).
    pub sha256: &'a str,
    /// The file's bytes, sent as one raw block (not byte by byte).
    #[serde(serialize_with = "raw_bytes", borrow)]
    pub bytes: &'a [u8],
    /// Instead of bytes: a path the worker opens and reads itself (with the
    /// same care: no link followed, regular files only, the size limit),
    /// for a caller that needs nothing of the file but its judgement.
    #[serde(serialize_with = "raw_bytes", borrow)]
    pub path: &'a [u8],
    /// Make the annotated xlsx copy too.
    pub annotate: bool,
}

fn raw_bytes<S: serde::Serializer>(b: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(b)
}

/// A worker's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Judgement {
    pub report: FileReport,
    /// The records to load, identities hashed (only with a key, and only
    /// when the file is not refused).
    pub load: Option<LoadData>,
    /// The annotated copy, when asked and there is something to annotate.
    pub annotated: Option<Vec<u8>>,
    /// The worker ends after this answer (a reading thread may still run).
    #[serde(default)]
    retire: bool,
    /// Where the worker's time went.
    #[serde(default)]
    pub timing: Timing,
}

/// A worker's CPU time on one file, by stage (reading runs on a thread of
/// its own while the rows read are validated: each thread's own CPU time).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Timing {
    /// Reading: opening the file, parsing cells into rows.
    pub read: std::time::Duration,
    /// Validating the rows read.
    pub validate: std::time::Duration,
    /// Hashing identities.
    pub hash: std::time::Duration,
    /// Making the annotated copy.
    pub annotate: std::time::Duration,
}

/// How a file fared in its worker.
#[derive(Debug)]
pub enum Outcome {
    Judged(Box<Judgement>),
    /// The worker died or was killed: the file is refused with
    /// [`UNSAFE_REASON`]; `detail` is for the operators' log.
    Failed {
        detail: String,
    },
}

/// A running worker.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    frames: mpsc::Receiver<std::io::Result<Vec<u8>>>,
}

impl Worker {
    fn kill(mut self) -> Option<ExitStatus> {
        let _ = self.child.kill();
        self.child.wait().ok()
    }
}

/// Workers shared by the threads that judge files: one is started when
/// none is idle, up to one per core (a thread that finds them all busy
/// waits for one, so that more threads than workers can read and archive
/// files while the workers judge), and a dead one is replaced by the next
/// file.
pub struct Pool {
    exe: PathBuf,
    setup: Vec<u8>,
    limits: Limits,
    slots: Mutex<Slots>,
    freed: std::sync::Condvar,
    max: usize,
}

/// Idle workers, and how many are alive (idle or lent).
struct Slots {
    idle: Vec<Worker>,
    live: usize,
}

/// A worker lent to one file. Given back when it answered well; killed
/// otherwise, whatever path the caller takes (its slot is then free).
struct Lease<'a> {
    pool: &'a Pool,
    worker: Option<Worker>,
}

impl Lease<'_> {
    fn give_back(mut self) {
        if let Some(w) = self.worker.take() {
            self.pool.slots().idle.push(w);
            self.pool.freed.notify_one();
        }
    }

    fn kill(mut self) -> Option<ExitStatus> {
        let status = self.worker.take().and_then(Worker::kill);
        self.pool.gone();
        status
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(w) = self.worker.take() {
            w.kill();
            self.pool.gone();
        }
    }
}

/// Writes one frame without copying the body again.
fn write_frame(w: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    w.write_all(&(body.len() as u32).to_le_bytes())?;
    w.write_all(body)?;
    w.flush()
}

fn read_frame(r: &mut impl Read, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {len} bytes"),
        ));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// The binary to run as a worker: `ESSAIM_WORKER_EXE` when set (benchmarks
/// and library tests, whose own executable is not essaim), else this one.
///
/// # Errors
/// When the running executable cannot be found.
pub fn worker_exe() -> std::io::Result<PathBuf> {
    match std::env::var_os("ESSAIM_WORKER_EXE") {
        Some(p) => Ok(PathBuf::from(p)),
        None => std::env::current_exe(),
    }
}

impl Pool {
    /// A pool judging with `config` as of `today`; with a key, workers also
    /// return the records to load.
    ///
    /// # Errors
    /// When the executable cannot be found.
    pub fn new(config: &Config, today: NaiveDate, key: Option<&HashKey>) -> std::io::Result<Pool> {
        Ok(Pool::with_exe(worker_exe()?, config, today, key))
    }

    /// A pool whose workers run `exe` (an essaim binary).
    pub fn with_exe(
        exe: PathBuf,
        config: &Config,
        today: NaiveDate,
        key: Option<&HashKey>,
    ) -> Pool {
        let setup = Setup {
            config: config.registry.loaded.then(|| config.source.clone()),
            today,
            key: key.map(|k| k.bytes().to_vec()),
        };
        #[allow(clippy::expect_used)]
        let setup = postcard::to_stdvec(&setup).expect("the setup serialises");
        Pool {
            exe,
            setup,
            limits: config.limits.clone(),
            slots: Mutex::new(Slots {
                idle: Vec::new(),
                live: 0,
            }),
            freed: std::sync::Condvar::new(),
            max: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        }
    }

    fn spawn(&self) -> std::io::Result<Worker> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg(WORKER_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // A parser's message could quote the file: nothing of the
            // worker reaches the logs but what the parent says of it.
            .stderr(Stdio::null());
        let memory = self.limits.worker_memory_mib.saturating_mul(1024 * 1024);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: between fork and exec only async-signal-safe system
            // calls are made (prctl, setrlimit), touching no allocator.
            unsafe {
                cmd.pre_exec(move || {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    let lim = libc::rlimit {
                        rlim_cur: memory,
                        rlim_max: memory,
                    };
                    if libc::setrlimit(libc::RLIMIT_AS, &raw const lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn()?;
        let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("worker pipes"));
        };
        write_frame(&mut stdin, &self.setup)?;
        let (tx, rx) = mpsc::channel();
        let max = usize::try_from(memory).unwrap_or(usize::MAX);
        std::thread::Builder::new()
            .name("essaim-worker-io".into())
            .spawn(move || loop {
                match read_frame(&mut stdout, max) {
                    Ok(Some(body)) => {
                        if tx.send(Ok(body)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            })?;
        Ok(Worker {
            child,
            stdin,
            frames: rx,
        })
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A worker's slot is free (it was killed or could not start).
    fn gone(&self) {
        let mut slots = self.slots();
        slots.live = slots.live.saturating_sub(1);
        self.freed.notify_one();
    }

    /// An idle worker, a new one if fewer than `max` are alive, else the
    /// next one given back.
    fn take(&self) -> std::io::Result<Lease<'_>> {
        let mut slots = self.slots();
        loop {
            if let Some(w) = slots.idle.pop() {
                return Ok(Lease {
                    pool: self,
                    worker: Some(w),
                });
            }
            if slots.live < self.max {
                slots.live += 1;
                drop(slots);
                return match self.spawn() {
                    Ok(w) => Ok(Lease {
                        pool: self,
                        worker: Some(w),
                    }),
                    Err(e) => {
                        self.gone();
                        Err(e)
                    }
                };
            }
            slots = self
                .freed
                .wait(slots)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Judges one file in a worker. Never fails: a worker that dies, hangs
    /// or cannot be started gives [`Outcome::Failed`].
    pub fn judge(&self, job: &Job<'_>) -> Outcome {
        #[allow(clippy::expect_used)]
        let body = postcard::to_stdvec(job).expect("a job serialises");
        // A worker idle since an earlier file may have died meanwhile: one
        // more try with a fresh one.
        let mut last = String::new();
        for _ in 0..2 {
            let mut w = match self.take() {
                Ok(w) => w,
                Err(e) => {
                    last = format!("worker could not start: {e}");
                    continue;
                }
            };
            let Some(worker) = w.worker.as_mut() else {
                continue;
            };
            if let Err(e) = write_frame(&mut worker.stdin, &body) {
                let status = w.kill();
                last = format!("worker gone before the file was sent ({e}, {status:?})");
                continue;
            }
            let wait = Duration::from_secs(self.limits.file_timeout_secs + GRACE_SECS);
            let started = Instant::now();
            return match worker.frames.recv_timeout(wait) {
                Ok(Ok(answer)) => match postcard::from_bytes::<Judgement>(&answer) {
                    Ok(j) => {
                        if j.retire {
                            w.kill();
                        } else {
                            w.give_back();
                        }
                        Outcome::Judged(Box::new(j))
                    }
                    Err(e) => {
                        w.kill();
                        Outcome::Failed {
                            detail: format!("unreadable answer from the worker: {e}"),
                        }
                    }
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let status = w.kill();
                    Outcome::Failed {
                        detail: format!(
                            "worker killed after {} s without an answer ({status:?})",
                            started.elapsed().as_secs()
                        ),
                    }
                }
                Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = w.kill();
                    Outcome::Failed {
                        detail: format!("worker died while reading the file ({status:?})"),
                    }
                }
            };
        }
        Outcome::Failed { detail: last }
    }

    /// Judges one job; a worker that failed is logged for operators and
    /// the file refused with [`UNSAFE_REASON`] (the job's name, hash and
    /// size kept).
    pub fn judge_or_refuse(&self, job: &Job<'_>) -> Judgement {
        match self.judge(job) {
            Outcome::Judged(j) => *j,
            Outcome::Failed { detail } => {
                tracing::warn!(
                    file = %crate::text::printable(job.name, 120),
                    detail = %detail,
                    "file refused: reading it failed or went past the limits"
                );
                let mut report = FileReport::unreadable(Path::new(job.name), UNSAFE_REASON.into());
                report.name = job.name.to_string();
                report.sha256 = job.sha256.to_string();
                report.size = job.bytes.len() as u64;
                Judgement {
                    report,
                    load: None,
                    annotated: None,
                    retire: false,
                    timing: Timing::default(),
                }
            }
        }
    }

    /// Judges a file the caller read (and archives): its bytes cross the
    /// pipe once.
    pub fn judge_file(&self, file: &SourceFile, annotate: bool) -> Judgement {
        let mut judgement = self.judge_or_refuse(&Job {
            name: &file.name,
            sha256: &file.sha256,
            bytes: &file.bytes,
            path: &[],
            annotate,
        });
        judgement.report.path.clone_from(&file.path);
        judgement
    }

    /// Judges the file at `path`, read by the worker itself (`validate`:
    /// the caller needs nothing of the bytes, so they cross no pipe).
    pub fn judge_path(&self, path: &Path, annotate: bool) -> Judgement {
        use std::os::unix::ffi::OsStrExt;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut judgement = self.judge_or_refuse(&Job {
            name: &name,
            sha256: "",
            bytes: &[],
            path: path.as_os_str().as_bytes(),
            annotate,
        });
        judgement.report.path = path.to_path_buf();
        judgement
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for w in self.slots().idle.drain(..) {
            // Closing its input ends a worker; kill in case it is busy.
            w.kill();
        }
    }
}

/// The worker's side: `essaim __essaim-worker`. Reads its setup, then
/// judges files until its input ends. Logs nothing (see [`Pool::spawn`]).
pub fn main() -> std::process::ExitCode {
    std::panic::set_hook(Box::new(|info| {
        // The place in the code, never the message (it could quote data).
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("essaim worker: internal error at {at}");
    }));
    match serve() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::from(crate::model::exit::CANNOT_RUN),
    }
}

fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let setup: Setup = match read_frame(&mut stdin, 1 << 20)? {
        Some(b) => postcard::from_bytes(&b)?,
        None => return Ok(()),
    };
    let config = match &setup.config {
        Some(path) => Config::load(path)?,
        None => Config::standalone(),
    };
    let key = setup.key.as_deref().map(HashKey::from_bytes);
    let mut ctx = Context::new(&config, setup.today);
    ctx.keep_records = key.is_some();
    let max = usize::try_from(config.limits.max_file_mib.saturating_mul(1024 * 1024) + 4096)
        .unwrap_or(usize::MAX);
    while let Some(body) = read_frame(&mut stdin, max)? {
        let job: Job<'_> = postcard::from_bytes(&body)?;
        let answer = judge(job, &ctx, key.as_ref(), &config.limits);
        write_frame(&mut stdout, &postcard::to_stdvec(&answer)?)?;
        if answer.retire {
            return Ok(());
        }
    }
    Ok(())
}

/// Judges one file in this process: what a worker does for each job.
pub fn judge(job: Job<'_>, ctx: &Context<'_>, key: Option<&HashKey>, limits: &Limits) -> Judgement {
    let file = if job.path.is_empty() {
        SourceFile::with_hash(
            Path::new(job.name),
            job.bytes.into(),
            job.sha256.to_string(),
            chrono::Utc::now(),
        )
    } else {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(job.path));
        match SourceFile::open(path, limits) {
            Ok(f) => f,
            Err(e) => {
                return Judgement {
                    report: FileReport::unreadable(path, e.to_string()),
                    load: None,
                    annotated: None,
                    retire: false,
                    timing: Timing::default(),
                }
            }
        }
    };
    use std::sync::atomic::Ordering;
    let mut timing = Timing::default();
    let cpu = crate::ingest::thread_cpu_time;
    let read_before = crate::ingest::READING_CPU_NANOS.load(Ordering::Relaxed);
    let clock = cpu();
    let mut report = validate::judge(&file, ctx);
    timing.validate = cpu().saturating_sub(clock);
    timing.read = std::time::Duration::from_nanos(
        crate::ingest::READING_CPU_NANOS
            .load(Ordering::Relaxed)
            .saturating_sub(read_before),
    );
    // A reading thread stopped by the clock may still be running: this
    // worker ends after answering, which stops it.
    let retire = report.reason.as_deref().is_some_and(|r| {
        r == crate::ingest::ReadError::Timeout {
            secs: limits.file_timeout_secs,
        }
        .to_string()
    });
    let data = std::mem::take(&mut report.data);
    let clock = cpu();
    let load = match key {
        Some(k) if report.verdict != crate::model::Verdict::FileRejected => {
            Some(LoadData::hash(data, k))
        }
        _ => None,
    };
    timing.hash = cpu().saturating_sub(clock);
    let clock = cpu();
    let annotated = if job.annotate {
        match crate::report::annotated_bytes(&report, &file, limits) {
            Ok(copy) => copy,
            Err(e) => {
                // Said in the report rather than skipped in silence.
                report.add_notice(format!("Copie annotée impossible : {e}"));
                None
            }
        }
    } else {
        None
    };
    timing.annotate = cpu().saturating_sub(clock);
    Judgement {
        report,
        load,
        annotated,
        retire,
        timing,
    }
}
