//! Validation: a raw [`Workbook`] judged against the data contract
//! (`shared/spec/reporting-template.md`). Every row becomes a typed record
//! or a [`Rejection`] with its provenance and a French reason; a file-level
//! problem rejects the whole file with one reason that says what to fix.
//! It reads through `ingest::stream` (each file on a reading thread, run inside
//! a worker process by `app`); judging itself does no other I/O, and the day
//! of the run is an argument.

pub mod coerce;
pub mod header;
pub mod refusal;

pub use refusal::Refusal;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::ingest::{self, Cell, Event, Format, Row, Sheet, SourceFile};
use crate::model::records::{
    Company, CompanyKind, Education, Engagement, Identity, JobSeeker, Listed, Period, PostalCode,
    Professional, Sensitive, Sex, Situation,
};
use crate::model::registry::Registry;
use crate::model::template::{header_key, Field, Table};
use crate::model::Verdict;
use crate::text::column_letter;
use header::HeaderMap;
use refusal::quote_all;

/// What validation needs besides the file.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub registry: &'a Registry,
    pub header_aliases: &'a BTreeMap<String, String>,
    pub limits: &'a crate::model::limits::Limits,
    /// "In the future" means after this day.
    pub today: NaiveDate,
    /// Keep the typed records in the report (loading needs them; a plain
    /// check does not, and then memory stays flat whatever the file size).
    pub keep_records: bool,
}

impl<'a> Context<'a> {
    pub fn new(config: &'a Config, today: NaiveDate) -> Self {
        Context {
            registry: &config.registry,
            header_aliases: &config.header_aliases,
            limits: &config.limits,
            today,
            keep_records: true,
        }
    }
}

/// One refused cell: where it is, what it held, and why (French).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejection {
    pub sheet: String,
    /// Row number as the person sees it.
    pub row: u32,
    /// Column letter (empty for a whole-row problem).
    pub column: String,
    /// Header as written in the file.
    pub header: String,
    /// The raw value, or `***` for a value identifying a person.
    pub value: String,
    pub reason: String,
    /// Zero-based column, for the annotated copy.
    pub column_index: Option<usize>,
}

impl Rejection {
    /// Sheet, row, column, header, value, reason: a rejection as a CSV line.
    pub fn csv_fields(&self) -> [String; 6] {
        [
            self.sheet.clone(),
            self.row.to_string(),
            self.column.clone(),
            self.header.clone(),
            self.value.clone(),
            self.reason.clone(),
        ]
    }
}

/// Rows of one table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableCount {
    pub table: Table,
    pub rows: usize,
    pub accepted: usize,
    pub rejected: usize,
}

/// The typed content of an accepted file.
#[derive(Debug, Clone, Default)]
pub struct FileData {
    /// Tables the file carries (a workbook all its sheets, a CSV its one).
    pub carried: Vec<Table>,
    pub job_seekers: Vec<JobSeeker>,
    pub companies: Vec<Company>,
    pub professionals: Vec<Professional>,
    pub declared_professionals: Option<u32>,
}

/// Everything known about one file after validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    pub name: String,
    /// Where it was read from (a name with any bytes is shown lossily).
    #[serde(serialize_with = "lossy_path", deserialize_with = "path_from_text")]
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub format: Option<Format>,
    pub structure: Option<String>,
    pub innovation: Option<String>,
    pub period: Option<Period>,
    pub verdict: Verdict,
    /// Why the whole file was refused: every file-level problem found, one
    /// per line.
    pub reason: Option<String>,
    /// File-level problems found so far (judging goes on after each, so
    /// that a structure learns everything wrong with its file at once).
    #[serde(default)]
    pub problems: Vec<String>,
    pub tables: Vec<TableCount>,
    /// The first `[limits] max_rejections` rejections; memory and every
    /// report stay bounded whatever the file.
    pub rejections: Vec<Rejection>,
    /// Rejections beyond those kept (counted, not described).
    #[serde(default)]
    pub rejections_omitted: usize,
    pub notices: Vec<String>,
    /// Notices beyond those kept.
    #[serde(default)]
    pub notices_omitted: usize,
    #[serde(skip)]
    pub data: FileData,
}

