//! Ingest: find the files structures sent, sniff their format from the
//! bytes, and read them into [`Workbook`]s of raw cells that remember where
//! every cell came from. Nothing here judges the content; that is
//! `validate`'s job.

mod csvfile;
mod sniff;
mod workbook;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::limits::Limits;

pub use sniff::{sniff, Format};

/// One cell as read, before any interpretation.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A cell formatted as a date (the workbook's date system already applied).
    Date(NaiveDateTime),
    /// An error cell such as `#REF!`.
    Error(String),
}

impl Cell {
    /// Whether the cell holds nothing but white space.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            // Most text starts with a visible ASCII character: no need to
            // walk it for Unicode white space.
            Cell::Text(s) => match s.as_bytes().first() {
                None => true,
                Some(b) if b.is_ascii_graphic() => false,
                Some(_) => s.trim().is_empty(),
            },
            _ => false,
        }
    }

    /// The cell as the person sees it, borrowed when it is text (the hot
    /// path of validation: no allocation for text cells).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Text(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.display()),
        }
    }

    /// The cell as the person sees it, roughly.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => if *b { "VRAI" } else { "FAUX" }.to_string(),
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// One row of a sheet: its number as the person sees it (1-based) and its
/// cells, indexed by zero-based column.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell at a zero-based column, `Empty` past the end.
    pub fn cell(&self, col: usize) -> &Cell {
        self.cells.get(col).unwrap_or(&Cell::Empty)
    }

    /// Whether every cell is blank.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// A sheet (or a CSV file, which is a single sheet).
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Row>,
}

/// What a file held, as raw sheets.
#[derive(Debug, Clone)]
pub struct Workbook {
    pub format: Format,
    /// Whether numbers in date columns count from 1904 instead of 1900.
    pub date_1904: bool,
    /// Every sheet's name, in order, including those not loaded.
    pub sheet_names: Vec<String>,
    pub sheets: Vec<Sheet>,
    /// Things worth telling that are not errors (ignored columns ...).
    pub notices: Vec<String>,
}

/// A file found in the inbox (or named on the command line).
#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The file name, which for CSV carries structure, period and table.
    pub name: String,
    /// Hex SHA-256 of the bytes: the file's identity in the archive.
    pub sha256: String,
    pub size: u64,
    /// Modification time, the reception time when first seen.
    pub modified: DateTime<Utc>,
    #[serde(skip)]
    pub bytes: Arc<[u8]>,
}

/// Why a file could not be read. Messages are French: a structure reads them.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("Fichier illisible : {0}")]
    Io(String),
    #[error("Fichier vide.")]
    Empty,
    #[error("Ce n'est pas un fichier ordinaire (lien symbolique, dossier, tube ou périphérique) : il est ignoré.")]
    NotAFile,
    #[error("Fichier trop volumineux : {size_mib} Mio (maximum {max_mib} Mio).")]
    TooLarge { size_mib: u64, max_mib: u64 },
    #[error("Le classeur est protégé par un mot de passe : enregistrez-le sans mot de passe puis renvoyez-le.")]
    Password,
    #[error("Ce fichier n'est pas un tableur ni un fichier CSV ({0}).")]
    NotASpreadsheet(String),
    #[error("Le classeur est endommagé ou d'un format non pris en charge : {0}")]
    Corrupt(String),
    #[error("Le classeur décompressé dépasserait {max_mib} Mio : fichier refusé par sécurité.")]
    Bomb { max_mib: u64 },
    #[error("La feuille « {sheet} » dépasse {max} lignes : découpez le fichier.")]
    TooManyRows { sheet: String, max: usize },
    #[error("La lecture du fichier a dépassé {secs} seconde{} : fichier refusé.", if *secs > 1 { "s" } else { "" })]
    Timeout { secs: u64 },
    /// The consumer stopped listening (internal, never shown).
    #[error("lecture interrompue")]
    Stopped,
    #[error(
        "L'encodage du fichier CSV n'est pas reconnu (UTF-8, UTF-16 ou Windows-1252 attendus)."
    )]
    Encoding,
}

