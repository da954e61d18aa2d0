//! Telling people after the data work: the digest and the delivery of what
//! is due. Mail problems never fail the data work.

use chrono::Utc;

use crate::config::Config;
use crate::store::Store;

use super::run::RunReport;

/// After the data work: a digest when any figure changed, and delivery of
/// whatever is due (feedback, retries). Mail problems never fail the run.
pub fn after_run(config: &Config, store: &Store, report: &mut RunReport) {
    let changed = report.recomputed
        && match (store.latest_figures(), store.previous_figures()) {
            (Ok(now), Ok(before)) => now != before,
            _ => true,
        };
    let result = if changed {
        crate::digest::send_digest(config, store).map(|d| {
            report.digest = Some(d);
        })
    } else {
        crate::digest::deliver::deliver_due(config, store, opts_now()).map(|d| {
            report.digest = Some(crate::digest::DigestOutcome {
                digest_id: None,
                composed: 0,
                delivery: d,
            });
        })
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "e-mail could not be handled; messages stay queued");
        report.mail_error = Some(e.to_string());
    }
}

fn opts_now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}
