//! The `essaim` binary: parse the command line, start logging, hand over to
//! the library, and map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = essaim::cli::Cli::parse();
    essaim::logging::init(cli.verbosity(), cli.log_format);
    match essaim::cli::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "essaim could not run");
            eprintln!("essaim : erreur : {e:#}");
            ExitCode::from(essaim::exit::CANNOT_RUN)
        }
    }
}
