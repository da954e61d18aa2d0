//! Small-count suppression for anything that leaves the operators' hands.
//!
//! **Primary**: a count covering 1 to `threshold - 1` people is hidden; a
//! rate is hidden when its denominator (people who left the programme) is.
//!
//! **Secondary, across every breakdown published together.** The counts of
//! people are published for the nation, innovations, départements,
//! structures, periods and their crossings (`file_scopes`, views.sql) and
//! by duration band. Each of those cells adds up from the same finest
//! cells, one per structure × period × band (the structure × period pairs
//! are public: the digest says who sent what). A reader who knows which
//! finest cells make up each published cell, and that counts are never
//! negative, could recompute a hidden cell whenever it is a linear
//! combination of published cells (the "differencing" attack: a period's
//! total minus the other structures of that period). This is the linked-
//! table audit used by statistical offices (Hundepool et al., *Statistical
//! Disclosure Control*, 2012, §4.4, and τ-ARGUS's audit): for each table,
//!
//! 1. every finest cell inside a published zero is known to be 0 and left
//!    out;
//! 2. the published cells' vectors over the finest cells are reduced to a
//!    basis (exact arithmetic modulo the prime 2³¹ − 1);
//! 3. a hidden cell whose vector reduces to nothing is recomputable; the
//!    reduction says from which published cells, and the smallest of them
//!    is hidden too (the national total last); the audit starts again until
//!    no hidden cell can be recomputed.
//!
//! The model assumes a person counts in one finest cell. A person followed
//! over several periods or structures makes the real totals smaller than
//! the sums; the suppression only grows more cautious for it. The property
//! test (`tests/it/props.rs`) plays the attacker with a linear programme
//! over random tables and fails if any hidden cell has a single possible
//! value.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::cell::{Cell, Kind, Leaf};
use crate::indicators::Figure;

/// What a published figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    /// Shown.
    Published,
    /// Hidden for privacy (« secret statistique »).
    Hidden,
    /// Nothing to show: a rate without a denominator.
    Undefined,
}

impl Status {
    /// As written in exports: `publié`, `masqué`, `non défini`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "publié",
            Status::Hidden => "masqué",
            Status::Undefined => "non défini",
        }
    }
}

/// What a hidden rate shows (a hidden count shows `< threshold`).
pub const SECRET: &str = "secret statistique";

/// A figure as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    pub indicator: String,
    pub scope_kind: String,
    pub scope: String,
    /// `None` when hidden or undefined.
    pub value: Option<f64>,
    pub status: Status,
}

impl Published {
    /// Whether the value is hidden for privacy.
    pub fn hidden(&self) -> bool {
        self.status == Status::Hidden
    }

    /// Whether the indicator is a rate.
    pub fn ratio(&self) -> bool {
        super::find(&self.indicator).is_some_and(|i| i.ratio)
    }

    /// As shown to people: the number, a percentage for rates, `< 5` for a
    /// hidden count, « secret statistique » for a hidden rate, `–` when
    /// undefined.
    pub fn display(&self, threshold: i64) -> String {
        match (self.status, self.value) {
            (Status::Hidden, _) if self.ratio() => SECRET.to_string(),
            (Status::Hidden, _) => format!("< {threshold}"),
            (_, None) => "–".to_string(),
            (_, Some(v)) if self.ratio() => crate::text::percent(v),
            (_, Some(v)) => format!("{}", v.round() as i64),
        }
    }

    /// Where it applies.
    pub fn cell(&self) -> Option<Cell> {
        Cell::parse(&self.scope_kind, &self.scope)
    }
}

fn primary(people: Option<i64>, threshold: i64) -> bool {
    matches!(people, Some(n) if n > 0 && n < threshold)
}

