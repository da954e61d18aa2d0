//! The committed fixtures under `fixtures/validate` and `fixtures/inbox`,
//! described once here and written in every format that can hold the case
//! (xlsx, ods, and CSV for one table). Regenerate with
//! `cargo test regenerate_fixtures -- --ignored`; the other tests read the
//! committed files, never these descriptions.

use std::path::Path;

use chrono::NaiveDate;
use essaim::cells;
use essaim::synth::{SBook, SCell, SSheet};

fn d(y: i32, m: u32, day: u32) -> SCell {
    SCell::Date(NaiveDate::from_ymd_opt(y, m, day).unwrap())
}

const JS_HEADERS: [&str; 11] = [
    "Identifiant France Travail",
    "Nom",
    "Prénom",
    "Date de naissance",
    "Sexe",
    "Code postal",
    "Date d'entrée",
    "Durée de chômage (mois)",
    "Niveau de formation",
    "Situation à la sortie",
    "Date de sortie",
];
const CO_HEADERS: [&str; 6] = [
    "SIRET",
    "Raison sociale",
    "Type",
    "Nature de l'engagement",
    "Code postal",
    "Recrutements",
];
const PRO_HEADERS: [&str; 4] = ["Nom", "Prénom", "Fonction", "Organisme"];

fn structure_sheet(code: &str, innovation: &str, period: &str, pros: Option<f64>) -> SSheet {
    let mut s = SSheet::new("Structure");
    s.row(cells!["Code structure", code]);
    s.row(cells!["Innovation", innovation]);
    s.row(cells!["Période", period]);
    if let Some(p) = pros {
        s.row(cells!["Professionnels mobilisés", p]);
    }
    s.row(cells!["Contact", "referente@example.org"]);
    s
}

fn sheet(name: &str, headers: &[&str], rows: Vec<Vec<SCell>>) -> SSheet {
    let mut s = SSheet::new(name);
    s.row(headers.iter().map(|h| SCell::from(*h)));
    for r in rows {
        s.row(r);
    }
    s
}

/// Fake people: every identity value here is searched for in outputs.
fn clean_job_seekers() -> Vec<Vec<SCell>> {
    vec![
        cells![
            "1234567A",
            "",
            "",
            "",
            "F",
            "33000",
            d(2019, 1, 10),
            14.0,
            "Bac",
            "En cours",
            ""
        ],
        cells![
            "7654321B",
            "",
            "",
            "",
            "H",
            "33800",
            d(2019, 2, 4),
            26.0,
            "CAP-BEP",
            "CDI",
            d(2019, 3, 20)
        ],
        cells![
            "",
            "ZORGLUBIENNE",
            "Anastasie",
            d(1980, 5, 12),
            "F",
            "33100",
            d(2019, 1, 15),
            8.0,
            "Sans diplôme",
            "",
            ""
        ],
        cells![
            "5550001C",
            "QUASIMODIERE",
            "Barnabé",
            d(1975, 11, 3),
            "H",
            "33200",
            d(2018, 11, 2),
            40.0,
            "Bac+2",
            "Intérim",
            d(2019, 2, 28)
        ],
        cells![
            "",
            "VERMILLONNET",
            "Cunégonde",
            d(1992, 7, 30),
            "F",
            "33300",
            d(2019, 3, 1),
            12.0,
            "Bac+3 et plus",
            "Formation qualifiante",
            d(2019, 3, 29)
        ],
    ]
}

fn clean_companies() -> Vec<Vec<SCell>> {
    vec![
        cells![
            "732 829 320 00074",
            "Boulangerie du Port",
            "Entreprise",
            "Recrutement",
            "33000",
            2.0
        ],
        cells![
            "00572132700012",
            "Transports Girondins",
            "Entreprise",
            "Immersion (PMSMP)",
            "33300",
            ""
        ],
        cells![
            "732829320",
            "Fondation Horizon",
            "Partenaire privé",
            "Mécénat",
            "",
            ""
        ],
    ]
}

fn clean_professionals() -> Vec<Vec<SCell>> {
    vec![
        cells![
            "PROFESSIONNELLEMENT",
            "Hortense",
            "Conseillère",
            "France Travail"
        ],
        cells!["ACCOMPAGNATEUR", "Gontran", "Éducateur", "TAPAJ Bordeaux"],
    ]
}

