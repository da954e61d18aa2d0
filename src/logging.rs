//! Logging setup: `tracing` with key/value fields, human-readable on a
//! terminal, JSON lines when unattended; level from `-v`/`-q` or `RUST_LOG`.
//! Logs go to stderr so that stdout stays for results.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    Text,
    Json,
}

/// Installs the global subscriber. `verbosity` is the count of `-v` minus
/// the count of `-q`; `RUST_LOG`, when set, wins. Returns whether log lines
/// are JSON (then a fatal error is one JSON line, not also a text line).
pub fn init(verbosity: i8, format: LogFormat) -> bool {
    let level = match verbosity {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("essaim={level},warn")));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
    // A second init (tests) is harmless.
    let _ = result;
    json
}