/// Applies primary and linked secondary suppression. `leaves` are the
/// structure × period pairs with current job seekers.
pub fn publish(figures: &[Figure], leaves: &[Leaf], threshold: i64) -> Vec<Published> {
    let cells: Vec<Option<Cell>> = figures
        .iter()
        .map(|f| Cell::parse(&f.scope_kind, &f.scope))
        .collect();
    let finest = |i: usize| cells[i].as_ref().is_some_and(Cell::is_finest);
    let mut hidden: Vec<bool> = figures
        .iter()
        .enumerate()
        .map(|(i, f)| !finest(i) && primary(f.people, threshold))
        .collect();
    // One table per indicator that counts people (for a rate: its
    // denominator, which a published rate and numerator give away).
    let mut tables: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, f) in figures.iter().enumerate() {
        if f.people.is_some() {
            let t = tables.entry(f.indicator.as_str()).or_default();
            if finest(i) {
                t.1.push(i);
            } else {
                t.0.push(i);
            }
        }
    }
    for (idx, finest_idx) in tables.values() {
        let table: Vec<(Option<Cell>, i64)> = idx
            .iter()
            .map(|&i| (cells[i].clone(), figures[i].people.unwrap_or(0)))
            .collect();
        let known: Vec<(Cell, i64)> = finest_idx
            .iter()
            .filter_map(|&i| Some((cells[i].clone()?, figures[i].people.unwrap_or(0))))
            .collect();
        let mut h: Vec<bool> = idx.iter().map(|&i| hidden[i]).collect();
        protect(&table, &known, leaves, &mut h);
        for (k, &i) in idx.iter().enumerate() {
            hidden[i] = h[k];
        }
    }
    // A rate is hidden when its numerator is.
    let numerators: BTreeMap<(&str, &str, &str), bool> = figures
        .iter()
        .zip(&hidden)
        .map(|(f, h)| {
            (
                (
                    f.indicator.as_str(),
                    f.scope_kind.as_str(),
                    f.scope.as_str(),
                ),
                *h,
            )
        })
        .collect();
    for (f, h) in figures.iter().zip(hidden.iter_mut()) {
        if let Some(num) = super::find(&f.indicator).and_then(|i| i.numerator) {
            if numerators.get(&(num, f.scope_kind.as_str(), f.scope.as_str())) == Some(&true) {
                *h = true;
            }
        }
    }
    figures
        .iter()
        .zip(hidden)
        .enumerate()
        .filter(|(i, _)| !finest(*i))
        .map(|(_, (f, h))| Published {
            indicator: f.indicator.clone(),
            scope_kind: f.scope_kind.clone(),
            scope: f.scope.clone(),
            value: if h { None } else { f.value },
            status: match (h, f.value) {
                (true, _) => Status::Hidden,
                (false, None) => Status::Undefined,
                (false, Some(_)) => Status::Published,
            },
        })
        .collect()
}

/// The figures as they are, nothing hidden (operators only).
pub fn raw(figures: &[Figure]) -> Vec<Published> {
    figures
        .iter()
        .map(|f| Published {
            indicator: f.indicator.clone(),
            scope_kind: f.scope_kind.clone(),
            scope: f.scope.clone(),
            value: f.value,
            status: if f.value.is_some() {
                Status::Published
            } else {
                Status::Undefined
            },
        })
        .collect()
}

const BANDS: [&str; 3] = ["<12", "12-35", "36+"];
const PRIME: u64 = 2_147_483_647;

