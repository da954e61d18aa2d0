//! The command line: one file per subcommand, each a small function over
//! the library (as xsv/qsv's `src/cmd/<name>.rs`).

mod template;
mod validate;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::logging::LogFormat;

/// essaim: ingest, validate and report the AIS#Emploi structures' files.
#[derive(Debug, Parser)]
#[command(name = "essaim", version, about, long_about = None, after_help = "Exit codes: 0 all accepted, 1 some rows rejected, 2 some file rejected, 3 could not run.")]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "ESSAIM_CONFIG", default_value = "config/essaim.toml")]
    pub config: PathBuf,
    /// More log output (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (-q, -qq).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `-v` count minus `-q` count.
    pub fn verbosity(&self) -> i8 {
        i8::try_from(i16::from(self.verbose) - i16::from(self.quiet)).unwrap_or(0)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and judge files against the reporting template, writing no database.
    #[command(after_help = "Examples:\n  essaim validate fixtures/inbox\n  essaim validate TAPAJ-BDX-01_2019-T1.xlsx --report rapports/ --annotate rapports/\n  essaim validate fixtures/inbox --format json")]
    Validate(validate::Args),
    /// Write the empty reporting template (xlsx) for a structure to fill in.
    #[command(after_help = "Example:\n  essaim template modele.xlsx --structure TAPAJ-BDX-01 --period 2019-T1")]
    Template(template::Args),
}

/// Output format for results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable, in French.
    Table,
    Json,
}

/// Runs the chosen subcommand and returns its exit code.
///
/// # Errors
/// Anything that stops the program from running at all (exit code 3).
pub fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Validate(args) => validate::run(&load_config(&cli.config)?, args),
        Command::Template(args) => template::run(args),
    }
}

fn load_config(path: &std::path::Path) -> anyhow::Result<Config> {
    Config::load(path).with_context(|| format!("configuration {}", path.display()))
}
