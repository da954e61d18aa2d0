//! The `essaim` binary: parse the command line, start logging, hand over to
//! the library, and map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use essaim::cli::CliError;

/// mimalloc instead of the system allocator: rows are allocated on the
/// reading thread and freed on the validating one, which glibc's malloc
/// serves slowly (see the README's architecture section). With the crate's
/// `override` feature, `malloc` and C++'s `new` are mimalloc's too, so
/// DuckDB allocates through it as well.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// No transparent huge pages for this process and the workers it starts
/// (the flag is inherited): mimalloc asks for them, and every thread's
/// first allocation then made the kernel clear 2 MiB, once per file read
/// since each file is read on a thread of its own (a fifth of the system
/// time of a first load, and 10 % of its peak memory).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    // A worker process reading one file (see `essaim::app::worker`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == essaim::app::worker::WORKER_ARG)
    {
        return essaim::app::worker::main();
    }
    let cli = essaim::cli::Cli::parse();
    let json_logs = essaim::logging::init(cli.verbosity(), cli.log_format);
    match essaim::cli::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`essaim status | head`) is not a failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let busy = matches!(e, CliError::Busy(essaim::lock::LockError::Busy(..)));
            // anyhow only here, to print the error with its causes.
            let e = anyhow::Error::from(e);
            // Once: a JSON line for a log collector, or text for a person.
            if json_logs {
                tracing::error!(error = format!("{e:#}"), "essaim could not run");
            } else {
                eprintln!("essaim: error: {e:#}");
            }
            if busy {
                ExitCode::from(essaim::model::exit::BUSY)
            } else {
                ExitCode::from(essaim::model::exit::CANNOT_RUN)
            }
        }
    }
}

/// Whether the error is stdout closed by a reader that stopped reading.
fn is_broken_pipe(e: &CliError) -> bool {
    let pipe = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
    match e {
        CliError::Io(io) if pipe(io) => return true,
        CliError::Json(j) if j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => {
            return true
        }
        _ => {}
    }
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<std::io::Error>().is_some_and(pipe) {
            return true;
        }
        cur = c.source();
    }
    false
}
