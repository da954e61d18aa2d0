//! Telling people what became of their files: the terminal summary, the
//! JSON summary, the per-file rejection CSV and the annotated workbook copy.
//! Values that identify a person are never echoed (`***`).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::ingest::{self, Cell, SourceFile};
use crate::validate::{self, Context, FileReport, Verdict};

/// A judged file, with its bytes when an annotated copy is wanted.
pub struct Judged {
    pub report: FileReport,
    pub bytes: Option<Vec<u8>>,
}

/// Reads and judges `files` in parallel (rayon), with a progress bar on a
/// terminal. The order of the result is the order of `files`. Each file's
/// bytes are kept only when `keep_bytes` (for the annotated copy), and the
/// typed records are not kept: memory follows the largest file, not the batch.
pub fn judge_all(
    config: &Config,
    files: &[PathBuf],
    today: NaiveDate,
    keep_bytes: bool,
) -> Vec<Judged> {
    let mut ctx = Context::new(config, today);
    ctx.keep_records = false;
    let bar = if std::io::stderr().is_terminal() && files.len() > 1 {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {pos}/{len} fichiers {wide_bar} {eta}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let judged = files
        .par_iter()
        .map(|path| {
            let judged = match SourceFile::open(path, &config.limits) {
                Ok(file) => {
                    let report = validate::judge(&file, &ctx);
                    tracing::debug!(file = %file.name, verdict = ?report.verdict, "file judged");
                    Judged {
                        report,
                        bytes: keep_bytes.then(|| file.bytes.to_vec()),
                    }
                }
                Err(e) => Judged {
                    report: FileReport::unreadable(path, e.to_string()),
                    bytes: None,
                },
            };
            bar.inc(1);
            judged
        })
        .collect();
    bar.finish_and_clear();
    judged
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
        writeln!(out, "{mark} {}{what} : {}", r.name, r.verdict.label())?;
        if let Some(reason) = &r.reason {
            writeln!(out, "      {reason}")?;
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
                    let at = format!("{}!{}{}", j.sheet, j.column, j.row);
                    if j.value.is_empty() {
                        at
                    } else {
                        format!("{at} « {} »", j.value)
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
        for n in &r.notices {
            writeln!(out, "      note : {n}")?;
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

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// Writes `<file>.rejets.csv` (`;`-separated, UTF-8 with BOM so French
/// Excel opens it right): sheet, row, column, header, value, reason. A file
/// rejected as a whole gets one line with its reason.
///
/// # Errors
/// I/O errors, with the path.
pub fn write_rejections_csv(dir: &Path, report: &FileReport) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.rejets.csv", stem(&report.name)));
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut bytes);
        w.write_record(["feuille", "ligne", "colonne", "en-tete", "valeur", "motif"])?;
        if let Some(reason) = &report.reason {
            w.write_record(["", "", "", "", "", reason.as_str()])?;
        }
        for j in &report.rejections {
            w.write_record(j.csv_fields())?;
        }
        w.flush()?;
    }
    std::fs::write(&path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Writes `<file>.annote.xlsx`: every sheet of the original with each
/// rejected cell filled in red and its reason as a cell note. This copy is
/// for the structure's own use: it holds its data as sent.
///
/// # Errors
/// I/O or xlsx writing errors.
pub fn write_annotated(
    dir: &Path,
    report: &FileReport,
    bytes: &[u8],
    config: &Config,
) -> anyhow::Result<Option<PathBuf>> {
    if report.rejections.is_empty() {
        return Ok(None);
    }
    let file = SourceFile::from_bytes(&report.path, bytes.to_vec(), chrono::Utc::now());
    let Ok(wb) = ingest::read(&file, &config.limits, ingest::all_sheets) else {
        return Ok(None);
    };
    use rust_xlsxwriter::{Color, Format, Note, Workbook};
    let mut book = Workbook::new();
    let bad = Format::new().set_background_color(Color::RGB(0xF4_B0_B0));
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let mut notes: BTreeMap<(String, u32, u16), Vec<String>> = BTreeMap::new();
    for j in &report.rejections {
        let sheet = if wb.format == ingest::Format::Csv {
            "CSV".to_string()
        } else {
            j.sheet.clone()
        };
        let col = j
            .column_index
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(0);
        notes
            .entry((sheet, j.row, col))
            .or_default()
            .push(j.reason.clone());
    }
    for sheet in &wb.sheets {
        let ws = book.add_worksheet();
        let name: String = sheet
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        ws.set_name(if name.is_empty() { "Feuille" } else { &name })?;
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
                ws.insert_note(row - 1, *col, &note)?;
            }
        }
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.annote.xlsx", stem(&report.name)));
    book.save(&path)?;
    Ok(Some(path))
}
