//! `essaim template OUT.xlsx`: the blank reporting template for structures.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the workbook (.xlsx or .ods).
    pub output: PathBuf,
    /// Pre-fill the structure code.
    #[arg(long)]
    pub structure: Option<String>,
    /// Pre-fill the innovation.
    #[arg(long)]
    pub innovation: Option<String>,
    /// Pre-fill the period (2019-T1 or 2019-03).
    #[arg(long)]
    pub period: Option<String>,
}

pub fn run(args: Args) -> Result<u8, crate::cli::CliError> {
    let book = crate::synth::SBook::template(
        args.structure.as_deref(),
        args.innovation.as_deref(),
        args.period.as_deref(),
    );
    let is_ods = args
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ods"));
    let bytes = if is_ods {
        book.to_ods()?
    } else {
        book.to_xlsx()?
    };
    std::fs::write(&args.output, bytes).map_err(|source| crate::report::ReportError::Write {
        path: args.output.clone(),
        source,
    })?;
    println!("Modèle écrit : {}", args.output.display());
    Ok(crate::model::exit::OK)
}