fn lossy_path<S: serde::Serializer>(p: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string_lossy())
}

fn path_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    String::deserialize(d).map(PathBuf::from)
}

/// Notices kept per file (the rest are counted).
pub const MAX_NOTICES: usize = 200;

impl FileReport {
    fn new(file: &SourceFile) -> Self {
        FileReport {
            name: file.name.clone(),
            path: file.path.clone(),
            sha256: file.sha256.clone(),
            size: file.size,
            format: None,
            structure: None,
            innovation: None,
            period: None,
            verdict: Verdict::Accepted,
            reason: None,
            problems: Vec::new(),
            tables: Vec::new(),
            rejections: Vec::new(),
            rejections_omitted: 0,
            notices: Vec::new(),
            notices_omitted: 0,
            data: FileData::default(),
        }
    }

    /// A report for a file that could not even be opened.
    pub fn unreadable(path: &std::path::Path, reason: String) -> Self {
        let file = SourceFile::from_bytes(path, Vec::new(), chrono::Utc::now());
        let mut r = FileReport::new(&file);
        r.sha256 = String::new();
        r.reject(reason);
        r
    }

    fn reject(&mut self, reason: String) {
        self.verdict = Verdict::FileRejected;
        self.reason = Some(reason);
        self.data = FileData::default();
    }

    /// Notes a file-level problem; judging goes on.
    fn defer(&mut self, r: Refusal) {
        let text = r.to_string();
        if !self.problems.contains(&text) {
            self.problems.push(text);
        }
    }

    /// Keeps a rejection while under `max`, else counts it.
    pub fn add_rejection(&mut self, r: Rejection, max: usize) {
        if self.rejections.len() < max {
            self.rejections.push(r);
        } else {
            self.rejections_omitted += 1;
        }
    }

    /// Keeps a notice while under [`MAX_NOTICES`], else counts it.
    pub fn add_notice(&mut self, n: String) {
        if self.notices.len() < MAX_NOTICES {
            self.notices.push(n);
        } else {
            self.notices_omitted += 1;
        }
    }

    /// Every rejection, kept or not.
    pub fn rejection_count(&self) -> usize {
        self.rejections.len() + self.rejections_omitted
    }

    /// Rows read, accepted and rejected over every table.
    pub fn totals(&self) -> (usize, usize, usize) {
        self.tables.iter().fold((0, 0, 0), |(r, a, j), t| {
            (r + t.rows, a + t.accepted, j + t.rejected)
        })
    }
}

/// Sheets to read, `Structure` first (rows are judged against its period),
/// then the tables in template order; others are never read.
fn plan_sheets(names: &[String]) -> Vec<String> {
    let mut wanted = vec!["Structure"];
    wanted.extend(Table::ALL.iter().map(|t| t.sheet_name()));
    wanted
        .iter()
        .filter_map(|w| {
            names
                .iter()
                .find(|n| header_key(n) == header_key(w))
                .cloned()
        })
        .collect()
}

/// Reads and judges one file. Never fails: every problem is in the report.
pub fn judge(file: &SourceFile, ctx: &Context<'_>) -> FileReport {
    let mut report = FileReport::new(file);
    let result = judge_stream(file, ctx, &mut report);
    if let Err(fatal) = result {
        report.defer(fatal);
    }
    if !report.problems.is_empty() {
        let reason = report.problems.join("\n");
        report.reject(reason);
        // No row of a refused file is taken: every row read is rejected
        // with the file (the rows' own problems stay listed).
        for t in &mut report.tables {
            t.rejected = t.rows;
            t.accepted = 0;
        }
    } else if report.rejections.is_empty() {
        report.verdict = Verdict::Accepted;
    } else {
        report.verdict = Verdict::RowsRejected;
    }
    report
}

