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
    /// Every verdict, best first.
    pub const ALL: [Verdict; 3] = [
        Verdict::Accepted,
        Verdict::RowsRejected,
        Verdict::FileRejected,
    ];

    /// The name stored in the database and written in machine output.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::RowsRejected => "rows_rejected",
            Verdict::FileRejected => "file_rejected",
        }
    }

    /// French label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepté",
            Verdict::RowsRejected => "accepté avec des lignes rejetées",
            Verdict::FileRejected => "refusé",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Verdict {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_string()))
    }
}

/// The state of a queued e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Waiting for a delivery attempt (first, or after a temporary failure).
    Pending,
    /// Handed to the server; not known to be delivered (a crash then leaves
    /// it so, and it is not sent again by itself).
    Sending,
    Sent,
    /// Refused for good (a 5xx, a message that cannot be built).
    Failed,
}

impl MessageState {
    pub const ALL: [MessageState; 4] = [
        MessageState::Pending,
        MessageState::Sending,
        MessageState::Sent,
        MessageState::Failed,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Sending => "sending",
            MessageState::Sent => "sent",
            MessageState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for MessageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MessageState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_string()))
    }
}

/// A stored name that is no value of the type read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name \"{0}\"")]
pub struct UnknownName(pub String);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_and_come_back() {
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>(), Ok(v));
        }
        for m in MessageState::ALL {
            assert_eq!(m.as_str().parse::<MessageState>(), Ok(m));
        }
        assert!("Accepted".parse::<Verdict>().is_err());
    }
}