impl SourceFile {
    /// Reads a file from disk, refusing it when larger than the limit. The
    /// path is opened without following a symbolic link and without
    /// blocking (a FIFO cannot hang the run), and what was opened must be a
    /// regular file: a link swapped in after the listing is not followed.
    ///
    /// # Errors
    /// [`ReadError::Io`], [`ReadError::NotAFile`], [`ReadError::TooLarge`].
    pub fn open(path: &Path, limits: &Limits) -> Result<SourceFile, ReadError> {
        let file = open_regular(path)?;
        let meta = file.metadata().map_err(|e| ReadError::Io(e.to_string()))?;
        let max = limits.max_file_mib * 1024 * 1024;
        let too_large = |len: u64| ReadError::TooLarge {
            size_mib: len / (1024 * 1024),
            max_mib: limits.max_file_mib,
        };
        if meta.len() > max {
            return Err(too_large(meta.len()));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        // The file may grow while it is read: never more than the limit.
        std::io::Read::read_to_end(&mut std::io::Read::take(&file, max + 1), &mut bytes)
            .map_err(|e| ReadError::Io(e.to_string()))?;
        if bytes.len() as u64 > max {
            return Err(too_large(bytes.len() as u64));
        }
        let modified = meta
            .modified()
            .map(DateTime::<Utc>::from)
            .unwrap_or_else(|_| Utc::now());
        Ok(SourceFile::from_bytes(path, bytes, modified))
    }

    /// Wraps bytes already in memory and hashed (`sha256` is trusted).
    pub fn with_hash(
        path: &Path,
        bytes: Arc<[u8]>,
        sha256: String,
        modified: DateTime<Utc>,
    ) -> SourceFile {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        SourceFile {
            path: path.to_path_buf(),
            name,
            sha256,
            size: bytes.len() as u64,
            modified,
            bytes,
        }
    }

    /// Wraps bytes already in memory, hashing them.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>, modified: DateTime<Utc>) -> SourceFile {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        SourceFile::with_hash(path, bytes.into(), sha256, modified)
    }
}

/// Opens `path` for reading only if it is a regular file, without
/// following a symbolic link (`O_NOFOLLOW`) or blocking on a FIFO
/// (`O_NONBLOCK`); the check is made on the opened handle, so nothing can
/// be swapped in between.
///
/// # Errors
/// [`ReadError::NotAFile`] for anything but a regular file, [`ReadError::Io`].
pub fn open_regular(path: &Path) -> Result<std::fs::File, ReadError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = opts.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return ReadError::NotAFile;
        }
        ReadError::Io(e.to_string())
    })?;
    let meta = file.metadata().map_err(|e| ReadError::Io(e.to_string()))?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    Ok(file)
}

