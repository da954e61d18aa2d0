//! Telling people what became of their files: the terminal summary, the
//! JSON summary, the per-file rejection CSV and the annotated workbook copy.
//! Values that identify a person are never echoed (`***`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::ingest::{self, Cell, SourceFile};
use crate::model::Verdict;
use crate::validate::{self, FileReport};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error(transparent)]
    Read(#[from] crate::ingest::ReadError),
}

/// Machine-readable summary of a batch (`--format json`).
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub files: usize,
    pub accepted: usize,
    pub rows_rejected: usize,
    pub file_rejected: usize,
    pub rows: usize,
    pub rows_accepted: usize,
    pub rows_refused: usize,
    pub reports: &'a [&'a FileReport],
}

impl<'a> Summary<'a> {
    pub fn of(reports: &'a [&'a FileReport]) -> Self {
        let count = |v: Verdict| reports.iter().filter(|r| r.verdict == v).count();
        let (rows, rows_accepted, rows_refused) = reports
            .iter()
            .map(|r| r.totals())
            .fold((0, 0, 0), |a, t| (a.0 + t.0, a.1 + t.1, a.2 + t.2));
        Summary {
            files: reports.len(),
            accepted: count(Verdict::Accepted),
            rows_rejected: count(Verdict::RowsRejected),
            file_rejected: count(Verdict::FileRejected),
            rows,
            rows_accepted,
            rows_refused,
            reports,
        }
    }
}

/// How many examples of each reason the terminal shows.
const EXAMPLES: usize = 3;

/// Prints one block per file, then the batch's bottom line, in French.
///
/// # Errors
/// Only when stdout cannot be written.
pub fn print_human(out: &mut impl Write, reports: &[&FileReport]) -> std::io::Result<()> {
    for r in reports {
        let mark = match r.verdict {
            Verdict::Accepted => "OK  ",
            Verdict::RowsRejected => "AVERT",
            Verdict::FileRejected => "REFUS",
        };
        let what = match (&r.structure, r.period) {
            (Some(s), Some(p)) => format!(" [{s}, {p}]"),
            (Some(s), None) => format!(" [{s}]"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{mark} {}{what} : {}",
            crate::text::printable(&r.name, 200),
            r.verdict.label()
        )?;
        if let Some(reason) = &r.reason {
            // One problem a line.
            for line in reason.lines() {
                writeln!(out, "      {line}")?;
            }
        }
        for t in &r.tables {
            writeln!(
                out,
                "      {} : {} ligne(s) lue(s), {} acceptée(s), {} rejetée(s)",
                t.table.csv_name(),
                t.rows,
                t.accepted,
                t.rejected
            )?;
        }
        let mut by_reason: BTreeMap<(String, String), Vec<&validate::Rejection>> = BTreeMap::new();
        for j in &r.rejections {
            by_reason
                .entry((j.header.clone(), j.reason.clone()))
                .or_default()
                .push(j);
        }
        for ((header, reason), list) in &by_reason {
            let examples: Vec<String> = list
                .iter()
                .take(EXAMPLES)
                .map(|j| {
                    let at = format!(
                        "{}!{}{}",
                        crate::text::printable(&j.sheet, 40),
                        j.column,
                        j.row
                    );
                    if j.value.is_empty() {
                        at
                    } else {
                        format!("{at} « {} »", crate::text::printable(&j.value, 60))
                    }
                })
                .collect();
            let col = if header.is_empty() {
                String::new()
            } else {
                format!("{header} : ")
            };
            writeln!(
                out,
                "      {} × {col}{reason} (ex. {})",
                list.len(),
                examples.join(", ")
            )?;
        }
        if r.rejections_omitted > 0 {
            writeln!(
                out,
                "      … et {} autre(s) rejet(s) non détaillé(s)",
                r.rejections_omitted
            )?;
        }
        for n in &r.notices {
            writeln!(out, "      note : {}", crate::text::printable(n, 300))?;
        }
        if r.notices_omitted > 0 {
            writeln!(out, "      … et {} autre(s) note(s)", r.notices_omitted)?;
        }
    }
    let refs: Vec<&FileReport> = reports.to_vec();
    let s = Summary::of(&refs);
    writeln!(
        out,
        "Bilan : {} fichier(s) : {} accepté(s), {} avec lignes rejetées, {} refusé(s) ; {} ligne(s) lue(s), {} acceptée(s), {} rejetée(s).",
        s.files, s.accepted, s.rows_rejected, s.file_rejected, s.rows, s.rows_accepted, s.rows_refused
    )
}

pub use crate::text::safe_file_stem;

/// The rejection CSV of a file (`;`-separated, UTF-8 with BOM so French
/// Excel opens it right): sheet, row, column, header, value, reason. A file
/// rejected as a whole gets one line with its reason. Every cell is
/// neutralised against formulas ([`crate::text::neutralise`]), and the
/// whole stays under `max_bytes`: lines past it are counted in a last line.
///
/// # Errors
/// CSV writing errors.
pub fn rejections_csv(report: &FileReport, max_bytes: usize) -> Result<Vec<u8>, ReportError> {
    // Each line is formatted once, then kept while the whole stays under
    // the limit.
    let line = |fields: &[&str]| -> Result<Vec<u8>, ReportError> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::new());
        w.write_record(fields)?;
        w.into_inner().map_err(|e| ReportError::Io(e.into_error()))
    };
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(line(&[
        "feuille", "ligne", "colonne", "en-tete", "valeur", "motif",
    ])?);
    // A line about the whole file: its text in the last column.
    let whole = |text: &str| line(&["", "", "", "", "", text]);
    if let Some(reason) = &report.reason {
        bytes.extend(whole(&crate::text::neutralise(reason))?);
    }
    let mut omitted = report.rejections_omitted;
    for (i, j) in report.rejections.iter().enumerate() {
        let fields = neutralised(&j.csv_fields());
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let next = line(&fields)?;
        if bytes.len() + next.len() > max_bytes.saturating_sub(200) {
            omitted += report.rejections.len() - i;
            break;
        }
        bytes.extend(next);
    }
    if omitted > 0 {
        bytes.extend(whole(&format!("… et {omitted} autre(s) rejet(s) non détaillé(s) : corrigez les lignes ci-dessus, puis renvoyez le fichier pour voir la suite."))?);
    }
    Ok(bytes)
}

