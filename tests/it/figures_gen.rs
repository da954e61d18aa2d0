//! The published figures' fixture set (`fixtures/figures/`): about 250 files
//! from the 65 structures over 2019, built so that the deduplicated figures
//! are exactly 8 innovations, 65 structures, 622 DELD, 338 professionals and
//! 167 companies, and so that getting any rule wrong moves a figure:
//! people seen at several structures and periods, keys linked only through a
//! third row, latest reports that change the DELD status, resubmissions that
//! supersede ghosts, invalid rows, files rejected whole, a duplicate file,
//! several formats. Regenerate with `cargo test regenerate_figures -- --ignored`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use essaim::model::template::Table;
use essaim::synth::{SBook, SCell, SSheet};

/// A job-seeker row to write.
#[derive(Clone)]
struct Js {
    person: usize,
    with_id: bool,
    with_name: bool,
    months: u32,
    situation: &'static str,
    /// Breaks a rule (postal code) so the row is rejected.
    invalid: bool,
}

#[derive(Clone, Default)]
struct FileSpec {
    js: Vec<Js>,
    companies: Vec<(String, &'static str, &'static str)>, // (siret or siren, type, nature)
    pros: Vec<usize>,
    /// Write a Professionnels sheet even when it lists nobody.
    pro_sheet: bool,
    declared: Option<u32>,
}

fn structures() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/structures.csv"),
    )
    .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap())
        .map(|rec| (rec[0].to_string(), rec[2].to_string()))
        .collect()
}

const PERIODS: [&str; 4] = ["2019-T1", "2019-T2", "2019-T3", "2019-T4"];

fn luhn_ok(s: &str) -> bool {
    essaim::validate::coerce::luhn(s)
}

/// A valid SIREN from a number.
fn siren(n: usize) -> String {
    let base = format!("{:08}", 10_000_000 + n * 7919 % 89_999_999);
    (0..10)
        .map(|d| format!("{base}{d}"))
        .find(|s| luhn_ok(s))
        .unwrap()
}

/// A valid SIRET of that SIREN, establishment `k`.
fn siret(siren: &str, k: usize) -> String {
    let nic = format!("{:04}", k + 1);
    (0..10)
        .map(|d| format!("{siren}{nic}{d}"))
        .find(|s| luhn_ok(s))
        .unwrap()
}

fn letters(mut n: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'A' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    s
}

fn surname(p: usize) -> String {
    format!("FAMILLE{}", letters(p))
}

fn birth(p: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days((p * 37 % 9000) as i64)
}

fn period_start(period: &str) -> NaiveDate {
    essaim::model::records::Period::parse(period)
        .unwrap()
        .start()
}

/// The whole fixture set: file name -> (structure code, period, spec, format).
struct Set {
    files: BTreeMap<(usize, usize), FileSpec>,
    /// Later versions (names sort after the first) of some files.
    resubmitted: BTreeMap<(usize, usize), FileSpec>,
}

const DELD: usize = 622;
const SHORT: usize = 100;

