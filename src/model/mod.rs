//! The vocabulary every stage shares, at the bottom floor: the template's
//! tables and columns, the typed records a valid row becomes, the
//! registries' types, verdicts and exit codes, and the safety limits. It
//! imports nothing of the crate but `text`.

pub mod departements;
pub mod limits;
pub mod records;
pub mod registry;
pub mod scope;
pub mod template;
pub mod verdict;

pub use verdict::{exit, exit_code_of, MessageState, Verdict};
