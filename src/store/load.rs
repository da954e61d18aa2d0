//! Loading a file: its history row, the tables it carries, its rejections,
//! its records (identities already keyed hashes), its inbox entry and its
//! feedback message, in one transaction; and reloading re-judged files.

use chrono::NaiveDateTime;
use duckdb::params;

use crate::identity::LoadData;
use crate::validate::FileReport;

use super::keys::KeyNumbers;
use super::{Ctx, FileLoad, NewMessage, Result, Store};

impl Store {
    /// Loads one received file in a single transaction (see
    /// [`Store::load_files`]).
    ///
    /// # Errors
    /// SQL errors; nothing of the file is then stored.
    pub fn load_file(&mut self, f: &FileLoad<'_>) -> Result<()> {
        self.load_files(std::slice::from_ref(f), &[]).map(|_| ())
    }

    /// Loads received files together in a single transaction (a group
    /// commit): for each, its history row, the tables it carries, its
    /// rejections, its records (identities already keyed hashes), the inbox
    /// entry and the feedback message; with them, the inbox entries `seen`
    /// of files whose bytes are already stored (path, size, change time,
    /// sha256). Either every file of the group is stored or none. The
    /// originals must already be archived.
    ///
    /// Returns how long the commit took.
    ///
    /// # Errors
    /// SQL errors; nothing of the group is then stored.
    pub fn load_files(
        &mut self,
        files: &[FileLoad<'_>],
        seen: &[(&str, u64, NaiveDateTime, &str)],
    ) -> Result<std::time::Duration> {
        if files.is_empty() && seen.is_empty() {
            return Ok(std::time::Duration::ZERO);
        }
        let tx = self.conn.transaction().ctx("begin file load")?;
        // New files are numbered after every file stored (numbers only
        // grow; the lock makes this process the only writer).
        let first_no: i64 = if files.is_empty() {
            0
        } else {
            tx.query_row("SELECT coalesce(max(file_no), 0) + 1 FROM files", [], |r| {
                r.get(0)
            })
            .ctx("largest file number")?
        };
        if !files.is_empty() {
            // History rows, inbox entries and messages through appenders
            // (a statement a file was most of a group's time).
            let mut app = tx.appender("files").ctx("appender files")?;
            for (f, file_no) in files.iter().zip(first_no..) {
                let report = f.report;
                let (rows, accepted, rejected) = report.totals();
                let declared = f.load.and_then(|l| l.declared_professionals);
                app.append_row(params![
                    report.sha256,
                    report.name,
                    report.size as i64,
                    report.format.map(|f| f.label()),
                    report.structure,
                    report.innovation,
                    report.period.map(|p| p.to_string()),
                    report.period.map(|p| p.end()),
                    f.received.at,
                    f.run_id,
                    report.verdict,
                    report.reason,
                    rows as i64,
                    accepted as i64,
                    rejected as i64,
                    declared.map(i64::from),
                    f.archive_path.map(|p| p.to_string_lossy().to_string()),
                    None::<NaiveDateTime>, // purged_at
                    f.received.hint,
                    report.rejections_omitted as i64,
                    file_no,
                ])
                .ctx("append file")?;
            }
            app.flush().ctx("flush files")?;
        }
        let inbox: Vec<(&str, u64, NaiveDateTime, &str)> = files
            .iter()
            .filter_map(|f| {
                let (path, size, stamp) = f.inbox?;
                Some((path, size, stamp, f.report.sha256.as_str()))
            })
            .chain(seen.iter().copied())
            .collect();
        let messages: Vec<&NewMessage> = files.iter().filter_map(|f| f.message).collect();
        record_inbox_and_messages(&tx, &inbox, &messages)?;
        if !files.is_empty() {
            let content: Vec<(&FileReport, Option<&LoadData>, i64)> = files
                .iter()
                .zip(first_no..)
                .map(|(f, n)| (f.report, f.load, n))
                .collect();
            insert_content(&tx, &content, &mut self.keys)?;
            // Only new content changes the figures.
            tx.execute(include_str!("sql/bump_state.sql"), [])
                .ctx("bump state")?;
        }
        let t = std::time::Instant::now();
        tx.commit().ctx("commit file load")?;
        Ok(t.elapsed())
    }

    /// Starts replacing what is stored of archived files by a new judgement
    /// of the same bytes (after aliases, rules or the hash key changed), in
    /// one transaction: what is stored of `files` is cleared now, their new
    /// judgements are added a group at a time ([`Reload::add`]), and
    /// nothing is visible, nor kept after a crash, before [`Reload::finish`]
    /// commits: either every file is re-judged or none. Reception times and
    /// history rows stay.
    ///
    /// # Errors
    /// SQL errors; every file then stays as it was.
    pub fn begin_reload(&mut self, files: &[&str]) -> Result<Reload<'_>> {
        let tx = self.conn.transaction().ctx("begin reload")?;
        tx.execute_batch(include_str!("sql/reload_begin.sql"))
            .ctx("stage reload")?;
        super::stage_keys(&tx, "stage_reload", files)?;
        let numbers = {
            let mut stmt = tx
                .prepare("SELECT sha256, file_no FROM files WHERE sha256 IN (SELECT sha256 FROM stage_reload)")
                .ctx("prepare file numbers")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .ctx("file numbers")?;
            rows.collect::<std::result::Result<_, _>>()
                .ctx("read file numbers")?
        };
        tx.execute_batch(include_str!("sql/reload_clear.sql"))
            .ctx("clear file content")?;
        Ok(Reload {
            tx,
            keys: &mut self.keys,
            numbers,
        })
    }
}