fn book(structure: SSheet, js: SSheet, co: SSheet, pro: Option<SSheet>) -> SBook {
    let mut sheets = vec![structure, js, co];
    sheets.extend(pro);
    SBook {
        sheets,
        date_1904: false,
    }
}

fn valid() -> SBook {
    book(
        structure_sheet("TAPAJ-TLS-06", "TAPAJ", "2019-T1", None),
        sheet("Demandeurs d'emploi", &JS_HEADERS, clean_job_seekers()),
        sheet("Entreprises et partenaires", &CO_HEADERS, clean_companies()),
        Some(sheet("Professionnels", &PRO_HEADERS, clean_professionals())),
    )
}

/// Header drift: title rows, case, accents, spaces, curly apostrophes, line
/// breaks, an alias, another order, an extra column, blank rows, a Total.
fn header_drift() -> SBook {
    let mut js = SSheet::new("demandeurs d’emploi ");
    js.row(cells!["Suivi des demandeurs d'emploi — 1er trimestre"]);
    js.row(cells![""]);
    js.row(cells![
        "Commentaire",
        "  IDENTIFIANT france travail",
        "date d’ENTREE",
        "Nb mois chômage",
        "code\npostal",
        "Nom",
        "Prenom",
        "DATE DE NAISSANCE",
        "situation a la sortie",
        "Date de sortie"
    ]);
    js.row(cells![
        "RAS",
        "1234567A",
        d(2019, 1, 10),
        14.0,
        "33000",
        "",
        "",
        "",
        "",
        ""
    ]);
    js.row(cells![""]);
    js.row(cells![
        "",
        "",
        d(2019, 1, 15),
        8.0,
        "33100",
        "ZORGLUBIENNE",
        "Anastasie",
        d(1980, 5, 12),
        "CDI",
        d(2019, 3, 1)
    ]);
    js.row(cells!["Total", "", "", 22.0, "", "", "", "", "", ""]);
    let mut co = SSheet::new("ENTREPRISES ET PARTENAIRES");
    co.row(cells!["Entreprises mobilisées"]);
    co.row(cells![
        "Nature de l’engagement",
        "Type",
        "Raison sociale",
        "N° SIRET"
    ]);
    co.row(cells![
        "visite d’entreprise",
        "entreprise",
        "Boulangerie du Port",
        "73282932000074"
    ]);
    book(
        structure_sheet("TAPAJ-TLS-06", "tapaj", "2019-T1", Some(3.0)),
        js,
        co,
        None,
    )
}

/// Value drift: every tolerated spelling of dates, integers, SIRET, postal
/// codes and listed values, and formula cells.
fn value_drift() -> SBook {
    let serial = |y, m, day| {
        SCell::Number(essaim::synth::excel_serial(
            NaiveDate::from_ymd_opt(y, m, day).unwrap(),
        ))
    };
    let rows = vec![
        cells![
            "1234567A",
            "",
            "",
            "",
            "femme",
            1000.0,
            "10/01/2019",
            "14.0",
            "bac",
            "en cours",
            ""
        ],
        cells![
            "7654321B",
            "",
            "",
            "",
            "M",
            "01000",
            "10/01/19",
            " 12 ",
            "cap-bep",
            "CDD de 6 mois ou plus",
            "28-02-2019"
        ],
        cells![
            "5550001C",
            "",
            "",
            "",
            "Homme",
            "20000",
            "2019-01-10",
            "12,0",
            "BAC+2",
            "intérim",
            "28.02.2019"
        ],
        cells![
            "5550002D",
            "",
            "",
            "",
            "F",
            "97400",
            serial(2019, 1, 10),
            SCell::Formula {
                formula: "=6*2".into(),
                result: 12.0
            },
            "sans diplome",
            "Creation d'entreprise",
            serial(2019, 3, 1)
        ],
        cells![
            "5550003E",
            "",
            "",
            "",
            "",
            "75001",
            "10.01.2019",
            13.0,
            "",
            "CDD de moins de 6 mois",
            d(2019, 3, 2)
        ],
    ];
    let companies = vec![
        cells![
            572_132_700_012.0,
            "Transports Girondins",
            "ENTREPRISE",
            "immersion (pmsmp)",
            33300.0,
            "1,0"
        ],
        cells![
            "732 829 320 00074",
            "Boulangerie du Port",
            "Partenaire prive",
            "mecenat",
            "",
            ""
        ],
        cells![
            "35600000000001",
            "La Poste",
            "Employeur public",
            "Parrainage",
            "",
            ""
        ],
    ];
    book(
        structure_sheet("TAPAJ-TLS-06", "TAPAJ", "2019-t1", None),
        sheet("Demandeurs d'emploi", &JS_HEADERS, rows),
        sheet("Entreprises et partenaires", &CO_HEADERS, companies),
        None,
    )
}

