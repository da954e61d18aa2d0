//! What both benchmarks share: the binary's allocator, where generated
//! inputs live, peak memory, medians, and a configuration in a folder.

use std::path::PathBuf;

// The ingest benchmark reads the project's own configuration instead.
#[allow(dead_code)]
#[path = "../../tests/support/project_config.rs"]
mod project_config;
#[allow(unused_imports)]
pub use project_config::config_in;

/// The allocator of the `essaim` binary, so that the benchmarks measure it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where generated inputs are kept between runs:
/// `$CARGO_TARGET_DIR/essaim-bench/` (or the system temp dir).
pub fn bench_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(std::env::temp_dir, PathBuf::from)
        .join("essaim-bench")
}

/// Peak resident memory, in KiB: this process's (VmHWM) plus the largest
/// of its finished children's (the worker processes that read the files;
/// they are reaped when the run ends).
pub fn peak_rss_kib() -> u64 {
    let own = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    // SAFETY: getrusage fills the struct it is given.
    let children = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &raw mut u) == 0 {
            u64::try_from(u.ru_maxrss).unwrap_or(0)
        } else {
            0
        }
    };
    own + children
}

/// Worker processes are this package's `essaim` binary (the benchmark's
/// own executable is not essaim).
pub fn use_essaim_workers() {
    std::env::set_var("ESSAIM_WORKER_EXE", env!("CARGO_BIN_EXE_essaim"));
}

/// The median of the measurements.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