/// CSV fields with formulas neutralised.
pub fn neutralised(fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .map(|f| crate::text::neutralise(f).into_owned())
        .collect()
}

/// Writes `<file>.rejets.csv` into `dir` (see [`rejections_csv`]).
///
/// # Errors
/// I/O errors, with the path.
pub fn write_rejections_csv(
    dir: &Path,
    report: &FileReport,
    max_bytes: usize,
) -> Result<PathBuf, ReportError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.rejets.csv", safe_file_stem(&report.name)));
    let bytes = rejections_csv(report, max_bytes)?;
    std::fs::write(&path, bytes).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Writes the annotated copy made by a worker into `dir`.
///
/// # Errors
/// I/O errors, with the path.
pub fn write_annotated(
    dir: &Path,
    report: &FileReport,
    bytes: &[u8],
) -> Result<PathBuf, ReportError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.annote.xlsx", safe_file_stem(&report.name)));
    std::fs::write(&path, bytes).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

pub mod edit;

/// The annotated copy (`.annote.xlsx`): the structure's workbook with each
/// rejected cell filled in red and the reasons beside each row, the
/// problems of a refused file at the top. An `.xlsx`/`.xlsm` workbook is
/// edited in place, keeping its formatting, formulas and cached values
/// ([`edit`]); any other file (ODS, XLS, CSV) is rebuilt cell by cell with
/// the reasons as cell notes. This copy is for the structure's own use: it
/// holds its data as sent. Made in the worker that read the file (it reads
/// the file again). `None` when there is nothing to annotate.
///
/// # Errors
/// xlsx writing errors.
pub fn annotated_bytes(
    report: &FileReport,
    file: &SourceFile,
    limits: &crate::model::limits::Limits,
) -> Result<Option<Vec<u8>>, ReportError> {
    if report.rejections.is_empty() && report.reason.is_none() {
        return Ok(None);
    }
    let mut notes = edit::Notes::new();
    for j in &report.rejections {
        notes
            .entry(j.sheet.clone())
            .or_default()
            .entry(j.row)
            .or_default()
            .entry(j.column_index.and_then(|c| u32::try_from(c).ok()))
            .or_default()
            .push(if j.header.is_empty() {
                j.reason.clone()
            } else {
                format!("{} : {}", j.header, j.reason)
            });
    }
    if let Some(reason) = &report.reason {
        notes
            .entry(edit::FIRST_SHEET.to_string())
            .or_default()
            .entry(1)
            .or_default()
            .entry(None)
            .or_default()
            .push(format!("Fichier refusé : {}", reason.replace('\n', " ")));
    }
    if matches!(report.format, Some(ingest::Format::Xlsx)) {
        if let Some(bytes) = edit::annotate_xlsx(&file.bytes, &notes) {
            return Ok(Some(bytes));
        }
    }
    rebuilt_copy(file, limits, &notes).map(Some)
}

