//! `essaim indicators`: the current figures, published (small counts
//! hidden) unless `--raw`.

use std::io::Write;

use serde_json::{Map, Value};

use crate::cli::OutputFormat;
use crate::config::Config;
use crate::indicators::publish::{raw, Published};
use crate::indicators::Figure;
use crate::indicators::REGISTRY;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Breakdown to show instead of the national figures.
    #[arg(long, value_parser = [
        "innovation", "departement", "period", "structure", "duration",
        "innovation_period", "departement_period", "departement_innovation",
        "innovation_duration", "departement_duration",
    ])]
    pub by: Option<String>,
    /// Show raw figures, small counts included (operators only: never publish them).
    #[arg(long)]
    pub raw: bool,
    /// How long to wait for a running essaim process to release the data folder.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
}

fn json_value(c: &Published, threshold: i64) -> Value {
    if c.hidden() {
        Value::String(c.display(threshold))
    } else {
        c.value
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, |n| {
                if c.value.is_some_and(|v| v.fract() == 0.0) {
                    Value::from(c.value.unwrap_or_default() as i64)
                } else {
                    Value::Number(n)
                }
            })
    }
}

/// `{"innovations": 8, ...}` for the national figures.
pub fn national_json(cells: &[Published], threshold: i64) -> Value {
    let mut m = Map::new();
    for c in cells.iter().filter(|c| c.scope_kind == "national") {
        m.insert(c.indicator.clone(), json_value(c, threshold));
    }
    Value::Object(m)
}

/// The headline figures as a French table (raw: for operators).
///
/// # Errors
/// Only when the output cannot be written.
pub fn print_national(out: &mut impl Write, figures: &[Figure]) -> std::io::Result<()> {
    if figures.is_empty() {
        return writeln!(out, "Aucun chiffre : aucun fichier accepté pour l'instant.");
    }
    writeln!(out, "Chiffres consolidés :")?;
    let cells = raw(figures);
    for ind in REGISTRY {
        let c = cells
            .iter()
            .find(|c| c.indicator == ind.name && c.scope_kind == "national");
        let shown = c.map(|c| c.display(0)).unwrap_or_else(|| "–".into());
        writeln!(out, "  {:<42} {:>10}", ind.label, shown)?;
    }
    Ok(())
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    let (_lock, store) = super::open_for_reading(config, args.wait)?;
    let t = config.privacy.threshold;
    let all = if args.raw {
        raw(&store.latest_figures()?)
    } else {
        store
            .latest_publication(t)?
            .map(|p| p.cells)
            .unwrap_or_default()
    };
    let kind = args.by.as_deref().unwrap_or("national");
    let shown: Vec<&Published> = all.iter().filter(|c| c.scope_kind == kind).collect();
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            let v = if kind == "national" {
                national_json(&all, t)
            } else {
                let mut m = Map::new();
                for c in shown.iter().copied() {
                    let entry = m
                        .entry(c.indicator.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(o) = entry {
                        o.insert(c.scope.clone(), json_value(c, t));
                    }
                }
                Value::Object(m)
            };
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["indicator", "scope_kind", "scope", "value"])?;
            for c in shown.iter().copied() {
                w.write_record([c.indicator.as_str(), &c.scope_kind, &c.scope, &c.display(t)])?;
            }
            w.flush()?;
        }
        OutputFormat::Table => {
            if args.raw {
                writeln!(
                    out,
                    "Chiffres bruts (petits effectifs visibles) : réservés aux opérateurs."
                )?;
            }
            for ind in REGISTRY {
                let rows: Vec<&Published> = shown
                    .iter()
                    .copied()
                    .filter(|c| c.indicator == ind.name)
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                if kind == "national" {
                    writeln!(out, "  {:<42} {:>10}", ind.label, rows[0].display(t))?;
                } else {
                    writeln!(out, "{} :", ind.label)?;
                    for c in rows {
                        writeln!(out, "  {:<40} {:>10}", c.scope, c.display(t))?;
                    }
                }
            }
        }
    }
    Ok(crate::model::exit::OK)
}