/// The period rows are judged against when the file's own is unreadable
/// (already reported): the quarter of today, so that no row is refused
/// for a period nobody could read.
fn stand_in_period(ctx: &Context<'_>) -> Period {
    Period::month_of(ctx.today)
}

/// The sheet being read.
enum Current {
    Structure { name: String, rows: Vec<Row> },
    Table(TableJudge),
}

fn judge_stream(
    file: &SourceFile,
    ctx: &Context<'_>,
    report: &mut FileReport,
) -> Result<(), Refusal> {
    let mut stream = ingest::stream(file, ctx.limits, plan_sheets)?;
    let mut csv: Option<(Period, Table)> = None;
    let mut period: Option<Period> = None;
    let mut date_1904 = false;
    let mut current: Option<Current> = None;
    let mut carried = Vec::new();
    while let Some(event) = stream.next_event() {
        match event? {
            Event::Opened(meta) => {
                report.format = Some(meta.format);
                date_1904 = meta.date_1904;
                if meta.format == Format::Csv {
                    let extension = crate::text::safe_extension(&file.name).to_lowercase();
                    if ["xlsx", "xlsm", "xls", "xlsb", "ods"].contains(&extension.as_str()) {
                        return Err(Refusal::TextNamedAsWorkbook {
                            name: file.name.clone(),
                            extension: format!(".{extension}"),
                        });
                    }
                    let (p, t) = csv_preamble(file, ctx, report)?;
                    csv = Some((p, t));
                    period = Some(p);
                } else if let Err(r) = check_sheets(&meta.sheet_names) {
                    report.defer(r);
                }
            }
            Event::Sheet(name) => {
                if let Some(done) = current.take() {
                    finish_sheet(done, ctx, report, &mut period, &mut carried);
                }
                current = Some(if let Some((p, table)) = csv {
                    Current::Table(TableJudge::new(table, table.csv_name(), false, p))
                } else if header_key(&name) == header_key("Structure") {
                    Current::Structure {
                        name,
                        rows: Vec::new(),
                    }
                } else {
                    let table = Table::ALL
                        .into_iter()
                        .find(|t| header_key(t.sheet_name()) == header_key(&name))
                        .ok_or_else(|| Refusal::UnexpectedSheet(name.clone()))?;
                    // Without a Structure sheet (reported already), rows
                    // are still judged.
                    let p = period.unwrap_or_else(|| stand_in_period(ctx));
                    Current::Table(TableJudge::new(table, &name, date_1904, p))
                });
            }
            Event::Rows(batch) => match current.as_mut() {
                Some(Current::Structure { rows, .. }) => rows.extend(batch),
                Some(Current::Table(t)) => {
                    for row in batch {
                        t.push(row, ctx, report);
                    }
                }
                None => {}
            },
            Event::Notice(n) => report.add_notice(n),
        }
    }
    if let Some(done) = current.take() {
        finish_sheet(done, ctx, report, &mut period, &mut carried);
    }
    if csv.is_some()
        && report.tables.iter().all(|t| t.rows == 0)
        && carried.iter().all(|c: &(Table, bool)| !c.1)
    {
        return Err(Refusal::Empty);
    }
    report.data.carried = carried.into_iter().map(|(t, _)| t).collect();
    Ok(())
}

fn finish_sheet(
    done: Current,
    ctx: &Context<'_>,
    report: &mut FileReport,
    period: &mut Option<Period>,
    carried: &mut Vec<(Table, bool)>,
) {
    match done {
        Current::Structure { name, rows } => {
            *period = Some(judge_structure_sheet(&Sheet { name, rows }, ctx, report));
        }
        Current::Table(t) => {
            let table = t.table;
            let had_rows = t.finish(ctx, report);
            carried.push((table, had_rows));
        }
    }
}