/// The secondary suppression of one table (see the module's notes):
/// `hidden` grows until no hidden cell is a combination of published ones.
/// `finest` are the table's structure × period (× band) counts: a finest
/// cell that is empty is taken as known to be empty.
fn protect(
    cells: &[(Option<Cell>, i64)],
    finest: &[(Cell, i64)],
    leaves: &[Leaf],
    hidden: &mut [bool],
) {
    if !hidden.iter().any(|h| *h) {
        return;
    }
    // The finest cells: structure × period, × band when the table has
    // figures by band.
    let banded = cells
        .iter()
        .any(|(c, _)| c.as_ref().is_some_and(|c| c.band.is_some()));
    let bands: Vec<Option<&str>> = if banded {
        BANDS.iter().map(|b| Some(*b)).collect()
    } else {
        vec![None]
    };
    let columns: Vec<(&Leaf, Option<&str>)> = leaves
        .iter()
        .flat_map(|l| bands.iter().map(move |b| (l, *b)))
        .collect();
    let vectors: Vec<Option<Vec<u32>>> = cells
        .iter()
        .map(|(c, _)| {
            c.as_ref().map(|c| {
                (0..columns.len() as u32)
                    .filter(|&j| {
                        let (l, b) = columns[j as usize];
                        c.covers(l, b)
                    })
                    .collect()
            })
        })
        .collect();
    // Empty finest cells are taken as known: a reader may work them out
    // from published zeros and sums (counts are never negative), and once
    // every unknown is positive, a value pinned by the published cells is
    // a linear combination of them, which the audit below finds.
    let counted: Vec<&(Cell, i64)> = finest
        .iter()
        .filter(|(c, _)| c.band.is_some() == banded)
        .collect();
    let empty: BTreeSet<u32> = if counted.is_empty() {
        // Figures from before the finest cells were counted.
        BTreeSet::new()
    } else {
        (0..columns.len() as u32)
            .filter(|&j| {
                let (l, b) = columns[j as usize];
                !counted.iter().any(|(c, n)| *n > 0 && c.covers(l, b))
            })
            .collect()
    };
    loop {
        // Finest cells inside a published zero are known to be empty too.
        let known_zero: BTreeSet<u32> = cells
            .iter()
            .zip(&vectors)
            .zip(hidden.iter())
            .filter(|(((_, v), _), h)| *v == 0 && !**h)
            .filter_map(|((_, vec), _)| vec.as_ref())
            .flatten()
            .copied()
            .chain(empty.iter().copied())
            .collect();
        let unknown = |v: &Vec<u32>| -> Vec<u32> {
            v.iter()
                .copied()
                .filter(|j| !known_zero.contains(j))
                .collect()
        };
        let mut basis = Basis::default();
        let mut order: Vec<usize> = (0..cells.len())
            .filter(|&i| !hidden[i] && vectors[i].is_some())
            .collect();
        // Small cells first keeps the reduced rows sparse.
        order.sort_by_key(|&i| vectors[i].as_ref().map_or(0, Vec::len));
        for &i in &order {
            if let Some(v) = &vectors[i] {
                basis.insert(i, &unknown(v));
            }
        }
        let mut more: Vec<usize> = Vec::new();
        for i in (0..cells.len()).filter(|&i| hidden[i]) {
            let Some(v) = &vectors[i] else { continue };
            let v = unknown(v);
            if v.is_empty() {
                continue;
            }
            // Recomputable from these published cells: hide the smallest
            // of them, the national total last. (A cell hidden earlier in
            // this round may already protect it: the next round checks.)
            let Some(used) = basis.explain(&v) else {
                continue;
            };
            if used.iter().any(|k| more.contains(k)) {
                continue;
            }
            let pick = used
                .into_iter()
                .filter(|&k| cells[k].1 > 0)
                .min_by_key(|&k| {
                    let national = cells[k]
                        .0
                        .as_ref()
                        .is_some_and(|c| c.kind == Kind::National && c.period.is_none());
                    (
                        national,
                        cells[k].1,
                        vectors[k].as_ref().map_or(0, Vec::len),
                    )
                });
            if let Some(k) = pick {
                more.push(k);
            }
        }
        if more.is_empty() {
            return;
        }
        for k in more {
            hidden[k] = true;
        }
    }
}

/// Rows in echelon form over the integers modulo [`PRIME`], sparse, each
/// with the combination of published cells it stands for.
#[derive(Default)]
struct Basis {
    /// Each row's pivot column, entries (its pivot entry is 1) and
    /// combination; a row is zero at every pivot of the rows before it.
    rows: Vec<Row>,
}

/// A row of [`Basis`]: its pivot column, its entries, its combination.
struct Row {
    pivot: u32,
    entries: Vec<(u32, u64)>,
    combination: Combination,
}

/// Coefficients of published cells (by index).
type Combination = BTreeMap<usize, u64>;

fn add_scaled(acc: &mut Combination, other: &Combination, f: u64) {
    for (&k, &x) in other {
        let e = acc.entry(k).or_insert(0);
        *e = (*e + f * x) % PRIME;
        if *e == 0 {
            acc.remove(&k);
        }
    }
}