/// The SHA-256 and size of a file, read in small pieces (for a file too
/// large to be read whole), with the same care as [`open_regular`].
///
/// # Errors
/// As [`open_regular`].
pub fn hash_file(path: &Path) -> Result<(String, u64), ReadError> {
    let mut file = open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n =
            std::io::Read::read(&mut file, &mut buf).map_err(|e| ReadError::Io(e.to_string()))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Chooses, from a workbook's sheet names, which sheets to read and in what
/// order (validation wants `Structure` before the tables).
pub type SheetPlan = fn(&[String]) -> Vec<String>;

/// Every sheet, in workbook order.
pub fn all_sheets(names: &[String]) -> Vec<String> {
    names.to_vec()
}

/// What a file is, known as soon as it is opened.
#[derive(Debug, Clone)]
pub struct Meta {
    pub format: Format,
    /// Whether numbers in date columns count from 1904 instead of 1900.
    pub date_1904: bool,
    /// Every sheet's name, in order, including those not read.
    pub sheet_names: Vec<String>,
}

/// What the reading thread sends, in order: `Opened`, then for each planned
/// sheet `Sheet` and its non-blank rows; `Notice`s anywhere.
#[derive(Debug, Clone)]
pub enum Event {
    Opened(Meta),
    Sheet(String),
    /// Rows in order, sent in batches (fewer wake-ups than one per row).
    Rows(Vec<Row>),
    Notice(String),
}

/// Batches in flight between the reading thread and the consumer: memory
/// stays proportional to this, not to the sheet.
const CHANNEL_ROWS: usize = 4;

/// A file being read on a reading thread of its own while it lasts, consumed as a
/// stream of [`Event`]s.
/// Dropping it stops the reader when it next sends a batch.
pub struct Stream {
    rx: mpsc::Receiver<Result<Vec<Event>, ReadError>>,
    /// Events received and not yet handed out.
    pending: std::collections::VecDeque<Event>,
    deadline: Instant,
    secs: u64,
}

impl Stream {
    /// The next event, `None` at the end. Past the time limit it yields
    /// [`ReadError::Timeout`] (the reader thread stops when it next sends).
    pub fn next_event(&mut self) -> Option<Result<Event, ReadError>> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Some(Ok(ev));
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Ok(events)) => self.pending.extend(events),
                Ok(Err(e)) => return Some(Err(e)),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Some(Err(ReadError::Timeout { secs: self.secs }))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

/// CPU time spent by reading threads in this process, in nanoseconds (each
/// adds its own when it ends a file): a worker judging one file at a time
/// reads it before and after to tell reading from validating.
pub static READING_CPU_NANOS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// CPU time the calling thread has used (zero where the system does not
/// say).
pub fn thread_cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec the call writes into.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) } == 0 {
            return Duration::new(
                u64::try_from(ts.tv_sec).unwrap_or(0),
                u32::try_from(ts.tv_nsec).unwrap_or(0),
            );
        }
    }
    Duration::ZERO
}

/// The reading threads: a thread that has read a file waits a while for
/// the next one rather than ending. Starting a thread for each file, then
/// setting up and tearing down its allocator's heap, was a few percent of
/// a worker's reading (`perf`: `clone3`, `_mi_thread_done`). A thread still
/// busy (a file past its time limit, whose consumer has gone) is never
/// waited for: the next file gets another thread.
mod readers {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{mpsc, Mutex, PoisonError};
    use std::time::Duration;

    type Job = Box<dyn FnOnce() + Send>;

    /// Threads waiting for a file, by number.
    static IDLE: Mutex<Vec<(u64, mpsc::Sender<Job>)>> = Mutex::new(Vec::new());
    static NEXT: AtomicU64 = AtomicU64::new(0);
    /// How long a thread waits for another file before ending.
    const LINGER: Duration = Duration::from_secs(5);

    /// Runs `job` on a waiting reading thread, or on a new one.
    pub(super) fn run(mut job: Job) -> std::io::Result<()> {
        loop {
            let idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let Some((_, tx)) = idle else { break };
            match tx.send(job) {
                Ok(()) => return Ok(()),
                // That thread has ended: try the next.
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        std::thread::Builder::new()
            .name("essaim-reader".into())
            .spawn(move || {
                let mut next = Some(job);
                while let Some(job) = next.take() {
                    job();
                    IDLE.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((id, tx.clone()));
                    next = match rx.recv_timeout(LINGER) {
                        Ok(job) => Some(job),
                        Err(_) => {
                            let mut idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner);
                            match idle.iter().position(|(i, _)| *i == id) {
                                // Nobody took this thread: it ends.
                                Some(at) => {
                                    idle.swap_remove(at);
                                    None
                                }
                                // Somebody took it and is sending a file.
                                None => {
                                    drop(idle);
                                    rx.recv().ok()
                                }
                            }
                        }
                    };
                }
            })
            .map(|_| ())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn every_file_is_read_and_a_busy_thread_holds_nobody_up() {
            let (done, finished) = mpsc::channel();
            for i in 0..200 {
                let done = done.clone();
                run(Box::new(move || {
                    let _ = done.send(i);
                }))
                .unwrap();
            }
            let mut seen: Vec<i32> = (0..200).map(|_| finished.recv().unwrap()).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..200).collect::<Vec<_>>());
            // A thread stuck on a file: the next file still gets read.
            let (release, stuck) = mpsc::channel::<()>();
            run(Box::new(move || {
                let _ = stuck.recv();
            }))
            .unwrap();
            let done2 = done.clone();
            run(Box::new(move || {
                let _ = done2.send(-1);
            }))
            .unwrap();
            assert_eq!(finished.recv_timeout(Duration::from_secs(10)), Ok(-1));
            release.send(()).unwrap();
        }
    }
}

