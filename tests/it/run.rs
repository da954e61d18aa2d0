//! `essaim run` end to end on a real DuckDB file: the published figures
//! reproduced from the fixture set, whatever the order and however often it
//! is loaded; kill -9 at any point; history; nothing personal stored.

use std::path::Path;

use serde_json::Value;

use super::util::{drop_into, essaim_with, fixture_files, s, temp_config};

const KEY: (&str, &str) = (
    "ESSAIM_HASH_KEY",
    "test-key-0123456789abcdef0123456789abcdef",
);

fn figures(config: &Path) -> Value {
    let run = essaim_with(config, &["indicators", "--format", "json", "--raw"], &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

fn headline(v: &Value) -> [i64; 6] {
    let n = |k: &str| {
        v[k].as_i64()
            .unwrap_or_else(|| panic!("{k} missing in {v}"))
    };
    [
        n("innovations"),
        n("structures"),
        n("job_seekers"),
        n("deld"),
        n("professionals"),
        n("companies"),
    ]
}

#[test]
fn the_published_figures_are_reproduced() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let files = fixture_files("figures");
    assert!(files.len() >= 240, "{} files", files.len());
    drop_into(&dir.path().join("inbox"), &files);
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(
        run.code, 2,
        "some files are rejected whole: {}\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("Chiffres consolidés"), "{}", run.stdout);
    let v = figures(&config);
    assert_eq!(headline(&v), [8, 65, 722, 622, 338, 167], "{v:#}");
    // Loaded twice: nothing changes, and the unchanged inbox is not read again.
    let again = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let j = again.json();
    assert_eq!(
        j["run"]["unchanged"].as_u64().unwrap() as usize,
        files.len()
    );
    assert_eq!(j["run"]["files"].as_array().unwrap().len(), 0);
    assert_eq!(j["run"]["phases"]["load_ms"], 0, "nothing loaded: {j:#}");
    assert_eq!(headline(&figures(&config)), [8, 65, 722, 622, 338, 167]);
}

#[test]
fn any_order_and_batches_give_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let mut files = fixture_files("figures");
    // A fixed shuffle: reversed, then dealt in three runs by structure and
    // period. Reception time is the run that first sees a file, so every
    // version of one structure's period arrives in the same run (a file
    // sent after its correction would rightly replace it).
    files.reverse();
    let group = |p: &std::path::PathBuf| -> String {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        name.split(['_', '.']).take(2).collect::<Vec<_>>().join("_")
    };
    let mut groups: Vec<String> = files.iter().map(group).collect();
    groups.dedup();
    let batch = |p: &std::path::PathBuf| groups.iter().position(|g| *g == group(p)).unwrap() % 3;
    let inbox = dir.path().join("inbox");
    for b in [1, 0, 2] {
        let these: Vec<_> = files.iter().filter(|p| batch(p) == b).cloned().collect();
        drop_into(&inbox, &these);
        essaim_with(&config, &["run"], &[KEY]);
    }
    assert_eq!(headline(&figures(&config)), [8, 65, 722, 622, 338, 167]);
    // The same bytes under another name change nothing and say so.
    std::fs::copy(&files[0], inbox.join("encore-une-fois.xlsx")).unwrap();
    let run = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    let j = run.json();
    assert_eq!(j["run"]["files"][0]["status"], "duplicate", "{j:#}");
    assert_eq!(headline(&figures(&config)), [8, 65, 722, 622, 338, 167]);
}

#[test]
fn a_run_killed_at_any_point_ends_with_the_same_figures() {
    let files = fixture_files("figures");
    // Kill -9 at growing delays, each time on the same data folder, until a
    // run gets to its end; then check the round and start another on a
    // fresh folder, until more than fifty runs were killed. Workers die
    // with their parent.
    // Files are loaded in groups (one transaction each): every other
    // round uses groups of 7 files, so that kills land between, during and
    // after many group commits, not only around one.
    let mut killed = 0;
    let mut rounds = 0;
    let mut partial = 0;
    while killed < 55 && rounds < 12 {
        rounds += 1;
        let dir = tempfile::tempdir().unwrap();
        let config = temp_config(dir.path());
        if rounds % 2 == 0 {
            let text = std::fs::read_to_string(&config).unwrap();
            std::fs::write(
                &config,
                text.replace("group_files = 256", "group_files = 7"),
            )
            .unwrap();
        }
        drop_into(&dir.path().join("inbox"), &files);
        let mut delay_ms = 15 + (rounds * 23) % 60;
        loop {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_essaim"))
                .args(["--config", s(&config), "--log-format", "json", "run"])
                .env(KEY.0, KEY.1)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            if child.try_wait().unwrap().is_some() {
                break;
            }
            child.kill().unwrap();
            child.wait().unwrap();
            killed += 1;
            let (loaded, whole) = files_wholly_loaded(dir.path());
            assert_eq!(loaded, whole, "after a kill, a file is partly loaded");
            if loaded > 0 && loaded < 250 {
                partial += 1;
            }
            delay_ms += 70;
        }
        check_after_kills(dir.path(), &config);
    }
    assert!(
        killed >= 50,
        "only {killed} runs could be killed in {rounds} rounds"
    );
    assert!(
        partial >= 3,
        "only {partial} kills left some groups loaded and others not"
    );
}

#[test]
fn a_database_half_made_by_a_killed_first_run_is_made_anew() {
    // A first run killed while it created the database leaves at most a
    // half-written temporary file (the database is renamed into place only
    // once whole): the next run starts over and loads everything.
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let files = fixture_files("figures");
    drop_into(&dir.path().join("inbox"), &files);
    // A real database's first 12 KiB (any command makes one).
    let whole = tempfile::tempdir().unwrap();
    let other = temp_config(whole.path());
    essaim_with(&other, &["status"], &[KEY]);
    let made = std::fs::read(whole.path().join("data/essaim.duckdb")).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("essaim.duckdb.new"),
        &made[..made.len().min(12_288)],
    )
    .unwrap();
    std::fs::write(data.join("essaim.duckdb.new.wal"), b"\x00half a log").unwrap();
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(headline(&figures(&config)), [8, 65, 722, 622, 338, 167]);
    assert!(data.join("essaim.duckdb").exists());
    assert!(!data.join("essaim.duckdb.new").exists());
    assert!(!data.join("essaim.duckdb.new.wal").exists());
}