fn build() -> Set {
    let n_struct = 65;
    let mut files: BTreeMap<(usize, usize), FileSpec> = BTreeMap::new();
    // Every structure reports T1 and T3; two thirds also T2, two thirds T4.
    for s in 0..n_struct {
        for p in 0..4 {
            if p == 0 || p == 2 || (p == 1 && s % 3 != 0) || (p == 3 && s % 3 != 2) {
                files.insert((s, p), FileSpec::default());
            }
        }
    }
    let keys: Vec<(usize, usize)> = files.keys().copied().collect();
    let home = |i: usize| keys[i % keys.len()];
    let js = |person, months, situation| Js {
        person,
        with_id: true,
        with_name: false,
        months,
        situation,
        invalid: false,
    };
    // Every row of a person carries the same keys as their home row, unless
    // a case says otherwise: a third are known by name only, a sixth by both.
    let js_for = |person: usize, months, situation| Js {
        person,
        with_id: person % 3 != 1,
        with_name: person % 3 == 1 || person.is_multiple_of(6),
        months,
        situation,
        invalid: false,
    };
    // People 0..622 are DELD, 622..722 are not.
    for person in 0..DELD + SHORT {
        let months = if person < DELD {
            12 + (person % 30) as u32
        } else {
            (person % 12) as u32
        };
        let situation = match person % 7 {
            0 => "CDI",
            1 => "Intérim",
            2 => "Sans solution",
            3 => "CDD de moins de 6 mois",
            _ => "En cours",
        };
        files
            .get_mut(&home(person))
            .unwrap()
            .js
            .push(js_for(person, months, situation));
    }
    // 60 DELD people also followed by a second structure in T3 (counted once).
    for person in 0..60 {
        let (s, _) = home(person * 7);
        let other = ((s + 11) % n_struct, 2);
        if let Some(f) = files.get_mut(&other) {
            f.js.push(js_for(person * 7, 12 + (person % 5) as u32, "En cours"));
        }
    }
    // 40 DELD people whose id and name keys are linked only through a third
    // row carrying both: home row id only (person % 3 != 1 and % 6 != 0
    // already), a second row name only, a third both.
    for person in (0..DELD).filter(|p| p % 3 == 2).take(40) {
        let (s, _) = home(person);
        let a = ((s + 5) % n_struct, 0);
        let b = ((s + 9) % n_struct, 2);
        let mut name_only = js(person, 15, "En cours");
        name_only.with_id = false;
        name_only.with_name = true;
        let mut both = js(person, 15, "En cours");
        both.with_name = true;
        files.get_mut(&a).unwrap().js.push(name_only);
        files.get_mut(&b).unwrap().js.push(both);
    }
    // 30 people first short-term (T1: 6 months), later DELD (T3: 14): the
    // latest decides, they count as DELD. They are new people 722..752, so
    // DELD people 592..622 are reported as short-term first instead.
    // (Their home rows say DELD; add an *earlier* T1 row saying 6 months.)
    for person in DELD - 30..DELD {
        let (s, p) = home(person);
        if p == 0 {
            // Home is already T1: add a later T3 row restating DELD elsewhere.
            let later = ((s + 3) % n_struct, 2);
            files
                .get_mut(&later)
                .unwrap()
                .js
                .push(js_for(person, 14, "En cours"));
            // And make the home row short-term.
            let f = files.get_mut(&(s, p)).unwrap();
            for r in f.js.iter_mut().filter(|r| r.person == person) {
                r.months = 6;
            }
        } else {
            let earlier = ((s + 3) % n_struct, 0);
            files
                .get_mut(&earlier)
                .unwrap()
                .js
                .push(js_for(person, 6, "En cours"));
        }
    }
    // 20 short-term people first reported as DELD, later corrected: not DELD.
    for person in DELD..DELD + 20 {
        let (s, p) = home(person);
        if p == 0 {
            let later = ((s + 2) % n_struct, 2);
            files
                .get_mut(&later)
                .unwrap()
                .js
                .push(js_for(person, 3, "En cours"));
            let f = files.get_mut(&(s, p)).unwrap();
            for r in f.js.iter_mut().filter(|r| r.person == person) {
                r.months = 25;
            }
        } else {
            let earlier = ((s + 2) % n_struct, 0);
            files
                .get_mut(&earlier)
                .unwrap()
                .js
                .push(js_for(person, 25, "En cours"));
        }
    }
    // 25 invalid rows of people seen nowhere else: never counted.
    for i in 0..25 {
        let mut row = js(5000 + i, 30, "En cours");
        row.invalid = true;
        files
            .get_mut(&keys[(i * 13) % keys.len()])
            .unwrap()
            .js
            .push(row);
    }
    // Companies: 167 counted SIRENs (Entreprise or Partenaire privé), 13 not.
    for c in 0..180 {
        let sn = siren(c);
        let (kind, nature) = if c < 167 {
            (
                if c % 4 == 0 {
                    "Partenaire privé"
                } else {
                    "Entreprise"
                },
                [
                    "Recrutement",
                    "Immersion (PMSMP)",
                    "Parrainage",
                    "Visite d'entreprise",
                    "Mécénat",
                ][c % 5],
            )
        } else {
            (
                if c % 2 == 0 {
                    "Association"
                } else {
                    "Employeur public"
                },
                "Autre",
            )
        };
        let first = keys[(c * 3) % keys.len()];
        let id = if c % 10 == 9 {
            sn.clone()
        } else {
            siret(&sn, 0)
        };
        files
            .get_mut(&first)
            .unwrap()
            .companies
            .push((id, kind, nature));
        // A second establishment of the same company elsewhere, for a third of them.
        if c % 3 == 0 {
            let second = keys[(c * 3 + 17) % keys.len()];
            files
                .get_mut(&second)
                .unwrap()
                .companies
                .push((siret(&sn, 1), kind, nature));
        }
        // The same establishment at another structure, for a fifth.
        if c % 5 == 0 {
            let third = keys[(c * 3 + 29) % keys.len()];
            files
                .get_mut(&third)
                .unwrap()
                .companies
                .push((siret(&sn, 0), kind, nature));
        }
    }
    // Professionals: structures 0..40 list them (300 distinct, some at two
    // structures), structures 40..65 only declare a number (38 in all).
    for pro in 0..300 {
        let s = pro % 40;
        files.get_mut(&(s, 0)).unwrap().pros.push(pro);
        if pro % 6 == 0 {
            // Listed again by the same structure later: still one.
            files.get_mut(&(s, 2)).unwrap().pros.push(pro);
        }
        if pro % 10 == 1 {
            // Listed by another structure too (same name and organisation): still one.
            files.get_mut(&((s + 1) % 40, 2)).unwrap().pros.push(pro);
        }
    }
    for s in 40..65 {
        let n = if s < 53 { 2 } else { 1 };
        files.get_mut(&(s, 0)).unwrap().declared = Some(1);
        files.get_mut(&(s, 2)).unwrap().declared = Some(n);
    }
    // Structures that list professionals also declare a number: ignored.
    for s in 0..5 {
        files.get_mut(&(s, 0)).unwrap().declared = Some(50);
    }
    // Resubmissions for 10 files: the first version carries ghosts (15 DELD
    // people, 3 companies, 4 professionals) that the second drops.
    let mut resubmitted = BTreeMap::new();
    // (CSV structures are left out: a resent CSV has the same name.)
    for (i, key) in keys
        .iter()
        .filter(|(s, _)| s % 10 != 3)
        .step_by(7)
        .take(10)
        .enumerate()
    {
        let mut second = files[key].clone();
        second.pro_sheet = true;
        let first = files.get_mut(key).unwrap();
        for g in 0..15 {
            first.js.push(js(6000 + i * 100 + g, 24, "En cours"));
        }
        for g in 0..3 {
            first.companies.push((
                siret(&siren(900 + i * 10 + g), 0),
                "Entreprise",
                "Recrutement",
            ));
        }
        for g in 0..4 {
            first.pros.push(7000 + i * 10 + g);
        }
        resubmitted.insert(*key, second);
    }
    Set { files, resubmitted }
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

fn book(code: &str, innovation: &str, period: &str, f: &FileSpec) -> SBook {
    let mut st = SSheet::new("Structure");
    st.row(vec!["Code structure".into(), code.into()]);
    st.row(vec!["Innovation".into(), innovation.into()]);
    st.row(vec!["Période".into(), period.into()]);
    if let Some(n) = f.declared {
        st.row(vec![
            "Professionnels mobilisés".into(),
            SCell::Number(f64::from(n)),
        ]);
    }
    let start = period_start(period);
    let mut js = SSheet::new("Demandeurs d'emploi");
    js.row(JS_HEADERS.iter().map(|h| SCell::from(*h)));
    for r in &f.js {
        let p = r.person;
        let exit = r.situation != "En cours";
        js.row(vec![
            if r.with_id {
                SCell::Text(format!("{p:07}P"))
            } else {
                SCell::Empty
            },
            if r.with_name {
                SCell::Text(surname(p))
            } else {
                SCell::Empty
            },
            if r.with_name {
                SCell::Text(format!("Prenom{}", letters(p * 3)))
            } else {
                SCell::Empty
            },
            if r.with_name {
                SCell::Date(birth(p))
            } else {
                SCell::Empty
            },
            SCell::Text(if p % 2 == 0 { "F" } else { "H" }.into()),
            SCell::Text(if r.invalid {
                "9A000".into()
            } else {
                format!("{:05}", 10000 + (p * 97) % 80000)
            }),
            SCell::Date(start + chrono::Duration::days(3)),
            SCell::Number(f64::from(r.months)),
            SCell::Empty,
            SCell::Text(r.situation.into()),
            if exit {
                SCell::Date(start + chrono::Duration::days(40))
            } else {
                SCell::Empty
            },
        ]);
    }
    let mut co = SSheet::new("Entreprises et partenaires");
    co.row(
        Table::Entreprises
            .columns()
            .iter()
            .map(|c| SCell::from(c.header)),
    );
    for (i, (id, kind, nature)) in f.companies.iter().enumerate() {
        co.row(vec![
            SCell::Text(id.clone()),
            SCell::Text(format!("Société {id}")),
            (*kind).into(),
            (*nature).into(),
            SCell::Empty,
            SCell::Number((i % 3) as f64),
        ]);
    }
    let mut sheets = vec![st, js, co];
    if !f.pros.is_empty() || f.pro_sheet {
        let mut pr = SSheet::new("Professionnels");
        pr.row(
            Table::Professionnels
                .columns()
                .iter()
                .map(|c| SCell::from(c.header)),
        );
        for &p in &f.pros {
            pr.row(vec![
                SCell::Text(format!("PRO{}", letters(p))),
                SCell::Text(format!("Agent{}", letters(p + 7))),
                "Conseiller".into(),
                SCell::Text(format!("Organisme {}", p % 9)),
            ]);
        }
        sheets.push(pr);
    }
    SBook {
        sheets,
        date_1904: false,
    }
}

fn write(
    dir: &Path,
    code: &str,
    innovation: &str,
    period: &str,
    f: &FileSpec,
    s: usize,
    suffix: &str,
) {
    let b = book(code, innovation, period, f);
    let stem = format!("{code}_{period}{suffix}");
    match s % 10 {
        // CSV: one file per table; no Structure sheet, so no declared number.
        3 if f.declared.is_none() => {
            for (sheet, table) in [
                ("Demandeurs d'emploi", "demandeurs"),
                ("Entreprises et partenaires", "entreprises"),
                ("Professionnels", "professionnels"),
            ] {
                if b.sheets.iter().any(|x| x.name == sheet) {
                    let text = b
                        .sheet_to_csv(sheet, if s % 20 == 3 { b';' } else { b',' })
                        .unwrap();
                    let bytes = if s % 20 == 3 {
                        encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
                    } else {
                        text.into_bytes()
                    };
                    std::fs::write(
                        dir.join(format!("{code}_{period}_{table}{suffix}.csv")),
                        bytes,
                    )
                    .unwrap();
                }
            }
        }
        7 => std::fs::write(dir.join(format!("{stem}.ods")), b.to_ods().unwrap()).unwrap(),
        _ => std::fs::write(dir.join(format!("{stem}.xlsx")), b.to_xlsx().unwrap()).unwrap(),
    }
}

#[test]
#[ignore = "writes the committed figures fixture; run by hand after changing it"]
fn regenerate_figures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/figures");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let structures = structures();
    let set = build();
    for (&(s, p), f) in &set.files {
        let (code, innovation) = &structures[s];
        write(&dir, code, innovation, PERIODS[p], f, s, "");
    }
    for (&(s, p), f) in &set.resubmitted {
        let (code, innovation) = &structures[s];
        // A CSV resubmission must carry the same tables to supersede them.
        write(&dir, code, innovation, PERIODS[p], f, s, "_v2");
    }
    // Files rejected whole: their people never count.
    let (code, innovation) = &structures[0];
    let mut ghost = FileSpec::default();
    for g in 0..10 {
        ghost.js.push(Js {
            person: 8000 + g,
            with_id: true,
            with_name: false,
            months: 30,
            situation: "En cours",
            invalid: false,
        });
    }
    std::fs::write(
        dir.join("INCONNU-XXX-01_2019-T2.xlsx"),
        book("INCONNU-XXX-01", innovation, "2019-T2", &ghost)
            .to_xlsx()
            .unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("{code}_2019-T2_mauvaise-innovation.xlsx")),
        book(code, "SOLENI", "2019-T2", &ghost).to_xlsx().unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("{code}_2099-T1.xlsx")),
        book(code, innovation, "2099-T1", &ghost).to_xlsx().unwrap(),
    )
    .unwrap();
    // The same bytes twice under another name.
    let first = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .unwrap();
    std::fs::copy(&first, dir.join("copie-identique.xlsx")).unwrap();
}
