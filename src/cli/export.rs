//! `essaim export DIR`: the published figures (small counts hidden) for
//! stakeholders, as CSV, XLSX and Parquet.

use std::path::PathBuf;

use crate::config::Config;
use crate::indicators::publish::publish;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write figures.csv, figures.xlsx and figures.parquet into.
    pub dir: PathBuf,
    /// How long to wait for a running essaim process to release the data folder.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    let (_lock, store) = super::open_locked(config, args.wait)?;
    let t = config.privacy.threshold;
    let cells = publish(&store.latest_figures()?, t);
    std::fs::create_dir_all(&args.dir)?;
    let csv_path = args.dir.join("figures.csv");
    let mut w = csv::Writer::from_path(&csv_path)?;
    w.write_record(["indicator", "scope_kind", "scope", "value"])?;
    for c in &cells {
        w.write_record([c.indicator.as_str(), &c.scope_kind, &c.scope, &c.display(t)])?;
    }
    w.flush()?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Chiffres")?;
    for (col, h) in ["Indicateur", "Périmètre", "Valeur", "Chiffre"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, col as u16, *h)?;
    }
    for (i, c) in cells.iter().enumerate() {
        let r = i as u32 + 1;
        let label =
            crate::indicators::find(&c.indicator).map_or(c.indicator.as_str(), |ind| ind.label);
        ws.write_string(r, 0, label)?;
        ws.write_string(r, 1, format!("{} {}", c.scope_kind, c.scope).trim())?;
        match c.value {
            Some(v) if !c.hidden => ws.write_number(r, 2, v)?,
            _ => ws.write_string(r, 2, format!("< {t}"))?,
        };
        ws.write_string(r, 3, &c.indicator)?;
    }
    book.save(args.dir.join("figures.xlsx"))?;
    store.export_parquet(&cells, &args.dir.join("figures.parquet"))?;
    println!(
        "Chiffres publiés écrits dans {} (figures.csv, figures.xlsx, figures.parquet).",
        args.dir.display()
    );
    Ok(crate::model::exit::OK)
}
