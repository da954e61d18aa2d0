//! Hostile and broken inputs thrown at the real binary, beside valid files:
//! the valid files' figures are unchanged, each hostile file is refused
//! with a reason (or passed over and recorded), a second run passes, peak
//! memory stays bounded, and nothing personal or executable comes out.
//! Each case is one the hostile-input review found (issue "Survive any file
//! and any fault").

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::util::{drop_into, essaim_with, fixture, fixture_files, s, temp_config};

const KEY: (&str, &str) = (
    "ESSAIM_HASH_KEY",
    "test-key-0123456789abcdef0123456789abcdef",
);
const OTHER_KEY: (&str, &str) = (
    "ESSAIM_HASH_KEY",
    "another-key-0123456789abcdef0123456789abcd",
);

/// Sets `key = value` lines of the configuration.
pub fn set_config(config: &Path, pairs: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(config).unwrap();
    for (k, v) in pairs {
        let start = text
            .find(&format!("\n{k} = "))
            .unwrap_or_else(|| panic!("{k} not in the configuration"))
            + 1;
        let end = start + text[start..].find('\n').unwrap();
        text.replace_range(start..end, &format!("{k} = {v}"));
    }
    std::fs::write(config, text).unwrap();
}

/// Limits small enough for hostile files to hit them quickly.
fn tight(config: &Path) {
    set_config(
        config,
        &[
            ("max_rows", "100000"),
            ("max_rejections", "100"),
            ("worker_memory_mib", "768"),
            ("file_timeout_secs", "20"),
            ("max_attachment_kib", "64"),
        ],
    );
}

fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The entries of a zip file.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut body = Vec::new();
            f.read_to_end(&mut body).unwrap();
            (f.name().unwrap().to_string(), body)
        })
        .collect()
}

/// A valid workbook with one entry rewritten.
fn rewrite(valid: &[u8], entry: &str, f: impl Fn(&str) -> String) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = unzip(valid)
        .into_iter()
        .map(|(n, b)| {
            if n == entry {
                let text = String::from_utf8(b).unwrap();
                (n, f(&text).into_bytes())
            } else {
                (n, b)
            }
        })
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    zip(&refs)
}

fn valid_xlsx() -> Vec<u8> {
    std::fs::read(fixture("validate/valide.xlsx")).unwrap()
}

/// An xlsx whose sharedStrings.xml claims 10^14 strings (aborted the
/// process with "memory allocation of 2400000000000000 bytes failed").
fn shared_strings_claim() -> Vec<u8> {
    rewrite(&valid_xlsx(), "xl/sharedStrings.xml", |t| {
        let start = t.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
        let end = start + t[start..].find('"').unwrap();
        let claimed = format!("{}100000000000000{}", &t[..start], &t[end..]);
        // One more string first: every index shifts, so that a reader that
        // survives the claim still finds no valid file.
        let at = claimed.find("<si>").unwrap();
        format!("{}<si><t>x</t></si>{}", &claimed[..at], &claimed[at..])
    })
}

/// Three million tiny shared strings: far under the uncompressed limit,
/// but hundreds of MiB once parsed.
fn shared_strings_bomb() -> Vec<u8> {
    rewrite(&valid_xlsx(), "xl/sharedStrings.xml", |t| {
        let at = t.find("<si>").unwrap();
        let mut out = String::with_capacity(50_000_000);
        out.push_str(&t[..at]);
        for _ in 0..3_000_000 {
            out.push_str("<si><t>x</t></si>");
        }
        out.push_str(&t[at..]);
        out
    })
}

/// A valid workbook whose every string index is shifted by one: still a
/// workbook, but its `Structure` sheet no longer says which structure.
fn shifted() -> Vec<u8> {
    rewrite(&valid_xlsx(), "xl/sharedStrings.xml", |t| {
        let at = t.find("<si>").unwrap();
        format!("{}<si><t>x</t></si>{}", &t[..at], &t[at..])
    })
}

