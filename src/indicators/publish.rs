//! Small-count suppression for anything that leaves the operators' hands.
//!
//! A cell covering 1 to `threshold - 1` people shows `< threshold`. When a
//! breakdown (by innovation, département, period, structure or duration)
//! has exactly one such cell, the next smallest cell of the breakdown is
//! hidden too, so that nobody can recompute the hidden one from the total.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::indicators::Figure;

/// A figure as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    pub indicator: String,
    pub scope_kind: String,
    pub scope: String,
    /// `None` when hidden.
    pub value: Option<f64>,
    pub hidden: bool,
}

impl Published {
    /// As shown to people: the number, a percentage for ratios, or `< 5`.
    pub fn display(&self, threshold: i64) -> String {
        if self.hidden {
            return format!("< {threshold}");
        }
        let ratio = super::find(&self.indicator).is_some_and(|i| i.ratio);
        match self.value {
            None => "–".to_string(),
            Some(v) if ratio => crate::text::percent(v),
            Some(v) => format!("{}", v.round() as i64),
        }
    }
}

fn primary(f: &Figure, threshold: i64) -> bool {
    matches!(f.people, Some(n) if n > 0 && n < threshold)
}

/// Applies primary and secondary suppression.
pub fn publish(figures: &[Figure], threshold: i64) -> Vec<Published> {
    let mut out: Vec<Published> = figures
        .iter()
        .map(|f| Published {
            indicator: f.indicator.clone(),
            scope_kind: f.scope_kind.clone(),
            scope: f.scope.clone(),
            value: if primary(f, threshold) { None } else { f.value },
            hidden: primary(f, threshold),
        })
        .collect();
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in figures.iter().enumerate() {
        if f.scope_kind != "national" && f.people.is_some() {
            groups
                .entry((f.indicator.clone(), f.scope_kind.clone()))
                .or_default()
                .push(i);
        }
    }
    for idx in groups.values() {
        let hidden = idx.iter().filter(|&&i| out[i].hidden).count();
        if hidden == 1 && idx.len() > 1 {
            let next = idx
                .iter()
                .copied()
                .filter(|&i| !out[i].hidden && figures[i].people.unwrap_or(0) > 0)
                .min_by_key(|&i| figures[i].people.unwrap_or(i64::MAX));
            if let Some(i) = next {
                out[i].hidden = true;
                out[i].value = None;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(kind: &str, scope: &str, people: i64) -> Figure {
        Figure {
            indicator: "deld".into(),
            scope_kind: kind.into(),
            scope: scope.into(),
            value: Some(people as f64),
            people: Some(people),
        }
    }

    #[test]
    fn small_cells_and_their_complement_are_hidden() {
        let figures = vec![
            fig("national", "", 40),
            fig("innovation", "A", 3),
            fig("innovation", "B", 30),
            fig("innovation", "C", 7),
            fig("innovation", "D", 0),
        ];
        let p = publish(&figures, 5);
        let shown: Vec<String> = p.iter().map(|c| c.display(5)).collect();
        assert_eq!(shown, vec!["40", "< 5", "30", "< 5", "0"]);
        assert!(p[3].hidden, "secondary suppression hides the next smallest");
    }

    #[test]
    fn two_small_cells_need_no_secondary() {
        let figures = vec![
            fig("innovation", "A", 3),
            fig("innovation", "B", 2),
            fig("innovation", "C", 30),
        ];
        let p = publish(&figures, 5);
        assert_eq!(p.iter().filter(|c| c.hidden).count(), 2);
        assert!(!p[2].hidden);
    }

    #[test]
    fn non_people_figures_are_never_hidden() {
        let f = Figure {
            indicator: "structures".into(),
            scope_kind: "innovation".into(),
            scope: "A".into(),
            value: Some(1.0),
            people: None,
        };
        assert!(!publish(&[f], 5)[0].hidden);
    }
}
