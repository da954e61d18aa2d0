//! Finding the template's tables and columns (`model::template`) in what
//! people wrote: the header row below title rows, headers in any case, accents,
//! spacing or order, operator aliases, extra columns.

use std::collections::BTreeMap;

use crate::ingest::{Cell, Row, Sheet};
use crate::model::template::{header_key, header_key_of_folded, Field, Need, Table};
use crate::text::column_letter;
use crate::text::fold;

use super::Refusal;

/// Where each field sits in a sheet, and what was found beside them.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// Index into the sheet's rows of the header row.
    pub row_index: usize,
    /// Field -> (zero-based column, header as written).
    pub columns: BTreeMap<Field, (usize, String)>,
    /// Notices: ignored columns, aliases used.
    pub notices: Vec<String>,
    /// Field (as index) -> column, built from `columns`.
    index: Vec<Option<usize>>,
}

impl HeaderMap {
    /// The zero-based column of a field (an array lookup: this is asked for
    /// every field of every row).
    pub fn column(&self, field: Field) -> Option<usize> {
        self.index.get(field as usize).copied().flatten()
    }

    /// Builds the array behind [`HeaderMap::column`] from `columns`.
    fn index_columns(&mut self) {
        self.index = vec![None; Field::Organisme as usize + 1];
        for (f, (c, _)) in &self.columns {
            self.index[*f as usize] = Some(*c);
        }
    }

    /// The column letter and written header of a field, for rejections.
    pub fn locate(&self, field: Field) -> (String, String) {
        self.columns
            .get(&field)
            .map(|(c, h)| (column_letter(*c), h.clone()))
            .unwrap_or_default()
    }
}

