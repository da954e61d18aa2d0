//! `essaim validate PATH...`: read and judge files, write no database.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::OutputFormat;
use crate::config::Config;
use crate::report;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to check (folders are walked).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Write, per file, a CSV of rejected rows into this folder.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write, per file, an annotated xlsx copy (rejected cells highlighted,
    /// reasons as comments) into this folder.
    #[arg(long, value_name = "DIR")]
    pub annotate: Option<PathBuf>,
    /// Judge as if today were this day (yyyy-mm-dd), for reproducible checks.
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<chrono::NaiveDate>,
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    let today = args
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let listing = crate::ingest::discover(&args.paths)?;
    for (path, why) in &listing.skipped {
        eprintln!(
            "ignoré : {} : {why}",
            crate::text::printable(&path.to_string_lossy(), 200)
        );
    }
    if !config.registry.loaded {
        eprintln!(
            "Sans la configuration des opérateurs ({}) : tout est vérifié sauf le registre (le code structure et l'innovation ne sont pas contrôlés).",
            super::DEFAULT_CONFIG
        );
    }
    let files = listing.files;
    tracing::info!(files = files.len(), "validating files");
    let judged = crate::app::check::judge_all(config, &files, today, args.annotate.is_some())?;
    let max_csv = usize::try_from(config.limits.max_attachment_kib * 1024).unwrap_or(usize::MAX);
    if let Some(dir) = &args.report {
        for j in &judged {
            report::write_rejections_csv(dir, &j.report, max_csv)?;
        }
    }
    if let Some(dir) = &args.annotate {
        for j in &judged {
            if let Some(bytes) = &j.annotated {
                report::write_annotated(dir, &j.report, bytes)?;
            }
        }
    }
    let reports: Vec<_> = judged.iter().map(|j| &j.report).collect();
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            let mut summary = serde_json::to_value(report::Summary::of(&reports))?;
            summary["registry_checked"] = config.registry.loaded.into();
            serde_json::to_writer_pretty(&mut out, &summary)?;
            writeln!(out)?;
        }
        OutputFormat::Table => report::print_human(&mut out, &reports)?,
        OutputFormat::Csv => {
            // One line per rejection (and per file refused whole).
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "file", "verdict", "sheet", "row", "column", "header", "value", "reason",
            ])?;
            use crate::text::neutralise;
            for r in &reports {
                let verdict = r.verdict.as_str().to_string();
                let name = neutralise(&r.name);
                if let Some(reason) = &r.reason {
                    w.write_record([&*name, &verdict, "", "", "", "", "", &*neutralise(reason)])?;
                }
                for j in &r.rejections {
                    let mut line = vec![name.to_string(), verdict.clone()];
                    line.extend(report::neutralised(&j.csv_fields()));
                    w.write_record(&line)?;
                }
                if r.rejections_omitted > 0 {
                    let more = format!(
                        "… et {} autre(s) rejet(s) non détaillé(s)",
                        r.rejections_omitted
                    );
                    w.write_record([&*name, &verdict, "", "", "", "", "", &more])?;
                }
            }
            w.flush()?;
        }
    }
    Ok(crate::model::exit_code_of(
        reports.iter().map(|r| r.verdict),
    ))
}