/// The annotated copy rebuilt from the cells read (ODS, XLS, CSV, or an
/// xlsx the editor could not follow).
fn rebuilt_copy(
    file: &SourceFile,
    limits: &crate::model::limits::Limits,
    by_sheet: &edit::Notes,
) -> Result<Vec<u8>, ReportError> {
    let wb = ingest::read(file, limits, ingest::all_sheets)?;
    use rust_xlsxwriter::{Color, Format, Note, Workbook};
    let mut book = Workbook::new();
    // Fast deflate, as for the edited xlsx copies: made for most files of
    // a load, and the default level was a quarter of the workers' time
    // when feedback is on (ten years of history: 1,373 CSV and ODS files).
    book.set_zip_compression_level(1);
    let bad = Format::new().set_background_color(Color::RGB(0xF4_B0_B0));
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let mut notes: BTreeMap<(String, u32, u16), Vec<String>> = BTreeMap::new();
    let first = wb
        .sheets
        .first()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    for (sheet, rows) in by_sheet {
        let sheet = if wb.format == ingest::Format::Csv || sheet == edit::FIRST_SHEET {
            first.clone()
        } else {
            sheet.clone()
        };
        for (row, cols) in rows {
            for (col, reasons) in cols {
                let col = col.and_then(|c| u16::try_from(c).ok()).unwrap_or(0);
                notes
                    .entry((sheet.clone(), *row, col))
                    .or_default()
                    .extend(reasons.iter().cloned());
            }
        }
    }
    let mut used: Vec<String> = Vec::new();
    for sheet in &wb.sheets {
        let ws = book.add_worksheet();
        let name: String = sheet
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c) && !c.is_control())
            .take(31)
            .collect();
        let name = name.trim_matches('\'').to_string();
        let mut name = if name.is_empty() {
            "Feuille".to_string()
        } else {
            name
        };
        // Two names may collide once cleaned (names compare without case).
        let mut n = 2;
        while used.iter().any(|u| u.to_lowercase() == name.to_lowercase()) {
            let suffix = format!(" ({n})");
            let base: String = name.chars().take(31 - suffix.chars().count()).collect();
            name = format!("{base}{suffix}");
            n += 1;
        }
        used.push(name.clone());
        ws.set_name(&name)?;
        for row in &sheet.rows {
            let r = row.number - 1;
            for (c, cell) in row.cells.iter().enumerate() {
                let Ok(c16) = u16::try_from(c) else { continue };
                let flagged = notes.contains_key(&(sheet.name.clone(), row.number, c16));
                let fmt = if flagged { Some(&bad) } else { None };
                match (cell, fmt) {
                    (Cell::Empty, Some(f)) => {
                        ws.write_blank(r, c16, f)?;
                    }
                    (Cell::Empty, None) => {}
                    (Cell::Number(n), Some(f)) => {
                        ws.write_number_with_format(r, c16, *n, f)?;
                    }
                    (Cell::Number(n), None) => {
                        ws.write_number(r, c16, *n)?;
                    }
                    (Cell::Date(d), Some(f)) => {
                        ws.write_number_with_format(
                            r,
                            c16,
                            crate::synth::excel_serial(d.date()),
                            &f.clone().set_num_format("dd/mm/yyyy"),
                        )?;
                    }
                    (Cell::Date(d), None) => {
                        ws.write_number_with_format(
                            r,
                            c16,
                            crate::synth::excel_serial(d.date()),
                            &date,
                        )?;
                    }
                    (other, Some(f)) => {
                        ws.write_string_with_format(r, c16, other.display(), f)?;
                    }
                    (other, None) => {
                        ws.write_string(r, c16, other.display())?;
                    }
                }
            }
        }
        for ((s, row, col), reasons) in &notes {
            if *s == sheet.name {
                let note = Note::new(reasons.join("\n")).set_author("essaim");
                ws.insert_note(row.saturating_sub(1), *col, &note)?;
            }
        }
    }
    Ok(book.save_to_buffer()?)
}