fn csv_preamble(
    file: &SourceFile,
    ctx: &Context<'_>,
    report: &mut FileReport,
) -> Result<(Period, Table), Refusal> {
    let (code, period, table) =
        parse_csv_name(&file.name).ok_or_else(|| Refusal::CsvName(file.name.clone()))?;
    if let Some(structure) = check_structure(&code, ctx, report) {
        report.innovation = Some(structure.innovation.clone());
    }
    let period = match Period::parse(&period) {
        Some(p) => {
            check_period(p, ctx, report);
            report.period = Some(p);
            p
        }
        None => {
            report.defer(Refusal::InvalidPeriod(period.clone()));
            stand_in_period(ctx)
        }
    };
    Ok((period, table))
}

/// The registered structure of this code (noted in the report), or the
/// problem noted. Without the operators' registry, the code is taken as
/// written.
fn check_structure<'c>(
    code: &str,
    ctx: &Context<'c>,
    report: &mut FileReport,
) -> Option<&'c crate::model::registry::Structure> {
    if !ctx.registry.loaded {
        report.structure = Some(code.to_string());
        return None;
    }
    match ctx.registry.structure(code) {
        Some(s) => {
            report.structure = Some(s.code.clone());
            Some(s)
        }
        None => {
            report.defer(Refusal::UnknownStructure(code.to_string()));
            None
        }
    }
}

/// Splits `<code>_<période>_<table>.csv` from the right (codes may hold `-`).
pub fn parse_csv_name(name: &str) -> Option<(String, String, Table)> {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let (rest, table) = stem.rsplit_once('_')?;
    let (code, period) = rest.rsplit_once('_')?;
    let table = Table::from_csv_name(table)?;
    (!code.is_empty()).then(|| (code.to_string(), period.to_string(), table))
}

fn check_period(p: Period, ctx: &Context<'_>, report: &mut FileReport) {
    if p.start() > ctx.today {
        report.defer(Refusal::FuturePeriod(p));
    }
}

fn check_sheets(names: &[String]) -> Result<(), Refusal> {
    let has = |n: &str| names.iter().any(|x| header_key(x) == header_key(n));
    let missing: Vec<&str> = [
        "Structure",
        Table::Demandeurs.sheet_name(),
        Table::Entreprises.sheet_name(),
    ]
    .into_iter()
    .filter(|n| !has(n))
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Refusal::MissingSheets {
        missing,
        found: names.to_vec(),
    })
}