/// How many files the database holds, and how many of them wholly: their
/// stored rows are their accepted rows and their feedback is queued.
fn files_wholly_loaded(dir: &std::path::Path) -> (i64, i64) {
    let db = dir.join("data/essaim.duckdb");
    if !db.exists() {
        return (0, 0);
    }
    let conn = duckdb::Connection::open(&db)
        .unwrap_or_else(|e| panic!("after a kill, the database does not open: {e}"));
    let tables: Vec<String> = conn
        .prepare("SELECT table_name FROM duckdb_tables()")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    if !tables.iter().any(|t| t == "files") {
        return (0, 0);
    }
    // The registry's copy is made by the first recomputation: before it,
    // only the rows are checked.
    let feedback = if tables.iter().any(|t| t == "ref_structures") {
        "AND (coalesce(f.structure, '') NOT IN (SELECT code FROM ref_structures) OR EXISTS (SELECT 1 FROM messages m WHERE m.kind = 'feedback' AND m.id LIKE '%-' || left(f.sha256, 16) || '-%'))"
    } else {
        ""
    };
    conn.query_row(
        &format!(
            "SELECT count(*), count(*) FILTER (WHERE f.rows_accepted = coalesce(j.n, 0) + coalesce(c.n, 0) + coalesce(p.n, 0) {feedback})
             FROM files f
             LEFT JOIN (SELECT file_no, count(*) n FROM job_seekers GROUP BY 1) j USING (file_no)
             LEFT JOIN (SELECT file_no, count(*) n FROM companies GROUP BY 1) c USING (file_no)
             LEFT JOIN (SELECT file_no, count(*) n FROM professionals GROUP BY 1) p USING (file_no)"
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// After runs killed at any point: a run finishes the work with the
/// published figures, and the feedback queue holds one message per file.
fn check_after_kills(dir: &std::path::Path, config: &std::path::Path) {
    let run = essaim_with(config, &["run"], &[KEY]);
    assert!(matches!(run.code, 0..=2), "{}", run.stderr);
    assert_eq!(headline(&figures(config)), [8, 65, 722, 622, 338, 167]);
    // Each file loaded for a registered structure has its feedback queued
    // exactly once, with its .eml on disk: none lost between a file's
    // commit and its message, none twice.
    let conn = duckdb::Connection::open(dir.join("data/essaim.duckdb")).unwrap();
    let missing: i64 = conn
        .query_row(
            "SELECT count(*) FROM files f JOIN ref_structures s ON s.code = f.structure
             WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.kind = 'feedback' AND m.id LIKE '%-' || left(f.sha256, 16) || '-%')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 0, "files loaded without their feedback");
    let per_file: i64 = conn
        .query_row(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM messages WHERE kind = 'feedback' GROUP BY split_part(id, '-', 3))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(per_file, 1, "a file's feedback queued twice");
    let mut stmt = conn
        .prepare("SELECT eml_path FROM messages WHERE kind = 'feedback'")
        .unwrap();
    let paths: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(paths.len() >= 200, "{} feedback messages", paths.len());
    for p in paths {
        assert!(std::path::Path::new(&p).exists(), "{p} missing");
    }
}

#[test]
fn history_keys_and_privacy_of_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    // No key in the environment: one is created beside the database, owner-only.
    let run = essaim_with(&config, &["-v", "run"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("created a new identity hash key"),
        "{}",
        run.stderr
    );
    let key = dir.path().join("data/hash.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Every file is archived byte for byte under its hash; the refused one is in quarantine.
    for f in fixture_files("inbox") {
        let bytes = std::fs::read(&f).unwrap();
        let sha = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&bytes))
        };
        let archived = dir.path().join("data/archive").join(&sha[..2]).join(&sha);
        assert_eq!(std::fs::read(&archived).unwrap(), bytes, "{}", f.display());
    }
    let quarantined: Vec<_> = std::fs::read_dir(dir.path().join("data/quarantine"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(quarantined.len(), 1);
    assert!(
        quarantined[0].ends_with("OPPE-LYO-09_2019-T1.xlsx"),
        "{quarantined:?}"
    );
    // Nothing personal in the database file or the logs.
    let mut haystack =
        String::from_utf8_lossy(&std::fs::read(dir.path().join("data/essaim.duckdb")).unwrap())
            .into_owned();
    if let Ok(wal) = std::fs::read(dir.path().join("data/essaim.duckdb.wal")) {
        haystack.push_str(&String::from_utf8_lossy(&wal));
    }
    haystack.push_str(&run.stdout);
    haystack.push_str(&run.stderr);
    for v in super::privacy::identity_values() {
        assert!(
            !haystack.contains(&v),
            "identity value «{v}» found in the database or logs"
        );
    }
}

#[test]
fn a_newer_database_is_refused_and_an_older_one_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let before = figures(&config);
    let db = dir.path().join("data/essaim.duckdb");
    // An identity key's four integers as the hexadecimal text of its HMAC.
    const HEX_KEY: &str = "lower(lpad(to_hex(k1), 16, '0') || lpad(to_hex(k2), 16, '0') \
                           || lpad(to_hex(k3), 16, '0') || lpad(to_hex(k4), 16, '0'))";
    // Each identity key as that text, in order.
    let key_texts = |conn: &duckdb::Connection| -> Vec<String> {
        conn.prepare(&format!(
            "SELECT {HEX_KEY} AS key FROM identity_keys ORDER BY key"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    };
    let keys_before = key_texts(&duckdb::Connection::open(&db).unwrap());
    assert!(keys_before.iter().all(|k| k.len() == 64) && !keys_before.is_empty());
    {
        // Back to schema version 1 as an earlier binary left it: identity
        // keys on the rows and not numbered, people kept by key hash, figures up to date
        // (the migration itself must ask for a recomputation).
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch(&format!(
            "CREATE TEMP TABLE hex_keys AS SELECT key_no, {HEX_KEY} AS key FROM identity_keys"
        ))
        .unwrap();
        conn.execute_batch(
            "DROP VIEW current_job_seekers; DROP VIEW current_companies; DROP VIEW current_professionals;
             DROP VIEW current_files_scoped; DROP VIEW current_files; DROP VIEW current_tables;
             ALTER TABLE job_seekers ADD COLUMN sha256 VARCHAR; ALTER TABLE companies ADD COLUMN sha256 VARCHAR;
             ALTER TABLE professionals ADD COLUMN sha256 VARCHAR;
             UPDATE job_seekers SET sha256 = f.sha256 FROM files f WHERE f.file_no = job_seekers.file_no;
             UPDATE companies SET sha256 = f.sha256 FROM files f WHERE f.file_no = companies.file_no;
             UPDATE professionals SET sha256 = f.sha256 FROM files f WHERE f.file_no = professionals.file_no;
             ALTER TABLE job_seekers DROP COLUMN file_no; ALTER TABLE companies DROP COLUMN file_no;
             ALTER TABLE professionals DROP COLUMN file_no; ALTER TABLE files DROP COLUMN file_no;
             ALTER TABLE files DROP COLUMN mtime_hint; ALTER TABLE files DROP COLUMN rejections_omitted;
             DROP TABLE sightings; DROP TABLE inbox_skipped; DROP TABLE meta;
             DROP TABLE indicator_leaves; ALTER TABLE messages DROP COLUMN about;
             ALTER TABLE job_seekers ADD COLUMN key_id VARCHAR; ALTER TABLE job_seekers ADD COLUMN key_name VARCHAR;
             UPDATE job_seekers SET key_id = k.key FROM hex_keys k WHERE k.key_no = job_seekers.id_no;
             UPDATE job_seekers SET key_name = k.key FROM hex_keys k WHERE k.key_no = job_seekers.name_no;
             DROP TABLE identity_keys; DROP SEQUENCE IF EXISTS identity_key_no; DROP TABLE persons;
             ALTER TABLE job_seekers DROP COLUMN id_no; ALTER TABLE job_seekers DROP COLUMN name_no;
             CREATE TABLE person_keys (key VARCHAR PRIMARY KEY, person_id BIGINT NOT NULL);
             DELETE FROM schema_version WHERE version > 1;",
        )
        .unwrap();
    }
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("database schema migrated"),
        "{}",
        run.stderr
    );
    assert_eq!(figures(&config), before);
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        let (version, unnumbered, files, numbered, orphans): (i64, i64, i64, i64, i64) = conn
            .query_row(
                "SELECT (SELECT max(version) FROM schema_version),
                        (SELECT count(*) FROM job_seekers WHERE coalesce(id_no, name_no) IS NULL),
                        (SELECT count(*) FROM files),
                        (SELECT count(DISTINCT file_no) FROM files),
                        (SELECT count(*) FROM (SELECT file_no FROM job_seekers UNION ALL SELECT file_no FROM companies
                                               UNION ALL SELECT file_no FROM professionals)
                         WHERE file_no NOT IN (SELECT file_no FROM files))",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        // Migrated to this binary's version, 7 (files numbered by
        // src/store/schema_v6.sql): every file numbered once, every row
        // still with its file.
        assert_eq!((version, unnumbered, numbered, orphans), (7, 0, files, 0));
        assert!(files > 0);
        // Version 7 stores the keys as integers: the same HMACs, byte for
        // byte, as the text versions 5 and 6 kept.
        assert_eq!(key_texts(&conn), keys_before);
        conn.execute("INSERT INTO schema_version VALUES (99, now())", [])
            .unwrap();
    }
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr
            .contains("schema version 99, newer than this binary's 7"),
        "{}",
        run.stderr
    );
}

#[test]
fn exports_hide_small_counts() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    essaim_with(&config, &["run"], &[KEY]);
    // The sample inbox has few people: published figures hide them.
    let published = essaim_with(&config, &["indicators", "--format", "json"], &[KEY]).json();
    let raw = essaim_with(
        &config,
        &["indicators", "--format", "json", "--raw"],
        &[KEY],
    )
    .json();
    assert_eq!(raw["structures"], 4);
    // Six people; five unemployed 12 months or more (the same five followed
    // by three structures count once).
    assert_eq!(raw["job_seekers"], 6, "{raw:#}");
    assert_eq!(raw["deld"], 5);
    assert_eq!(published["deld"], 5, "5 is not a small count");
    let by = essaim_with(
        &config,
        &["indicators", "--format", "json", "--by", "innovation"],
        &[KEY],
    )
    .json();
    assert_eq!(by["deld"]["SOLENI"], "< 5", "{by:#}");
    assert_eq!(by["deld"]["TAPAJ"], "< 5");
    let by_raw = essaim_with(
        &config,
        &[
            "indicators",
            "--format",
            "json",
            "--by",
            "innovation",
            "--raw",
        ],
        &[KEY],
    )
    .json();
    assert_eq!(by_raw["deld"]["SOLENI"], 1);
    assert_eq!(by_raw["deld"]["TAPAJ"], 4);
    let out = dir.path().join("export");
    let run = essaim_with(&config, &["export", s(&out)], &[KEY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // One tidy schema in all three formats.
    let header = "indicateur,libelle,unite,perimetre,code_perimetre,nom_perimetre,innovation,periode,duree_chomage,valeur,statut,calcule_le";
    let csv = std::fs::read_to_string(out.join("figures.csv")).unwrap();
    assert!(csv.starts_with(&format!("{header}\n")), "{csv}");
    assert!(
        !csv.contains("< 5"),
        "hidden values are empty, not text: {csv}"
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let find = |ind: &str, kind: &str, code: &str| {
        rows.iter()
            .find(|r| {
                r[0] == *ind
                    && r[3] == *kind
                    && r[4] == *code
                    && r[7].is_empty()
                    && r[8].is_empty()
                    && r[6].is_empty()
            })
            .unwrap_or_else(|| panic!("{ind} {kind} {code} in {csv}"))
            .clone()
    };
    let soleni = find("deld", "innovation", "SOLENI");
    assert_eq!((&soleni[9], &soleni[10]), ("", "masqué"));
    let jess = find("structures", "innovation", "JEU_ESS");
    assert_eq!(
        &jess[5], "Jeu_ESS_Créative",
        "the innovation's registered name"
    );
    let national = find("deld", "national", "");
    assert_eq!(
        (&national[9], &national[10], &national[2]),
        ("5", "publié", "nombre")
    );
    assert_eq!(&national[1], "Demandeurs d'emploi de longue durée");
    assert_eq!(&national[5], "France entière");
    let gironde = find("structures", "departement", "33");
    assert_eq!((&gironde[5], &gironde[9]), ("Gironde", "2"));
    // A rate with no exit is undefined, not hidden.
    let undefined = find("exit_rate", "innovation", "SOLENI");
    assert_eq!(
        (&undefined[9], &undefined[10], &undefined[2]),
        ("", "non défini", "taux")
    );
    assert!(
        rows.iter().any(|r| r[7] == *"2019-T1"),
        "a column for the period"
    );
    // Parquet: the same rows, typed.
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let parquet = out.join("figures.parquet");
    let (n, hidden, value_type, date_type): (i64, i64, String, String) = conn
        .query_row(
            &format!(
                "SELECT count(*), count(*) FILTER (WHERE statut = 'masqué' AND valeur IS NULL),
                        any_value(typeof(valeur)), any_value(typeof(calcule_le))
                 FROM read_parquet('{}')",
                parquet.display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(n as usize, rows.len());
    assert_eq!(
        hidden as usize,
        rows.iter().filter(|r| &r[10] == "masqué").count()
    );
    assert_eq!(
        (value_type.as_str(), date_type.as_str()),
        ("DOUBLE", "TIMESTAMP")
    );
    let parquet_deld: f64 = conn
        .query_row(
            &format!("SELECT valeur FROM read_parquet('{}') WHERE indicateur = 'deld' AND perimetre = 'national' AND periode IS NULL", parquet.display()),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((parquet_deld - 5.0).abs() < f64::EPSILON, "{parquet_deld}");
    // XLSX: the same rows; numbers as numbers, rates in %, empty when
    // hidden, a frozen header with a filter (read back by openpyxl when
    // Python has it, else by calamine).
    let xlsx = out.join("figures.xlsx");
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Chiffres"]
rows = list(ws.iter_rows(values_only=True))
print(len(rows) - 1, ws.freeze_panes, ws.auto_filter.ref, ws.cell(1, 1).font.b)
rates = [r for r in ws.iter_rows(min_row=2) if r[2].value == "taux" and r[9].value is not None]
print(rates[0][9].number_format if rates else "none", type(rates[0][9].value).__name__ if rates else "")
hidden = [r for r in rows[1:] if r[10] == "masqué"]
print(all(r[9] is None for r in hidden), len(hidden))
"#;
    match std::process::Command::new("python3")
        .args(["-c", script, s(&xlsx)])
        .output()
    {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(
                lines[0],
                format!("{} A2 A1:L{} True", rows.len(), rows.len() + 1),
                "{text}"
            );
            let any_rate = rows.iter().any(|r| &r[2] == "taux" && !r[9].is_empty());
            let expected = if any_rate { "0.0% float" } else { "none " };
            assert_eq!(lines[1], expected, "{text}");
            assert!(lines[2].starts_with("True "), "{text}");
        }
        other => {
            eprintln!("openpyxl unavailable ({other:?}): the workbook is read by calamine");
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
            let range = book.worksheet_range("Chiffres").unwrap();
            assert_eq!(range.height(), rows.len() + 1);
        }
    }
}

#[test]
fn reimport_after_an_alias_change_moves_the_figures_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    // Without the alias, the header-drift workbook lacks "Durée de chômage (mois)".
    let original = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        original.replace("\"Nb mois chômage\" = \"Durée de chômage (mois)\"\n", ""),
    )
    .unwrap();
    drop_into(
        &dir.path().join("inbox"),
        &[super::util::fixture("validate/derive-entetes.xlsx")],
    );
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 2, "refused without the alias: {}", run.stdout);
    assert!(
        run.stdout
            .contains("Colonne obligatoire absente : « Durée de chômage (mois) »"),
        "{}",
        run.stdout
    );
    std::fs::write(&config, original).unwrap();
    let dry = essaim_with(
        &config,
        &["reimport", "--all", "--reason", "alias ajouté", "--dry-run"],
        &[KEY],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .contains("derive-entetes.xlsx : file_rejected -> accepted"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("Structures") && dry.stdout.contains('*'),
        "{}",
        dry.stdout
    );
    // The dry run wrote nothing.
    assert_eq!(
        essaim_with(
            &config,
            &["indicators", "--format", "json", "--raw"],
            &[KEY]
        )
        .json()["structures"],
        Value::Null
    );
    let real = essaim_with(
        &config,
        &["reimport", "--all", "--reason", "alias ajouté"],
        &[KEY],
    );
    assert_eq!(real.code, 0, "{}", real.stderr);
    let f = essaim_with(
        &config,
        &["indicators", "--format", "json", "--raw"],
        &[KEY],
    )
    .json();
    assert_eq!(f["structures"], 1, "{f}");
    assert_eq!(f["job_seekers"], 2);
    // The structure hears that its file's verdict changed (once: the dry
    // run wrote no message).
    let outbox = dir.path().join("data/outbox");
    let changed: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|m| m.contains("nouveau verdict"))
        .collect();
    assert_eq!(changed.len(), 1, "{}", real.stdout);
    assert!(
        changed[0]
            .contains("Subject: AIS#Emploi : votre fichier derive-entetes.xlsx : nouveau verdict,"),
        "{}",
        changed[0]
    );
    assert!(changed[0].contains("Reply-To: operateurs@example.org"));
    assert!(
        real.stdout.contains("courriel(s) de retour"),
        "{}",
        real.stdout
    );
    let conn = duckdb::Connection::open(dir.path().join("data/essaim.duckdb")).unwrap();
    let recorded: Vec<(String, String, bool)> = conn
        .prepare("SELECT scope, reason, dry_run FROM reimports ORDER BY requested_at")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        recorded,
        vec![
            ("all".into(), "alias ajouté".into(), true),
            ("all".into(), "alias ajouté".into(), false)
        ]
    );
}

#[test]
fn originals_past_retention_are_purged_and_their_records_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("retention_days = 3650", "retention_days = 0");
    std::fs::write(&config, text).unwrap();
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    let run = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    assert_eq!(run.json()["run"]["purged"], 5, "{}", run.stdout);
    let archived: usize = std::fs::read_dir(dir.path().join("data/archive"))
        .unwrap()
        .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
        .sum();
    assert_eq!(archived, 0);
    let st = essaim_with(&config, &["status", "--format", "json"], &[KEY]).json();
    assert_eq!(
        st["files"].as_array().unwrap().len(),
        5,
        "records and hashes stay"
    );
    assert_eq!(
        essaim_with(
            &config,
            &["indicators", "--format", "json", "--raw"],
            &[KEY]
        )
        .json()["structures"],
        4
    );
}

