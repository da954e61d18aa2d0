//! What became of a file, and the process exit codes that follow from it.

use serde::{Deserialize, Serialize};

/// The outcome of a file, worst first when ordered descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    RowsRejected,
    FileRejected,
}

impl Verdict {
    /// French label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepté",
            Verdict::RowsRejected => "accepté avec des lignes rejetées",
            Verdict::FileRejected => "refusé",
        }
    }
}

/// Process exit codes, documented in the README.
pub mod exit {
    /// Every file and row accepted.
    pub const OK: u8 = 0;
    /// Some rows were rejected; the rest was accepted.
    pub const ROWS_REJECTED: u8 = 1;
    /// At least one file was rejected as a whole.
    pub const FILE_REJECTED: u8 = 2;
    /// The program could not run (configuration, I/O, database).
    pub const CANNOT_RUN: u8 = 3;
    /// Another essaim process held the data folder's lock too long.
    pub const BUSY: u8 = 4;
}

/// The exit code of a batch: 0 all accepted, 1 some rows rejected, 2 some
/// file rejected.
pub fn exit_code_of(verdicts: impl Iterator<Item = Verdict>) -> u8 {
    match verdicts.max() {
        None | Some(Verdict::Accepted) => exit::OK,
        Some(Verdict::RowsRejected) => exit::ROWS_REJECTED,
        Some(Verdict::FileRejected) => exit::FILE_REJECTED,
    }
}