/// Starts reading `file` on a reading thread, with the limits applied.
///
/// # Errors
/// A [`ReadError`] when the bytes are no spreadsheet (sniffed here, before
/// any thread is started); later errors arrive through the stream.
pub fn stream(file: &SourceFile, limits: &Limits, plan: SheetPlan) -> Result<Stream, ReadError> {
    if file.bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let format = sniff(&file.bytes, limits)?;
    let (tx, rx) = mpsc::sync_channel(CHANNEL_ROWS);
    let bytes = Arc::clone(&file.bytes);
    let limits_owned = limits.clone();
    readers::run(Box::new(move || {
        let cpu_before = thread_cpu_time();
        let out = Sender::new(tx.clone());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format {
            Format::Csv => csvfile::read(&bytes, &limits_owned, &out),
            _ => workbook::read(format, bytes.clone(), &limits_owned, plan, &out),
        }));
        let result = result.map(|r| r.and_then(|()| out.flush()));
        READING_CPU_NANOS.fetch_add(
            u64::try_from(thread_cpu_time().saturating_sub(cpu_before).as_nanos()).unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
        let failure = match result {
            Ok(Ok(()) | Err(ReadError::Stopped)) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(ReadError::Corrupt("erreur interne du lecteur".into())),
        };
        if let Some(e) = failure {
            // What was read before the failure first, in order.
            let _ = out.flush();
            let _ = tx.send(Err(e));
        }
    }))
    .map_err(|e| ReadError::Io(e.to_string()))?;
    Ok(Stream {
        rx,
        pending: std::collections::VecDeque::new(),
        deadline: Instant::now() + Duration::from_secs(limits.file_timeout_secs),
        secs: limits.file_timeout_secs,
    })
}

/// The sending half, owned by the reading thread. Events are gathered and
/// sent together, when a batch of rows is full or the reading ends: a small
/// file crosses the channel in one or two messages, not one per event
/// (each a wake-up of the consumer).
pub(crate) struct Sender {
    tx: mpsc::SyncSender<Result<Vec<Event>, ReadError>>,
    events: std::cell::RefCell<Vec<Event>>,
    rows: std::cell::RefCell<Vec<Row>>,
}

/// Rows per batch.
const BATCH_ROWS: usize = 256;

impl Sender {
    fn new(tx: mpsc::SyncSender<Result<Vec<Event>, ReadError>>) -> Self {
        Sender {
            tx,
            events: std::cell::RefCell::new(Vec::new()),
            rows: std::cell::RefCell::new(Vec::with_capacity(BATCH_ROWS)),
        }
    }

    /// Moves the gathered rows into the events, keeping the order.
    fn close_rows(&self) {
        let rows = std::mem::take(&mut *self.rows.borrow_mut());
        if !rows.is_empty() {
            self.events.borrow_mut().push(Event::Rows(rows));
        }
    }

    /// Queues an event, sent with the next batch.
    pub(crate) fn push(&self, ev: Event) {
        self.close_rows();
        self.events.borrow_mut().push(ev);
    }

