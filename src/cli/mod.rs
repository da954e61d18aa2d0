//! The command line: one file per subcommand, each a small function over
//! the library (as xsv/qsv's `src/cmd/<name>.rs`).

mod digest;
mod export;
mod indicators;
mod reimport;
mod run;
mod serve;
mod status;
mod template;
mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::logging::LogFormat;

/// essaim: ingest, validate and report the AIS#Emploi structures' files.
#[derive(Debug, Parser)]
#[command(name = "essaim", version, about, long_about = None, after_help = "Exit codes: 0 all accepted, 1 some rows rejected, 2 some file rejected (or an inbox entry passed over), 3 could not run, 4 another essaim process held the data folder too long.")]
pub struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "ESSAIM_CONFIG",
        default_value = DEFAULT_CONFIG
    )]
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
    #[command(
        after_help = "Examples:\n  essaim validate fixtures/inbox\n  essaim validate TAPAJ-BDX-01_2019-T1.xlsx --report rapports/ --annotate rapports/\n  essaim validate fixtures/inbox --format json"
    )]
    Validate(validate::Args),
    /// Take every file in the inbox through validation, loading and indicators.
    #[command(
        after_help = "Examples:\n  essaim run\n  essaim --config /etc/essaim/essaim.toml run --format json\n  essaim run --no-feedback    # rebuilding history: nothing sent to the structures"
    )]
    Run(run::Args),
    /// Print the current figures (raw for operators with --raw).
    #[command(
        after_help = "Examples:\n  essaim indicators\n  essaim indicators --by innovation\n  essaim indicators --format json --raw"
    )]
    Indicators(indicators::Args),
    /// Write the published figures (small counts hidden) as CSV, XLSX and Parquet.
    #[command(after_help = "Example:\n  essaim export exports/2019-T4")]
    Export(export::Args),
    /// Re-judge archived files by hand (after aliases or rules change).
    #[command(
        after_help = "Examples:\n  essaim reimport --structure TAPAJ-TLS-06 --reason \"alias ajouté\" --dry-run\n  essaim reimport --all --reason \"nouvelle règle de SIRET\"\n  essaim reimport --file 3fa2c1 --reason \"fichier corrigé à la main\""
    )]
    Reimport(reimport::Args),
    /// Compose and send the digest now; preview it; resend or retry messages.
    #[command(
        after_help = "Examples:\n  essaim digest\n  essaim digest --preview apercu/ --scope innovation:TAPAJ\n  essaim digest --list\n  essaim digest --retry\n  essaim digest --resend digest-3-1a2b3c4d5e6f@essaim"
    )]
    Digest(digest::Args),
    /// Run the nightly run, the digest and e-mail retries on their schedules until SIGTERM.
    #[command(
        after_help = "Examples:\n  essaim serve\n  essaim serve --next          # when each job runs next (Europe/Paris)\n  systemctl start essaim       # see config/systemd/essaim.service"
    )]
    Serve(serve::Args),
    /// Show the last runs, each structure's files, late structures and pending e-mails.
    #[command(after_help = "Examples:\n  essaim status\n  essaim status --format json")]
    Status(status::Args),
    /// Write the empty reporting template (xlsx) for a structure to fill in.
    #[command(
        after_help = "Example:\n  essaim template modele.xlsx --structure TAPAJ-BDX-01 --period 2019-T1"
    )]
    Template(template::Args),
}

/// Output format for results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable, in French.
    Table,
    Json,
    Csv,
}

/// Opens the store under the writer lock.
fn open_locked(
    config: &Config,
    wait_secs: u64,
) -> Result<(crate::lock::DataLock, crate::store::Store), crate::cli::CliError> {
    let lock = crate::lock::acquire(&config.data, std::time::Duration::from_secs(wait_secs))
        .map_err(CliError::Busy)?;
    let store = crate::store::Store::open(&config.data)?;
    Ok((lock, store))
}

