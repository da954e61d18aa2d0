//! Property tests of the invariants: whatever the rows, rows read =
//! accepted + rejected, every rejected row has at least one reason, and
//! judging never panics.

use std::collections::BTreeSet;
use std::path::Path;

use essaim::config::Config;
use essaim::ingest::SourceFile;
use essaim::validate::{judge, Context};
use proptest::prelude::*;

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("1234567A".to_string()),
        Just("33000".to_string()),
        Just("330".to_string()),
        Just("10/01/2019".to_string()),
        Just("31/02/2019".to_string()),
        Just("2099-01-01".to_string()),
        Just("14".to_string()),
        Just("12,5".to_string()),
        Just("CDI".to_string()),
        Just("En cours".to_string()),
        Just("#REF!".to_string()),
        Just("Total".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn counts_add_up_whatever_the_rows(rows in prop::collection::vec(prop::collection::vec(cell(), 11), 0..40)) {
        let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/essaim.toml")).unwrap();
        let ctx = Context::new(&config, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let headers = essaim::model::template::Table::Demandeurs.columns().iter().map(|c| c.header).collect::<Vec<_>>().join(";");
        let mut text = format!("{headers}\n");
        for r in &rows {
            text.push_str(&r.iter().map(|c| c.replace([';', '"', '\n', '\r'], " ")).collect::<Vec<_>>().join(";"));
            text.push('\n');
        }
        let file = SourceFile::from_bytes(Path::new("TAPAJ-TLS-06_2019-T1_demandeurs.csv"), text.into_bytes(), chrono::Utc::now());
        let report = judge(&file, &ctx);
        if let Some(t) = report.tables.first() {
            prop_assert_eq!(t.rows, t.accepted + t.rejected);
            let rejected_rows: BTreeSet<u32> = report.rejections.iter().map(|j| j.row).collect();
            prop_assert_eq!(rejected_rows.len(), t.rejected);
            prop_assert_eq!(report.data.job_seekers.len(), t.accepted);
        } else {
            prop_assert!(report.reason.is_some());
        }
    }
}

// The linked suppression against a reader who knows which structure sent
// which period and plays with every published figure: for random tables
// (additive: each person in one structure × period × band), a linear
// programme finds the smallest and largest value each hidden cell can take
// given the published cells and counts never negative. A hidden cell with
// one possible value has leaked.
mod suppression {
    use std::collections::BTreeMap;

    use essaim::indicators::publish::publish;
    use essaim::indicators::{Cell, Figure, Leaf};
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    use proptest::prelude::*;

    const BANDS: [&str; 3] = ["<12", "12-35", "36+"];

    /// Every scope the SQL gives figures for (`file_scopes`, views.sql,
    /// and the duration crossings of exits_to_employment.sql), the finest
    /// cells included (they are never published).
    fn scopes(leaves: &[Leaf]) -> Vec<(String, String)> {
        let mut out = vec![("national".to_string(), String::new())];
        for l in leaves {
            out.extend([
                ("innovation".into(), l.innovation.clone()),
                ("departement".into(), l.departement.clone()),
                ("structure".into(), l.structure.clone()),
                ("period".into(), l.period.clone()),
                (
                    "innovation_period".into(),
                    format!("{}|{}", l.innovation, l.period),
                ),
                (
                    "departement_period".into(),
                    format!("{}|{}", l.departement, l.period),
                ),
                (
                    "departement_innovation".into(),
                    format!("{}|{}", l.departement, l.innovation),
                ),
                // The finest cells, never published.
                (
                    "structure_period".into(),
                    format!("{}|{}", l.structure, l.period),
                ),
            ]);
            for b in BANDS {
                out.extend([
                    ("duration".into(), b.to_string()),
                    (
                        "innovation_duration".into(),
                        format!("{}|{b}", l.innovation),
                    ),
                    (
                        "departement_duration".into(),
                        format!("{}|{b}", l.departement),
                    ),
                    (
                        "structure_period_duration".into(),
                        format!("{}|{}|{b}", l.structure, l.period),
                    ),
                ]);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn table() -> impl Strategy<Value = (Vec<Leaf>, Vec<u32>)> {
        // Up to 6 structures over 3 innovations and 3 départements, up to
        // 3 periods; a structure × period sent with some probability.
        let structures = proptest::collection::vec((0..3u8, 0..3u8), 1..=6);
        (structures, 1..=3usize)
            .prop_flat_map(|(structures, periods)| {
                let n = structures.len() * periods;
                (
                    Just(structures),
                    Just(periods),
                    proptest::collection::vec(any::<bool>(), n),
                    proptest::collection::vec(prop_oneof![Just(0u32), 1..4u32, 4..15u32], n * 3),
                )
            })
            .prop_map(|(structures, periods, sent, people)| {
                let mut leaves = Vec::new();
                let mut values = Vec::new();
                for (s, (i, d)) in structures.iter().enumerate() {
                    for p in 0..periods {
                        let k = s * periods + p;
                        if sent[k] || (leaves.is_empty() && k + 1 == sent.len()) {
                            leaves.push(Leaf {
                                structure: format!("S{s}"),
                                innovation: format!("I{i}"),
                                departement: format!("D{d}"),
                                period: format!("2019-T{}", p + 1),
                            });
                            values.extend_from_slice(&people[k * 3..k * 3 + 3]);
                        }
                    }
                }
                (leaves, values)
            })
    }

    /// The range of a hidden cell's possible values.
    fn range(
        columns: &[(usize, usize)],
        published: &[(Vec<usize>, f64)],
        hidden: &[usize],
    ) -> (f64, f64) {
        let bound = |direction| {
            let mut lp = Problem::new(direction);
            let vars: Vec<_> = (0..columns.len())
                .map(|j| {
                    lp.add_var(
                        if hidden.contains(&j) { 1.0 } else { 0.0 },
                        (0.0, f64::INFINITY),
                    )
                })
                .collect();
            for (cols, value) in published {
                let expr: Vec<_> = cols.iter().map(|&j| (vars[j], 1.0)).collect();
                lp.add_constraint(expr.as_slice(), ComparisonOp::Eq, *value);
            }
            match lp.solve() {
                Ok(s) => s.objective(),
                // Unbounded above (a cell nothing published covers).
                Err(_) => f64::INFINITY,
            }
        };
        (
            bound(OptimizationDirection::Minimize),
            bound(OptimizationDirection::Maximize),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn no_hidden_cell_can_be_recomputed_from_the_published_ones(
            (leaves, values) in table()
        ) {
            let columns: Vec<(usize, usize)> =
                (0..leaves.len()).flat_map(|l| (0..3).map(move |b| (l, b))).collect();
            let mut figures = Vec::new();
            let mut members: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
            for (kind, scope) in scopes(&leaves) {
                let Some(cell) = Cell::parse(&kind, &scope) else { continue };
                let cols: Vec<usize> = columns
                    .iter()
                    .enumerate()
                    .filter(|(_, (l, b))| cell.covers(&leaves[*l], Some(BANDS[*b])))
                    .map(|(j, _)| j)
                    .collect();
                // Cells by band exist only for the indicator by duration.
                let people: u32 = cols.iter().map(|&j| values[j]).sum();
                figures.push(Figure {
                    indicator: "exits_to_employment".into(),
                    scope_kind: kind.clone(),
                    scope: scope.clone(),
                    value: Some(f64::from(people)),
                    people: Some(i64::from(people)),
                });
                members.insert((kind, scope), cols);
            }
            let published = publish(&figures, &leaves, 5);
            let known: Vec<(Vec<usize>, f64)> = published
                .iter()
                .filter(|p| !p.hidden())
                .map(|p| (members[&(p.scope_kind.clone(), p.scope.clone())].clone(), p.value.unwrap_or(0.0)))
                .collect();
            for p in published.iter().filter(|p| p.hidden()) {
                let cols = &members[&(p.scope_kind.clone(), p.scope.clone())];
                let (lo, hi) = range(&columns, &known, cols);
                prop_assert!(
                    hi - lo > 0.5,
                    "{} {} can only be {lo} (published: {:?})",
                    p.scope_kind, p.scope,
                    published.iter().filter(|c| !c.hidden()).map(|c| format!("{} {}={:?}", c.scope_kind, c.scope, c.value)).collect::<Vec<_>>()
                );
            }
        }
    }
}
