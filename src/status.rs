//! Who is late: the last quarter whose grace period is over, and the
//! registered structures with no accepted file for it.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::config::Config;
use crate::model::records::Period;
use crate::store::Store;

/// The last quarter that ended more than `grace_days` before `today`.
pub fn last_due_quarter(today: NaiveDate, grace_days: u32) -> Period {
    let mut q = Period::Quarter {
        year: today.year(),
        quarter: (today.month() - 1) / 3 + 1,
    };
    loop {
        q = match q {
            Period::Quarter { year, quarter: 1 } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
            month => month,
        };
        if q.end() + chrono::Duration::days(i64::from(grace_days)) < today {
            return q;
        }
    }
}

/// A structure late with its file.
#[derive(Debug, Clone, Serialize)]
pub struct Late {
    pub code: String,
    pub name: String,
    pub innovation: String,
    pub contact: String,
}

/// Structures (joined before the quarter ended) with no accepted file for it.
///
/// # Errors
/// SQL errors.
pub fn late_structures(
    config: &Config,
    store: &Store,
    today: NaiveDate,
) -> Result<(Period, Vec<Late>), crate::store::StoreError> {
    let q = last_due_quarter(today, config.reporting.grace_days);
    let reporting = store.structures_reporting(q.start(), q.end())?;
    let late = config
        .registry
        .structures
        .iter()
        .filter(|s| s.joined <= q.end() && !reporting.contains(&s.code))
        .map(|s| Late {
            code: s.code.clone(),
            name: s.name.clone(),
            innovation: s.innovation.clone(),
            contact: s.contact.clone(),
        })
        .collect();
    Ok((q, late))
}

/// A UTC time as stored (`2026-12-02 05:31:29.123`) in the operators'
/// time zone, with its abbreviation: `02/12/2026 06:31:29 CET`. Text that
/// is not such a time is returned as it is.
pub fn local_time(utc: &str, tz: chrono_tz::Tz) -> String {
    let parsed = chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%dT%H:%M:%S%.f"));
    match parsed {
        Ok(t) => t
            .and_utc()
            .with_timezone(&tz)
            .format("%d/%m/%Y %H:%M:%S %Z")
            .to_string(),
        Err(_) => utc.to_string(),
    }
}

/// A run's kind in French.
pub fn run_kind_label(kind: &str) -> &str {
    match kind {
        "run" => "exécution",
        "reimport" => "réimport",
        "digest" => "synthèse",
        "retry" => "relance",
        other => other,
    }
}

/// A run's outcome in French.
pub fn outcome_label(outcome: Option<&str>) -> &str {
    match outcome {
        None => "interrompue",
        Some("ok") => "réussie",
        Some("rows_rejected") => "lignes rejetées",
        Some("file_rejected") => "fichier refusé",
        Some("failed") => "échec",
        Some("dry_run") => "simulation",
        Some(other) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_operators_zone() {
        let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            local_time("2026-12-02 05:31:29.123456", paris),
            "02/12/2026 06:31:29 CET"
        );
        assert_eq!(
            local_time("2026-07-01 12:00:00", paris),
            "01/07/2026 14:00:00 CEST"
        );
        assert_eq!(local_time("pas une date", paris), "pas une date");
    }

    #[test]
    fn the_due_quarter_waits_for_the_grace_period() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(last_due_quarter(d(2026, 11, 26), 30).to_string(), "2026-T3");
        assert_eq!(last_due_quarter(d(2026, 10, 15), 30).to_string(), "2026-T2");
        assert_eq!(last_due_quarter(d(2026, 1, 5), 0).to_string(), "2025-T4");
    }
}
