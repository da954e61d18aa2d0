//! `essaim validate` on the committed scenario fixtures: every tolerated
//! drift accepted, every rule enforced, the same case in xlsx, ods and CSV.

use std::collections::BTreeSet;

use serde_json::Value;

use super::util::{essaim, fixture, s};

fn validate_json(rel: &str) -> (i32, Value) {
    let path = fixture(rel);
    let run = essaim(&["validate", "--format", "json", s(&path)]);
    (run.code, run.json())
}

fn only_report(v: &Value) -> &Value {
    assert_eq!(v["files"], 1, "{v:#}");
    &v["reports"][0]
}

fn table(report: &Value, name: &str) -> (u64, u64, u64) {
    let t = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {report:#}"));
    (
        t["rows"].as_u64().unwrap(),
        t["accepted"].as_u64().unwrap(),
        t["rejected"].as_u64().unwrap(),
    )
}

#[test]
fn valid_workbook_is_accepted_in_every_format() {
    for f in [
        "validate/valide.xlsx",
        "validate/valide.ods",
        "validate/ods-deguise.xls",
        "validate/dates-1904.xlsx",
    ] {
        let (code, v) = validate_json(f);
        let r = only_report(&v);
        assert_eq!(code, 0, "{f}: {r:#}");
        assert_eq!(r["verdict"], "accepted", "{f}");
        assert_eq!(r["structure"], "TAPAJ-TLS-06");
        assert_eq!(r["period"], "2019-T1");
        assert_eq!(table(r, "demandeurs"), (5, 5, 0), "{f}");
        assert_eq!(table(r, "entreprises"), (3, 3, 0), "{f}");
        assert_eq!(table(r, "professionnels"), (2, 2, 0), "{f}");
    }
    let (_, v) = validate_json("validate/ods-deguise.xls");
    assert_eq!(
        only_report(&v)["format"],
        "ods",
        "sniffed from the bytes, not the name"
    );
}

#[test]
fn header_drift_is_accepted_with_notices() {
    for f in [
        "validate/derive-entetes.xlsx",
        "validate/derive-entetes.ods",
    ] {
        let (code, v) = validate_json(f);
        let r = only_report(&v);
        assert_eq!(code, 0, "{f}: {r:#}");
        assert_eq!(
            table(r, "demandeurs"),
            (2, 2, 0),
            "{f}: title rows, blank rows and the Total line are not records"
        );
        assert_eq!(table(r, "entreprises"), (1, 1, 0));
        let notices: Vec<&str> = r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(
            notices
                .iter()
                .any(|n| n.contains("« Commentaire » ignorée")),
            "{notices:?}"
        );
        assert!(
            notices
                .iter()
                .any(|n| n.contains("« Nb mois chômage » lue comme « Durée de chômage (mois) »")),
            "{notices:?}"
        );
        assert!(
            notices
                .iter()
                .any(|n| n.contains("« N° SIRET » lue comme « SIRET »")),
            "{notices:?}"
        );
        assert!(
            notices
                .iter()
                .any(|n| n.contains("Ligne 7 « Total » ignorée")),
            "{notices:?}"
        );
    }
    let (code, v) = validate_json("validate/csv/TAPAJ-DIJ-08_2019-T1_demandeurs.csv");
    let r = only_report(&v);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(table(r, "demandeurs"), (2, 2, 0));
}

#[test]
fn value_drift_is_accepted() {
    for f in [
        "validate/derive-valeurs.xlsx",
        "validate/derive-valeurs.ods",
    ] {
        let (code, v) = validate_json(f);
        let r = only_report(&v);
        assert_eq!(code, 0, "{f}: {r:#}");
        assert_eq!(table(r, "demandeurs"), (5, 5, 0), "{f}");
        assert_eq!(table(r, "entreprises"), (3, 3, 0), "{f}");
    }
}

/// (sheet, row, column, reason) of every rejection.
fn rejections(r: &Value) -> BTreeSet<(String, u64, String, String)> {
    r["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["sheet"].as_str().unwrap().to_string(),
                j["row"].as_u64().unwrap(),
                j["column"].as_str().unwrap().to_string(),
                j["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expected_job_seeker_rejections(sheet: &str) -> BTreeSet<(String, u64, String, String)> {
    [
        (2, "A", "identité manquante : renseignez l'identifiant France Travail, ou bien le nom, le prénom et la date de naissance"),
        (3, "F", "code postal invalide : 5 chiffres attendus"),
        (4, "G", "date d'entrée dans le futur"),
        (5, "G", "date d'entrée après la fin de la période 2019-T1"),
        (6, "D", "âge à l'entrée hors de 16 à 70 ans : vérifiez la date de naissance"),
        (7, "H", "n'est pas un nombre entier"),
        (8, "J", "valeur non reconnue ; valeurs possibles : « En cours », « CDI », « CDD de 6 mois ou plus », « CDD de moins de 6 mois », « Intérim », « Création d'entreprise », « Formation qualifiante », « Sans solution », « Abandon »"),
        (9, "K", "valeur obligatoire manquante"),
        (10, "K", "date de sortie avant la date d'entrée"),
        (11, "G", "cellule en erreur (#REF!) dans une colonne obligatoire"),
        (12, "G", "31/02/2019 n'existe pas : février 2019 n'a que 28 jours"),
    ]
    .into_iter()
    .map(|(row, col, reason)| (sheet.to_string(), row, col.to_string(), reason.to_string()))
    .collect()
}

#[test]
fn each_broken_rule_rejects_its_row_with_a_precise_reason() {
    for f in [
        "validate/lignes-invalides.xlsx",
        "validate/lignes-invalides.ods",
    ] {
        let (code, v) = validate_json(f);
        let r = only_report(&v);
        assert_eq!(code, 1, "{f}: rows rejected, file kept");
        assert_eq!(r["verdict"], "rows_rejected");
        assert_eq!(table(r, "demandeurs"), (12, 1, 11), "{f}");
        assert_eq!(table(r, "entreprises"), (4, 1, 3), "{f}");
        let mut expected = expected_job_seeker_rejections("Demandeurs d'emploi");
        for (row, col, reason) in [
            (2, "A", "SIRET invalide (clé de contrôle incorrecte)"),
            (3, "C", "valeur non reconnue ; valeurs possibles : « Entreprise », « Partenaire privé », « Association », « Employeur public »"),
            (4, "B", "valeur obligatoire manquante"),
        ] {
            expected.insert(("Entreprises et partenaires".into(), row, col.into(), reason.into()));
        }
        assert_eq!(rejections(r), expected, "{f}");
        // The value is echoed, except what identifies a person.
        let age = r["rejections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["row"] == 6)
            .unwrap();
        assert_eq!(age["value"], "***");
        let siret = r["rejections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["column"] == "A" && j["sheet"] == "Entreprises et partenaires")
            .unwrap();
        assert_eq!(siret["value"], "73282932000075");
        assert_eq!(siret["header"], "SIRET");
    }
    let (code, v) = validate_json("validate/csv/TAPAJ-RUN-07_2019-T1_demandeurs.csv");
    let r = only_report(&v);
    assert_eq!(code, 1);
    assert_eq!(rejections(r), expected_job_seeker_rejections("demandeurs"));
}

#[test]
fn file_level_problems_reject_the_file_with_one_reason() {
    let cases: &[(&str, &str)] = &[
        ("validate/colonne-absente.xlsx", "Colonne obligatoire absente : « Date d'entrée ». Colonnes trouvées dans « Demandeurs d'emploi » : « Identifiant France Travail »"),
        ("validate/colonne-absente.ods", "Colonne obligatoire absente : « Date d'entrée »."),
        ("validate/csv/TAPAJ-NAN-09_2019-T1_demandeurs.csv", "Colonne obligatoire absente : « Date d'entrée »."),
        ("validate/feuille-absente.xlsx", "Feuille obligatoire absente : « Entreprises et partenaires ». Feuilles trouvées : « Structure », « Demandeurs d'emploi »."),
        ("validate/feuille-absente.ods", "Feuille obligatoire absente : « Entreprises et partenaires »."),
        ("validate/structure-inconnue.xlsx", "Code structure « TAPAJ-XXX-99 » inconnu"),
        ("validate/structure-inconnue.ods", "Code structure « TAPAJ-XXX-99 » inconnu"),
        ("validate/csv/TAPAJ-XXX-99_2019-T1_demandeurs.csv", "Code structure « TAPAJ-XXX-99 » inconnu"),
        ("validate/innovation-incorrecte.xlsx", "Innovation « SOLENI » différente de celle de la structure TAPAJ-TLS-06 (« TAPAJ »)"),
        ("validate/innovation-incorrecte.ods", "Innovation « SOLENI » différente"),
        ("validate/periode-invalide.xlsx", "Période « 2019-T5 » invalide : attendu un trimestre (2019-T1) ou un mois (2019-03)."),
        ("validate/periode-invalide.ods", "Période « 2019-T5 » invalide"),
        ("validate/periode-future.xlsx", "Période 2099-T1 dans le futur"),
        ("validate/periode-future.ods", "Période 2099-T1 dans le futur"),
        ("validate/csv/TAPAJ-TLS-06_2099-T1_demandeurs.csv", "Période 2099-T1 dans le futur"),
        ("validate/csv/export-sans-nom.csv", "Nom de fichier non conforme : « export-sans-nom.csv »"),
        ("validate/csv/TAPAJ-TLS-06_2019-T2_demandeurs.csv", "Fichier vide."),
        ("validate/vide.xlsx", "Fichier vide."),
        ("validate/pas-un-tableur.xlsx", "Ce fichier n'est pas un tableur ni un fichier CSV (document PDF)."),
        ("validate/tronque.xlsx", "Le classeur est endommagé"),
    ];
    for (f, reason) in cases {
        let (code, v) = validate_json(f);
        let r = only_report(&v);
        assert_eq!(code, 2, "{f}: {r:#}");
        assert_eq!(r["verdict"], "file_rejected", "{f}");
        let got = r["reason"].as_str().unwrap();
        assert!(got.starts_with(reason), "{f}: {got}");
    }
}

#[test]
fn innovation_alias_and_csv_tables_are_accepted() {
    let (code, v) = validate_json("validate/innovation-alias.xlsx");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(only_report(&v)["innovation"], "JEU_ESS");
    for (f, t, n) in [
        (
            "validate/csv/TAPAJ-TLS-06_2019-T1_demandeurs.csv",
            "demandeurs",
            5,
        ),
        (
            "validate/csv/TAPAJ-TLS-06_2019-T1_entreprises.csv",
            "entreprises",
            3,
        ),
        (
            "validate/csv/TAPAJ-TLS-06_2019-T1_professionnels.csv",
            "professionnels",
            2,
        ),
    ] {
        let (code, v) = validate_json(f);
        let r = only_report(&v);
        assert_eq!(code, 0, "{f}: {r:#}");
        assert_eq!(table(r, t), (n, n, 0), "{f}");
        assert_eq!(
            r["tables"].as_array().unwrap().len(),
            1,
            "a CSV carries one table"
        );
    }
}

#[test]
fn exit_code_is_the_worst_verdict_and_the_table_says_it_in_french() {
    let run = essaim(&["validate", s(&fixture("inbox"))]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("REFUS OPPE-LYO-09_2019-T1.xlsx [OPPE-LYO-09, 2019-T1] : refusé"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("OK   TAPAJ-TLS-06_2019-T1.xlsx [TAPAJ-TLS-06, 2019-T1] : accepté"));
    assert!(
        run.stdout
            .contains("Bilan : 5 fichier(s) : 3 accepté(s), 1 avec lignes rejetées, 1 refusé(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        essaim(&["validate", s(&fixture("validate/valide.xlsx"))]).code,
        0
    );
    assert_eq!(
        essaim(&["validate", s(&fixture("validate/lignes-invalides.ods"))]).code,
        1
    );
}

/// `essaim [--log-format text] --config cfg validate dir`: (exit code, stderr).
fn validate_with(
    cfg: &std::path::Path,
    dir: &std::path::Path,
    text: bool,
) -> (Option<i32>, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_essaim"));
    if text {
        cmd.args(["--log-format", "text"]);
    }
    let out = cmd
        .args(["--config", s(cfg), "validate", s(dir)])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_configuration_lists_every_problem_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("innovations.csv"),
        "code,nom,phase\nA,Alpha,essaimage\nB,Beta,pilote\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("structures.csv"),
        "code,nom,innovation,departement,contact,date_adhesion\nA-1,Un,A,33,a@example.org,2019-01-01\nA-2,Deux,Z,20,pas-un-mail,01/01/2019\n",
    )
    .unwrap();
    let cfg = dir.path().join("essaim.toml");
    std::fs::write(&cfg, "[paths]\ninbox = \"in\"\ndata = \"data\"\n[reference]\ninnovations = \"innovations.csv\"\nstructures = \"structures.csv\"\n").unwrap();
    let (code, err) = validate_with(&cfg, dir.path(), true);
    assert_eq!(code, Some(3));
    assert_eq!(
        err.matches("unknown phase").count(),
        1,
        "each problem once:\n{err}"
    );
    for needle in [
        "innovations.csv, line 3, field phase: unknown phase \"pilote\"",
        "structures.csv, line 3, field innovation: unknown innovation code \"Z\"",
        "structures.csv, line 3, field departement",
        "structures.csv, line 3, field contact",
        "structures.csv, line 3, field date_adhesion",
    ] {
        assert!(err.contains(needle), "missing «{needle}» in:\n{err}");
    }
    // A TOML mistake does not hide the registries' problems.
    std::fs::write(&cfg, "[paths]\ninbox = \"in\"\ndata = \"data\"\nmystery = 1\n[reference]\ninnovations = \"innovations.csv\"\nstructures = \"structures.csv\"\n").unwrap();
    let (code, err) = validate_with(&cfg, dir.path(), true);
    assert_eq!(code, Some(3));
    assert!(err.contains("unknown field `mystery`"), "{err}");
    assert!(err.contains("unknown phase \"pilote\""), "{err}");
    // Off a terminal, the error is one JSON line, not also a text line.
    let (_, err) = validate_with(&cfg, dir.path(), false);
    assert_eq!(err.matches("unknown field `mystery`").count(), 1, "{err}");
    assert!(!err.contains("essaim: error:"), "{err}");
    // A missing registry is one problem, not one per structure.
    std::fs::remove_file(dir.path().join("innovations.csv")).unwrap();
    std::fs::write(&cfg, "[paths]\ninbox = \"in\"\ndata = \"data\"\n[reference]\ninnovations = \"innovations.csv\"\nstructures = \"structures.csv\"\n").unwrap();
    let (_, err) = validate_with(&cfg, dir.path(), true);
    assert!(err.contains("cannot read"), "{err}");
    assert!(!err.contains("unknown innovation code"), "{err}");
}

#[test]
fn report_csv_and_annotated_copy_are_written_without_identities() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rapports");
    let run = essaim(&[
        "validate",
        s(&fixture("validate/lignes-invalides.xlsx")),
        "--report",
        s(&out),
        "--annotate",
        s(&out),
    ]);
    assert_eq!(run.code, 1);
    let csv = std::fs::read_to_string(out.join("lignes-invalides.rejets.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\u{feff}feuille;ligne;colonne;en-tete;valeur;motif"
    );
    assert_eq!(csv.lines().count(), 1 + 14);
    assert!(
        csv.contains(
            "Demandeurs d'emploi;6;D;Date de naissance;***;âge à l'entrée hors de 16 à 70 ans"
        ),
        "{csv}"
    );
    assert!(!csv.contains("JEUNOT") && !csv.contains("Ernest"));
    // The annotated copy is the structure's own workbook, edited: the
    // rejected cells red, the reasons beside each row.
    let bytes = std::fs::read(out.join("lignes-invalides.annote.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert!(
        sheet.contains("Code postal : code postal invalide : 5 chiffres attendus</t>"),
        "{sheet}"
    );
    // A file rejected as a whole gets its reason in the CSV.
    let run = essaim(&[
        "validate",
        s(&fixture("validate/periode-future.ods")),
        "--report",
        s(&out),
    ]);
    assert_eq!(run.code, 2);
    let csv = std::fs::read_to_string(out.join("periode-future.rejets.csv")).unwrap();
    assert!(csv.contains("Période 2099-T1 dans le futur"));
}

#[test]
fn dates_in_the_1904_system_read_as_in_the_1900_system() {
    use essaim::config::Config;
    use essaim::ingest::SourceFile;
    use essaim::validate::{judge, Context};
    let config = Config::load(&super::util::root().join("config/essaim.toml")).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let ctx = Context::new(&config, today);
    let read = |f: &str| {
        let file = SourceFile::open(&fixture(f), &config.limits).unwrap();
        judge(&file, &ctx)
    };
    let a = read("validate/valide.xlsx");
    let b = read("validate/dates-1904.xlsx");
    let entries = |r: &essaim::validate::FileReport| {
        r.data
            .job_seekers
            .iter()
            .map(|j| (j.entry, j.exit))
            .collect::<Vec<_>>()
    };
    assert_eq!(entries(&a), entries(&b));
    assert_eq!(
        a.data.job_seekers[0].entry,
        chrono::NaiveDate::from_ymd_opt(2019, 1, 10).unwrap()
    );
}

/// A workbook from rows of text (dates as text too).
fn workbook(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
    let book = essaim::synth::SBook {
        sheets: sheets
            .iter()
            .map(|(name, rows)| {
                let mut s = essaim::synth::SSheet::new(name);
                for r in rows {
                    s.row(r.iter().map(|c| essaim::synth::SCell::from(*c)));
                }
                s
            })
            .collect(),
        date_1904: false,
    };
    book.to_xlsx().unwrap()
}

#[test]
fn every_file_level_problem_is_reported_at_once_with_the_header_meant() {
    // Review's case: a future period hid wrong headers and bad rows.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("TAPAJ-TLS-06_2099-T1.xlsx");
    let bytes = workbook(&[
        (
            "Structure",
            vec![
                vec!["Code structure", "TAPAJ-TLS-06"],
                vec!["Innovation", "TAPAJ"],
                vec!["Période", "2099-T1"],
            ],
        ),
        (
            "Demandeurs d'emploi",
            vec![
                vec![
                    "Identifiant France Travail",
                    "Code postal",
                    "Date de début",
                    "Durée de chômage (mois)",
                ],
                vec!["1234567A", "33000", "10/01/2019", "14"],
            ],
        ),
        (
            "Entreprises et partenaires",
            vec![
                vec!["SIRET", "Raison sociale", "Type", "Nature de l'engagement"],
                vec!["73282932000075", "ACME", "Entreprise", "Recrutement"],
            ],
        ),
    ]);
    std::fs::write(&path, bytes).unwrap();
    let run = essaim(&["validate", "--format", "json", s(&path)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let v = run.json();
    let r = only_report(&v);
    let reason = r["reason"].as_str().unwrap();
    for expected in [
        "Période 2099-T1 dans le futur",
        "Colonne obligatoire absente : « Date d'entrée »",
        "« Date de début » : vouliez-vous dire « Date d'entrée » ?",
    ] {
        assert!(reason.contains(expected), "{expected} not in {reason}");
    }
    assert_eq!(reason.lines().count(), 2, "one problem a line: {reason}");
    // No row of a refused file is taken: the rows read are all rejected.
    assert_eq!(table(r, "entreprises"), (1, 0, 1));
    // The rows of the readable table were judged too.
    assert!(
        rejections(r).iter().any(
            |(sheet, row, col, why)| sheet == "Entreprises et partenaires"
                && *row == 2
                && col == "A"
                && why.contains("SIRET invalide")
        ),
        "{r:#}"
    );
}

#[test]
fn a_text_file_named_xlsx_is_told_so_not_about_csv_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("TAPAJ-TLS-06_2019-T1.xlsx");
    std::fs::write(
        &path,
        "Identifiant France Travail;Code postal\n1234567A;33000\n",
    )
    .unwrap();
    let (code, v) = {
        let run = essaim(&["validate", "--format", "json", s(&path)]);
        (run.code, run.json())
    };
    assert_eq!(code, 2);
    let reason = only_report(&v)["reason"].as_str().unwrap().to_string();
    assert!(
        reason.starts_with(
            "« TAPAJ-TLS-06_2019-T1.xlsx » n'est pas un classeur .xlsx : il contient du texte."
        ),
        "{reason}"
    );
    assert!(!reason.contains("Nom de fichier non conforme"), "{reason}");
}

#[test]
fn an_impossible_date_says_it_does_not_exist() {
    let (code, v) = validate_json("inbox/SOLENI-MTP-04_2019-T1.xlsx");
    assert_eq!(code, 1);
    let r = only_report(&v);
    assert!(
        rejections(r).iter().any(|(_, row, col, why)| *row == 12
            && col == "G"
            && why == "31/02/2019 n'existe pas : février 2019 n'a que 28 jours"),
        "{:#?}",
        rejections(r)
    );
}