/// The `Structure` sheet: field names in one column, values in the next.
/// Every problem is noted and judging goes on; the period rows are judged
/// against is the file's, or a stand-in when it cannot be read.
fn judge_structure_sheet(sheet: &Sheet, ctx: &Context<'_>, report: &mut FileReport) -> Period {
    let mut fields: BTreeMap<&str, (u32, usize, Cell)> = BTreeMap::new();
    let names = [
        "Code structure",
        "Innovation",
        "Période",
        "Professionnels mobilisés",
        "Contact",
    ];
    for row in &sheet.rows {
        let Some(key_col) = row.cells.iter().position(|c| !c.is_blank()) else {
            continue;
        };
        let key = header_key(&row.cells[key_col].display());
        if let Some(name) = names.iter().find(|n| header_key(n) == key) {
            let value = row.cells[key_col + 1..]
                .iter()
                .enumerate()
                .find(|(_, c)| !c.is_blank())
                .map(|(i, c)| (key_col + 1 + i, c.clone()));
            let (col, cell) = value.unwrap_or((key_col + 1, Cell::Empty));
            fields.entry(name).or_insert((row.number, col, cell));
        }
    }
    let text = |name: &str| -> Option<String> {
        fields
            .get(name)
            .map(|(_, _, c)| c.display().trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let structure = match text("Code structure") {
        Some(code) => check_structure(&code, ctx, report),
        None => {
            report.defer(Refusal::MissingField("Code structure"));
            None
        }
    };
    match (text("Innovation"), structure) {
        (None, _) => report.defer(Refusal::MissingField("Innovation")),
        (Some(written), Some(structure)) => {
            let registered = ctx.registry.innovation(&structure.innovation);
            let matches = ctx
                .registry
                .match_innovation(&written)
                .is_some_and(|i| i.code == structure.innovation);
            if matches {
                report.innovation = Some(structure.innovation.clone());
            } else {
                report.defer(Refusal::InnovationMismatch {
                    written,
                    structure: structure.code.clone(),
                    registered: registered
                        .map_or(structure.innovation.as_str(), |i| i.name.as_str())
                        .to_string(),
                });
            }
        }
        // Unknown structure (noted), or no registry: taken as written.
        (Some(written), None) => {
            if !ctx.registry.loaded {
                report.innovation = Some(written);
            }
        }
    }
    let period = match fields.get("Période") {
        // Excel turns a typed "2019-03" into a date: read it as that month.
        Some((_, _, Cell::Date(d))) => Some(Period::month_of(d.date())),
        Some((_, _, c)) if !c.is_blank() => {
            let written = c.display();
            let p = Period::parse(&written);
            if p.is_none() {
                report.defer(Refusal::InvalidPeriod(written.trim().to_string()));
            }
            p
        }
        _ => {
            report.defer(Refusal::MissingField("Période"));
            None
        }
    };
    if let Some(p) = period {
        check_period(p, ctx, report);
        report.period = Some(p);
    }
    let period = period.unwrap_or_else(|| stand_in_period(ctx));
    if let Some((row, col, cell)) = fields.get("Professionnels mobilisés") {
        if !cell.is_blank() {
            match coerce::count(cell) {
                Ok(n) => report.data.declared_professionals = Some(n),
                Err(reason) => report.add_rejection(
                    Rejection {
                        sheet: sheet.name.clone(),
                        row: *row,
                        column: column_letter(*col),
                        header: "Professionnels mobilisés".into(),
                        value: cell.display(),
                        reason: format!("Professionnels mobilisés : {reason}"),
                        column_index: Some(*col),
                    },
                    ctx.limits.max_rejections,
                ),
            }
        }
    }
    period
}

/// One table being judged as its rows stream in: the first rows are held
/// until the header row is found, then each row is judged and dropped.
struct TableJudge {
    table: Table,
    /// The sheet name as written (for CSV, the table name).
    sheet: String,
    date_1904: bool,
    period: Period,
    buffer: Vec<Row>,
    map: Option<HeaderMap>,
    /// Its header row could not be read (the problem is noted): its rows
    /// are passed over.
    unreadable: bool,
    count: TableCount,
}

impl TableJudge {
    fn new(table: Table, sheet: &str, date_1904: bool, period: Period) -> Self {
        TableJudge {
            table,
            sheet: sheet.to_string(),
            date_1904,
            period,
            buffer: Vec::new(),
            map: None,
            unreadable: false,
            count: TableCount {
                table,
                rows: 0,
                accepted: 0,
                rejected: 0,
            },
        }
    }

    fn push(&mut self, row: Row, ctx: &Context<'_>, report: &mut FileReport) {
        if self.map.is_some() {
            self.judge_row(&row, ctx, report);
            return;
        }
        if self.unreadable {
            return;
        }
        self.buffer.push(row);
        if self.buffer.len() >= header::HEADER_SEARCH_ROWS {
            self.locate(ctx, report);
        }
    }

    fn locate(&mut self, ctx: &Context<'_>, report: &mut FileReport) {
        let sheet = Sheet {
            name: self.sheet.clone(),
            rows: std::mem::take(&mut self.buffer),
        };
        let map = match header::locate(&sheet, self.table, ctx.header_aliases) {
            Ok(map) => map,
            Err(problem) => {
                report.defer(problem);
                self.unreadable = true;
                return;
            }
        };
        let label = if self.sheet == self.table.csv_name() {
            String::new()
        } else {
            format!("Feuille « {} » : ", self.sheet)
        };
        for n in &map.notices {
            report.add_notice(format!("{label}{n}"));
        }
        let start = map.row_index + 1;
        self.map = Some(map);
        for row in &sheet.rows[start..] {
            self.judge_row(row, ctx, report);
        }
    }

    /// Ends the table; returns whether it held anything at all.
    fn finish(mut self, ctx: &Context<'_>, report: &mut FileReport) -> bool {
        let had_rows = self.map.is_some() || self.unreadable || !self.buffer.is_empty();
        if self.map.is_none() && !self.buffer.is_empty() {
            self.locate(ctx, report);
        }
        report.tables.push(self.count);
        had_rows
    }

    fn judge_row(&mut self, row: &Row, ctx: &Context<'_>, report: &mut FileReport) {
        let Some(map) = self.map.as_ref() else { return };
        if row.is_blank() {
            return;
        }
        if is_total_row(row) {
            let label = if self.sheet == self.table.csv_name() {
                String::new()
            } else {
                format!("Feuille « {} » : ", self.sheet)
            };
            report.add_notice(format!("{label}Ligne {} « Total » ignorée.", row.number));
            return;
        }
        self.count.rows += 1;
        let mut check = RowCheck {
            sheet: &self.sheet,
            map,
            row,
            problems: Vec::new(),
        };
        match self.table {
            Table::Demandeurs => {
                if let Some(r) = job_seeker(&mut check, self.date_1904, self.period, ctx.today) {
                    if check.problems.is_empty() && ctx.keep_records {
                        report.data.job_seekers.push(r);
                    }
                }
            }
            Table::Entreprises => {
                if let Some(r) = company(&mut check) {
                    if check.problems.is_empty() && ctx.keep_records {
                        report.data.companies.push(r);
                    }
                }
            }
            Table::Professionnels => {
                if let Some(r) = professional(&mut check) {
                    if check.problems.is_empty() && ctx.keep_records {
                        report.data.professionals.push(r);
                    }
                }
            }
        }
        if check.problems.is_empty() {
            self.count.accepted += 1;
        } else {
            self.count.rejected += 1;
            for r in check.into_rejections() {
                report.add_rejection(r, ctx.limits.max_rejections);
            }
        }
    }
}

/// Why a cell is refused. Only a [`Why::Fixed`] reason, a literal written
/// in this program, is ever shown for a column that identifies a person: a
/// [`Why::Text`] reason may quote the cell, so for those columns it is
/// replaced by [`IDENTITY_REASON`] when the rejection is made. No value of
/// such a column can reach a message, whatever code produced the reason.
#[derive(Debug, Clone)]
enum Why {
    Fixed(&'static str),
    Text(String),
}

impl From<&'static str> for Why {
    fn from(s: &'static str) -> Self {
        Why::Fixed(s)
    }
}

impl From<String> for Why {
    fn from(s: String) -> Self {
        Why::Text(s)
    }
}

/// The reason shown for an identity column whose reason could quote it.
const IDENTITY_REASON: &str =
    "valeur invalide pour cette colonne (non reproduite : donnée personnelle)";

/// Collects the problems of one row, then turns them into rejections.
struct RowCheck<'a> {
    sheet: &'a str,
    map: &'a HeaderMap,
    row: &'a Row,
    problems: Vec<(Field, Why)>,
}

impl<'a> RowCheck<'a> {
    fn cell(&self, f: Field) -> &'a Cell {
        self.map
            .column(f)
            .map_or(&Cell::Empty, |c| self.row.cell(c))
    }

    /// The cell when it holds something usable; an error cell or a blank in
    /// a required column is recorded as a problem.
    fn get(&mut self, f: Field, required: bool) -> Option<&'a Cell> {
        let cell = self.cell(f);
        if let Some(err) = coerce::error_text(cell) {
            if required {
                self.problems.push((
                    f,
                    Why::Text(format!(
                        "cellule en erreur ({err}) dans une colonne obligatoire"
                    )),
                ));
            }
            return None;
        }
        if cell.is_blank() {
            if required {
                self.problems
                    .push((f, Why::Fixed("valeur obligatoire manquante")));
            }
            return None;
        }
        Some(cell)
    }

    fn fail(&mut self, f: Field, reason: impl Into<Why>) {
        self.problems.push((f, reason.into()));
    }

    fn listed<T: Listed + PartialEq>(&mut self, f: Field, required: bool) -> Option<T> {
        let cell = self.get(f, required)?;
        let v = T::parse(&cell.as_text());
        if v.is_none() {
            self.fail(
                f,
                format!(
                    "valeur non reconnue ; valeurs possibles : {}",
                    quote_all(&T::labels())
                ),
            );
        }
        v
    }

    fn date(&mut self, f: Field, required: bool, date_1904: bool) -> Option<NaiveDate> {
        let cell = self.get(f, required)?;
        match coerce::date(cell, date_1904) {
            Ok(d) => Some(d),
            Err(_) if f.is_identity() => {
                self.fail(f, "date illisible : attendu jj/mm/aaaa (ou aaaa-mm-jj)");
                None
            }
            Err(reason) => {
                self.fail(f, reason);
                None
            }
        }
    }

    fn count(&mut self, f: Field, required: bool) -> Option<u32> {
        let cell = self.get(f, required)?;
        match coerce::count(cell) {
            Ok(n) => Some(n),
            Err(reason) => {
                self.fail(f, reason);
                None
            }
        }
    }

    fn postal(&mut self, f: Field, required: bool) -> Option<PostalCode> {
        let cell = self.get(f, required)?;
        let v = PostalCode::parse(&coerce::code_text(cell));
        if v.is_none() {
            self.fail(f, "code postal invalide : 5 chiffres attendus");
        }
        v
    }

    fn text(&mut self, f: Field, required: bool) -> Option<String> {
        self.get(f, required)
            .map(|c| c.as_text().trim().to_string())
    }

    fn into_rejections(self) -> Vec<Rejection> {
        self.problems
            .into_iter()
            .map(|(field, reason)| {
                let col = self.map.columns.get(&field).map(|(c, _)| *c);
                let (column, header) = self.map.locate(field);
                let raw = col.map_or(String::new(), |c| self.row.cell(c).display());
                let (value, reason) = match (field.is_identity(), reason) {
                    (false, Why::Fixed(r)) => (raw, r.to_string()),
                    (false, Why::Text(r)) => (raw, r),
                    (true, why) => (
                        if raw.is_empty() { raw } else { "***".into() },
                        match why {
                            Why::Fixed(r) => r.to_string(),
                            Why::Text(_) => IDENTITY_REASON.to_string(),
                        },
                    ),
                };
                Rejection {
                    sheet: self.sheet.to_string(),
                    row: self.row.number,
                    column,
                    header,
                    value,
                    reason,
                    column_index: col,
                }
            })
            .collect()
    }
}

