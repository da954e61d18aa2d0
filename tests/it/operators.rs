//! What structures and operators get at their terminals (issue "Get every
//! reader the right thing"): `validate` without the operators'
//! configuration, the template, `status` filters in French and local time,
//! `digest --resend` of a sent message, and feedback that could not be
//! written, recorded and rebuilt.

use std::path::Path;
use std::process::Command;

use super::util::{drop_into, essaim_with, fixture, fixture_files, s, temp_config, Run};

const KEY: (&str, &str) = (
    "ESSAIM_HASH_KEY",
    "test-key-0123456789abcdef0123456789abcdef",
);

/// The binary in `cwd` with no `--config`: the default path, relative.
fn bare(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_essaim"))
        .current_dir(cwd)
        .env_remove("ESSAIM_CONFIG")
        .env_remove("RUST_LOG")
        .args(["--log-format", "text"])
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_structure_validates_without_the_operators_configuration() {
    let dir = tempfile::tempdir().unwrap();
    // An unregistered structure code passes: the registry is not checked,
    // and the structure is told so.
    let run = bare(
        dir.path(),
        &[
            "validate",
            "--format",
            "json",
            s(&fixture("validate/structure-inconnue.xlsx")),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("tout est vérifié sauf le registre"),
        "{}",
        run.stderr
    );
    let v = run.json();
    assert_eq!(v["registry_checked"], false);
    assert_eq!(v["reports"][0]["structure"], "TAPAJ-XXX-99");
    // Everything else is checked as usual.
    let run = bare(
        dir.path(),
        &["validate", s(&fixture("validate/lignes-invalides.xlsx"))],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("code postal invalide"),
        "{}",
        run.stdout
    );
    // With the operators' configuration, the same file is refused.
    let run = super::util::essaim(&["validate", s(&fixture("validate/structure-inconnue.xlsx"))]);
    assert_eq!(run.code, 2, "{}", run.stdout);
}

/// A part of an xlsx package, as text.
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
    s
}

#[test]
fn the_template_is_filled_in_with_lists_and_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let out = dir.path().join("TAPAJ-TLS-06_2019-T1.xlsx");
    let run = essaim_with(
        &config,
        &[
            "template",
            s(&out),
            "--structure",
            "TAPAJ-TLS-06",
            "--period",
            "2019-T1",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(&out).unwrap();
    let workbook = part(&bytes, "xl/workbook.xml");
    let names: Vec<&str> = workbook
        .split("<sheet name=\"")
        .skip(1)
        .map(|t| t.split('"').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Instructions",
            "Structure",
            "Demandeurs d'emploi",
            "Entreprises et partenaires",
            "Professionnels",
            "Listes"
        ]
    );
    assert!(
        workbook.contains("state=\"hidden\""),
        "the lists are hidden"
    );
    // The innovation comes from the registry; the period as asked.
    let strings = part(&bytes, "xl/sharedStrings.xml");
    for s in ["TAPAJ-TLS-06", "2019-T1", "Modèle de remontée AIS#Emploi"] {
        assert!(strings.contains(s), "{s} in {strings}");
    }
    // Drop-downs on listed columns, a frozen bold header.
    let demandeurs = part(&bytes, "xl/worksheets/sheet3.xml");
    assert!(demandeurs.contains("<pane ySplit=\"1\""), "{demandeurs}");
    for range in [
        "sqref=\"E2:E2001\"",
        "sqref=\"I2:I2001\"",
        "sqref=\"J2:J2001\"",
    ] {
        assert!(demandeurs.contains(range), "{range} in {demandeurs}");
    }
    assert!(
        demandeurs.contains("Listes!$D$2:$D$10"),
        "Situation's 9 values"
    );
    let structure = part(&bytes, "xl/worksheets/sheet2.xml");
    assert!(structure.contains("sqref=\"B2\""), "innovation drop-down");
    // The blank template is a file essaim accepts as it is.
    let run = essaim_with(&config, &["validate", s(&out)], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // What it cannot do, it refuses.
    for (args, why) in [
        (vec!["--structure", "NOPE-01"], "not in the registry"),
        (vec!["--period", "2019-T9"], "is not a quarter"),
    ] {
        let mut all = vec!["template", s(&out)];
        all.extend(args);
        let run = essaim_with(&config, &all, &[]);
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert!(run.stderr.contains(why), "{}", run.stderr);
    }
    let run = essaim_with(&config, &["template", "modele.csv"], &[]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("name the output .xlsx"),
        "{}",
        run.stderr
    );
}

#[test]
fn status_filters_speaks_french_and_local_time_and_resend_asks_for_force() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout.contains("courriel(s) écrit(s) dans"),
        "the outbox is named: {}",
        run.stdout
    );
    let all = essaim_with(&config, &["status"], &[KEY]);
    assert!(all.stdout.contains("exécution"), "{}", all.stdout);
    assert!(all.stdout.contains("accepté avec des lignes rejetées"));
    assert!(!all.stdout.contains("rows_rejected"), "{}", all.stdout);
    assert!(
        all.stdout.contains(" CET") || all.stdout.contains(" CEST"),
        "times in Europe/Paris: {}",
        all.stdout
    );
    let one = essaim_with(&config, &["status", "--structure", "SOLENI-MTP-04"], &[KEY]);
    assert!(
        one.stdout.contains("SOLENI-MTP-04_2019-T1.xlsx"),
        "{}",
        one.stdout
    );
    assert!(
        !one.stdout.contains("TAPAJ-TLS-06_2019-T1.xlsx"),
        "{}",
        one.stdout
    );
    let later = essaim_with(&config, &["status", "--since", "2999-01-01"], &[KEY]);
    assert!(!later.stdout.contains(".xlsx"), "{}", later.stdout);
    let late = essaim_with(&config, &["status", "--late"], &[KEY]);
    assert!(
        late.stdout
            .starts_with("Structures sans fichier accepté pour"),
        "{}",
        late.stdout
    );
    assert!(!late.stdout.contains("Dernières exécutions"));
    let unknown = essaim_with(&config, &["status", "--structure", "NOPE"], &[KEY]);
    assert_eq!(unknown.code, 3);
    // A message already sent goes again only with --force.
    let list = essaim_with(&config, &["digest", "--list"], &[KEY]);
    let sent = list
        .stdout
        .lines()
        .find(|l| l.starts_with("sent"))
        .and_then(|l| l.split_whitespace().nth(3))
        .unwrap_or_else(|| panic!("{}", list.stdout))
        .to_string();
    let again = essaim_with(&config, &["digest", "--resend", &sent], &[KEY]);
    assert_eq!(again.code, 3);
    assert!(again.stderr.contains("add --force"), "{}", again.stderr);
    let forced = essaim_with(&config, &["digest", "--resend", &sent, "--force"], &[KEY]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(forced.stdout.contains("1 envoyé(s)"), "{}", forced.stdout);
}

#[test]
fn feedback_that_cannot_be_written_is_recorded_failed_then_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    // The folder messages are written to is in the way (as a root-owned
    // folder would be for the service user).
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("messages"), "not a folder").unwrap();
    drop_into(
        &dir.path().join("inbox"),
        &[fixture("inbox/SOLENI-MTP-04_2019-T1.xlsx")],
    );
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(
        run.code, 1,
        "the file is loaded all the same: {}",
        run.stderr
    );
    let status = essaim_with(&config, &["status"], &[KEY]);
    assert!(
        status.stdout.contains("Messages en échec : 1"),
        "{}",
        status.stdout
    );
    let list = essaim_with(&config, &["digest", "--list"], &[KEY]);
    assert!(list.stdout.starts_with("failed"), "{}", list.stdout);
    // Once the way is clear, the retry builds it from the archived file.
    std::fs::remove_file(data.join("messages")).unwrap();
    let retry = essaim_with(&config, &["digest", "--retry"], &[KEY]);
    assert_eq!(retry.code, 0, "{}", retry.stderr);
    assert!(
        retry
            .stdout
            .contains("1 message(s) de retour reconstruit(s)"),
        "{}",
        retry.stdout
    );
    let outbox: Vec<String> = std::fs::read_dir(data.join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        outbox.iter().any(|n| n.starts_with("retour-")),
        "{outbox:?}"
    );
    let status = essaim_with(&config, &["status"], &[KEY]);
    assert!(
        !status.stdout.contains("Messages en échec"),
        "{}",
        status.stdout
    );
}

