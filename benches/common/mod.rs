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
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("essaim-bench")
}

/// This process's peak resident memory (VmHWM), in KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The median of the measurements.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