#[test]
fn a_link_made_only_by_a_superseded_file_no_longer_joins_two_people() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let header = "Identifiant France Travail;Nom;Prénom;Date de naissance;Sexe;Code postal;Date d'entrée;Durée de chômage (mois);Niveau de formation;Situation à la sortie;Date de sortie\n";
    let write = |name: &str, rows: &str| {
        std::fs::write(inbox.join(name), format!("{header}{rows}")).unwrap();
    };
    // One structure reports the identifier with the name (a link); another
    // reports the name alone: one person.
    write(
        "GARDIEN-LIL-03_2019-T4_demandeurs.csv",
        "1234567A;Dupont;Jean;01/01/1980;H;59000;04/10/2019;14;;En cours;\n",
    );
    write(
        "JESS-REN-02_2019-T4_demandeurs.csv",
        ";Dupont;Jean;01/01/1980;H;35000;04/10/2019;14;;En cours;\n",
    );
    let people_after = |args: &[&str]| {
        let run = essaim_with(&config, args, &[KEY]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        figures(&config)["job_seekers"].clone()
    };
    assert_eq!(people_after(&["run"]), 1);
    // The first structure sends its file again, with the identifier only:
    // the row that linked the two keys is superseded, so they are two people.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write(
        "GARDIEN-LIL-03_2019-T4_demandeurs.csv",
        "1234567A;;;;H;59000;04/10/2019;14;;En cours;\n",
    );
    assert_eq!(people_after(&["run"]), 2);
    // And the same files again change nothing.
    assert_eq!(
        people_after(&["reimport", "--all", "--reason", "contrôle"]),
        2
    );
}