/// One broken rule per row; the test lists the exact expected rejections.
fn invalid_rows() -> SBook {
    let rows = vec![
        // row 2: no identity at all
        cells![
            "",
            "",
            "Anastasie",
            "",
            "F",
            "33000",
            d(2019, 1, 10),
            14.0,
            "",
            "",
            ""
        ],
        // row 3: postal code of 3 digits
        cells![
            "1111111A",
            "",
            "",
            "",
            "F",
            "330",
            d(2019, 1, 10),
            14.0,
            "",
            "",
            ""
        ],
        // row 4: entry in the future
        cells![
            "2222222B",
            "",
            "",
            "",
            "F",
            "33000",
            d(2099, 1, 10),
            14.0,
            "",
            "",
            ""
        ],
        // row 5: entry after the period
        cells![
            "3333333C",
            "",
            "",
            "",
            "F",
            "33000",
            d(2019, 5, 10),
            14.0,
            "",
            "",
            ""
        ],
        // row 6: 12 years old at entry
        cells![
            "",
            "JEUNOT",
            "Ernest",
            d(2007, 1, 1),
            "H",
            "33000",
            d(2019, 1, 10),
            14.0,
            "",
            "",
            ""
        ],
        // row 7: duration not an integer
        cells![
            "4444444D",
            "",
            "",
            "",
            "F",
            "33000",
            d(2019, 1, 10),
            "12,5",
            "",
            "",
            ""
        ],
        // row 8: unknown situation
        cells![
            "5555555E",
            "",
            "",
            "",
            "F",
            "33000",
            d(2019, 1, 10),
            14.0,
            "",
            "CDI à temps partiel",
            ""
        ],
        // row 9: exit without an exit date
        cells![
            "6666666F",
            "",
            "",
            "",
            "F",
            "33000",
            d(2019, 1, 10),
            14.0,
            "",
            "CDI",
            ""
        ],
        // row 10: exit before entry
        cells![
            "7777777G",
            "",
            "",
            "",
            "F",
            "33000",
            d(2019, 2, 10),
            14.0,
            "",
            "Abandon",
            d(2019, 1, 10)
        ],
        // row 11: error cell in a required column
        cells!["8888888H", "", "", "", "F", "33000", "#REF!", 14.0, "", "", ""],
        // row 12: unreadable date
        cells![
            "9999999J",
            "",
            "",
            "",
            "F",
            "33000",
            "31/02/2019",
            14.0,
            "",
            "",
            ""
        ],
        // row 13: a valid row, kept
        cells![
            "1010101K",
            "",
            "",
            "",
            "H",
            "33000",
            d(2019, 1, 10),
            14.0,
            "",
            "",
            ""
        ],
    ];
    let companies = vec![
        // row 2: SIRET with a wrong check digit
        cells![
            "73282932000075",
            "Boulangerie du Port",
            "Entreprise",
            "Recrutement",
            "",
            ""
        ],
        // row 3: unknown type
        cells![
            "73282932000074",
            "Boulangerie du Port",
            "Multinationale",
            "Recrutement",
            "",
            ""
        ],
        // row 4: empty company name
        cells!["73282932000074", "", "Entreprise", "Recrutement", "", ""],
        // row 5: valid
        cells![
            "73282932000074",
            "Boulangerie du Port",
            "Entreprise",
            "Autre",
            "",
            ""
        ],
    ];
    book(
        structure_sheet("TAPAJ-TLS-06", "TAPAJ", "2019-T1", None),
        sheet("Demandeurs d'emploi", &JS_HEADERS, rows),
        sheet("Entreprises et partenaires", &CO_HEADERS, companies),
        None,
    )
}

fn with_structure(code: &str, innovation: &str, period: &str) -> SBook {
    book(
        structure_sheet(code, innovation, period, None),
        sheet("Demandeurs d'emploi", &JS_HEADERS, clean_job_seekers()),
        sheet("Entreprises et partenaires", &CO_HEADERS, clean_companies()),
        None,
    )
}