#[test]
fn status_indicators_and_the_message_list_answer_while_a_run_holds_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    assert_eq!(essaim_with(&config, &["run"], &[KEY]).code, 2);
    let data = dir.path().join("data");
    assert!(data.join("snapshot/essaim.duckdb").exists());
    // Another essaim holds the writer lock (as a long run would).
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(data.join("essaim.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let status = essaim_with(&config, &["status", "--wait", "0"], &[KEY]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stderr.contains("état enregistré le"),
        "{}",
        status.stderr
    );
    assert!(
        status.stdout.contains("SOLENI-MTP-04_2019-T1.xlsx"),
        "{}",
        status.stdout
    );
    let figures = essaim_with(
        &config,
        &["indicators", "--format", "json", "--wait", "0"],
        &[KEY],
    );
    assert_eq!(figures.code, 0, "{}", figures.stderr);
    assert_eq!(figures.json()["structures"], 4);
    let list = essaim_with(&config, &["digest", "--list", "--wait", "0"], &[KEY]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("retour-"), "{}", list.stdout);
    // Writers still wait for the lock.
    let run = essaim_with(&config, &["run", "--wait", "0"], &[KEY]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    lock.unlock().unwrap();
}

#[test]
fn a_data_folder_of_another_user_is_refused_with_what_to_do() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // Only root can give the folder away; as anyone else the check is the
    // same one that already passed for our own folder.
    if std::fs::metadata(&data).unwrap().uid() != 0 {
        eprintln!("not root: the folder cannot be given to another user here");
        return;
    }
    std::os::unix::fs::chown(&data, Some(54321), Some(54321)).unwrap();
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("belongs to uid 54321")
            && run.stderr.contains("sudo -u '#54321' essaim"),
        "{}",
        run.stderr
    );
    assert!(!data.join("essaim.duckdb").exists(), "nothing written");
    let status = essaim_with(&config, &["status"], &[KEY]);
    assert_eq!(status.code, 3, "{}", status.stderr);
}