fn is_total_row(row: &Row) -> bool {
    match row.cells.iter().find(|c| !c.is_blank()) {
        // Only text can say "Total"; check its first letter before folding.
        Some(Cell::Text(t)) => {
            let t = t.trim_start();
            (t.starts_with('T') || t.starts_with('t')) && crate::text::fold(t).starts_with("total")
        }
        _ => false,
    }
}

fn job_seeker(
    c: &mut RowCheck<'_>,
    date_1904: bool,
    period: Period,
    today: NaiveDate,
) -> Option<JobSeeker> {
    let identifier = c
        .text(Field::Identifiant, false)
        .map(|s| s.replace(' ', ""));
    if let Some(id) = &identifier {
        if !id.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            c.fail(
                Field::Identifiant,
                "l'identifiant France Travail ne doit contenir que des lettres et des chiffres",
            );
        }
    }
    let surname = c.text(Field::Nom, false);
    let first = c.text(Field::Prenom, false);
    let birth = c.date(Field::DateNaissance, false, date_1904);
    let has_birth_cell = !c.cell(Field::DateNaissance).is_blank();
    if identifier.is_none() && (surname.is_none() || first.is_none() || !has_birth_cell) {
        let f = if c.map.columns.contains_key(&Field::Identifiant) {
            Field::Identifiant
        } else {
            Field::Nom
        };
        c.fail(f, "identité manquante : renseignez l'identifiant France Travail, ou bien le nom, le prénom et la date de naissance");
    }
    let sex = c.listed::<Sex>(Field::Sexe, false);
    let postal_code = c.postal(Field::CodePostal, true);
    let entry = c.date(Field::DateEntree, true, date_1904);
    if let Some(e) = entry {
        if e > today {
            c.fail(Field::DateEntree, "date d'entrée dans le futur");
        } else if e > period.end() {
            c.fail(
                Field::DateEntree,
                format!("date d'entrée après la fin de la période {period}"),
            );
        }
    }
    if let (Some(b), Some(e)) = (birth, entry) {
        let age = e.years_since(b).map_or(-1, i64::from);
        if !(16..=70).contains(&age) {
            c.fail(
                Field::DateNaissance,
                "âge à l'entrée hors de 16 à 70 ans : vérifiez la date de naissance",
            );
        }
    }
    let months = c.count(Field::DureeChomage, true);
    let education = c.listed::<Education>(Field::NiveauFormation, false);
    let situation = if c.cell(Field::Situation).is_blank()
        || coerce::error_text(c.cell(Field::Situation)).is_some()
    {
        Some(Situation::EnCours)
    } else {
        c.listed::<Situation>(Field::Situation, false)
    };
    let mut exit = None;
    if let Some(s) = situation {
        if s.is_exit() {
            exit = c.date(Field::DateSortie, true, date_1904);
            if let (Some(x), Some(e)) = (exit, entry) {
                if x < e {
                    c.fail(Field::DateSortie, "date de sortie avant la date d'entrée");
                } else if x > today {
                    c.fail(Field::DateSortie, "date de sortie dans le futur");
                }
            }
        }
    }
    let name = match (surname, first, birth) {
        (Some(s), Some(f), Some(b)) => Some((Sensitive::new(s), Sensitive::new(f), b)),
        _ => None,
    };
    Some(JobSeeker {
        row: c.row.number,
        identity: Identity {
            identifier: identifier.map(Sensitive::new),
            name,
        },
        sex,
        postal_code: postal_code?,
        entry: entry?,
        unemployment_months: months?,
        education,
        situation: situation?,
        exit,
    })
}