/// A re-import in progress: one open transaction (see
/// [`Store::begin_reload`]). Dropped without [`Reload::finish`], it rolls
/// back.
pub struct Reload<'a> {
    tx: duckdb::Transaction<'a>,
    /// The store's key numbers (checked against the table before use, so
    /// a rollback leaves nothing wrong in them).
    keys: &'a mut Option<KeyNumbers>,
    /// The numbers of the files being re-judged, by sha256.
    numbers: std::collections::HashMap<String, i64>,
}

impl Reload<'_> {
    /// Adds a group of re-judged files: their outcomes and their content.
    ///
    /// # Errors
    /// SQL errors.
    pub fn add(&mut self, judged: &[(FileReport, Option<LoadData>)]) -> Result<()> {
        {
            let mut app = self
                .tx
                .appender("stage_outcomes")
                .ctx("appender outcomes")?;
            for (report, load) in judged {
                let (rows, accepted, rejected) = report.totals();
                app.append_row(params![
                    report.sha256,
                    report.format.map(|f| f.label()),
                    report.structure,
                    report.innovation,
                    report.period.map(|p| p.to_string()),
                    report.period.map(|p| p.end()),
                    report.verdict,
                    report.reason,
                    rows as i64,
                    accepted as i64,
                    rejected as i64,
                    load.as_ref()
                        .and_then(|l| l.declared_professionals)
                        .map(i64::from),
                    report.rejections_omitted as i64,
                ])
                .ctx("append outcome")?;
            }
            app.flush().ctx("flush outcomes")?;
        }
        self.tx
            .execute_batch(include_str!("sql/reload_apply.sql"))
            .ctx("update files")?;
        let content = judged
            .iter()
            .map(|(r, l)| {
                let n = self.numbers.get(&r.sha256).copied().ok_or_else(|| {
                    super::StoreError::Unsupported(format!(
                        "file {} re-judged but not being re-imported",
                        r.sha256
                    ))
                })?;
                Ok((r, l.as_ref(), n))
            })
            .collect::<Result<Vec<_>>>()?;
        insert_content(&self.tx, &content, self.keys)
    }

    /// Commits the re-import. With `fingerprint`, the new key's fingerprint
    /// is recorded in the same transaction (a key rotation), and so are the
    /// feedback `messages` about files whose verdict changed.
    ///
    /// # Errors
    /// SQL errors; every file then stays as it was.
    pub fn finish(self, fingerprint: Option<&str>, messages: &[NewMessage]) -> Result<()> {
        if let Some(fp) = fingerprint {
            self.tx
                .execute(include_str!("sql/set_key_fingerprint.sql"), params![fp])
                .ctx("record key fingerprint")?;
        }
        record_inbox_and_messages(&self.tx, &[], &messages.iter().collect::<Vec<_>>())?;
        self.tx
            .execute(include_str!("sql/bump_state.sql"), [])
            .ctx("bump state")?;
        self.tx.commit().ctx("commit reload")?;
        Ok(())
    }
}

