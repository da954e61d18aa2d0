//! What each reader gets, on the published figures' fixture set: the
//! digest of a national, an innovation and a département reader, each from
//! its own scope's figures and chart, agreeing with `indicators`; and the
//! tidy export with rates in % (issue "Get every reader the right thing").

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::util::{drop_into, essaim_with, fixture_files, s, temp_config};

const KEY: (&str, &str) = (
    "ESSAIM_HASH_KEY",
    "test-key-0123456789abcdef0123456789abcdef",
);

fn published(config: &Path, by: &str) -> Value {
    let mut args = vec!["indicators", "--format", "json"];
    if by != "national" {
        args.extend(["--by", by]);
    }
    let run = essaim_with(config, &args, &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

/// `data-code` of each line of the digest's breakdown table.
fn breakdown_codes(html: &str) -> BTreeSet<String> {
    let table = html
        .split("id=\"repartition\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or("");
    table
        .split("data-code=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap_or("").to_string())
        .collect()
}

fn headline(html: &str, indicator: &str) -> String {
    let needle = format!("data-indicator=\"{indicator}\"><strong>");
    html.split(&needle)
        .nth(1)
        .and_then(|t| t.split("</strong>").next())
        .unwrap_or_else(|| panic!("{indicator} not in the digest"))
        .replace("&lt;", "<")
}

fn registry() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/structures.csv"),
    )
    .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (x[0].to_string(), x[2].to_string(), x[3].to_string())
        })
        .collect()
}

#[test]
fn each_reader_gets_its_own_scope_and_the_export_is_tidy() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("figures"));
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The funders' figures are large enough to be published as they are.
    let national = published(&config, "national");
    for (k, v) in [("deld", 622), ("professionals", 338), ("companies", 167)] {
        assert_eq!(national[k], v, "{national:#}");
    }
    let by_innovation = published(&config, "innovation");
    let by_departement = published(&config, "departement");
    let structures = registry();
    let mut pngs = Vec::new();
    for (scope, kind) in [
        ("national", "national"),
        ("innovation:TAPAJ", "innovation"),
        ("departement:33", "departement"),
    ] {
        let out = dir.path().join(scope.replace(':', "-"));
        let run = essaim_with(
            &config,
            &["digest", "--preview", s(&out), "--scope", scope],
            &[KEY],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let html = std::fs::read_to_string(out.join("digest.html")).unwrap();
        assert!(html.contains(&format!("data-scope=\"{kind}\"")), "{html}");
        let codes = breakdown_codes(&html);
        let deld = headline(&html, "deld");
        match kind {
            "national" => {
                assert_eq!(deld, "622");
                assert_eq!(codes.len(), 8, "every innovation: {codes:?}");
            }
            "innovation" => {
                // Its own structures, none of another innovation.
                let mine: BTreeSet<String> = structures
                    .iter()
                    .filter(|(_, i, _)| i == "TAPAJ")
                    .map(|(c, _, _)| c.clone())
                    .collect();
                assert_eq!(codes, mine);
                let expected = &by_innovation["deld"]["TAPAJ"];
                assert_eq!(deld, expected.to_string().trim_matches('"'));
            }
            _ => {
                // The innovations that have structures in Gironde.
                let mine: BTreeSet<String> = structures
                    .iter()
                    .filter(|(_, _, d)| d == "33")
                    .map(|(_, i, _)| i.clone())
                    .collect();
                assert_eq!(codes, mine);
                let expected = &by_departement["deld"]["33"];
                assert_eq!(deld, expected.to_string().trim_matches('"'));
                assert!(html.contains("Gironde"), "the département's name");
            }
        }
        // The Insee reference names the band it does not publish.
        assert!(html.contains("non publié par l&#x27;Insee"), "{html}");
        assert!(html.contains("Référence Insee 2016"));
        let png = std::fs::read(out.join("graphique.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{scope}: a chart");
        pngs.push(png);
    }
    assert_ne!(
        pngs[0], pngs[1],
        "the innovation's reader has its own chart"
    );
    assert_ne!(
        pngs[0], pngs[2],
        "the département's reader has its own chart"
    );
    assert_ne!(pngs[1], pngs[2]);

    // The export: rates as fractions in % format, counts as integers.
    let out = dir.path().join("export");
    let run = essaim_with(&config, &["export", s(&out)], &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let (rate, deld): (f64, f64) = conn
        .query_row(
            &format!(
                "SELECT max(valeur) FILTER (WHERE indicateur = 'exit_rate' AND perimetre = 'national' AND periode IS NULL AND duree_chomage IS NULL),
                        max(valeur) FILTER (WHERE indicateur = 'deld' AND perimetre = 'national' AND periode IS NULL)
                 FROM read_csv('{}')",
                out.join("figures.csv").display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!((0.0..=1.0).contains(&rate), "a rate is a fraction: {rate}");
    assert!((deld - 622.0).abs() < f64::EPSILON, "{deld}");
    let script = r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["Chiffres"]
rows = [r for r in ws.iter_rows(min_row=2) if r[0].value == "exit_rate" and r[3].value == "national" and r[7].value is None and r[8].value is None]
print(rows[0][9].number_format, rows[0][9].value)
"#;
    match std::process::Command::new("python3")
        .args(["-c", script, s(&out.join("figures.xlsx"))])
        .output()
    {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            assert!(text.starts_with("0.0% "), "{text}");
            let v: f64 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
            assert!((v - rate).abs() < 1e-9, "{text}");
        }
        other => eprintln!("openpyxl unavailable ({other:?}); the CSV and Parquet were checked"),
    }
}