    /// Queues a row, sending everything gathered when the batch is full.
    pub(crate) fn row(&self, row: Row) -> Result<(), ReadError> {
        let full = {
            let mut rows = self.rows.borrow_mut();
            rows.push(row);
            rows.len() >= BATCH_ROWS
        };
        if full {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends everything gathered; [`ReadError::Stopped`] once the consumer
    /// has gone.
    pub(crate) fn flush(&self) -> Result<(), ReadError> {
        self.close_rows();
        let events = std::mem::take(&mut *self.events.borrow_mut());
        if events.is_empty() {
            return Ok(());
        }
        self.tx.send(Ok(events)).map_err(|_| ReadError::Stopped)
    }
}

/// Reads the planned sheets of a file whole into a [`Workbook`] (for the
/// annotated copy and tools; validation consumes the [`Stream`] instead).
///
/// # Errors
/// A [`ReadError`] saying, in French, why the file cannot be read.
pub fn read(file: &SourceFile, limits: &Limits, plan: SheetPlan) -> Result<Workbook, ReadError> {
    let mut s = stream(file, limits, plan)?;
    let mut wb = Workbook {
        format: Format::Csv,
        date_1904: false,
        sheet_names: Vec::new(),
        sheets: Vec::new(),
        notices: Vec::new(),
    };
    while let Some(ev) = s.next_event() {
        match ev? {
            Event::Opened(m) => {
                wb.format = m.format;
                wb.date_1904 = m.date_1904;
                wb.sheet_names = m.sheet_names;
            }
            Event::Sheet(name) => wb.sheets.push(Sheet {
                name,
                rows: Vec::new(),
            }),
            Event::Rows(rows) => {
                if let Some(sheet) = wb.sheets.last_mut() {
                    sheet.rows.extend(rows);
                }
            }
            Event::Notice(n) => wb.notices.push(n),
        }
    }
    Ok(wb)
}

/// What a listing found: the files to read, and the entries passed over
/// with why (recorded and reported, never fatal).
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<PathBuf>,
    /// Each file's own metadata (a link's, not its target's), in the order
    /// of `files`, as the walk read it through its folder; `None` for a
    /// file named on the command line.
    pub metadata: Vec<Option<std::fs::Metadata>>,
    pub skipped: Vec<(PathBuf, String)>,
}

/// Lists the files under `paths` (files as given, folders walked
/// recursively), skipping hidden files and editor lock files (`~$x.xlsx`,
/// `.~lock.x.ods#`), sorted by path for a stable order. Symbolic links,
/// FIFOs, sockets and devices are never followed or read; they, and any
/// sub-folder or entry that cannot be listed, are in `skipped`.
///
/// # Errors
/// An I/O error naming a path given that cannot be listed at all.
pub fn discover(paths: &[PathBuf]) -> Result<Listing, std::io::Error> {
    let mut out = Walked::default();
    for p in paths {
        let named =
            |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", p.display()));
        let meta = std::fs::symlink_metadata(p).map_err(named)?;
        let link = meta.file_type().is_symlink();
        // A folder or file named on the command line through a link is
        // followed: the operator chose it. Inside a folder, links never are.
        if meta.is_dir() || (link && std::fs::metadata(p).is_ok_and(|m| m.is_dir())) {
            walk(std::fs::read_dir(p).map_err(named)?, &mut out, 0);
        } else if meta.is_file() {
            out.files.push((p.clone(), None));
        } else if link {
            out.files
                .push((std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()), None));
        } else {
            out.skipped
                .push((p.clone(), ReadError::NotAFile.to_string()));
        }
    }
    out.files.sort_by(|a, b| a.0.cmp(&b.0));
    out.files.dedup_by(|a, b| a.0 == b.0);
    let (files, metadata) = out.files.into_iter().unzip();
    Ok(Listing {
        files,
        metadata,
        skipped: out.skipped,
    })
}