impl Basis {
    /// Reduces `v` by every row: what is left (sorted by column), and the
    /// combination of cells taken away.
    fn reduce(&self, v: &[u32]) -> (Vec<(u32, u64)>, Combination) {
        let mut acc: BTreeMap<u32, u64> = v.iter().map(|&j| (j, 1)).collect();
        let mut taken = Combination::new();
        for row in &self.rows {
            let Some(&f) = acc.get(&row.pivot) else {
                continue;
            };
            for &(j, x) in &row.entries {
                let e = acc.entry(j).or_insert(0);
                *e = (*e + PRIME - (f * x) % PRIME) % PRIME;
                if *e == 0 {
                    acc.remove(&j);
                }
            }
            add_scaled(&mut taken, &row.combination, f);
        }
        (acc.into_iter().collect(), taken)
    }

    /// Adds published cell `cell` with vector `v`.
    fn insert(&mut self, cell: usize, v: &[u32]) {
        let (rest, taken) = self.reduce(v);
        let Some(&(pivot, p)) = rest.first() else {
            return;
        };
        let inv = pow(p, PRIME - 2);
        // rest = v - taken: its combination is {cell: 1} - taken.
        let mut comb = Combination::from([(cell, 1)]);
        add_scaled(&mut comb, &taken, PRIME - 1);
        for x in comb.values_mut() {
            *x = *x * inv % PRIME;
        }
        let entries = rest
            .into_iter()
            .map(|(j, x)| (j, x * inv % PRIME))
            .collect();
        self.rows.push(Row {
            pivot,
            entries,
            combination: comb,
        });
    }

    /// The published cells whose combination gives `v`, if one does.
    fn explain(&self, v: &[u32]) -> Option<Vec<usize>> {
        let (rest, taken) = self.reduce(v);
        rest.is_empty().then(|| taken.into_keys().collect())
    }
}

fn pow(mut b: u64, mut e: u64) -> u64 {
    let mut r = 1;
    b %= PRIME;
    while e > 0 {
        if e & 1 == 1 {
            r = r * b % PRIME;
        }
        b = b * b % PRIME;
        e >>= 1;
    }
    r
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

    fn leaf(s: &str, i: &str, d: &str, p: &str) -> Leaf {
        Leaf {
            structure: s.into(),
            innovation: i.into(),
            departement: d.into(),
            period: p.into(),
        }
    }

    #[test]
    fn a_small_cell_and_one_that_would_give_it_away_are_hidden() {
        // Three structures of three innovations: the national total minus
        // two innovations would give the third.
        let leaves = [
            leaf("SA", "A", "33", "2019-T1"),
            leaf("SB", "B", "33", "2019-T1"),
            leaf("SC", "C", "75", "2019-T1"),
        ];
        let figures = vec![
            fig("national", "", 40),
            fig("innovation", "A", 3),
            fig("innovation", "B", 30),
            fig("innovation", "C", 7),
        ];
        let p = publish(&figures, &leaves, 5);
        let shown: Vec<String> = p.iter().map(|c| c.display(5)).collect();
        assert_eq!(shown, vec!["40", "< 5", "30", "< 5"]);
        assert_eq!(p[3].status, Status::Hidden);
    }

    #[test]
    fn a_period_with_one_structure_is_hidden_with_it() {
        // The review's case: JESS-BDX-01 is the only file of 2019-T2.
        let leaves = [
            leaf("JESS-BDX-01", "JESS", "33", "2019-T2"),
            leaf("TAPAJ-01", "TAPAJ", "75", "2019-T1"),
        ];
        let figures = vec![
            fig("national", "", 33),
            fig("structure", "JESS-BDX-01", 4),
            fig("structure", "TAPAJ-01", 29),
            fig("period", "2019-T2", 4),
            fig("period", "2019-T1", 29),
        ];
        let p = publish(&figures, &leaves, 5);
        let hidden: Vec<&str> = p
            .iter()
            .filter(|c| c.hidden())
            .map(|c| c.scope.as_str())
            .collect();
        assert!(hidden.contains(&"2019-T2"), "{hidden:?}");
        // And one more, or the national total would give both away.
        assert!(hidden.len() >= 3, "{hidden:?}");
        assert!(!p[0].hidden(), "the national total stays");
    }

    #[test]
    fn published_zeros_are_not_enough_to_recompute() {
        let leaves = [
            leaf("S1", "A", "33", "T1"),
            leaf("S2", "A", "33", "T1"),
            leaf("S3", "B", "75", "T1"),
        ];
        let figures = vec![
            fig("national", "", 20),
            fig("structure", "S1", 3),
            fig("structure", "S2", 17),
            fig("structure", "S3", 0),
            fig("innovation", "A", 20),
        ];
        let p = publish(&figures, &leaves, 5);
        assert!(p[1].hidden());
        assert!(p[2].hidden(), "S2 = A - S1 would give S1 away");
    }

    #[test]
    fn a_rate_is_hidden_with_its_numerator_and_says_so() {
        let leaves = [leaf("S1", "A", "33", "T1"), leaf("S2", "B", "33", "T1")];
        let mk = |ind: &str, scope: &str, value: f64, people: i64| Figure {
            indicator: ind.into(),
            scope_kind: "innovation".into(),
            scope: scope.into(),
            value: Some(value),
            people: Some(people),
        };
        let figures = vec![
            mk("exits_to_employment", "A", 3.0, 3),
            mk("exits_to_employment", "B", 10.0, 10),
            mk("exit_rate", "A", 0.3, 10),
            mk("exit_rate", "B", 0.5, 20),
        ];
        let p = publish(&figures, &leaves, 5);
        assert!(p[0].hidden() && p[2].hidden());
        assert_eq!(p[2].display(5), SECRET);
        assert_eq!(p[0].display(5), "< 5");
    }

    #[test]
    fn non_people_figures_are_never_hidden_and_empty_is_not_hidden() {
        let f = Figure {
            indicator: "structures".into(),
            scope_kind: "innovation".into(),
            scope: "A".into(),
            value: Some(1.0),
            people: None,
        };
        assert!(!publish(&[f], &[], 5)[0].hidden());
        let rate = Figure {
            indicator: "exit_rate".into(),
            scope_kind: "national".into(),
            scope: String::new(),
            value: None,
            people: Some(0),
        };
        let p = publish(&[rate], &[], 5);
        assert_eq!(p[0].status, Status::Undefined);
        assert_eq!(p[0].display(5), "–");
    }
}

