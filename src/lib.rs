//! essaim: the measurement pipeline of the AIS#Emploi accelerator.
//!
//! Data flows one way through stages named for what they do:
//! [`ingest`] reads what structures send, [`validate`] judges it against the
//! data contract, [`report`] tells people what became of their files. The
//! binary (`src/main.rs`) is a thin shell over [`cli`].

pub mod cli;
pub mod config;
pub mod digest;
pub mod identity;
pub mod indicators;
pub mod ingest;
pub mod lock;
pub mod logging;
pub mod pipeline;
pub mod report;
pub mod serve;
pub mod status;
pub mod store;
pub mod synth;
pub mod text;
pub mod validate;
pub mod worker;

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
