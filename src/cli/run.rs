//! `essaim run`: the whole pipeline over the inbox, ending with the
//! headline figures.

use std::io::Write;

use crate::app::run::{self, FileStatus, RunOptions};
use crate::cli::OutputFormat;
use crate::config::Config;
use crate::text::printable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format of the summary.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// How long to wait for another essaim process to release the data folder.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
    /// Also send the digest now if a figure changed (by default it goes on
    /// `[schedule] digest` only; `[email] digest_after_run` makes it the rule).
    #[arg(long)]
    pub digest: bool,
    /// Write nothing to the structures this run: no feedback e-mail and no
    /// annotated copy (to rebuild history from files sent long ago; the
    /// rejections are recorded all the same).
    #[arg(long)]
    pub no_feedback: bool,
    /// Judge as if today were this day (yyyy-mm-dd).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<chrono::NaiveDate>,
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    if args.format == OutputFormat::Csv {
        return Err(crate::cli::CliError::Refused(
            "--format csv is not available for run: use table or json".into(),
        ));
    }
    let mut config = std::borrow::Cow::Borrowed(config);
    if args.no_feedback {
        config.to_mut().email.feedback = false;
    }
    let config = config.as_ref();
    let (_lock, mut store) = super::open_locked(config, args.wait)?;
    let mut opts = RunOptions::default();
    if let Some(t) = args.today {
        opts.today = t;
    }
    let report = run::run(config, &mut store, &opts)?;
    let mail = crate::app::notify::after_run(config, &store, &report, args.digest);
    super::refresh_snapshot(&store);
    let figures = store.latest_national_figures()?;
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            let headline =
                super::indicators::national_json(&crate::indicators::publish::raw(&figures), 0);
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "run": crate::app::notify::RunSummary { run: &report, mail: &mail },
                    "figures": headline
                }),
            )?;
            writeln!(out)?;
        }
        _ => {
            let new = report
                .files
                .iter()
                .filter(|f| f.status == FileStatus::New)
                .count();
            let dup = report
                .files
                .iter()
                .filter(|f| f.status == FileStatus::Duplicate)
                .count();
            writeln!(
                out,
                "Exécution {} : {} fichier(s) dans la boîte de réception : {new} nouveau(x), {dup} déjà reçu(s), {} inchangé(s).",
                report.run_id, report.files_seen, report.unchanged
            )?;
            for f in report.files.iter().filter(|f| f.status == FileStatus::New) {
                let verdict = f.verdict.map(|v| v.label()).unwrap_or("");
                writeln!(
                    out,
                    "  {} : {verdict} ({} ligne(s), {} acceptée(s), {} rejetée(s))",
                    printable(&f.name, 200),
                    f.rows,
                    f.accepted,
                    f.rejected
                )?;
                if let Some(r) = &f.reason {
                    for line in r.lines() {
                        writeln!(out, "      {line}")?;
                    }
                }
            }
            for f in report
                .files
                .iter()
                .filter(|f| f.status == FileStatus::Duplicate)
            {
                writeln!(
                    out,
                    "  {} : déjà reçu (mêmes octets), rien ne change",
                    printable(&f.name, 200)
                )?;
            }
            for s in &report.skipped {
                writeln!(out, "  {} : ignoré : {}", s.path, s.reason)?;
            }
            if let Some(d) = &mail.digest {
                let n = d.delivery.sent;
                match &d.delivery.outbox {
                    Some(dir) if n > 0 => writeln!(
                        out,
                        "  {n} courriel(s) écrit(s) dans {} (aucun serveur SMTP configuré).",
                        printable(dir, 200)
                    )?,
                    _ if n > 0 => writeln!(out, "  {n} courriel(s) envoyé(s).")?,
                    _ => {}
                }
                if d.delivery.deferred > 0 {
                    writeln!(
                        out,
                        "  {} courriel(s) en attente d'un nouvel essai.",
                        d.delivery.deferred
                    )?;
                }
            }
            if let Some(e) = &mail.mail_error {
                writeln!(out, "  Courriels non traités : {e}")?;
            }
            if args.no_feedback && report.files.iter().any(|f| f.status == FileStatus::New) {
                writeln!(
                    out,
                    "  Aucun retour aux structures pour ces fichiers (--no-feedback) : leurs rejets sont enregistrés (essaim status)."
                )?;
            }
            writeln!(out)?;
            super::indicators::print_national(&mut out, &figures)?;
        }
    }
    Ok(report.exit_code())
}
