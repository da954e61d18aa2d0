//! The reference registries kept by operators: innovations and structures.
//!
//! Both are plain CSV files so that operators can edit them in a
//! spreadsheet. Every line is checked and every problem reported with its
//! file, line and field.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::model::registry::{Innovation, Phase, Registry, Structure};
use crate::text::{fold, fold_compact};

impl Registry {
    /// Loads both registries; problems are appended to `problems`.
    pub fn load(
        innovations: &Path,
        structures: &Path,
        aliases: BTreeMap<String, String>,
        problems: &mut Vec<String>,
    ) -> Registry {
        let mut reg = Registry {
            loaded: true,
            ..Registry::default()
        };
        for (line, rec) in read_csv(innovations, &["code", "nom", "phase"], problems) {
            let at = |field: &str| format!("{}, line {line}, field {field}", innovations.display());
            let code = rec[0].trim().to_string();
            if code.is_empty() {
                problems.push(format!("{}: empty code", at("code")));
                continue;
            }
            let Some(phase) = Phase::parse(&rec[2]) else {
                problems.push(format!(
                    "{}: unknown phase \"{}\" (expected essaimage, évaluation or sortie)",
                    at("phase"),
                    rec[2]
                ));
                continue;
            };
            if reg.innovations.iter().any(|i| i.code == code) {
                problems.push(format!("{}: duplicate code \"{code}\"", at("code")));
                continue;
            }
            reg.innovation_keys
                .insert(fold_compact(&code), code.clone());
            reg.innovation_keys
                .insert(fold_compact(&rec[1]), code.clone());
            reg.innovations.push(Innovation {
                code,
                name: rec[1].trim().to_string(),
                phase,
            });
        }
        // Without the innovations, every structure and alias would be
        // reported as naming an unknown one: say it once instead.
        let innovations_read = !problems
            .iter()
            .any(|p| p.starts_with(&format!("cannot read {}", innovations.display())));
        for (alias, code) in aliases {
            if innovations_read && reg.innovation(&code).is_none() {
                problems.push(format!(
                    "[aliases.innovations] \"{alias}\" points to unknown innovation code \"{code}\""
                ));
            }
            reg.innovation_keys.insert(fold_compact(&alias), code);
        }
        let cols = [
            "code",
            "nom",
            "innovation",
            "departement",
            "contact",
            "date_adhesion",
        ];
        for (line, rec) in read_csv(structures, &cols, problems) {
            let at = |field: &str| format!("{}, line {line}, field {field}", structures.display());
            let code = rec[0].trim().to_string();
            let mut ok = true;
            if code.is_empty() || code.contains('_') {
                problems.push(format!(
                    "{}: \"{code}\" is not a valid structure code (non-empty, no underscore)",
                    at("code")
                ));
                ok = false;
            }
            if reg.structure_keys.contains_key(&fold(&code)) {
                problems.push(format!("{}: duplicate code \"{code}\"", at("code")));
                ok = false;
            }
            if !innovations_read {
                // Kept so that the rest of each line is still checked.
            } else if reg.innovation(rec[2].trim()).is_none() {
                problems.push(format!(
                    "{}: unknown innovation code \"{}\"",
                    at("innovation"),
                    rec[2]
                ));
                ok = false;
            }
            let dep = rec[3].trim().to_string();
            if !crate::model::registry::is_departement(&dep) {
                problems.push(format!(
                    "{}: \"{dep}\" is not a département code (01-95, 2A, 2B, 971-976)",
                    at("departement")
                ));
                ok = false;
            }
            let contact = rec[4].trim().to_string();
            if !contact.is_empty() && !looks_like_email(&contact) {
                problems.push(format!(
                    "{}: \"{contact}\" is not an e-mail address",
                    at("contact")
                ));
                ok = false;
            }
            let joined = match NaiveDate::parse_from_str(rec[5].trim(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(format!(
                        "{}: \"{}\" is not a date as yyyy-mm-dd",
                        at("date_adhesion"),
                        rec[5]
                    ));
                    None
                }
            };
            if let (true, Some(joined)) = (ok, joined) {
                reg.structure_keys.insert(fold(&code), reg.structures.len());
                reg.structures.push(Structure {
                    code,
                    name: rec[1].trim().to_string(),
                    innovation: rec[2].trim().to_string(),
                    departement: dep,
                    contact,
                    joined,
                });
            }
        }
        reg
    }
}

fn read_csv(
    path: &Path,
    columns: &[&str],
    problems: &mut Vec<String>,
) -> Vec<(usize, Vec<String>)> {
    let mut reader = match csv::ReaderBuilder::new().flexible(true).from_path(path) {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("cannot read {}: {e}", path.display()));
            return Vec::new();
        }
    };
    match reader.headers() {
        Ok(h) => {
            let got: Vec<String> = h
                .iter()
                .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
                .collect();
            if got != columns {
                problems.push(format!(
                    "{}: the header must be \"{}\" (found \"{}\")",
                    path.display(),
                    columns.join(","),
                    got.join(",")
                ));
                return Vec::new();
            }
        }
        Err(e) => {
            problems.push(format!("{}: {e}", path.display()));
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        match rec {
            Ok(r) if r.iter().all(|f| f.trim().is_empty()) => {}
            Ok(r) if r.len() != columns.len() => problems.push(format!(
                "{}, line {line}: {} fields where {} are expected",
                path.display(),
                r.len(),
                columns.len()
            )),
            Ok(r) => out.push((line, r.iter().map(str::to_string).collect())),
            Err(e) => problems.push(format!("{}, line {line}: {e}", path.display())),
        }
    }
    out
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !s.contains(' '),
        None => false,
    }
}
