//! Ingest: find the files structures sent, sniff their format from the
//! bytes, and read them into [`Workbook`]s of raw cells that remember where
//! every cell came from. Nothing here judges the content; that is
//! `validate`'s job.

mod csvfile;
mod sniff;
mod workbook;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Limits;

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
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
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
    pub bytes: Vec<u8>,
}

/// Why a file could not be read. Messages are French: a structure reads them.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("Fichier illisible : {0}")]
    Io(String),
    #[error("Fichier vide.")]
    Empty,
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
    #[error("La lecture du fichier a dépassé {secs} secondes : fichier refusé.")]
    Timeout { secs: u64 },
    #[error("L'encodage du fichier CSV n'est pas reconnu (UTF-8, UTF-16 ou Windows-1252 attendus).")]
    Encoding,
}

impl SourceFile {
    /// Reads a file from disk, refusing it when larger than the limit.
    ///
    /// # Errors
    /// [`ReadError::Io`], [`ReadError::TooLarge`].
    pub fn open(path: &Path, limits: &Limits) -> Result<SourceFile, ReadError> {
        let meta = std::fs::metadata(path).map_err(|e| ReadError::Io(e.to_string()))?;
        let max = limits.max_file_mib * 1024 * 1024;
        if meta.len() > max {
            return Err(ReadError::TooLarge {
                size_mib: meta.len() / (1024 * 1024),
                max_mib: limits.max_file_mib,
            });
        }
        let bytes = std::fs::read(path).map_err(|e| ReadError::Io(e.to_string()))?;
        let modified = meta
            .modified()
            .map(DateTime::<Utc>::from)
            .unwrap_or_else(|_| Utc::now());
        Ok(SourceFile::from_bytes(path, bytes, modified))
    }

    /// Wraps bytes already in memory.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>, modified: DateTime<Utc>) -> SourceFile {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        SourceFile {
            path: path.to_path_buf(),
            name,
            sha256: hex::encode(Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            modified,
            bytes,
        }
    }
}

/// Which sheets to load from a workbook: a predicate on the sheet name.
pub type SheetFilter = fn(&str) -> bool;

/// Reads a file into a [`Workbook`] with the limits applied, on a watchdog:
/// a file that takes longer than `file_timeout_secs` is refused (the reading
/// thread is left to finish on its own, its result dropped).
///
/// # Errors
/// A [`ReadError`] saying, in French, why the file cannot be read.
pub fn read(file: &SourceFile, limits: &Limits, wanted: SheetFilter) -> Result<Workbook, ReadError> {
    if file.bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let format = sniff(&file.bytes, limits)?;
    let (tx, rx) = mpsc::channel();
    let bytes = file.bytes.clone();
    let limits_owned = limits.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("read {}", file.name))
        .spawn(move || {
            let result = std::panic::catch_unwind(|| read_format(format, bytes, &limits_owned, wanted))
                .unwrap_or_else(|_| Err(ReadError::Corrupt("erreur interne du lecteur".into())));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(ReadError::Io(e.to_string()));
    }
    match rx.recv_timeout(Duration::from_secs(limits.file_timeout_secs)) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(ReadError::Timeout {
            secs: limits.file_timeout_secs,
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(ReadError::Corrupt("erreur interne du lecteur".into()))
        }
    }
}

fn read_format(format: Format, bytes: Vec<u8>, limits: &Limits, wanted: SheetFilter) -> Result<Workbook, ReadError> {
    match format {
        Format::Csv => csvfile::read(&bytes, limits),
        _ => workbook::read(format, bytes, limits, wanted),
    }
}

/// Lists the files under `paths` (files as given, folders walked
/// recursively), skipping hidden files and editor lock files (`~$x.xlsx`,
/// `.~lock.x.ods#`), sorted by path for a stable order.
///
/// # Errors
/// An I/O error naming the path that could not be listed.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), std::io::Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&entry.path(), out)?;
        } else if ty.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}