/// How many header rows to look through before giving up.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Finds the header row of `sheet` for `table` and maps its columns.
///
/// # Errors
/// A French reason, rejecting the file, when no header row is found or a
/// required column is missing.
pub fn locate(
    sheet: &Sheet,
    table: Table,
    aliases: &BTreeMap<String, String>,
) -> Result<HeaderMap, Refusal> {
    let columns = table.columns();
    // The template's keys, folded once (this runs for every cell of the
    // first rows of every sheet).
    let keys: Vec<(Field, String)> = columns
        .iter()
        .map(|c| (c.field, header_key(c.header)))
        .collect();
    let resolve = |text: &str| -> Option<(Field, bool)> {
        // Folded once: for the key and for the alias, looked up by the
        // folded text.
        let folded = fold(text);
        let key = header_key_of_folded(&folded);
        if key.is_empty() {
            return None;
        }
        if let Some((f, _)) = keys.iter().find(|(_, k)| *k == key) {
            return Some((*f, false));
        }
        let canonical = aliases.get(&folded)?;
        let ck = header_key(canonical);
        keys.iter().find(|(_, k)| *k == ck).map(|(f, _)| (*f, true))
    };
    // A number or a date shows no letter, and every template header has
    // some: unless an alias is written without letters, such cells (most
    // of the data rows among the rows searched) cannot be headers and are
    // not written out to be looked up. Finding the header row was a fifth
    // of validating (`perf`, side-by-side data).
    let letterless_alias = aliases.keys().any(|k| !k.chars().any(char::is_alphabetic));
    let score = |row: &Row| {
        row.cells
            .iter()
            .filter(|c| match c {
                Cell::Empty => false,
                Cell::Text(t) => resolve(t).is_some(),
                Cell::Number(n) if n.is_finite() && !letterless_alias => false,
                Cell::Date(_) if !letterless_alias => false,
                other => resolve(&other.display()).is_some(),
            })
            .count()
    };
    // The row naming the most template columns (the first of equals),
    // and the first that names as many as the template has: the rows
    // below it are data, and folding their text to look it up was most of
    // finding the header.
    let mut best: Option<(usize, usize)> = None;
    for (i, r) in sheet.rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let hits = score(r);
        if best.is_none_or(|(_, most)| hits > most) {
            best = Some((i, hits));
        }
        if hits >= columns.len() {
            break;
        }
    }
    let expected: Vec<&str> = columns.iter().map(|c| c.header).collect();
    let Some((row_index, hits)) = best.filter(|(_, n)| *n >= 2.min(columns.len())) else {
        return Err(Refusal::NoHeaderRow {
            sheet: sheet_label(sheet, table),
            expected,
        });
    };
    let _ = hits;
    let header_row = &sheet.rows[row_index];
    let mut map = BTreeMap::new();
    let mut notices = Vec::new();
    let mut found = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for (i, cell) in header_row.cells.iter().enumerate() {
        let written = cell.display().trim().to_string();
        if written.is_empty() {
            continue;
        }
        found.push(written.replace('\n', " "));
        match resolve(&written) {
            Some((field, via_alias)) => {
                if map.contains_key(&field) {
                    notices.push(format!(
                        "Colonne {} « {} » en double : seule la première est lue.",
                        column_letter(i),
                        written
                    ));
                    continue;
                }
                if via_alias {
                    let canonical = columns
                        .iter()
                        .find(|c| c.field == field)
                        .map(|c| c.header)
                        .unwrap_or("");
                    notices.push(format!("Colonne « {written} » lue comme « {canonical} »."));
                }
                map.insert(field, (i, written));
            }
            None => {
                notices.push(format!(
                    "Colonne {} « {} » ignorée (elle ne fait pas partie du modèle).",
                    column_letter(i),
                    written
                ));
                unknown.push(written.replace('\n', " "));
            }
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| c.need == Need::Required && !map.contains_key(&c.field))
        .map(|c| c.header)
        .collect();
    if !missing.is_empty() {
        let suggestions = closest(&missing, &unknown);
        return Err(Refusal::MissingColumns {
            sheet: sheet_label(sheet, table),
            missing,
            found,
            suggestions,
        });
    }
    let has = |f: Field| map.contains_key(&f);
    if table == Table::Demandeurs
        && !has(Field::Identifiant)
        && !(has(Field::Nom) && has(Field::Prenom) && has(Field::DateNaissance))
    {
        return Err(Refusal::MissingIdentity {
            sheet: sheet_label(sheet, table),
            found,
        });
    }
    let mut header = HeaderMap {
        row_index,
        columns: map,
        notices,
        index: Vec::new(),
    };
    header.index_columns();
    Ok(header)
}

fn sheet_label(sheet: &Sheet, table: Table) -> String {
    if sheet.name == crate::model::template::CSV_SHEET {
        table.csv_name().to_string()
    } else {
        sheet.name.clone()
    }
}

