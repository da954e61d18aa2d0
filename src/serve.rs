//! `essaim serve`: the unattended scheduler. tokio-cron-scheduler ticks
//! every second; at each tick the configured schedules are evaluated with
//! croner in their own time zone (Europe/Paris), so that jobs keep their
//! wall-clock time across daylight-saving changes (tokio-cron-scheduler
//! 0.15 fixes the UTC offset when a job is created: issues #87, #107).
//!
//! A job never overlaps itself; all jobs share the data folder's lock with
//! `run` and `reimport`. SIGTERM or SIGINT stop new jobs, let the running
//! one finish its current file and commit, then the process exits 0. A
//! failed job is logged, recorded, reported in the next digest and e-mailed
//! to the operators; the scheduler keeps going.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use croner::Cron;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::app::run::{self, RunOptions};
use crate::config::Config;
use crate::store::Store;

/// The kinds of scheduled work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Run,
    Digest,
    Retry,
}

impl JobKind {
    fn name(self) -> &'static str {
        match self {
            JobKind::Run => "run",
            JobKind::Digest => "digest",
            JobKind::Retry => "retry",
        }
    }
}

/// One scheduled job: its schedule, its next due time, whether it runs.
struct Scheduled {
    kind: JobKind,
    cron: Cron,
    next: Mutex<Option<DateTime<Tz>>>,
    running: AtomicBool,
}

impl Scheduled {
    /// Whether the job is due at `now`; advances its next time if so.
    fn due(&self, now: DateTime<Tz>) -> bool {
        let Ok(mut next) = self.next.lock() else {
            return false;
        };
        let Some(at) = *next else {
            *next = self.cron.find_next_occurrence(&now, false).ok();
            return false;
        };
        if now < at {
            return false;
        }
        *next = self.cron.find_next_occurrence(&now, false).ok();
        true
    }
}

/// The next times each schedule fires after `from` (for `--help`-style
/// checks and tests of the time-zone handling).
pub fn upcoming(cron: &Cron, tz: Tz, from: DateTime<Utc>, n: usize) -> Vec<DateTime<Tz>> {
    let mut out = Vec::new();
    let mut t = whole_second(from.with_timezone(&tz));
    for _ in 0..n {
        match cron.find_next_occurrence(&t, false) {
            Ok(next) => {
                out.push(next);
                t = next;
            }
            Err(_) => break,
        }
    }
    out
}

fn run_job(config: &Config, kind: JobKind, cancel: &Arc<AtomicBool>) -> Result<String, ServeError> {
    let _lock = crate::lock::acquire(
        &config.data,
        Duration::from_secs(config.schedule.lock_wait_secs),
    )?;
    let mut store = Store::open(&config.data)?;
    match kind {
        JobKind::Run => {
            let opts = RunOptions {
                cancel: Some(Arc::clone(cancel)),
                ..RunOptions::default()
            };
            let r = run::run(config, &mut store, &opts)?;
            let mail = crate::app::notify::after_run(config, &store, &r, false);
            if let Some(e) = mail.mail_error {
                tracing::error!(error = %e, "e-mail after the run could not be handled");
            }
            if let Err(e) = store.refresh_snapshot() {
                tracing::warn!(error = %e, "the read-only snapshot could not be refreshed");
            }
            Ok(format!(
                "{} file(s) seen, {} new",
                r.files_seen,
                r.files.len()
            ))
        }
        JobKind::Digest => {
            let o = crate::digest::send_digest(config, &store)?;
            Ok(format!(
                "digest for {} reader(s), {} message(s) sent",
                o.composed, o.delivery.sent
            ))
        }
        JobKind::Retry => {
            let d = crate::digest::deliver::deliver_due(config, &store, Utc::now().naive_utc())?;
            Ok(format!(
                "{} sent, {} deferred, {} failed",
                d.sent,
                d.deferred,
                d.failed.len()
            ))
        }
    }
}

/// Records a failed job and tells the operators.
fn report_failure(config: &Config, kind: JobKind, error: &ServeError) {
    tracing::error!(
        job = kind.name(),
        error = format!("{error:#}"),
        "scheduled job failed"
    );
    let result = (|| -> Result<(), ServeError> {
        let _lock = crate::lock::acquire(
            &config.data,
            Duration::from_secs(config.schedule.lock_wait_secs),
        )?;
        let store = Store::open(&config.data)?;
        crate::app::notify::job_failed(config, &store, kind.name(), &format!("{error:#}"))?;
        Ok(())
    })();
    if let Err(e) = result {
        tracing::error!(
            job = kind.name(),
            error = format!("{e:#}"),
            "the failure could not be recorded or e-mailed"
        );
    }
}

