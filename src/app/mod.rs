//! The application layer: the jobs an operator or the scheduler starts,
//! each composed from the stages below it.
//!
//! * [`run`]: the nightly run over the inbox;
//! * [`reimport`]: re-judging archived files;
//! * [`check`]: judging files without storing anything (`validate`);
//! * [`notify`]: the e-mail that follows the data work;
//! * [`worker`]: reading each file in a worker process.

pub mod check;
pub mod notify;
pub mod reimport;
pub mod run;
pub mod worker;