/// Records inbox entries (each replaces its path's earlier one) and the
/// messages composed with a load (each queued once per Message-ID:
/// pending, or failed with the reason it could not be built), staged by
/// appenders and applied in a few statements (`sql/apply_batch.sql`).
fn record_inbox_and_messages(
    tx: &duckdb::Transaction<'_>,
    inbox: &[(&str, u64, NaiveDateTime, &str)],
    messages: &[&NewMessage],
) -> Result<()> {
    if inbox.is_empty() && messages.is_empty() {
        return Ok(());
    }
    tx.execute_batch(include_str!("sql/stage_batch.sql"))
        .ctx("stage tables")?;
    let mut app = tx.appender("stage_inbox").ctx("appender inbox")?;
    for (path, size, stamp, sha256) in inbox {
        app.append_row(params![path, *size as i64, stamp, sha256])
            .ctx("append inbox entry")?;
    }
    app.flush().ctx("flush inbox entries")?;
    let mut app = tx.appender("stage_messages").ctx("appender messages")?;
    for m in messages {
        app.append_row(params![
            m.id,
            m.kind,
            m.recipient,
            m.subject,
            m.eml_path,
            m.about,
            m.failed
        ])
        .ctx("append message")?;
    }
    app.flush().ctx("flush messages")?;
    tx.execute_batch(include_str!("sql/apply_batch.sql"))
        .ctx("apply inbox entries and messages")?;
    Ok(())
}

