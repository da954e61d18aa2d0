//! Names, birth dates and job-seeker identifiers from the files never reach
//! the terminal, the logs or the reports.

use std::collections::BTreeSet;

use essaim::ingest::{self, SourceFile};
use essaim::model::limits::Limits;
use essaim::model::template::{Field, Table};
use essaim::validate::header;

use super::util::{essaim, fixture, s};

/// Every identity value written in the fixtures, read with the library.
pub fn identity_values() -> BTreeSet<String> {
    let files = ingest::discover(&[fixture("")]).unwrap().files;
    let mut out = BTreeSet::new();
    for path in files {
        let Ok(file) = SourceFile::open(&path, &Limits::default()) else {
            continue;
        };
        let Ok(wb) = ingest::read(&file, &Limits::default(), ingest::all_sheets) else {
            continue;
        };
        for sheet in &wb.sheets {
            for table in [Table::Demandeurs, Table::Professionnels] {
                let Ok(map) = header::locate(sheet, table, &std::collections::BTreeMap::default())
                else {
                    continue;
                };
                for (field, (col, _)) in &map.columns {
                    if !field.is_identity()
                        || (table == Table::Professionnels && *field == Field::DateNaissance)
                    {
                        continue;
                    }
                    for row in &sheet.rows[map.row_index + 1..] {
                        let v = row.cell(*col).display().trim().to_string();
                        if v.len() >= 4 && !v.eq_ignore_ascii_case("total") {
                            out.insert(v);
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_identity_reaches_stdout_stderr_or_reports() {
    let values = identity_values();
    assert!(
        values.contains("ZORGLUBIENNE")
            && values.contains("1234567A")
            && values.contains("12/05/1980"),
        "{values:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let mut haystack = String::new();
    for format in ["table", "json"] {
        let run = essaim(&[
            "-vv",
            "validate",
            "--format",
            format,
            "--report",
            s(&reports),
            s(&fixture("")),
        ]);
        assert!(matches!(run.code, 1 | 2), "{}", run.stderr);
        haystack.push_str(&run.stdout);
        haystack.push_str(&run.stderr);
    }
    for entry in std::fs::read_dir(&reports).unwrap() {
        haystack.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(
        haystack.contains("***"),
        "identity values are masked, not dropped"
    );
    for v in &values {
        assert!(
            !haystack.contains(v.as_str()),
            "identity value «{v}» leaked"
        );
    }
}