fn missing_column() -> SBook {
    let headers: Vec<&str> = JS_HEADERS
        .iter()
        .copied()
        .filter(|h| *h != "Date d'entrée")
        .collect();
    let rows = vec![cells![
        "1234567A", "", "", "", "F", "33000", 14.0, "Bac", "", ""
    ]];
    book(
        structure_sheet("TAPAJ-TLS-06", "TAPAJ", "2019-T1", None),
        sheet("Demandeurs d'emploi", &headers, rows),
        sheet("Entreprises et partenaires", &CO_HEADERS, vec![]),
        None,
    )
}

fn missing_sheet() -> SBook {
    SBook {
        sheets: vec![
            structure_sheet("TAPAJ-TLS-06", "TAPAJ", "2019-T1", None),
            sheet("Demandeurs d'emploi", &JS_HEADERS, clean_job_seekers()),
        ],
        date_1904: false,
    }
}

fn write_all_formats(dir: &Path, stem: &str, b: &SBook, csv_names: Option<(&str, &str)>) {
    std::fs::write(dir.join(format!("{stem}.xlsx")), b.to_xlsx().unwrap()).unwrap();
    std::fs::write(dir.join(format!("{stem}.ods")), b.to_ods().unwrap()).unwrap();
    if let Some((code, period)) = csv_names {
        let csv_dir = dir.join("csv");
        std::fs::create_dir_all(&csv_dir).unwrap();
        for (sheet, table) in [
            ("Demandeurs d'emploi", "demandeurs"),
            ("Entreprises et partenaires", "entreprises"),
            ("Professionnels", "professionnels"),
        ] {
            if b.sheets.iter().any(|s| s.name == sheet) {
                let text = b.sheet_to_csv(sheet, b';').unwrap();
                std::fs::write(
                    csv_dir.join(format!("{code}_{period}_{table}__{stem}.csv")),
                    text,
                )
                .unwrap();
            }
        }
    }
}

