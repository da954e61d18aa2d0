//! Loading a file: its history row, the tables it carries, its rejections,
//! its records (identities already keyed hashes), its inbox entry and its
//! feedback message, in one transaction; and reloading re-judged files.

use duckdb::params;

use crate::identity::LoadData;
use crate::validate::FileReport;

use super::{Ctx, FileLoad, NewMessage, Result, Store};

impl Store {
    /// Loads one received file in a single transaction (see
    /// [`Store::load_files`]).
    ///
    /// # Errors
    /// SQL errors; nothing of the file is then stored.
    pub fn load_file(&mut self, f: &FileLoad<'_>) -> Result<()> {
        self.load_files(std::slice::from_ref(f))
    }

    /// Loads received files together in a single transaction (a group
    /// commit): for each, its history row, the tables it carries, its
    /// rejections, its records (identities already keyed hashes), the inbox
    /// entry and the feedback message. Either every file of the group is
    /// stored or none. The originals must already be archived.
    ///
    /// # Errors
    /// SQL errors; nothing of the group is then stored.
    pub fn load_files(&mut self, files: &[FileLoad<'_>]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction().ctx("begin file load")?;
        {
            let mut insert = tx
                .prepare(include_str!("sql/insert_file.sql"))
                .ctx("prepare insert file")?;
            let mut inbox = tx
                .prepare(include_str!("sql/record_inbox.sql"))
                .ctx("prepare inbox entry")?;
            for f in files {
                let report = f.report;
                let (rows, accepted, rejected) = report.totals();
                let declared = f.load.and_then(|l| l.declared_professionals);
                insert
                    .execute(params![
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
                        f.received.hint,
                        report.rejections_omitted as i64,
                    ])
                    .ctx("insert file")?;
                if let Some((path, size, stamp)) = f.inbox {
                    inbox
                        .execute(params![path, size as i64, stamp, report.sha256])
                        .ctx("record inbox entry")?;
                }
                if let Some(m) = f.message {
                    record_message(&tx, m)?;
                }
            }
        }
        let content: Vec<(&FileReport, Option<&LoadData>)> =
            files.iter().map(|f| (f.report, f.load)).collect();
        insert_content(&tx, &content)?;
        tx.execute(include_str!("sql/bump_state.sql"), [])
            .ctx("bump state")?;
        tx.commit().ctx("commit file load")?;
        Ok(())
    }

    /// Replaces what is stored of archived files by a new judgement of the
    /// same bytes (after aliases, rules or the hash key changed), all in one
    /// transaction: either every file is re-judged or none. Reception times
    /// and history rows stay. With `fingerprint`, the new key's fingerprint
    /// is recorded in the same transaction (a key rotation), and so are the
    /// feedback `messages` about files whose verdict changed.
    ///
    /// # Errors
    /// SQL errors; every file then stays as it was.
    pub fn reload_files(
        &mut self,
        judged: &[(FileReport, Option<LoadData>)],
        fingerprint: Option<&str>,
        messages: &[NewMessage],
    ) -> Result<()> {
        let tx = self.conn.transaction().ctx("begin reload")?;
        for (report, load) in judged {
            for table in [
                "file_tables",
                "rejections",
                "job_seekers",
                "companies",
                "professionals",
            ] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE sha256 = ?"),
                    params![report.sha256],
                )
                .ctx("clear file content")?;
            }
            let (rows, accepted, rejected) = report.totals();
            tx.execute(
                include_str!("sql/update_file.sql"),
                params![
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
                    report.sha256,
                ],
            )
            .ctx("update file")?;
        }
        let content: Vec<(&FileReport, Option<&LoadData>)> =
            judged.iter().map(|(r, l)| (r, l.as_ref())).collect();
        insert_content(&tx, &content)?;
        if let Some(fp) = fingerprint {
            tx.execute(include_str!("sql/set_key_fingerprint.sql"), params![fp])
                .ctx("record key fingerprint")?;
        }
        for m in messages {
            record_message(&tx, m)?;
        }
        tx.execute(include_str!("sql/bump_state.sql"), [])
            .ctx("bump state")?;
        tx.commit().ctx("commit reload")?;
        Ok(())
    }
}

/// Records a message composed with a load: queued, or `failed` when it
/// could not be built.
fn record_message(tx: &duckdb::Transaction<'_>, m: &NewMessage) -> Result<()> {
    match &m.failed {
        None => tx.execute(
            include_str!("sql/record_message.sql"),
            params![m.id, m.kind, m.recipient, m.subject, m.eml_path, m.about],
        ),
        Some(error) => tx.execute(
            include_str!("sql/record_failed_feedback.sql"),
            params![m.id, m.recipient, m.subject, error, m.about],
        ),
    }
    .ctx("record feedback message")?;
    Ok(())
}

/// The rejections and records of files, through one appender per table.
fn insert_content(
    tx: &duckdb::Transaction<'_>,
    files: &[(&FileReport, Option<&LoadData>)],
) -> Result<()> {
    use crate::model::records::Listed;
    {
        let mut app = tx.appender("rejections").ctx("appender rejections")?;
        for (report, _) in files {
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
    let loads: Vec<(&str, &LoadData)> = files
        .iter()
        .filter_map(|(r, l)| Some((r.sha256.as_str(), (*l)?)))
        .collect();
    if loads.is_empty() {
        return Ok(());
    }
    {
        let mut app = tx.appender("file_tables").ctx("appender file_tables")?;
        for (sha256, load) in &loads {
            for t in &load.carried {
                app.append_row(params![sha256, t.csv_name()])
                    .ctx("append file table")?;
            }
        }
        app.flush().ctx("flush file_tables")?;
    }
    {
        let mut app = tx.appender("job_seekers").ctx("appender job_seekers")?;
        for (sha256, load) in &loads {
            for j in &load.job_seekers {
                app.append_row(params![
                    sha256,
                    j.row,
                    j.identity.by_id,
                    j.identity.by_name,
                    j.sex.map(Listed::label),
                    j.postal_code.as_str(),
                    j.entry,
                    j.unemployment_months,
                    j.education.map(Listed::label),
                    Listed::label(j.situation),
                    j.exit,
                    j.situation.is_exit(),
                    j.situation.is_employment(),
                    None::<i64>, // id_no and name_no: numbered at the next recomputation
                    None::<i64>,
                ])
                .ctx("append job seeker")?;
            }
        }
        app.flush().ctx("flush job_seekers")?;
    }
    {
        let mut app = tx.appender("companies").ctx("appender companies")?;
        for (sha256, load) in &loads {
            for c in &load.companies {
                let siret = match &c.id {
                    crate::model::records::CompanyId::Siret(s) => Some(s.as_str()),
                    crate::model::records::CompanyId::Siren(_) => None,
                };
                app.append_row(params![
                    sha256,
                    c.row,
                    siret,
                    c.id.siren(),
                    c.name,
                    Listed::label(c.kind),
                    c.kind.is_company_or_private_partner(),
                    Listed::label(c.engagement),
                    c.postal_code.as_ref().map(|p| p.as_str()),
                    c.hires,
                ])
                .ctx("append company")?;
            }
        }
        app.flush().ctx("flush companies")?;
    }
    {
        let mut app = tx.appender("professionals").ctx("appender professionals")?;
        for (sha256, load) in &loads {
            for p in &load.professionals {
                app.append_row(params![sha256, p.row, p.key, p.function])
                    .ctx("append professional")?;
            }
        }
        app.flush().ctx("flush professionals")?;
    }
    Ok(())
}