fn company(c: &mut RowCheck<'_>) -> Option<Company> {
    let id = c
        .get(Field::Siret, true)
        .and_then(|cell| match coerce::company_id(cell) {
            Ok(id) => Some(id),
            Err(reason) => {
                c.fail(Field::Siret, reason);
                None
            }
        });
    let name = c.text(Field::RaisonSociale, true);
    let kind = c.listed::<CompanyKind>(Field::Type, true);
    let engagement = c.listed::<Engagement>(Field::Nature, true);
    let postal_code = c.postal(Field::CodePostal, false);
    let hires = c.count(Field::Recrutements, false);
    Some(Company {
        row: c.row.number,
        id: id?,
        name: name?,
        kind: kind?,
        engagement: engagement?,
        postal_code,
        hires,
    })
}

fn professional(c: &mut RowCheck<'_>) -> Option<Professional> {
    let surname = c.text(Field::Nom, true);
    let first = c.text(Field::Prenom, true);
    let function = c.text(Field::Fonction, false);
    let organisation = c.text(Field::Organisme, false);
    Some(Professional {
        row: c.row.number,
        surname: Sensitive::new(surname?),
        first_name: Sensitive::new(first?),
        function,
        organisation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_names_split_from_the_right() {
        assert_eq!(
            parse_csv_name("TAPAJ-BDX-01_2019-T1_demandeurs.csv"),
            Some(("TAPAJ-BDX-01".into(), "2019-T1".into(), Table::Demandeurs))
        );
        assert_eq!(
            parse_csv_name("RALLYE-LIL-02_2019-03_Entreprises.CSV"),
            Some(("RALLYE-LIL-02".into(), "2019-03".into(), Table::Entreprises))
        );
        assert_eq!(parse_csv_name("export.csv"), None);
        assert_eq!(parse_csv_name("X_2019-T1_autre.csv"), None);
    }
}
