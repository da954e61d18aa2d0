//! Logging setup: `tracing` with key/value fields, human-readable on a
//! terminal, JSON lines when unattended; level from `-v`/`-q` or `RUST_LOG`.
//! Logs go to stderr so that stdout stays for results. On a terminal, a
//! progress bar ([`progress`]) and log lines share stderr: each line is
//! written above the bar, which is then drawn again, so that no stale bar
//! is left between the lines.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    Text,
    Json,
}

/// The progress bar on screen, if any: log lines are written around it.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A progress bar over `len` files, `done` of them already settled, shown
/// only on a terminal (hidden otherwise); log lines go above it until it is
/// finished.
pub fn progress(len: u64, done: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || len < 2 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos}/{len} fichiers {wide_bar} {eta}")
    {
        bar.set_style(style);
    }
    bar.set_position(done);
    if let Ok(mut slot) = BAR.lock() {
        *slot = Some(bar.clone());
    }
    bar
}

/// stderr, writing above the progress bar when one is shown.
struct AboveTheBar;

impl Write for AboveTheBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = BAR.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) if !bar.is_finished() && !bar.is_hidden() => {
                bar.suspend(|| std::io::stderr().write(buf))
            }
            _ => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
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
        .with_writer(|| AboveTheBar);
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