/// For each missing header, the closest header found outside the template
/// (Jaro-Winkler similarity of the folded texts, at least 0.7), each found
/// header suggested once.
fn closest(missing: &[&'static str], unknown: &[String]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for m in missing {
        let best = unknown
            .iter()
            .filter(|u| !out.iter().any(|(f, _)| f == *u))
            .map(|u| (u, strsim::jaro_winkler(&header_key(u), &header_key(m))))
            .filter(|(_, score)| *score >= 0.7)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((u, _)) = best {
            out.push((u.clone(), *m));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32, cells: &[&str]) -> Row {
        Row {
            number: n,
            cells: cells
                .iter()
                .map(|s| {
                    if s.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn header_below_title_rows_with_drift() {
        let sheet = Sheet {
            name: "Demandeurs d'emploi".into(),
            rows: vec![
                row(1, &["Suivi des demandeurs — 2019"]),
                row(
                    3,
                    &[
                        "  IDENTIFIANT france travail ",
                        "code POSTAL",
                        "Date d’entrée",
                        "Nb mois chômage",
                        "Commentaire",
                    ],
                ),
                row(4, &["X1", "75001", "01/01/2019", "13", ""]),
            ],
        };
        let mut aliases = BTreeMap::new();
        aliases.insert(
            fold("Nb mois chômage"),
            "Durée de chômage (mois)".to_string(),
        );
        let map = locate(&sheet, Table::Demandeurs, &aliases).unwrap();
        assert_eq!(map.row_index, 1);
        assert_eq!(map.columns[&Field::DureeChomage].0, 3);
        assert!(map
            .notices
            .iter()
            .any(|n| n.contains("Commentaire") && n.contains("ignorée")));
        assert!(map
            .notices
            .iter()
            .any(|n| n.contains("lue comme « Durée de chômage (mois) »")));
    }

    #[test]
    fn the_first_row_naming_every_column_is_the_header() {
        let headers: Vec<&str> = Table::Demandeurs
            .columns()
            .iter()
            .map(|c| c.header)
            .collect();
        // A second header row below the first, with a column twice (it
        // names more columns than the template has): the first is read.
        let mut twice = headers.clone();
        twice.push(headers[0]);
        let sheet = Sheet {
            name: "Demandeurs d'emploi".into(),
            rows: vec![row(1, &["Suivi 2019"]), row(2, &headers), row(3, &twice)],
        };
        let map = locate(&sheet, Table::Demandeurs, &BTreeMap::new()).unwrap();
        assert_eq!(map.row_index, 1);
        assert_eq!(map.columns.len(), headers.len());
        // A row naming fewer columns than a later one is not the header.
        let sheet = Sheet {
            name: "Demandeurs d'emploi".into(),
            rows: vec![row(1, &headers[..2]), row(2, &headers)],
        };
        let map = locate(&sheet, Table::Demandeurs, &BTreeMap::new()).unwrap();
        assert_eq!(map.row_index, 1);
    }

    #[test]
    fn missing_required_column_names_what_was_found() {
        let sheet = Sheet {
            name: "Demandeurs d'emploi".into(),
            rows: vec![row(
                1,
                &[
                    "Identifiant France Travail",
                    "Code postal",
                    "Durée de chômage (mois)",
                ],
            )],
        };
        let err = locate(&sheet, Table::Demandeurs, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Colonne obligatoire absente : « Date d'entrée ». Colonnes trouvées"),
            "{err}"
        );
        assert!(err.contains("« Code postal »"));
    }

    /// `locate` passes over number and date cells unless an alias has no
    /// letter: that holds only while every template header has one.
    #[test]
    fn every_template_header_has_a_letter() {
        for table in Table::ALL {
            for c in table.columns() {
                assert!(
                    header_key(c.header).chars().any(char::is_alphabetic),
                    "{}",
                    c.header
                );
            }
        }
    }

    #[test]
    fn headers_written_as_numbers_are_found_through_letterless_aliases() {
        let number = |n: f64| Cell::Number(n);
        let date = |d: &str| {
            Cell::Date(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            )
        };
        // A sheet whose headers are codes: 1 (identifier), 2 (postal code),
        // 3 (entry date), 4 (months), typed as numbers.
        let sheet = Sheet {
            name: "Demandeurs d'emploi".into(),
            rows: vec![
                Row {
                    number: 1,
                    cells: vec![number(1.0), number(2.0), number(3.0), number(4.0)],
                },
                Row {
                    number: 2,
                    cells: vec![
                        Cell::Text("X1".into()),
                        number(75001.0),
                        date("2019-01-01"),
                        number(13.0),
                    ],
                },
            ],
        };
        let mut aliases = BTreeMap::new();
        for (code, header) in [
            ("1", "Identifiant France Travail"),
            ("2", "Code postal"),
            ("3", "Date d'entrée"),
            ("4", "Durée de chômage (mois)"),
        ] {
            aliases.insert(fold(code), header.to_string());
        }
        let map = locate(&sheet, Table::Demandeurs, &aliases).unwrap();
        assert_eq!(map.row_index, 0);
        assert_eq!(map.column(Field::CodePostal), Some(1));
        assert_eq!(map.column(Field::DureeChomage), Some(3));
        // Without those aliases, numbers are no headers.
        assert!(locate(&sheet, Table::Demandeurs, &BTreeMap::new()).is_err());
    }
}
