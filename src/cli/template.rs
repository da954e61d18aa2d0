//! `essaim template OUT.xlsx`: the reporting template for a structure to
//! fill in, with its instructions, drop-down lists and, from the registry,
//! its structure, innovation and period filled in.

use std::path::PathBuf;

use crate::config::Config;
use crate::model::records::Period;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the workbook: .xlsx (with drop-down lists), or .ods.
    pub output: PathBuf,
    /// Fill in this structure (its innovation comes from the registry).
    #[arg(long)]
    pub structure: Option<String>,
    /// Fill in the period (2019-T1 or 2019-03).
    #[arg(long)]
    pub period: Option<String>,
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    let refuse = |m: String| crate::cli::CliError::Refused(m);
    let extension = args
        .output
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !["xlsx", "ods"].contains(&extension.as_str()) {
        return Err(refuse(format!(
            "cannot write a template as « .{extension} »: name the output .xlsx (with drop-down lists) or .ods"
        )));
    }
    let registry = &config.registry;
    let structure = match &args.structure {
        None => None,
        Some(_) if !registry.loaded => return Err(refuse(
            "--structure needs the operators' registry: run with --config pointing to essaim.toml"
                .into(),
        )),
        Some(code) => Some(registry.structure(code).ok_or_else(|| {
            refuse(format!(
                "structure « {code} » is not in the registry ({} structures; see {})",
                registry.structures.len(),
                config.source.display()
            ))
        })?),
    };
    let period = match &args.period {
        None => None,
        Some(p) => Some(Period::parse(p).ok_or_else(|| {
            refuse(format!(
                "period « {p} » is not a quarter (2019-T1) or a month (2019-03)"
            ))
        })?),
    };
    let prefill = crate::synth::template::Prefill { structure, period };
    let bytes = if extension == "ods" {
        let innovation = structure
            .and_then(|s| registry.innovation(&s.innovation))
            .map(|i| i.name.clone());
        crate::synth::SBook::template(
            structure.map(|s| s.code.as_str()),
            innovation.as_deref(),
            period.map(|p| p.to_string()).as_deref(),
            &crate::synth::template::instructions(registry, prefill),
        )
        .to_ods()?
    } else {
        crate::synth::template::template_xlsx(registry, prefill)?
    };
    std::fs::write(&args.output, bytes).map_err(|source| crate::report::ReportError::Write {
        path: args.output.clone(),
        source,
    })?;
    println!("Modèle écrit : {}", args.output.display());
    Ok(crate::model::exit::OK)
}
