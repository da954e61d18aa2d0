//! Writing workbooks in the template's layout: the blank template handed to
//! structures (`essaim template`), and the generated fixtures and benchmark
//! inputs. One description of a workbook, written as xlsx, ods or CSV, so
//! that the same case exists in every format.

mod ods;
pub mod template;

use std::io::{Cursor, Read, Write};

use chrono::NaiveDate;

use crate::model::template::Table;

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum SCell {
    Empty,
    Text(String),
    Number(f64),
    /// A real date cell (formatted dd/mm/yyyy).
    Date(NaiveDate),
    /// A formula with its cached result, as a spreadsheet saves it.
    Formula {
        formula: String,
        result: f64,
    },
}

impl From<&str> for SCell {
    fn from(s: &str) -> Self {
        if s.is_empty() {
            SCell::Empty
        } else {
            SCell::Text(s.to_string())
        }
    }
}

impl From<String> for SCell {
    fn from(s: String) -> Self {
        SCell::from(s.as_str())
    }
}

impl From<f64> for SCell {
    fn from(n: f64) -> Self {
        SCell::Number(n)
    }
}

impl From<NaiveDate> for SCell {
    fn from(d: NaiveDate) -> Self {
        SCell::Date(d)
    }
}

/// A sheet to write: rows of cells from A1.
#[derive(Debug, Clone, Default)]
pub struct SSheet {
    pub name: String,
    pub rows: Vec<Vec<SCell>>,
}

impl SSheet {
    pub fn new(name: &str) -> Self {
        SSheet {
            name: name.to_string(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row<I: IntoIterator<Item = SCell>>(&mut self, cells: I) -> &mut Self {
        self.rows.push(cells.into_iter().collect());
        self
    }
}

/// A workbook to write.
#[derive(Debug, Clone, Default)]
pub struct SBook {
    pub sheets: Vec<SSheet>,
    /// Write the xlsx in the 1904 date system.
    pub date_1904: bool,
}

/// Converts a cell list written as `[a, b, c]` of mixed types.
#[macro_export]
macro_rules! cells {
    ($($c:expr),* $(,)?) => { vec![$($crate::synth::SCell::from($c)),*] };
}

impl SBook {
    /// The blank reporting template, headers only, with the `Structure`
    /// sheet's fields (filled in when given).
    pub fn template(
        structure: Option<&str>,
        innovation: Option<&str>,
        period: Option<&str>,
        instructions: &[String],
    ) -> SBook {
        let mut help = SSheet::new("Instructions");
        for line in instructions {
            help.row(cells![line.as_str()]);
        }
        let mut s = SSheet::new("Structure");
        s.row(cells!["Code structure", structure.unwrap_or("")]);
        s.row(cells!["Innovation", innovation.unwrap_or("")]);
        s.row(cells!["Période", period.unwrap_or("")]);
        s.row(cells!["Professionnels mobilisés", ""]);
        s.row(cells!["Contact", ""]);
        let mut sheets = vec![help, s];
        for t in Table::ALL {
            let mut sheet = SSheet::new(t.sheet_name());
            sheet.row(t.columns().iter().map(|c| SCell::from(c.header)));
            sheets.push(sheet);
        }
        SBook {
            sheets,
            date_1904: false,
        }
    }

    /// The workbook as xlsx bytes.
    ///
    /// # Errors
    /// rust_xlsxwriter errors (a sheet name too long, ...), or the 1904
    /// date system that could not be declared.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, SynthError> {
        use rust_xlsxwriter::{Format, Formula, Workbook};
        let mut book = Workbook::new();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        let epoch_shift = if self.date_1904 { 1462.0 } else { 0.0 };
        for sheet in &self.sheets {
            let ws = book.add_worksheet();
            ws.set_name(&sheet.name)?;
            for (r, row) in sheet.rows.iter().enumerate() {
                let r = r as u32;
                for (c, cell) in row.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        SCell::Empty => {}
                        SCell::Text(s) => {
                            ws.write_string(r, c, s)?;
                        }
                        SCell::Number(n) => {
                            ws.write_number(r, c, *n)?;
                        }
                        SCell::Date(d) => {
                            // Written as a serial so the 1904 system can be honoured.
                            ws.write_number_with_format(
                                r,
                                c,
                                excel_serial(*d) - epoch_shift,
                                &date,
                            )?;
                        }
                        SCell::Formula { formula, result } => {
                            ws.write_formula(
                                r,
                                c,
                                Formula::new(formula).set_result(result.to_string()),
                            )?;
                        }
                    }
                }
            }
        }
        let bytes = book.save_to_buffer()?;
        if self.date_1904 {
            set_1904(&bytes)
        } else {
            Ok(bytes)
        }
    }

    /// The workbook as ods bytes.
    ///
    /// # Errors
    /// Zip writing errors.
    pub fn to_ods(&self) -> Result<Vec<u8>, SynthError> {
        ods::write(self)
    }

    /// One sheet as CSV text with the given delimiter (dates as dd/mm/yyyy).
    ///
    /// # Errors
    /// CSV writing errors.
    pub fn sheet_to_csv(&self, sheet: &str, delimiter: u8) -> Result<String, SynthError> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(Vec::new());
        if let Some(s) = self.sheets.iter().find(|s| s.name == sheet) {
            for row in &s.rows {
                let fields: Vec<String> = row.iter().map(csv_text).collect();
                w.write_record(&fields)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| SynthError::Io(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn csv_text(c: &SCell) -> String {
    match c {
        SCell::Empty => String::new(),
        SCell::Text(s) => s.clone(),
        SCell::Number(n) | SCell::Formula { result: n, .. } => {
            if n.fract() == 0.0 {
                format!("{}", *n as i64)
            } else {
                n.to_string()
            }
        }
        SCell::Date(d) => d.format("%d/%m/%Y").to_string(),
    }
}

/// Excel serial of a date in the 1900 system.
pub fn excel_serial(d: NaiveDate) -> f64 {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (d - base).num_days() as f64
}

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Rewrites `xl/workbook.xml` to declare the 1904 date system.
fn set_1904(xlsx: &[u8]) -> Result<Vec<u8>, SynthError> {
    let mut src = zip::ZipArchive::new(Cursor::new(xlsx))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i)?;
        let name = f.name()?.to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data)?;
        if name == "xl/workbook.xml" {
            let s = String::from_utf8_lossy(&data).replacen(
                "<workbookPr ",
                "<workbookPr date1904=\"1\" ",
                1,
            );
            data = s.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())?;
        out.write_all(&data)?;
    }
    Ok(out.finish()?.into_inner())
}
