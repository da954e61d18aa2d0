//! The safety limits applied to every input file.

use serde::Deserialize;

/// Safety limits applied to every input file, so that a hostile or broken
/// file is refused quickly instead of exhausting memory or time.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest file accepted, in MiB.
    pub max_file_mib: u64,
    /// Largest total uncompressed size of a zip-based workbook, in MiB.
    pub max_uncompressed_mib: u64,
    /// Most rows read from one sheet or CSV file.
    pub max_rows: usize,
    /// Most columns read from one sheet or CSV file.
    pub max_columns: usize,
    /// Longest time spent reading one file, in seconds; past it the worker
    /// reading the file is killed.
    pub file_timeout_secs: u64,
    /// Rejections kept per file (the rest are counted): bounds the memory,
    /// the rejection CSV and the feedback e-mail whatever the file.
    pub max_rejections: usize,
    /// Address space of a worker process reading one file, in MiB: a file
    /// that needs more kills only its worker and is refused.
    pub worker_memory_mib: u64,
    /// Largest attachment of a feedback e-mail, in KiB (the rejection CSV is
    /// cut there, saying so).
    pub max_attachment_kib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_mib: 100,
            max_uncompressed_mib: 2048,
            max_rows: 2_000_000,
            max_columns: 200,
            file_timeout_secs: 120,
            max_rejections: 1000,
            worker_memory_mib: 2048,
            max_attachment_kib: 2048,
        }
    }
}
