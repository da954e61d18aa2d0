//! `essaim status`: the last runs, each structure's files by period with
//! their verdict, and the structures late for the last due quarter.

use std::io::Write;

use crate::cli::OutputFormat;
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format (json for monitoring).
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// How many runs to show.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Only this structure's files (and whether it is late).
    #[arg(long, value_name = "CODE")]
    pub structure: Option<String>,
    /// Only files received on or after this day (yyyy-mm-dd).
    #[arg(long, value_name = "DATE")]
    pub since: Option<chrono::NaiveDate>,
    /// Only the structures late with their last due quarter.
    #[arg(long)]
    pub late: bool,
    /// How long to wait for a running essaim process to release the data folder.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    if args.format == OutputFormat::Csv {
        return Err(crate::cli::CliError::Refused(
            "--format csv is not available for status: use table or json".into(),
        ));
    }
    let (_lock, store) = super::open_for_reading(config, args.wait)?;
    let today = chrono::Local::now().date_naive();
    let tz = config.schedules.timezone;
    let runs = store.recent_runs(args.runs)?;
    let mut files = store.files()?;
    let (quarter, mut late) = crate::status::late_structures(config, &store, today)?;
    if let Some(code) = &args.structure {
        let registered = config.registry.structure(code).map(|s| s.code.clone());
        let wanted = registered.unwrap_or_else(|| code.clone());
        files.retain(|f| f.structure.as_deref() == Some(wanted.as_str()));
        if files.is_empty() && config.registry.structure(code).is_none() {
            return Err(crate::cli::CliError::Refused(format!(
                "structure « {code} » is neither registered nor named by any file received"
            )));
        }
        late.retain(|l| l.code == wanted);
    }
    if let Some(since) = args.since {
        let from = since.format("%Y-%m-%d").to_string();
        files.retain(|f| f.received_at.as_str() >= from.as_str());
    }
    let pending = crate::store::Store::pending_messages(&store)?;
    let failed = store.failed_messages()?;
    let mut out = std::io::stdout().lock();
    if args.format == OutputFormat::Json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "runs": runs, "files": files, "late": { "period": quarter, "structures": late }, "pending_messages": pending, "failed_messages": failed }),
        )?;
        writeln!(out)?;
        return Ok(crate::model::exit::OK);
    }
    if args.late {
        print_late(&mut out, &quarter.to_string(), &late)?;
        return Ok(crate::model::exit::OK);
    }
    writeln!(out, "Dernières exécutions (heure de {tz}) :")?;
    if runs.is_empty() {
        writeln!(out, "  aucune")?;
    }
    for r in &runs {
        writeln!(
            out,
            "  n° {:<4} {:<10} {} -> {}  {:<15} fichiers {} (nouveaux {}), lignes acceptées {}, rejetées {}",
            r.id,
            crate::status::run_kind_label(&r.kind),
            crate::status::local_time(&r.started_at, tz),
            r.finished_at
                .as_deref()
                .map_or_else(|| "—".to_string(), |t| crate::status::local_time(t, tz)),
            crate::status::outcome_label(r.outcome.as_deref()),
            r.files_seen.unwrap_or(0),
            r.files_new.unwrap_or(0),
            r.rows_accepted.unwrap_or(0),
            r.rows_rejected.unwrap_or(0)
        )?;
    }
    writeln!(out, "\nFichiers par structure et période :")?;
    if files.is_empty() {
        writeln!(out, "  aucun")?;
    }
    let mut last = None;
    for f in &files {
        let s = f
            .structure
            .clone()
            .unwrap_or_else(|| "(structure inconnue)".into());
        if last.as_ref() != Some(&s) {
            writeln!(out, "  {s}")?;
            last = Some(s);
        }
        writeln!(
            out,
            "    {:<8} {:<45} {:<33} reçu le {}{}",
            f.period.as_deref().unwrap_or("-"),
            crate::text::printable(&f.name, 60),
            f.verdict.label(),
            crate::status::local_time(&f.received_at, tz),
            if f.current {
                ""
            } else {
                "  (remplacé ou refusé)"
            }
        )?;
    }
    writeln!(out)?;
    print_late(&mut out, &quarter.to_string(), &late)?;
    writeln!(out, "\nMessages en attente d'envoi : {pending}")?;
    if failed > 0 {
        writeln!(
            out,
            "Messages en échec : {failed} (essaim digest --list ; essaim digest --retry reconstruit ceux qui n'ont pas pu être écrits)"
        )?;
    }
    Ok(crate::model::exit::OK)
}

fn print_late(
    out: &mut impl Write,
    quarter: &str,
    late: &[crate::status::Late],
) -> std::io::Result<()> {
    writeln!(
        out,
        "Structures sans fichier accepté pour {quarter} : {}",
        late.len()
    )?;
    for l in late {
        writeln!(out, "  {:<18} {} ({})", l.code, l.name, l.innovation)?;
    }
    Ok(())
}
