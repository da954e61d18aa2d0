//! `essaim export DIR`: the published figures (small counts hidden) in one
//! tidy table, as CSV, XLSX and Parquet (`src/export.rs`).

use std::path::PathBuf;

use crate::config::Config;

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
    let Some(publication) = store.latest_publication(config.privacy.threshold)? else {
        return Err(crate::cli::CliError::Refused(
            "aucun chiffre à exporter : aucun fichier n'a encore été chargé (lancez `essaim run`)"
                .into(),
        ));
    };
    let n = crate::export::write_all(config, &store, &publication, &args.dir)?;
    println!(
        "{n} chiffres publiés écrits dans {} (figures.csv, figures.xlsx, figures.parquet), calculés le {} UTC.",
        args.dir.display(),
        publication.computed_at.format("%d/%m/%Y à %H:%M")
    );
    Ok(crate::model::exit::OK)
}