/// Regression (issue "Get every reader the right thing"): a selection that
/// matched nothing said "0 fichier(s) rejugé(s)" and exited 0.
#[test]
fn a_reimport_selection_that_matches_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    assert!(matches!(essaim_with(&config, &["run"], &[KEY]).code, 0..=2));
    for (args, says) in [
        (
            vec!["--file", "TAPAJ-TLS-06_2019-T1"],
            "no archived file matches",
        ),
        (
            vec!["--structure", "NOPE-XXX-01"],
            "no structure has the code",
        ),
        (vec!["--period", "2019-T9"], "is not a quarter"),
        (vec!["--innovation", "NOPE"], "no innovation has the code"),
    ] {
        let mut all = vec!["reimport", "--reason", "essai"];
        all.extend(args.iter());
        let run = essaim_with(&config, &all, &[KEY]);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    // With its extension, or in another case for the period, it matches.
    let run = essaim_with(
        &config,
        &[
            "reimport",
            "--reason",
            "essai",
            "--file",
            "TAPAJ-TLS-06_2019-T1.xlsx",
        ],
        &[KEY],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("1 fichier(s) rejugé(s)"),
        "{}",
        run.stdout
    );
    let run = essaim_with(
        &config,
        &["reimport", "--reason", "essai", "--period", "2019-t1"],
        &[KEY],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Regression: `--format csv` on `run` and `status` was ignored in silence.
#[test]
fn run_and_status_refuse_a_format_they_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    for cmd in ["run", "status"] {
        let run = essaim_with(&config, &[cmd, "--format", "csv"], &[KEY]);
        assert_eq!(run.code, 3, "{cmd}: {}", run.stdout);
        assert!(
            run.stderr.contains("--format csv is not available"),
            "{cmd}: {}",
            run.stderr
        );
    }
}

#[test]
fn copies_of_one_file_in_one_run_load_the_earliest_whatever_is_read_first() {
    // The same bytes under two names (two periods) are the same file sent
    // twice: the one received first (modification time, then name) is
    // loaded and the other recorded as its repeat, whichever reading thread
    // finishes first. Both orders of names, so that neither a name order
    // nor a race can pass for the rule.
    let original = fixture_files("inbox")
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("_demandeurs.csv"))
        .unwrap();
    let bytes = std::fs::read(&original).unwrap();
    for (older, newer) in [("2019-T1", "2019-T2"), ("2019-T2", "2019-T1")] {
        let dir = tempfile::tempdir().unwrap();
        let config = temp_config(dir.path());
        let inbox = dir.path().join("inbox");
        // Other files read alongside, as in a real inbox.
        drop_into(&inbox, &fixture_files("inbox"));
        std::fs::remove_file(inbox.join(original.file_name().unwrap())).unwrap();
        for (period, secs) in [(older, 1_600_000_000), (newer, 1_650_000_000)] {
            let p = inbox.join(format!("RALLYE-BDX-01_{period}_demandeurs.csv"));
            std::fs::write(&p, &bytes).unwrap();
            let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
                .unwrap();
        }
        let run = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
        assert!(run.code <= 2, "{}", run.stderr);
        let mut outcomes: Vec<(String, String)> = run.json()["run"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["name"].as_str().unwrap().starts_with("RALLYE-BDX-01_"))
            .map(|f| (f["name"].to_string(), f["status"].to_string()))
            .collect();
        outcomes.sort();
        let status = |period: &str| -> &str {
            &outcomes.iter().find(|(n, _)| n.contains(period)).unwrap().1
        };
        assert_eq!(
            (status(older), status(newer)),
            ("\"new\"", "\"duplicate\""),
            "{outcomes:?}"
        );
        let conn = duckdb::Connection::open(dir.path().join("data/essaim.duckdb")).unwrap();
        let periods: Vec<String> = conn
            .prepare("SELECT period FROM files WHERE structure = 'RALLYE-BDX-01'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(periods, vec![older.to_string()], "{outcomes:?}");
    }
}
