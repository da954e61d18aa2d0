//! Hostile and strange input: every file of `../shared/corpora` (peers'
//! test suites, fuzzed and password-protected files, real French extracts)
//! goes through `essaim validate` without a panic or a hang, and each one is
//! read or refused with a reason.

use std::collections::BTreeMap;

use super::util::{corpora, essaim, s};

#[test]
fn every_corpus_file_is_read_or_refused_with_a_reason() {
    let dir = corpora();
    assert!(
        dir.is_dir(),
        "the shared corpora are expected beside the clone at {}",
        dir.display()
    );
    let expected = essaim::ingest::discover(std::slice::from_ref(&dir))
        .unwrap()
        .files
        .len();
    let run = essaim(&["validate", "--format", "json", s(&dir)]);
    assert!(
        matches!(run.code, 0..=2),
        "exit {}: {}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["files"].as_u64().unwrap() as usize, expected);
    let mut by_name = BTreeMap::new();
    for r in v["reports"].as_array().unwrap() {
        let path = r["path"].as_str().unwrap().to_string();
        if r["verdict"] == "file_rejected" {
            let reason = r["reason"].as_str().unwrap_or_default();
            assert!(!reason.is_empty(), "{path} refused without a reason");
        }
        by_name.insert(path.rsplit('/').next().unwrap().to_string(), r.clone());
    }
    let reason = |name: &str| {
        by_name[name]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    for protected in ["pass_protected.xlsb", "encrypted_no_password.xls"] {
        assert!(
            reason(protected).contains("protégé par un mot de passe"),
            "{protected}: {}",
            reason(protected)
        );
    }
    for hostile in [
        "issue_594_dos.ods",
        "OOM_alloc.xls",
        "OOM_alloc2.xls",
        "OOM_alloc3.xls",
        "too_small.xls",
        "issue252.xlsx",
    ] {
        assert_eq!(by_name[hostile]["verdict"], "file_rejected", "{hostile}");
    }
}