/// What the walk gathers before it is sorted.
#[derive(Default)]
struct Walked {
    files: Vec<(PathBuf, Option<std::fs::Metadata>)>,
    skipped: Vec<(PathBuf, String)>,
}

/// Deepest folder nesting walked (a deeper tree is reported, not walked).
const MAX_DEPTH: usize = 32;

fn walk(entries: std::fs::ReadDir, out: &mut Walked, depth: usize) {
    // Each folder's entries in name order: the walk then lists files in
    // path order already, and `discover`'s sort has nothing left to move
    // (comparing paths component by component was a tenth of a run with
    // nothing new, on 3,393 files).
    let mut named = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => named.push((e.file_name(), e)),
            Err(e) => out
                .skipped
                .push((PathBuf::new(), format!("entrée illisible : {e}"))),
        }
    }
    named.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, entry) in named {
        let path = entry.path();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        // The entry's own type: a link is never followed.
        let ty = match entry.file_type() {
            Ok(t) => t,
            Err(e) => {
                out.skipped.push((path, format!("entrée illisible : {e}")));
                continue;
            }
        };
        if ty.is_dir() {
            if depth >= MAX_DEPTH {
                out.skipped
                    .push((path, "dossier trop profondément imbriqué : ignoré".into()));
                continue;
            }
            match std::fs::read_dir(&path) {
                Ok(sub) => walk(sub, out, depth + 1),
                Err(e) => out.skipped.push((path, format!("dossier illisible : {e}"))),
            }
        } else if ty.is_file() {
            // Read through the folder (`fstatat`), not by the whole path
            // again: on 3,393 files, looking each path up anew was a
            // twentieth of a run with nothing new.
            out.files.push((path, entry.metadata().ok()));
        } else {
            out.skipped.push((path, ReadError::NotAFile.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ReadError;

    /// The walk lists folders in name order so that the listing needs no
    /// real sort: its order must still be the paths' own (component by
    /// component, where `a/z` comes before `a-b` and `a.xlsx`), and each
    /// file's metadata must be that file's.
    #[test]
    fn the_listing_is_in_path_order_with_each_files_own_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let names = [
            "a/z.csv",
            "a/b/c.csv",
            "a-b.csv",
            "a.xlsx",
            "A.csv",
            "b/a.csv",
            "a b/x.csv",
            "é.csv",
            "a/.hidden.csv",
            "~$lock.xlsx",
        ];
        for (i, n) in names.iter().enumerate() {
            let p = root.join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, vec![b'x'; i + 1]).unwrap();
        }
        let listing = super::discover(&[root.to_path_buf()]).unwrap();
        let mut expected: Vec<_> = names[..8].iter().map(|n| root.join(n)).collect();
        expected.sort();
        assert_eq!(listing.files, expected);
        assert_eq!(listing.metadata.len(), listing.files.len());
        for (path, meta) in listing.files.iter().zip(&listing.metadata) {
            let meta = meta.as_ref().expect("the walk read the file's metadata");
            assert_eq!(
                meta.len(),
                std::fs::metadata(path).unwrap().len(),
                "{path:?}"
            );
        }
        // A file named on the command line is listed without metadata.
        let one = super::discover(&[root.join("a.xlsx")]).unwrap();
        assert_eq!(one.files, vec![root.join("a.xlsx")]);
        assert!(one.metadata[0].is_none());
    }

    #[test]
    fn the_time_limit_is_said_in_french_singular_or_plural() {
        assert_eq!(
            ReadError::Timeout { secs: 1 }.to_string(),
            "La lecture du fichier a dépassé 1 seconde : fichier refusé."
        );
        assert_eq!(
            ReadError::Timeout { secs: 120 }.to_string(),
            "La lecture du fichier a dépassé 120 secondes : fichier refusé."
        );
    }
}