/// Runs the scheduler until SIGTERM or SIGINT.
///
/// # Errors
/// When the scheduler cannot start.
pub fn serve(config: Config) -> Result<(), ServeError> {
    let tz: Tz = config.schedules.timezone;
    let jobs: Arc<Vec<Scheduled>> = Arc::new(
        [
            (JobKind::Run, &config.schedules.run),
            (JobKind::Digest, &config.schedules.digest),
            (JobKind::Retry, &config.schedules.retry),
        ]
        .into_iter()
        .map(|(kind, cron)| Scheduled {
            kind,
            cron: cron.clone(),
            next: Mutex::new(None),
            running: AtomicBool::new(false),
        })
        .collect(),
    );
    let config = Arc::new(config);
    let cancel = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let sched = JobScheduler::new().await?;
        for j in jobs.iter() {
            let next = upcoming_from(&j.cron, tz);
            tracing::info!(job = j.kind.name(), next = %next, "job scheduled");
        }
        let (jobs_t, config_t, cancel_t) = (Arc::clone(&jobs), Arc::clone(&config), Arc::clone(&cancel));
        let tick = Job::new_async("* * * * * *", move |_id, _lock| {
            let (jobs, config, cancel) = (Arc::clone(&jobs_t), Arc::clone(&config_t), Arc::clone(&cancel_t));
            Box::pin(async move {
                if cancel.load(Ordering::SeqCst) {
                    return;
                }
                let now = whole_second(Utc::now().with_timezone(&tz));
                for (i, j) in jobs.iter().enumerate() {
                    if !j.due(now) {
                        continue;
                    }
                    if j.running.swap(true, Ordering::SeqCst) {
                        tracing::warn!(job = j.kind.name(), "the previous run of this job is still going; this tick is skipped");
                        continue;
                    }
                    let (jobs, config, cancel) = (Arc::clone(&jobs), Arc::clone(&config), Arc::clone(&cancel));
                    tokio::task::spawn_blocking(move || {
                        let j = &jobs[i];
                        tracing::info!(job = j.kind.name(), "job started");
                        match run_job(&config, j.kind, &cancel) {
                            Ok(summary) => tracing::info!(job = j.kind.name(), summary = %summary, "job finished"),
                            Err(e) => report_failure(&config, j.kind, &e),
                        }
                        j.running.store(false, Ordering::SeqCst);
                    });
                }
            })
        })?;
        sched.add(tick).await?;
        sched.start().await?;
        tracing::info!(timezone = %tz, "essaim serve started");
        wait_for_signal().await;
        tracing::info!("stop requested: no new job starts; the running one finishes its current file");
        cancel.store(true, Ordering::SeqCst);
        while jobs.iter().any(|j| j.running.load(Ordering::SeqCst)) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut sched = sched;
        let _ = sched.shutdown().await;
        tracing::info!("essaim serve stopped");
        Ok::<(), ServeError>(())
    })
}

/// Why the scheduler or one of its jobs could not work.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Run(#[from] crate::app::run::PipelineError),
    #[error(transparent)]
    Mail(#[from] crate::digest::deliver::DeliverError),
    #[error("scheduler: {0}")]
    Scheduler(#[from] tokio_cron_scheduler::JobSchedulerError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Schedules have a one-second resolution.
fn whole_second(t: DateTime<Tz>) -> DateTime<Tz> {
    use chrono::Timelike;
    t.with_nanosecond(0).unwrap_or(t)
}

fn upcoming_from(cron: &Cron, tz: Tz) -> String {
    cron.find_next_occurrence(&whole_second(Utc::now().with_timezone(&tz)), false)
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|_| "never".into())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_cron;

    #[test]
    fn nightly_job_keeps_its_paris_time_across_daylight_saving() {
        // Clocks jump 02:00 -> 03:00 in Paris on 2026-03-29 and back on
        // 2026-10-25: a job at 07:30 stays at 07:30 wall-clock time around
        // both changes (its UTC time moves by an hour).
        let from = DateTime::parse_from_rfc3339("2026-03-27T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let times: Vec<String> = upcoming(
            &parse_cron("0 30 7 * * *").unwrap(),
            chrono_tz::Europe::Paris,
            from,
            4,
        )
        .iter()
        .map(|t| t.to_rfc3339())
        .collect();
        assert_eq!(
            times,
            [
                "2026-03-28T07:30:00+01:00",
                "2026-03-29T07:30:00+02:00",
                "2026-03-30T07:30:00+02:00",
                "2026-03-31T07:30:00+02:00"
            ]
        );
        let from = DateTime::parse_from_rfc3339("2026-10-24T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let utc: Vec<String> = upcoming(
            &parse_cron("0 30 7 * * *").unwrap(),
            chrono_tz::Europe::Paris,
            from,
            2,
        )
        .iter()
        .map(|t| t.with_timezone(&Utc).to_rfc3339())
        .collect();
        assert_eq!(
            utc,
            ["2026-10-24T05:30:00+00:00", "2026-10-25T06:30:00+00:00"]
        );
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert!(parse_cron("0 30 2 * * *").is_ok());
        assert!(parse_cron("30 2 * * *").is_err(), "seconds are required");
        assert!(parse_cron("0 61 2 * * *").is_err());
    }
}
