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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_due_quarter_waits_for_the_grace_period() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(last_due_quarter(d(2026, 11, 26), 30).to_string(), "2026-T3");
        assert_eq!(last_due_quarter(d(2026, 10, 15), 30).to_string(), "2026-T2");
        assert_eq!(last_due_quarter(d(2026, 1, 5), 0).to_string(), "2025-T4");
    }
}
