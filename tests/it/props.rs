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
