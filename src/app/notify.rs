//! Telling people after the data work: the digest and the delivery of what
//! is due, and the operators when a scheduled job failed. Mail problems
//! never fail the data work.

use chrono::Utc;
use serde::Serialize;

use crate::config::Config;
use crate::store::Store;

use super::run::RunReport;

/// What the e-mail after a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AfterRun {
    /// The digest composed, or the delivery round alone.
    pub digest: Option<crate::digest::DigestOutcome>,
    /// Why e-mail could not be handled (the data work is done regardless).
    pub mail_error: Option<String>,
}

/// A run's report with what its e-mail did, as `run --format json` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary<'a> {
    #[serde(flatten)]
    pub run: &'a RunReport,
    #[serde(flatten)]
    pub mail: &'a AfterRun,
}

/// After the data work: delivery of whatever is due (feedback, retries,
/// operators' alerts). The digest belongs to `[schedule] digest`; a run
/// sends one only when asked (`digest`: `run --digest`, or `[email]
/// digest_after_run`) and a figure changed. Mail problems never fail the
/// run. Nothing is sent after an interrupted run (the next run finishes it).
pub fn after_run(config: &Config, store: &Store, report: &RunReport, digest: bool) -> AfterRun {
    let mut out = AfterRun::default();
    if report.interrupted {
        return out;
    }
    rebuild_feedback(config, store);
    let changed = (digest || config.email.digest_after_run)
        && report.recomputed
        && match (store.latest_figures(), store.previous_figures()) {
            (Ok(now), Ok(before)) => now != before,
            _ => true,
        };
    let result = if changed {
        crate::digest::send_digest(config, store).map(|d| {
            out.digest = Some(d);
        })
    } else {
        crate::digest::deliver::deliver_due(config, store, opts_now()).map(|d| {
            out.digest = Some(crate::digest::DigestOutcome {
                digest_id: None,
                composed: 0,
                delivery: d,
            });
        })
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "e-mail could not be handled; messages stay queued");
        out.mail_error = Some(e.to_string());
    }
    out
}

/// Builds again the feedback messages that could not be built when their
/// file was loaded (recorded `failed` without a body), from the archived
/// originals; each one built is queued. Returns how many were.
pub fn rebuild_feedback(config: &Config, store: &Store) -> usize {
    let unbuilt = match store.unbuilt_feedback() {
        Ok(u) if !u.is_empty() => u,
        Ok(_) => return 0,
        Err(e) => {
            tracing::error!(error = %e, "unbuilt feedback could not be listed");
            return 0;
        }
    };
    let pool = match super::worker::Pool::new(config, chrono::Local::now().date_naive(), None) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "no worker to rebuild feedback");
            return 0;
        }
    };
    let mut built = 0;
    for (id, archive_path, name) in unbuilt {
        let Some(bytes) = archive_path.and_then(|p| std::fs::read(p).ok()) else {
            tracing::warn!(message = %id, "feedback not rebuilt: the original is no longer archived");
            continue;
        };
        let file =
            crate::ingest::SourceFile::from_bytes(std::path::Path::new(&name), bytes, Utc::now());
        let judgement = pool.judge_file(&file, true);
        let feedback = crate::digest::Feedback {
            report: &judgement.report,
            annotated: judgement.annotated.as_deref(),
            changed: None,
        };
        match crate::digest::prepare_feedback(config, &store.database_id, &feedback) {
            Some(m) if m.failed.is_none() && m.id == id => {
                match store.rebuilt_message(&id, &m.eml_path, &m.subject) {
                    Ok(()) => built += 1,
                    Err(e) => {
                        tracing::error!(message = %id, error = %e, "rebuilt feedback not queued");
                    }
                }
            }
            Some(m) => {
                tracing::warn!(message = %id, error = m.failed.unwrap_or_default(), "feedback still cannot be built");
            }
            None => {}
        }
    }
    if built > 0 {
        tracing::info!(
            messages = built,
            "feedback that could not be built is built and queued"
        );
    }
    built
}

fn opts_now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

/// Records a failed scheduled job as a failed run (shown by `status` and
/// the next digest's incidents) and e-mails the operators, in French.
///
/// # Errors
/// Store or message errors (the caller logs them).
pub fn job_failed(
    config: &Config,
    store: &Store,
    job: &str,
    error: &str,
) -> Result<(), crate::digest::deliver::DeliverError> {
    let id = store.begin_run(job, Some(error))?;
    store.finish_run(id, "failed", 0, 0, 0, 0)?;
    for to in &config.email.operators {
        let text = format!(
            "Bonjour,\n\nLa tâche planifiée « {job} » d'essaim a échoué le {}.\n\nErreur : {error}\n\nLe planificateur continue ; l'incident figurera dans la prochaine synthèse.\n",
            chrono::Local::now().format("%d/%m/%Y à %H:%M:%S")
        );
        let m = crate::digest::deliver::alert_message(
            config,
            to,
            &format!("essaim : échec de la tâche « {job} »"),
            text,
        )?;
        crate::digest::deliver::enqueue(config, store, &m)?;
    }
    crate::digest::deliver::deliver_due(config, store, Utc::now().naive_utc())?;
    Ok(())
}