/// A sheet of a million nested elements.
fn deep_xml() -> Vec<u8> {
    rewrite(&shifted(), "xl/worksheets/sheet2.xml", |_| {
        let mut out = String::from("<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>");
        out.push_str(&"<row>".repeat(1_000_000));
        out.push_str(&"</row>".repeat(1_000_000));
        out.push_str("</sheetData></worksheet>");
        out
    })
}

/// A 4 KB ODS whose rows repeat 16,384 columns (5.7 GB RSS before).
fn ods_repeated() -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>
<table:table table:name="Structure"><table:table-row><table:table-cell office:value-type="string"><text:p>Code structure</text:p></table:table-cell></table:table-row></table:table>
<table:table table:name="Demandeurs d'emploi">{}</table:table>
<table:table table:name="Entreprises et partenaires"/>
</office:spreadsheet></office:body></office:document-content>"#,
        // 98 million cells: under calamine's own cell limit, gigabytes once
        // read.
        r#"<table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
        ),
        ("META-INF/manifest.xml", manifest.as_bytes().to_vec()),
        ("content.xml", content.into_bytes()),
    ])
}

/// `n` rows of a job-seeker CSV, every one invalid.
fn invalid_rows(n: usize) -> Vec<u8> {
    let mut out = String::from(
        "Identifiant France Travail;Code postal;Date d'entrée;Durée de chômage (mois)\n",
    );
    for i in 0..n {
        out.push_str(&format!("X{i};ABCDE;31/02/2019;-1\n"));
    }
    out.into_bytes()
}

/// A job-seeker CSV whose rejected values would leak or run: a birth date
/// written as a number, and formulas.
fn leaky_and_formulas() -> Vec<u8> {
    "Identifiant France Travail;Nom;Prénom;Date de naissance;Code postal;Date d'entrée;Durée de chômage (mois);Situation à la sortie\n\
     ;Zorglubienne;Amandine;19850312;75011;04/02/2019;14;En cours\n\
     ;Zorglubienne;Amandine;31/13/1985;75011;04/02/2019;14;En cours\n\
     4455667B;;;;=HYPERLINK(\"http://evil.example\");04/02/2019;14;En cours\n\
     4455667C;;;;75011;04/02/2019;@SUM(1+1);En cours\n\
     4455667D;;;;75011;04/02/2019;+cmd|' /C calc'!A0;En cours\n"
        .as_bytes()
        .to_vec()
}

/// Runs essaim under a Python parent that reports the peak resident memory
/// of every process below it (essaim and its workers), in KiB.
fn run_measured(config: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, u64) {
    let script = "import resource, subprocess, sys\n\
                  r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n\
                  sys.stdout.write(r.stdout.decode('utf-8', 'replace'))\n\
                  sys.stderr.write('PEAK %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
                  sys.exit(r.returncode)\n";
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_essaim"))
        .arg("--config")
        .arg(config)
        .arg("--log-format")
        .arg("json")
        .args(args)
        .env_remove("ESSAIM_HASH_KEY")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("PEAK "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak measured: {stderr}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        peak,
    )
}