/// Opens the store to read it: under the writer lock when it is free at
/// once; else, when a snapshot exists, the snapshot (and the command says
/// so on stderr); else waiting for the lock as writers do.
fn open_for_reading(
    config: &Config,
    wait_secs: u64,
) -> Result<(Option<crate::lock::DataLock>, crate::store::Store), crate::cli::CliError> {
    match crate::lock::acquire(&config.data, std::time::Duration::ZERO) {
        Ok(lock) => return Ok((Some(lock), crate::store::Store::open(&config.data)?)),
        Err(crate::lock::LockError::Busy(..)) => {}
        Err(e) => return Err(CliError::Busy(e)),
    }
    if let Some((store, taken)) = crate::store::Store::open_snapshot(&config.data)? {
        let at = chrono::DateTime::<chrono::Utc>::from(taken)
            .with_timezone(&config.schedules.timezone)
            .format("%d/%m/%Y à %H:%M:%S %Z");
        eprintln!(
            "Une autre commande d'essaim travaille sur les données : état enregistré le {at} (lecture seule)."
        );
        return Ok((None, store));
    }
    open_locked(config, wait_secs).map(|(lock, store)| (Some(lock), store))
}

/// Keeps the read-only snapshot up to date after a writing command; a
/// failure is logged, never fatal.
fn refresh_snapshot(store: &crate::store::Store) {
    if let Err(e) = store.refresh_snapshot() {
        tracing::warn!(error = %e, "the read-only snapshot could not be refreshed");
    }
}

/// Runs the chosen subcommand and returns its exit code.
///
/// # Errors
/// Anything that stops the program from running at all (exit code 3).
pub fn dispatch(cli: Cli) -> Result<u8, crate::cli::CliError> {
    match cli.command {
        Command::Validate(args) => validate::run(&optional_config(&cli.config)?, args),
        Command::Template(args) => template::run(&optional_config(&cli.config)?, args),
        Command::Run(args) => run::run(&load_config(&cli.config)?, args),
        Command::Indicators(args) => indicators::run(&load_config(&cli.config)?, args),
        Command::Export(args) => export::run(&load_config(&cli.config)?, args),
        Command::Reimport(args) => reimport::run(&load_config(&cli.config)?, args),
        Command::Digest(args) => digest::run(&load_config(&cli.config)?, args),
        Command::Serve(args) => serve::run(load_config(&cli.config)?, args),
        Command::Status(args) => status::run(&load_config(&cli.config)?, args),
    }
}

/// The default configuration path.
const DEFAULT_CONFIG: &str = "config/essaim.toml";

/// The operators' configuration, or, when there is none at the default
/// path (a structure's machine), [`Config::standalone`]: `validate` then
/// checks everything but the registry, and says so.
fn optional_config(path: &std::path::Path) -> Result<Config, CliError> {
    if path == std::path::Path::new(DEFAULT_CONFIG) && !path.exists() {
        return Ok(Config::standalone());
    }
    load_config(path)
}

fn load_config(path: &std::path::Path) -> Result<Config, CliError> {
    Config::load(path).map_err(|source| CliError::Config {
        path: path.to_path_buf(),
        source,
    })
}

/// Everything that stops a command; `main` prints it with its chain and
/// maps it to an exit code (4 for [`CliError::Busy`], 3 otherwise).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    // The cause follows in the printed chain.
    #[error("configuration {path}")]
    Config {
        path: PathBuf,
        source: crate::config::ConfigError,
    },
    #[error(transparent)]
    Busy(crate::lock::LockError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Run(#[from] crate::app::run::PipelineError),
    #[error(transparent)]
    Reimport(#[from] crate::app::reimport::ReimportError),
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Mail(#[from] crate::digest::deliver::DeliverError),
    #[error(transparent)]
    Synth(#[from] crate::synth::SynthError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error(transparent)]
    Database(#[from] duckdb::Error),
    /// A request that cannot be done as asked (the message says why).
    #[error("{0}")]
    Refused(String),
}