/// The job seekers of files, as Arrow columns through one appender: a
/// column at a time rather than a value at a time (the row appender's
/// per-value binding was most of a load's time).
fn append_job_seekers(
    tx: &duckdb::Transaction<'_>,
    loads: &[(i64, &LoadData)],
    keys: &mut Option<KeyNumbers>,
) -> Result<()> {
    use std::sync::Arc;

    use duckdb::arrow::array::{
        ArrayRef, BooleanArray, Date32Array, Int32Array, Int64Array, StringArray,
    };

    use crate::model::records::Listed;

    let rows: Vec<(i64, &crate::identity::SeekerRow)> = loads
        .iter()
        .flat_map(|(n, l)| l.job_seekers.iter().map(move |j| (*n, j)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // The keys' numbers, given to new keys in the order of their rows.
    let keys = KeyNumbers::ready(
        keys,
        tx,
        rows.iter()
            .flat_map(|(_, j)| j.identity.by_id.iter().chain(j.identity.by_name.iter())),
    )?;
    let mut id_no = Vec::with_capacity(rows.len());
    let mut name_no = Vec::with_capacity(rows.len());
    for (_, j) in &rows {
        id_no.push(j.identity.by_id.as_ref().map(|k| keys.number(k)));
        name_no.push(j.identity.by_name.as_ref().map(|k| keys.number(k)));
    }
    keys.append_new(tx)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let day = |d: chrono::NaiveDate| (d - epoch).num_days() as i32;
    let text = |f: &dyn Fn(&crate::identity::SeekerRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(|(_, j)| f(j)).collect::<StringArray>())
    };
    let [file_no, row] = file_and_row(&rows, |j| j.row);
    let columns: Vec<ArrayRef> = vec![
        file_no,
        row,
        text(&|j| j.sex.map(Listed::label)),
        text(&|j| Some(j.postal_code.as_str())),
        Arc::new(Date32Array::from(
            rows.iter().map(|(_, j)| day(j.entry)).collect::<Vec<i32>>(),
        )),
        Arc::new(
            rows.iter()
                .map(|(_, j)| j.unemployment_months as i32)
                .collect::<Int32Array>(),
        ),
        text(&|j| j.education.map(Listed::label)),
        text(&|j| Some(Listed::label(j.situation))),
        Arc::new(
            rows.iter()
                .map(|(_, j)| j.exit.map(day))
                .collect::<Date32Array>(),
        ),
        Arc::new(
            rows.iter()
                .map(|(_, j)| Some(j.situation.is_exit()))
                .collect::<BooleanArray>(),
        ),
        Arc::new(
            rows.iter()
                .map(|(_, j)| Some(j.situation.is_employment()))
                .collect::<BooleanArray>(),
        ),
        Arc::new(Int64Array::from(id_no)),
        Arc::new(Int64Array::from(name_no)),
    ];
    let names = [
        "file_no",
        "row_number",
        "sex",
        "postal_code",
        "entry",
        "unemployment_months",
        "education",
        "situation",
        "exit_date",
        "is_exit",
        "is_employment",
        "id_no",
        "name_no",
    ];
    super::append_arrow(tx, "job_seekers", names.into_iter().zip(columns))
}

/// The first two columns of a table of records: each record's file (its
/// number) and row number.
fn file_and_row<T>(
    rows: &[(i64, &T)],
    row: impl Fn(&T) -> u32,
) -> [duckdb::arrow::array::ArrayRef; 2] {
    use duckdb::arrow::array::{Int32Array, Int64Array};
    [
        std::sync::Arc::new(rows.iter().map(|(n, _)| *n).collect::<Int64Array>()),
        std::sync::Arc::new(
            rows.iter()
                .map(|(_, r)| i32::try_from(row(r)).unwrap_or(i32::MAX))
                .collect::<Int32Array>(),
        ),
    ]
}

/// The companies of files, as Arrow columns through one appender.
fn append_companies(tx: &duckdb::Transaction<'_>, loads: &[(i64, &LoadData)]) -> Result<()> {
    use std::sync::Arc;

    use duckdb::arrow::array::{ArrayRef, BooleanArray, Int32Array, StringArray};

    use crate::model::records::{CompanyId, Listed};

    let rows: Vec<(i64, &crate::model::records::Company)> = loads
        .iter()
        .flat_map(|(n, l)| l.companies.iter().map(move |c| (*n, c)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let text = |f: &dyn Fn(&crate::model::records::Company) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(|(_, c)| f(c)).collect::<StringArray>())
    };
    let [file_no, row] = file_and_row(&rows, |c| c.row);
    let columns: Vec<ArrayRef> = vec![
        file_no,
        row,
        text(&|c| match &c.id {
            CompanyId::Siret(s) => Some(s.as_str()),
            CompanyId::Siren(_) => None,
        }),
        text(&|c| Some(c.id.siren())),
        text(&|c| Some(c.name.as_str())),
        text(&|c| Some(Listed::label(c.kind))),
        Arc::new(
            rows.iter()
                .map(|(_, c)| Some(c.kind.is_company_or_private_partner()))
                .collect::<BooleanArray>(),
        ),
        text(&|c| Some(Listed::label(c.engagement))),
        text(&|c| c.postal_code.as_ref().map(|p| p.as_str())),
        Arc::new(
            rows.iter()
                .map(|(_, c)| c.hires.and_then(|h| i32::try_from(h).ok()))
                .collect::<Int32Array>(),
        ),
    ];
    let names = [
        "file_no",
        "row_number",
        "siret",
        "siren",
        "name",
        "kind",
        "counts_as_company",
        "engagement",
        "postal_code",
        "hires",
    ];
    super::append_arrow(tx, "companies", names.into_iter().zip(columns))
}

/// The rejections and records of files (each with its number), through
/// one appender per table (Arrow columns for the large ones).
fn insert_content(
    tx: &duckdb::Transaction<'_>,
    files: &[(&FileReport, Option<&LoadData>, i64)],
    keys: &mut Option<KeyNumbers>,
) -> Result<()> {
    {
        let mut app = tx.appender("rejections").ctx("appender rejections")?;
        for (report, _, _) in files {
            for j in &report.rejections {
                app.append_row(params![
                    report.sha256,
                    j.sheet,
                    j.row,
                    j.column,
                    j.header,
                    j.value,
                    j.reason
                ])
                .ctx("append rejection")?;
            }
        }
        app.flush().ctx("flush rejections")?;
    }
    let loads: Vec<(i64, &LoadData)> = files
        .iter()
        .filter_map(|(_, l, n)| Some((*n, (*l)?)))
        .collect();
    if loads.is_empty() {
        return Ok(());
    }
    {
        let mut app = tx.appender("file_tables").ctx("appender file_tables")?;
        for (report, load, _) in files {
            for t in load.iter().flat_map(|l| &l.carried) {
                app.append_row(params![report.sha256, t.csv_name()])
                    .ctx("append file table")?;
            }
        }
        app.flush().ctx("flush file_tables")?;
    }
    append_job_seekers(tx, &loads, keys)?;
    append_companies(tx, &loads)?;
    {
        let mut app = tx.appender("professionals").ctx("appender professionals")?;
        for (file_no, load) in &loads {
            for p in &load.professionals {
                app.append_row(params![file_no, p.row, p.key, p.function])
                    .ctx("append professional")?;
            }
        }
        app.flush().ctx("flush professionals")?;
    }
    Ok(())
}