#[test]
#[ignore = "writes the committed fixtures; run by hand after changing a case"]
fn regenerate_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let v = root.join("validate");
    let _ = std::fs::remove_dir_all(&v);
    std::fs::create_dir_all(&v).unwrap();
    write_all_formats(&v, "valide", &valid(), None);
    write_all_formats(&v, "derive-entetes", &header_drift(), None);
    write_all_formats(&v, "derive-valeurs", &value_drift(), None);
    write_all_formats(&v, "lignes-invalides", &invalid_rows(), None);
    write_all_formats(&v, "colonne-absente", &missing_column(), None);
    write_all_formats(&v, "feuille-absente", &missing_sheet(), None);
    write_all_formats(
        &v,
        "structure-inconnue",
        &with_structure("TAPAJ-XXX-99", "TAPAJ", "2019-T1"),
        None,
    );
    write_all_formats(
        &v,
        "innovation-incorrecte",
        &with_structure("TAPAJ-TLS-06", "SOLENI", "2019-T1"),
        None,
    );
    write_all_formats(
        &v,
        "innovation-alias",
        &with_structure("JESS-BDX-01", "Jeun_ESS_Créative", "2019-T2"),
        None,
    );
    write_all_formats(
        &v,
        "periode-invalide",
        &with_structure("TAPAJ-TLS-06", "TAPAJ", "2019-T5"),
        None,
    );
    write_all_formats(
        &v,
        "periode-future",
        &with_structure("TAPAJ-TLS-06", "TAPAJ", "2099-T1"),
        None,
    );
    // 1904 date system: serials count from 1904 (xlsx only: ods stores ISO dates).
    let mut b1904 = valid();
    b1904.date_1904 = true;
    std::fs::write(v.join("dates-1904.xlsx"), b1904.to_xlsx().unwrap()).unwrap();
    // Not spreadsheets, empty, corrupt.
    std::fs::write(v.join("vide.xlsx"), b"").unwrap();
    std::fs::write(
        v.join("pas-un-tableur.xlsx"),
        b"%PDF-1.4\n\x00\x01\x02binary",
    )
    .unwrap();
    let good = valid().to_xlsx().unwrap();
    std::fs::write(v.join("tronque.xlsx"), &good[..good.len() / 2]).unwrap();
    // An ODS file named .xls is read as what it is.
    std::fs::write(v.join("ods-deguise.xls"), valid().to_ods().unwrap()).unwrap();

    // CSV: one table per file, named <code>_<period>_<table>.csv.
    let c = v.join("csv");
    std::fs::create_dir_all(&c).unwrap();
    let js = valid();
    let utf8_comma = js.sheet_to_csv("Demandeurs d'emploi", b',').unwrap();
    std::fs::write(
        c.join("TAPAJ-TLS-06_2019-T1_demandeurs.csv"),
        format!("\u{feff}{utf8_comma}"),
    )
    .unwrap();
    let semicolon = js.sheet_to_csv("Entreprises et partenaires", b';').unwrap();
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&semicolon);
    std::fs::write(
        c.join("TAPAJ-TLS-06_2019-T1_entreprises.csv"),
        cp1252.as_ref(),
    )
    .unwrap();
    let pros = js.sheet_to_csv("Professionnels", b';').unwrap();
    let (pros1252, _, _) = encoding_rs::WINDOWS_1252.encode(&pros);
    std::fs::write(
        c.join("TAPAJ-TLS-06_2019-T1_professionnels.csv"),
        pros1252.as_ref(),
    )
    .unwrap();
    std::fs::write(c.join("TAPAJ-TLS-06_2019-T2_demandeurs.csv"), "").unwrap();
    let invalid = invalid_rows()
        .sheet_to_csv("Demandeurs d'emploi", b';')
        .unwrap();
    let (inv1252, _, _) = encoding_rs::WINDOWS_1252.encode(&invalid);
    std::fs::write(
        c.join("TAPAJ-RUN-07_2019-T1_demandeurs.csv"),
        inv1252.as_ref(),
    )
    .unwrap();
    let drift = header_drift()
        .sheet_to_csv("demandeurs d’emploi ", b';')
        .unwrap();
    std::fs::write(c.join("TAPAJ-DIJ-08_2019-T1_demandeurs.csv"), drift).unwrap();
    std::fs::write(c.join("export-sans-nom.csv"), utf8_comma.as_bytes()).unwrap();
    std::fs::write(
        c.join("TAPAJ-XXX-99_2019-T1_demandeurs.csv"),
        utf8_comma.as_bytes(),
    )
    .unwrap();
    std::fs::write(
        c.join("TAPAJ-TLS-06_2099-T1_demandeurs.csv"),
        utf8_comma.as_bytes(),
    )
    .unwrap();
    let missing = missing_column()
        .sheet_to_csv("Demandeurs d'emploi", b';')
        .unwrap();
    std::fs::write(c.join("TAPAJ-NAN-09_2019-T1_demandeurs.csv"), missing).unwrap();

    // The sample inbox the README's main command runs on.
    let inbox = root.join("inbox");
    let _ = std::fs::remove_dir_all(&inbox);
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(
        inbox.join("TAPAJ-TLS-06_2019-T1.xlsx"),
        valid().to_xlsx().unwrap(),
    )
    .unwrap();
    std::fs::write(
        inbox.join("JESS-BDX-01_2019-T2.ods"),
        with_structure("JESS-BDX-01", "Jeun_ESS_Créative", "2019-T2")
            .to_ods()
            .unwrap(),
    )
    .unwrap();
    std::fs::write(
        inbox.join("SOLENI-MTP-04_2019-T1.xlsx"),
        invalid_rows_for("SOLENI-MTP-04", "SOLENI")
            .to_xlsx()
            .unwrap(),
    )
    .unwrap();
    std::fs::write(
        inbox.join("RALLYE-BDX-01_2019-T1_demandeurs.csv"),
        utf8_comma.as_bytes(),
    )
    .unwrap();
    std::fs::write(
        inbox.join("OPPE-LYO-09_2019-T1.xlsx"),
        missing_column_for("OPPE-LYO-09", "Opportunités Emplois")
            .to_xlsx()
            .unwrap(),
    )
    .unwrap();
}

fn invalid_rows_for(code: &str, innovation: &str) -> SBook {
    let mut b = invalid_rows();
    b.sheets[0] = structure_sheet(code, innovation, "2019-T1", Some(4.0));
    b
}

fn missing_column_for(code: &str, innovation: &str) -> SBook {
    let mut b = missing_column();
    b.sheets[0] = structure_sheet(code, innovation, "2019-T1", None);
    b
}