#[cfg(test)]
mod scale {
    use super::*;

    /// Ten years of 65 structures with some small cells: how long the audit
    /// takes (run by hand: `cargo test --release publish_at_scale -- --ignored`).
    #[test]
    #[ignore = "timing, by hand"]
    fn publish_at_scale() {
        let mut leaves = Vec::new();
        for s in 0..65 {
            for p in 0..40 {
                // Five structures sent one small file each.
                if s >= 60 && p != s - 60 {
                    continue;
                }
                leaves.push(Leaf {
                    structure: format!("S{s:02}"),
                    innovation: format!("I{}", s % 8),
                    departement: format!("{:02}", 10 + s % 25),
                    period: format!("{}-T{}", 2016 + p / 4, p % 4 + 1),
                });
            }
        }
        let value = |l: &Leaf| -> i64 {
            let h = l.structure.bytes().map(i64::from).sum::<i64>() * 7
                + l.period.bytes().map(i64::from).sum::<i64>();
            if l.structure.as_str() >= "S60" {
                2
            } else {
                20 + h % 50
            }
        };
        let mut sums: BTreeMap<(String, String), i64> = BTreeMap::new();
        for l in &leaves {
            for (k, s) in [
                ("national", String::new()),
                ("innovation", l.innovation.clone()),
                ("departement", l.departement.clone()),
                ("structure", l.structure.clone()),
                ("period", l.period.clone()),
                (
                    "innovation_period",
                    format!("{}|{}", l.innovation, l.period),
                ),
                (
                    "departement_period",
                    format!("{}|{}", l.departement, l.period),
                ),
                (
                    "departement_innovation",
                    format!("{}|{}", l.departement, l.innovation),
                ),
            ] {
                *sums.entry((k.to_string(), s)).or_default() += value(l);
            }
        }
        let figures: Vec<Figure> = sums
            .into_iter()
            .map(|((k, s), n)| Figure {
                indicator: "job_seekers".into(),
                scope_kind: k,
                scope: s,
                value: Some(n as f64),
                people: Some(n),
            })
            .collect();
        let t0 = std::time::Instant::now();
        let p = publish(&figures, &leaves, 5);
        eprintln!(
            "{} cells, {} leaves, {} hidden, {:?}",
            p.len(),
            leaves.len(),
            p.iter().filter(|c| c.hidden()).count(),
            t0.elapsed()
        );
    }
}
