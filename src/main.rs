//! The `essaim` binary: parse the command line, start logging, hand over to
//! the library, and map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: rows are allocated on the
/// reading thread and freed on the validating one, which glibc's malloc
/// serves slowly (see the README's architecture section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A worker process reading one file (see `essaim::app::worker`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == essaim::app::worker::WORKER_ARG)
    {
        return essaim::app::worker::main();
    }
    let cli = essaim::cli::Cli::parse();
    essaim::logging::init(cli.verbosity(), cli.log_format);
    match essaim::cli::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`essaim status | head`) is not a failure.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "essaim could not run");
            eprintln!("essaim: error: {e:#}");
            if e.downcast_ref::<essaim::cli::Busy>().is_some() {
                ExitCode::from(essaim::model::exit::BUSY)
            } else {
                ExitCode::from(essaim::model::exit::CANNOT_RUN)
            }
        }
    }
}