#[test]
fn a_history_rebuild_without_feedback_writes_nothing_to_the_structures() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox"));
    let quiet = essaim_with(
        &config,
        &["run", "--no-feedback", "--format", "json"],
        &[KEY],
    );
    assert_eq!(quiet.code, 2, "{}", quiet.stderr);
    let j = quiet.json();
    assert_eq!(j["run"]["feedback"], 0, "{j:#}");
    assert!(j["run"]["rows_rejected"].as_u64().unwrap() > 0, "{j:#}");
    let data = dir.path().join("data");
    let written: Vec<String> = ["outbox", "messages"]
        .iter()
        .filter_map(|d| std::fs::read_dir(data.join(d)).ok())
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("retour-"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
    // The rejections are recorded all the same.
    let conn = duckdb::Connection::open(data.join("essaim.duckdb")).unwrap();
    let (rejections, feedback): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM rejections), (SELECT count(*) FROM messages WHERE kind = 'feedback')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    assert!(rejections > 0);
    assert_eq!(feedback, 0);
    // Said at the terminal, in French.
    let again = dir.path().join("again");
    let config2 = temp_config(&again);
    drop_into(&again.join("inbox"), &fixture_files("inbox"));
    let told = essaim_with(&config2, &["run", "--no-feedback"], &[KEY]);
    assert!(
        told.stdout.contains("Aucun retour aux structures"),
        "{}",
        told.stdout
    );
    // Without the flag, the next files are fed back as usual.
    drop_into(
        &dir.path().join("inbox"),
        &[fixture("validate/lignes-invalides.xlsx")],
    );
    let run = essaim_with(&config, &["run", "--format", "json"], &[KEY]);
    assert!(run.code <= 2, "{}", run.stderr);
    assert_eq!(run.json()["run"]["feedback"], 1, "{}", run.stdout);
}
