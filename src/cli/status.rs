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
    let (_lock, store) = super::open_locked(config, args.wait)?;
    let today = chrono::Local::now().date_naive();
    let runs = store.recent_runs(args.runs)?;
    let files = store.files()?;
    let (quarter, late) = crate::status::late_structures(config, &store, today)?;
    let pending = crate::store::Store::pending_messages(&store)?;
    let mut out = std::io::stdout().lock();
    if args.format == OutputFormat::Json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "runs": runs, "files": files, "late": { "period": quarter, "structures": late }, "pending_messages": pending }),
        )?;
        writeln!(out)?;
        return Ok(crate::model::exit::OK);
    }
    writeln!(out, "Dernières exécutions :")?;
    if runs.is_empty() {
        writeln!(out, "  aucune")?;
    }
    for r in &runs {
        writeln!(
            out,
            "  n° {:<4} {:<9} {} -> {}  {:<14} fichiers {} (nouveaux {}), lignes acceptées {}, rejetées {}",
            r.id,
            r.kind,
            r.started_at,
            r.finished_at.as_deref().unwrap_or("interrompue"),
            r.outcome.as_deref().unwrap_or("-"),
            r.files_seen.unwrap_or(0),
            r.files_new.unwrap_or(0),
            r.rows_accepted.unwrap_or(0),
            r.rows_rejected.unwrap_or(0)
        )?;
    }
    writeln!(out, "\nFichiers par structure et période :")?;
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
            "    {:<8} {:<45} {:<14} {}{}",
            f.period.as_deref().unwrap_or("-"),
            crate::text::printable(&f.name, 60),
            f.verdict,
            f.received_at,
            if f.current {
                ""
            } else {
                "  (remplacé ou refusé)"
            }
        )?;
    }
    writeln!(
        out,
        "\nStructures sans fichier accepté pour {quarter} : {}",
        late.len()
    )?;
    for l in &late {
        writeln!(out, "  {:<18} {}", l.code, l.name)?;
    }
    writeln!(out, "\nMessages en attente d'envoi : {pending}")?;
    Ok(crate::model::exit::OK)
}