fn headline(config: &Path) -> Value {
    let run = essaim_with(config, &["indicators", "--format", "json", "--raw"], &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

fn query(config: &Path, sql: &str) -> Vec<Vec<String>> {
    let conn =
        duckdb::Connection::open(config.parent().unwrap().join("data/essaim.duckdb")).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    let _ = n;
    let rows = stmt
        .query_map([], |r| {
            let mut v = Vec::new();
            let mut i = 0;
            while let Ok(x) = r.get::<_, duckdb::types::Value>(i) {
                v.push(match x {
                    duckdb::types::Value::Null => String::new(),
                    duckdb::types::Value::Text(t) => t,
                    other => format!("{other:?}"),
                });
                i += 1;
            }
            Ok(v)
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// Every byte essaim wrote under the data folder, but the archive and
/// quarantine (which hold the originals as sent, on purpose).
fn written_bytes(data: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![data.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                if name != "archive" && name != "quarantine" {
                    stack.push(p);
                }
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn hostile_files_beside_valid_ones_change_nothing_and_are_refused_with_a_reason() {
    // The valid files alone, for the reference figures.
    let base_dir = tempfile::tempdir().unwrap();
    let base = temp_config(base_dir.path());
    drop_into(&base_dir.path().join("inbox"), &fixture_files("inbox"));
    let run = essaim_with(&base, &["run"], &[KEY]);
    assert!(matches!(run.code, 0..=2), "{}", run.stderr);
    let reference = headline(&base);

    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    tight(&config);
    let inbox = dir.path().join("inbox");
    drop_into(&inbox, &fixture_files("inbox"));
    let hostile: Vec<(String, Vec<u8>)> = vec![
        (
            "chaines-partagees-annoncees.xlsx".into(),
            shared_strings_claim(),
        ),
        ("chaines-partagees-bombe.xlsx".into(), shared_strings_bomb()),
        ("xml-profond.xlsx".into(), deep_xml()),
        ("colonnes-repetees.ods".into(), ods_repeated()),
        (
            "TAPAJ-TLS-06_2019-T2_demandeurs.csv".into(),
            invalid_rows(150_000),
        ),
        (
            "TAPAJ-TLS-06_2019-T3_demandeurs.csv".into(),
            invalid_rows(5_000),
        ),
        (
            "TAPAJ-TLS-06_2019-T4_demandeurs.csv".into(),
            leaky_and_formulas(),
        ),
        (
            format!("{}.xlsx", "n".repeat(246)),
            b"not a workbook at all".to_vec(),
        ),
        (
            "\u{1b}[31mrouge\u{1b}]0;titre\u{7}.xlsx".into(),
            b"PK\x03\x04broken".to_vec(),
        ),
    ];
    for (name, bytes) in &hostile {
        std::fs::write(inbox.join(name), bytes).unwrap();
    }
    for oom in ["OOM_alloc.xls", "OOM_alloc2.xls", "OOM_alloc3.xls"] {
        let p = super::util::corpora().join("calamine-tests").join(oom);
        if p.exists() {
            std::fs::copy(&p, inbox.join(oom)).unwrap();
        }
    }
    // Not regular files: never followed, never read, never hanging.
    std::os::unix::fs::symlink("/etc/passwd", inbox.join("passwd.csv")).unwrap();
    let fifo = inbox.join("tube.csv");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a plain mkfifo call on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let sub = inbox.join("illisible");
    std::fs::create_dir(&sub).unwrap();

    let started = std::time::Instant::now();
    let (code, stdout, peak_kib) = run_measured(&config, &["run", "--format", "json"], &[KEY]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        started.elapsed().as_secs() < 240,
        "the run took {:?}",
        started.elapsed()
    );
    // Memory: the biggest process below the run, workers included.
    assert!(
        peak_kib < 1_000 * 1024,
        "peak resident memory {peak_kib} KiB"
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(!stdout.contains('\u{1b}'), "raw escape printed");
    let files = v["run"]["files"].as_array().unwrap();
    let refused: Vec<&Value> = files
        .iter()
        .filter(|f| f["verdict"] == "file_rejected")
        .collect();
    for (name, _) in &hostile {
        let f = files
            .iter()
            .find(|f| f["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} not reported: {stdout}"));
        assert_ne!(f["verdict"], "accepted", "{name}: {f}");
    }
    for f in &refused {
        let reason = f["reason"].as_str().unwrap_or("");
        assert!(reason.len() > 10, "refused without a reason: {f}");
    }
    // The two that exhaust memory killed only their worker.
    for name in ["chaines-partagees-annoncees.xlsx", "colonnes-repetees.ods"] {
        let f = files.iter().find(|f| f["name"] == name).unwrap();
        assert!(
            f["reason"]
                .as_str()
                .unwrap()
                .starts_with("Fichier illisible ou trop gros pour être lu sans risque"),
            "{f}"
        );
    }
    // The 150,000-row file is refused for its size; the 15,000 rejections
    // of the 5,000 invalid rows (three cells each) are kept up to the limit
    // and counted beyond it.
    let capped = query(
        &config,
        "SELECT rows_rejected::VARCHAR, rejections_omitted::VARCHAR, (SELECT count(*) FROM rejections r WHERE r.sha256 = f.sha256)::VARCHAR FROM files f WHERE name = 'TAPAJ-TLS-06_2019-T3_demandeurs.csv'",
    );
    assert_eq!(
        capped,
        vec![vec!["5000".to_string(), "14900".into(), "100".into()]]
    );
    let max_rejections: i64 = query(
        &config,
        "SELECT max(n)::VARCHAR FROM (SELECT count(*) n FROM rejections GROUP BY sha256)",
    )[0][0]
        .parse()
        .unwrap();
    assert!(
        max_rejections <= 100,
        "{max_rejections} rejections kept for one file"
    );
    // Passed over and recorded: the link, the FIFO.
    let skipped = v["run"]["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("passwd.csv")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("tube.csv")),
        "{skipped:?}"
    );
    let recorded = query(&config, "SELECT path FROM inbox_skipped");
    assert!(recorded.len() >= 2, "{recorded:?}");
    // Nothing of /etc/passwd was archived or quarantined.
    let passwd = std::fs::read("/etc/passwd").unwrap();
    for sub in ["archive", "quarantine"] {
        let mut stack = vec![dir.path().join("data").join(sub)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    assert_ne!(std::fs::read(&p).unwrap(), passwd, "{}", p.display());
                }
            }
        }
    }
    // The long name is quarantined under a bounded name.
    let quarantined: Vec<String> = std::fs::read_dir(dir.path().join("data/quarantine"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        quarantined.iter().any(|n| n.contains("nnnnn")),
        "{quarantined:?}"
    );
    assert!(quarantined.iter().all(|n| n.len() < 200), "{quarantined:?}");
    // The valid files' figures are those of the valid files alone.
    assert_eq!(headline(&config), reference);
    // No birth date, name or formula comes out: stdout, the database, the
    // feedback e-mails and rejection CSVs.
    for secret in ["19850312", "Zorglubienne", "Amandine", "31/13/1985"] {
        assert!(!stdout.contains(secret), "{secret} in stdout");
        for (p, bytes) in written_bytes(&dir.path().join("data")) {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{secret} in {}",
                p.display()
            );
        }
    }
    let feedback = written_bytes(&dir.path().join("data/messages"));
    assert!(!feedback.is_empty());
    for (p, bytes) in &feedback {
        assert!(
            bytes.len() < 200 * 1024,
            "{} is {} bytes",
            p.display(),
            bytes.len()
        );
    }
    // The rejection CSV attached to the formulas' feedback: every cell that
    // would run starts with a quote. (Attachments are base64 in the .eml.)
    let csv = rejections_csv_of(&config, "TAPAJ-TLS-06_2019-T4_demandeurs.csv");
    for cell in csv.split([';', '\n']) {
        let cell = cell.trim_matches('"');
        assert!(
            !(cell.starts_with('=') || cell.starts_with('+') || cell.starts_with('@')),
            "cell would run: {cell:?}\n{csv}"
        );
    }
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    // Everything under data/ is owner-only.
    for (p, _) in written_bytes(&dir.path().join("data")) {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", p.display());
    }
    // A second run passes: nothing new, the hostile files are not read again.
    let again = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    assert!(matches!(again.code, 0..=2), "{}", again.stderr);
    assert_eq!(
        again.json()["run"]["files"].as_array().unwrap().len(),
        0,
        "{}",
        again.stdout
    );
    assert_eq!(headline(&config), reference);
}

/// The rejection CSV attached to the feedback about `name`, decoded.
fn rejections_csv_of(config: &Path, name: &str) -> String {
    let sha = &query(
        config,
        &format!("SELECT sha256 FROM files WHERE name = '{name}'"),
    )[0][0];
    let path = &query(
        config,
        &format!(
            "SELECT eml_path FROM messages WHERE id LIKE 'retour-%-{}-%'",
            &sha[..16]
        ),
    )[0][0];
    let eml = std::fs::read_to_string(path).unwrap();
    // The CSV is the attachment named .rejets.csv (base64).
    let part = eml
        .split("Content-Disposition: attachment")
        .find(|p| p.contains(".rejets.csv"))
        .unwrap_or_else(|| panic!("no CSV attachment in {eml}"));
    let body: String = part
        .split("\r\n\r\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect();
    let bytes = base64_decode(&body);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn base64_decode(s: &str) -> Vec<u8> {
    let table = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let vals: Vec<u32> = s.bytes().filter_map(table).collect();
    let mut out = Vec::new();
    for chunk in vals.chunks(4) {
        let mut n = 0u32;
        for (i, v) in chunk.iter().enumerate() {
            n |= v << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn validate_output_never_leaks_a_birth_date_or_runs_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let file = dir.path().join("TAPAJ-TLS-06_2019-T4_demandeurs.csv");
    std::fs::write(&file, leaky_and_formulas()).unwrap();
    for format in ["table", "json", "csv"] {
        let run = essaim_with(&config, &["validate", "--format", format, s(&file)], &[]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        for secret in ["19850312", "Zorglubienne", "Amandine", "1985"] {
            assert!(
                !run.stdout.contains(secret),
                "{secret} in {format}: {}",
                run.stdout
            );
            assert!(!run.stderr.contains(secret), "{secret} in {format} stderr");
        }
        if format == "csv" {
            let mut r = csv::Reader::from_reader(run.stdout.as_bytes());
            for rec in r.records() {
                for cell in &rec.unwrap() {
                    assert!(
                        !(cell.starts_with('=')
                            || cell.starts_with('+')
                            || cell.starts_with('@')
                            || cell.starts_with('\t')),
                        "cell would run: {cell:?}"
                    );
                }
            }
            assert!(run.stdout.contains("'=HYPERLINK"), "{}", run.stdout);
        }
    }
    let reports = dir.path().join("rapports");
    let run = essaim_with(
        &config,
        &["validate", "--report", s(&reports), s(&file)],
        &[],
    );
    assert_eq!(run.code, 1);
    let csv = std::fs::read_to_string(reports.join("TAPAJ-TLS-06_2019-T4_demandeurs.rejets.csv"))
        .unwrap();
    assert!(!csv.contains("19850312"), "{csv}");
    assert!(csv.contains("'+cmd"), "{csv}");
}

/// A worker program that never answers, and one that crashes: the file is
/// refused, the worker killed, and the next file still judged.
#[test]
fn a_worker_that_hangs_or_crashes_costs_only_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    set_config(&config, &[("file_timeout_secs", "1")]);
    let file = fixture("validate/valide.xlsx");
    for (script, what) in [
        ("#!/bin/sh\nexec sleep 600\n", "hang"),
        ("#!/bin/sh\nkill -SEGV $$\n", "crash"),
        (
            "#!/bin/sh\nhead -c 100 /dev/zero | tr '\\0' '\\377'\n",
            "garbage",
        ),
    ] {
        let exe = dir.path().join(format!("worker-{what}.sh"));
        std::fs::write(&exe, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let started = std::time::Instant::now();
        let run = essaim_with(
            &config,
            &["validate", "--format", "json", s(&file), s(&file)],
            &[("ESSAIM_WORKER_EXE", s(&exe))],
        );
        assert_eq!(run.code, 2, "{what}: {}\n{}", run.stdout, run.stderr);
        let v = run.json();
        for r in v["reports"].as_array().unwrap() {
            assert!(
                r["reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("Fichier illisible ou trop gros pour être lu sans risque"),
                "{what}: {r}"
            );
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "{what}: {:?}",
            started.elapsed()
        );
    }
    // And the real worker judges the same file.
    let run = essaim_with(&config, &["validate", s(&file)], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn modification_times_steer_neither_supersession_nor_retention() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    set_config(&config, &[("retention_days", "365")]);
    let inbox = dir.path().join("inbox");
    let header = "Identifiant France Travail;Code postal;Date d'entrée;Durée de chômage (mois)\n";
    let rows = |n: usize| -> String {
        (0..n).fold(String::new(), |mut out, i| {
            use std::fmt::Write as _;
            let _ = writeln!(out, "{}ZZ{i};75011;04/02/2019;14", 1000 + i);
            out
        })
    };
    let write = |name: &str, body: String, secs: u64| {
        let p = inbox.join(name);
        std::fs::write(&p, body).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
            .unwrap();
    };
    // 20 people, dated 2099; a file dated 2001 for another structure.
    write(
        "TAPAJ-TLS-06_2019-T1_demandeurs.csv",
        format!("{header}{}", rows(20)),
        4_080_000_000,
    );
    write(
        "JESS-BDX-01_2019-T1_demandeurs.csv",
        format!("{header}{}", rows(3)),
        980_000_000,
    );
    let run = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.json()["run"]["purged"],
        0,
        "a file dated 2001 is not past retention on its first day"
    );
    assert_eq!(headline(&config)["job_seekers"], 20);
    // The correction, sent with an honest time, replaces the file dated 2099.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(
        inbox.join("TAPAJ-TLS-06_2019-T1_demandeurs.csv"),
        format!("{header}{}", rows(5)),
    )
    .unwrap();
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(headline(&config)["job_seekers"], 5);
    let archived: usize = walk_count(&dir.path().join("data/archive"));
    assert_eq!(archived, 3, "every original is still archived");
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk_count(&p)
            } else {
                1
            }
        })
        .sum()
    })
}

#[test]
fn the_hash_key_cannot_change_silently_and_rotation_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    assert!(matches!(essaim_with(&config, &["run"], &[KEY]).code, 0..=2));
    let before = headline(&config);
    // No key at all on a database that holds hashes: an error, no new key.
    std::fs::copy(
        fixture("validate/valide.xlsx"),
        dir.path().join("inbox/TAPAJ-TLS-06_2019-T2.xlsx"),
    )
    .unwrap();
    let run = essaim_with(&config, &["run"], &[]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no hash key"), "{}", run.stderr);
    assert!(!dir.path().join("data/hash.key").exists());
    // Another key: refused.
    let run = essaim_with(&config, &["run"], &[OTHER_KEY]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not the one the database was built with"),
        "{}",
        run.stderr
    );
    assert_eq!(headline(&config), before);
    // A rotation that cannot re-read one original changes nothing.
    let archive = dir.path().join("data/archive");
    let victim = std::fs::read_dir(
        std::fs::read_dir(&archive)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    )
    .unwrap()
    .next()
    .unwrap()
    .unwrap()
    .path();
    let saved = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, b"damaged").unwrap();
    let run = essaim_with(
        &config,
        &["reimport", "--all", "--rotate-key", "--reason", "rotation"],
        &[OTHER_KEY],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(headline(&config), before);
    // The old key still works, and loads what arrived meanwhile.
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert!(matches!(run.code, 0..=2), "{}", run.stderr);
    let before_rotation = headline(&config);
    // Restored, the rotation goes through, and the new key is the one now.
    std::fs::write(&victim, saved).unwrap();
    let run = essaim_with(
        &config,
        &["reimport", "--all", "--rotate-key", "--reason", "rotation"],
        &[OTHER_KEY],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(headline(&config), before_rotation);
    assert_eq!(
        essaim_with(&config, &["run"], &[KEY]).code,
        3,
        "the old key is refused after rotation"
    );
    assert!(matches!(
        essaim_with(&config, &["run"], &[OTHER_KEY]).code,
        0..=2
    ));
}

#[test]
fn only_the_bytes_archived_are_removed_from_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("TAPAJ-TLS-06_2019-T1.xlsx");
    std::fs::write(&p, b"first version").unwrap();
    let sha = essaim::ingest::hash_file(&p).unwrap().0;
    // A corrected file uploaded under the same name after it was read.
    std::fs::write(&p, b"corrected version").unwrap();
    assert!(!essaim::app::run::remove_exact(&p, &sha).unwrap());
    assert_eq!(std::fs::read(&p).unwrap(), b"corrected version");
    // The same bytes: removed.
    let sha2 = essaim::ingest::hash_file(&p).unwrap().0;
    assert!(essaim::app::run::remove_exact(&p, &sha2).unwrap());
    assert!(!p.exists());
    // A link swapped in is put back, never followed.
    std::os::unix::fs::symlink("/etc/passwd", &p).unwrap();
    assert!(!essaim::app::run::remove_exact(&p, &sha2).unwrap());
    assert!(std::fs::symlink_metadata(&p)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn message_ids_never_repeat_after_the_database_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    assert!(matches!(essaim_with(&config, &["run"], &[KEY]).code, 0..=2));
    let first: Vec<String> = query(&config, "SELECT id FROM messages ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(!first.is_empty());
    // The database is lost; the messages folder stays.
    std::fs::remove_file(dir.path().join("data/essaim.duckdb")).unwrap();
    let _ = std::fs::remove_file(dir.path().join("data/essaim.duckdb.wal"));
    assert!(matches!(essaim_with(&config, &["run"], &[KEY]).code, 0..=2));
    let second: Vec<String> = query(&config, "SELECT id FROM messages ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(!second.is_empty());
    for id in &second {
        assert!(
            !first.contains(id),
            "{id} was used before the database was lost"
        );
    }
}

#[test]
fn an_over_size_file_is_recorded_with_its_reason_and_left_in_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    set_config(&config, &[("max_file_mib", "1")]);
    let big = dir.path().join("inbox/TAPAJ-TLS-06_2019-T1_demandeurs.csv");
    std::fs::write(&big, invalid_rows(60_000)).unwrap();
    let run = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let files = query(
        &config,
        "SELECT name, verdict, reason, archive_path FROM files",
    );
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0][1], "file_rejected");
    assert!(files[0][2].contains("trop volumineux"), "{files:?}");
    assert!(big.exists());
    // Not read again while it stays.
    let again = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    assert_eq!(again.json()["run"]["unchanged"], 1, "{}", again.stdout);
}

#[test]
fn sheet_names_that_collide_once_cleaned_still_get_an_annotated_copy() {
    use essaim::model::template::Table;
    use rust_xlsxwriter::Workbook;
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Structure").unwrap();
    for (r, (k, v)) in [
        ("Code structure", "TAPAJ-TLS-06"),
        ("Innovation", "TAPAJ"),
        ("Période", "2019-T1"),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(r as u32, 0, *k).unwrap();
        ws.write_string(r as u32, 1, *v).unwrap();
    }
    for table in [Table::Demandeurs, Table::Entreprises] {
        let ws = book.add_worksheet();
        ws.set_name(table.sheet_name()).unwrap();
        for (c, col) in table.columns().iter().enumerate() {
            ws.write_string(0, c as u16, col.header).unwrap();
            // One row, every cell wrong: rejections to annotate.
            ws.write_string(1, c as u16, "??").unwrap();
        }
    }
    for name in ["A_B", "A_C"] {
        book.add_worksheet().set_name(name).unwrap();
    }
    let p = dir.path().join("collision.xlsx");
    book.save(&p).unwrap();
    // Excel allows names rust_xlsxwriter refuses: "A[B" and "A]B" are both
    // "AB" once cleaned for the copy.
    let bytes = rewrite(&std::fs::read(&p).unwrap(), "xl/workbook.xml", |t| {
        t.replace("\"A_B\"", "\"A[B\"")
            .replace("\"A_C\"", "\"A]B\"")
    });
    std::fs::write(&p, bytes).unwrap();
    let out = dir.path().join("annote");
    let run = essaim_with(&config, &["validate", "--annotate", s(&out), s(&p)], &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let copy = out.join("collision.annote.xlsx");
    assert!(copy.exists(), "{}", run.stdout);
    let names: Vec<String> = unzip(&std::fs::read(&copy).unwrap())
        .into_iter()
        .filter(|(n, _)| n == "xl/workbook.xml")
        .map(|(_, b)| String::from_utf8(b).unwrap())
        .collect();
    // Edited in place: the sheets keep the names Excel allowed.
    assert!(
        names[0].contains("\"A[B\"") && names[0].contains("\"A]B\""),
        "{}",
        names[0]
    );
}
