//! `validate`'s job: judge a batch of files, each in a worker process, and
//! hand the reports (and annotated copies) back; nothing is stored.

use std::path::PathBuf;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::config::Config;
use crate::validate::FileReport;

/// A judged file, with its annotated copy when one was asked for.
pub struct Judged {
    pub report: FileReport,
    pub annotated: Option<Vec<u8>>,
}

/// Reads and judges `files` in parallel (rayon), each in a worker process
/// (see [`crate::app::worker`]), with a progress bar on a terminal. The order of
/// the result is the order of `files`. The typed records are not kept:
/// memory follows the largest file, not the batch.
///
/// # Errors
/// When no worker can be started at all.
pub fn judge_all(
    config: &Config,
    files: &[PathBuf],
    today: NaiveDate,
    annotate: bool,
) -> std::io::Result<Vec<Judged>> {
    let pool = super::worker::Pool::new(config, today, None)?;
    let bar = crate::logging::progress(files.len() as u64, 0);
    let judged = files
        .par_iter()
        .map(|path| {
            // The worker opens and reads the file itself: its bytes are
            // not needed here.
            let j = pool.judge_path(path, annotate);
            let judged = Judged {
                report: j.report,
                annotated: j.annotated,
            };
            bar.inc(1);
            judged
        })
        .collect();
    bar.finish_and_clear();
    Ok(judged)
}
