//! Workbooks through calamine. Only the sheets validation asks for are
//! loaded; xlsx sheets are read cell by cell from calamine's streaming
//! reader, the other formats through a `Range`.

use std::io::Cursor;

use std::sync::Arc;

use calamine::{Data, DataRef, Ods, Reader, Xls, Xlsb, Xlsx};

use super::{Cell, Event, Format, Meta, ReadError, Row, Sender, SheetPlan};
use crate::model::limits::Limits;

type Rs = Cursor<Arc<[u8]>>;

pub(super) fn read(
    format: Format,
    bytes: Arc<[u8]>,
    limits: &Limits,
    plan: SheetPlan,
    out: &Sender,
) -> Result<(), ReadError> {
    let rs = Cursor::new(bytes);
    match format {
        Format::Xlsx => {
            let mut wb = Xlsx::new(rs)
                .map_err(|e| map_err(&e.to_string(), matches!(e, calamine::XlsxError::Password)))?;
            read_xlsx(&mut wb, limits, plan, out)
        }
        Format::Xlsb => {
            let wb: Xlsb<Rs> = Xlsb::new(rs)
                .map_err(|e| map_err(&e.to_string(), matches!(e, calamine::XlsbError::Password)))?;
            read_ranges(wb, format, false, limits, plan, out)
        }
        Format::Xls => {
            let wb: Xls<Rs> = Xls::new(rs)
                .map_err(|e| map_err(&e.to_string(), matches!(e, calamine::XlsError::Password)))?;
            let is_1904 = wb.has_1904_epoch();
            read_ranges(wb, format, is_1904, limits, plan, out)
        }
        Format::Ods => {
            let wb: Ods<Rs> = Ods::new(rs)
                .map_err(|e| map_err(&e.to_string(), matches!(e, calamine::OdsError::Password)))?;
            read_ranges(wb, format, false, limits, plan, out)
        }
        Format::Csv => Err(ReadError::Corrupt("format inattendu".into())),
    }
}

fn map_err(message: &str, password: bool) -> ReadError {
    if password || message.to_ascii_lowercase().contains("password") {
        ReadError::Password
    } else {
        ReadError::Corrupt(message.to_string())
    }
}

fn read_xlsx(
    wb: &mut Xlsx<Rs>,
    limits: &Limits,
    plan: SheetPlan,
    out: &Sender,
) -> Result<(), ReadError> {
    let sheet_names = wb.sheet_names();
    out.push(Event::Opened(Meta {
        format: Format::Xlsx,
        date_1904: wb.has_1904_epoch(),
        sheet_names: sheet_names.clone(),
    }));
    for name in plan(&sheet_names) {
        let mut reader = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| map_err(&e.to_string(), false))?;
        let mut rows = RowEmitter::new(&name, limits, out);
        while let Some(cell) = reader
            .next_cell()
            .map_err(|e| map_err(&e.to_string(), false))?
        {
            let (row, col) = cell.get_position();
            rows.push(row, col, from_data_ref(cell.get_value().clone()))?;
        }
        rows.finish()?;
    }
    Ok(())
}

fn read_ranges<R: Reader<Rs>>(
    mut wb: R,
    format: Format,
    is_1904: bool,
    limits: &Limits,
    plan: SheetPlan,
    out: &Sender,
) -> Result<(), ReadError>
where
    R::Error: std::fmt::Display,
{
    let sheet_names = wb.sheet_names();
    out.push(Event::Opened(Meta {
        format,
        date_1904: is_1904,
        sheet_names: sheet_names.clone(),
    }));
    for name in plan(&sheet_names) {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| map_err(&e.to_string(), false))?;
        let mut rows = RowEmitter::new(&name, limits, out);
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (row, col, value) in range.used_cells() {
            rows.push(r0 + row as u32, c0 + col as u32, from_data(value))?;
        }
        rows.finish()?;
    }
    Ok(())
}

/// Gathers cells (in row order) into rows and sends each row when the next
/// begins, enforcing the row and column limits as it goes so that a huge
/// sheet is refused early.
struct RowEmitter<'a> {
    name: String,
    limits: &'a Limits,
    out: &'a Sender,
    current: Option<Row>,
    sent: usize,
    /// The widest row so far, the capacity given to the next.
    width: usize,
    dropped_columns: bool,
}

impl<'a> RowEmitter<'a> {
    fn new(name: &str, limits: &'a Limits, out: &'a Sender) -> Self {
        out.push(Event::Sheet(name.to_string()));
        RowEmitter {
            name: name.to_string(),
            limits,
            out,
            current: None,
            sent: 0,
            width: 0,
            dropped_columns: false,
        }
    }

    fn push(&mut self, row: u32, col: u32, cell: Cell) -> Result<(), ReadError> {
        if cell == Cell::Empty {
            return Ok(());
        }
        let col = col as usize;
        if col >= self.limits.max_columns {
            self.dropped_columns = true;
            return Ok(());
        }
        let number = row + 1;
        if self.current.as_ref().is_none_or(|r| r.number != number) {
            self.flush()?;
            self.current = Some(Row {
                number,
                // Rows of a sheet are about as wide as the one before.
                cells: Vec::with_capacity(self.width),
            });
        }
        if let Some(cur) = self.current.as_mut() {
            let len = cur.cells.len();
            if col == len {
                cur.cells.push(cell);
            } else if col > len {
                cur.cells.resize(col, Cell::Empty);
                cur.cells.push(cell);
            } else {
                cur.cells[col] = cell;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ReadError> {
        if let Some(row) = self.current.take() {
            self.width = self.width.max(row.cells.len());
            if row.is_blank() {
                return Ok(());
            }
            if self.sent >= self.limits.max_rows {
                return Err(ReadError::TooManyRows {
                    sheet: self.name.clone(),
                    max: self.limits.max_rows,
                });
            }
            self.sent += 1;
            self.out.row(row)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), ReadError> {
        self.flush()?;
        if self.dropped_columns {
            self.out.push(Event::Notice(format!(
                "Feuille « {} » : les colonnes au-delà de la {}e ont été ignorées.",
                self.name, self.limits.max_columns
            )));
        }
        Ok(())
    }
}

fn from_data(d: &Data) -> Cell {
    match d {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(Cell::Date)
            .unwrap_or(Cell::Number(dt.as_f64())),
        Data::DateTimeIso(s) => iso(s),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

fn from_data_ref(d: DataRef<'_>) -> Cell {
    match d {
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Int(i) => Cell::Number(i as f64),
        DataRef::Float(f) => Cell::Number(f),
        DataRef::String(s) => Cell::Text(s),
        DataRef::Bool(b) => Cell::Bool(b),
        DataRef::DateTime(dt) => dt
            .as_datetime()
            .map(Cell::Date)
            .unwrap_or(Cell::Number(dt.as_f64())),
        DataRef::DateTimeIso(s) => iso(&s),
        DataRef::DurationIso(s) => Cell::Text(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

fn iso(s: &str) -> Cell {
    use chrono::{NaiveDate, NaiveDateTime};
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Cell::Date(dt);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Cell::Date(d.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    Cell::Text(s.to_string())
}
