//! Cell coercion: the tolerated spellings of dates, integers and company
//! identifiers turned into typed values, or a French reason why not.
//! Pure functions, no I/O.

use calamine::{ExcelDateTime, ExcelDateTimeType};
use chrono::NaiveDate;

use crate::ingest::Cell;
use crate::model::records::CompanyId;

/// Why a cell could not be read as what its column needs (French).
pub type Reason = String;

/// Error values a spreadsheet writes, also when exported to CSV as text.
pub fn error_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Error(e) => Some(e.clone()),
        Cell::Text(s) => {
            // Error texts start with '#': most cells are told apart by
            // their first byte, without trimming.
            if s.as_bytes()
                .first()
                .is_some_and(|b| b.is_ascii_graphic() && *b != b'#')
            {
                return None;
            }
            let t = s.trim();
            let known = [
                "#REF!", "#DIV/0!", "#N/A", "#VALUE!", "#VALEUR!", "#NAME?", "#NOM?", "#NUM!",
                "#NULL!", "#NUL!",
            ];
            known
                .iter()
                .any(|k| k.eq_ignore_ascii_case(t))
                .then(|| t.to_string())
        }
        _ => None,
    }
}

/// A date from a date cell, an Excel serial in the workbook's date system,
/// or text as `dd/mm/yyyy`, `dd/mm/yy`, `dd-mm-yyyy`, `yyyy-mm-dd`,
/// `dd.mm.yyyy` (a time part after a space or `T` is ignored).
pub fn date(cell: &Cell, date_1904: bool) -> Result<NaiveDate, Reason> {
    match cell {
        Cell::Date(dt) => Ok(dt.date()),
        Cell::Number(n) => serial(*n, date_1904),
        Cell::Text(s) => {
            let t = s.trim();
            if let Ok(n) = t.parse::<f64>() {
                return serial(n, date_1904);
            }
            text_date(t)
        }
        _ => Err(UNREADABLE_DATE.to_string()),
    }
}

fn serial(n: f64, date_1904: bool) -> Result<NaiveDate, Reason> {
    // Excel serials from 1 (1900-01-01) to 2958465 (9999-12-31).
    if !(1.0..2_958_466.0).contains(&n) {
        return Err(format!("nombre {n} qui n'est pas une date"));
    }
    ExcelDateTime::new(n, ExcelDateTimeType::DateTime, date_1904)
        .as_datetime()
        .map(|dt| dt.date())
        .ok_or_else(|| format!("nombre {n} qui n'est pas une date"))
}

const UNREADABLE_DATE: &str = "date illisible : attendu jj/mm/aaaa (ou aaaa-mm-jj)";

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Day, month and year read from the text; a date that reads as one but
/// is not in the calendar says so (« 31/02/2019 n'existe pas »).
fn text_date(t: &str) -> Result<NaiveDate, Reason> {
    let t = t.split([' ', 'T']).next().unwrap_or(t);
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    let (day, month, year) = match parts.as_slice() {
        [y, m, d] if y.len() == 4 && t.contains('-') => (*d, *m, *y),
        [d, m, y] => (*d, *m, *y),
        _ => return Err(UNREADABLE_DATE.to_string()),
    };
    let number = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (Some(d), Some(m)) = (number(day, 2), number(month, 2)) else {
        return Err(UNREADABLE_DATE.to_string());
    };
    let y: i32 = match (year.len(), number(year, 4)) {
        (4, Some(y)) => y as i32,
        // dd/mm/yy: 00 to 29 are 20xx, 30 to 99 are 19xx.
        (2, Some(yy)) if yy < 30 => 2000 + yy as i32,
        (2, Some(yy)) => 1900 + yy as i32,
        _ => return Err(UNREADABLE_DATE.to_string()),
    };
    if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
        return Ok(date);
    }
    Err(match m {
        1..=12 if d == 0 => format!("{t} n'existe pas : il n'y a pas de jour 0"),
        1..=12 => {
            let days = (28..=31)
                .rev()
                .find(|&n| NaiveDate::from_ymd_opt(y, m, n).is_some())
                .unwrap_or(28);
            format!(
                "{t} n'existe pas : {} {y} n'a que {days} jours",
                MONTHS[m as usize - 1]
            )
        }
        _ => format!("{t} n'existe pas : il n'y a pas de mois {m} (attendu jj/mm/aaaa)"),
    })
}

/// An integer >= 0 written as `12`, `12.0`, ` 12 `, `12,0`, or a number cell.
pub fn count(cell: &Cell) -> Result<u32, Reason> {
    let n = match cell {
        Cell::Number(n) => *n,
        Cell::Text(s) => {
            let t: String = s.trim().chars().filter(|c| !c.is_whitespace()).collect();
            t.replace(',', ".")
                .parse::<f64>()
                .map_err(|_| "n'est pas un nombre entier".to_string())?
        }
        _ => return Err("n'est pas un nombre entier".to_string()),
    };
    if n.fract() != 0.0 || !n.is_finite() {
        return Err("n'est pas un nombre entier".to_string());
    }
    if n < 0.0 {
        return Err("doit être positif ou nul".to_string());
    }
    // Stored as INTEGER: beyond 2,147,483,647 the row is refused here
    // rather than the load of its whole group.
    if n > f64::from(i32::MAX) {
        return Err("nombre trop grand".to_string());
    }
    Ok(n as u32)
}

/// The digits of a postal-code cell: a number cell is printed without its
/// decimals, so that `1000` (a lost leading zero) can be restored.
pub fn code_text(cell: &Cell) -> String {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && *n >= 0.0 => format!("{}", *n as u64),
        other => other.as_text().trim().to_string(),
    }
}

/// A SIRET (14 digits) or SIREN (9 digits) that passes its check: Luhn, or
/// for La Poste (SIREN 356000000) a digit sum that is a multiple of 5.
/// Spaces are allowed; a number cell that lost leading zeros is restored.
pub fn company_id(cell: &Cell) -> Result<CompanyId, Reason> {
    let digits: String = match cell {
        Cell::Number(n) if n.fract() == 0.0 && *n > 0.0 && *n < 1e14 => {
            let s = format!("{}", *n as u64);
            // More than 9 digits can only be a SIRET that lost its zeros.
            if s.len() > 9 {
                format!("{s:0>14}")
            } else {
                format!("{s:0>9}")
            }
        }
        Cell::Number(_) => return Err("n'est pas un numéro SIRET (14 chiffres)".to_string()),
        other => other
            .as_text()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect(),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("le SIRET ne doit contenir que des chiffres".to_string());
    }
    match digits.len() {
        14 => {
            let ok = if digits.starts_with("356000000") {
                digit_sum(&digits).is_multiple_of(5)
            } else {
                luhn(&digits)
            };
            if ok {
                Ok(CompanyId::Siret(digits))
            } else {
                Err("SIRET invalide (clé de contrôle incorrecte)".to_string())
            }
        }
        9 => {
            if luhn(&digits) {
                Ok(CompanyId::Siren(digits))
            } else {
                Err("SIREN invalide (clé de contrôle incorrecte)".to_string())
            }
        }
        n => Err(format!(
            "{n} chiffres : un SIRET en a 14 (ou un SIREN 9 si l'établissement est inconnu)"
        )),
    }
}

fn digit_sum(s: &str) -> u32 {
    s.bytes().map(|b| u32::from(b - b'0')).sum()
}

/// The Luhn check used by SIREN and SIRET.
pub fn luhn(s: &str) -> bool {
    let mut sum = 0;
    for (i, b) in s.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn a_date_outside_the_calendar_says_why() {
        let text = |s: &str| date(&Cell::Text(s.into()), false).unwrap_err();
        assert_eq!(
            text("31/02/2019"),
            "31/02/2019 n'existe pas : février 2019 n'a que 28 jours"
        );
        assert_eq!(
            text("30/02/2020 "),
            "30/02/2020 n'existe pas : février 2020 n'a que 29 jours"
        );
        assert_eq!(
            text("2019-04-31"),
            "2019-04-31 n'existe pas : avril 2019 n'a que 30 jours"
        );
        assert!(text("12/13/2019").contains("pas de mois 13"));
        assert!(text("demain").starts_with("date illisible"));
        assert_eq!(
            date(&Cell::Text("29/02/2024".into()), false).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn dates_in_every_tolerated_spelling() {
        for s in [
            "15/03/2019",
            "15/03/19",
            "15-03-2019",
            "2019-03-15",
            "15.03.2019",
            " 15/3/2019 ",
            "2019-03-15 00:00:00",
        ] {
            assert_eq!(date(&text(s), false), Ok(d(2019, 3, 15)), "{s}");
        }
        assert_eq!(date(&text("01/01/30"), false), Ok(d(1930, 1, 1)));
        assert_eq!(date(&text("01/01/29"), false), Ok(d(2029, 1, 1)));
        assert!(date(&text("31/02/2019"), false).is_err());
        assert!(date(&text("bientôt"), false).is_err());
        let dt = NaiveDateTime::parse_from_str("2019-03-15 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(date(&Cell::Date(dt), false), Ok(d(2019, 3, 15)));
    }

    #[test]
    fn serials_in_both_date_systems() {
        // 43539 is 2019-03-15 in the 1900 system; 1462 days earlier in 1904.
        assert_eq!(date(&Cell::Number(43539.0), false), Ok(d(2019, 3, 15)));
        assert_eq!(
            date(&Cell::Number(43539.0 - 1462.0), true),
            Ok(d(2019, 3, 15))
        );
        assert_eq!(date(&text("43539"), false), Ok(d(2019, 3, 15)));
        assert!(date(&Cell::Number(-4.0), false).is_err());
    }

    #[test]
    fn integers_in_every_tolerated_spelling() {
        for s in ["12", "12.0", " 12 ", "12,0"] {
            assert_eq!(count(&text(s)), Ok(12), "{s}");
        }
        assert_eq!(count(&Cell::Number(12.0)), Ok(12));
        assert!(count(&text("12,5")).is_err());
        assert!(count(&text("-1")).is_err());
        assert!(count(&text("douze")).is_err());
        // Stored as INTEGER: the largest is accepted, one more refused.
        assert_eq!(count(&Cell::Number(2_147_483_647.0)), Ok(2_147_483_647));
        assert_eq!(
            count(&Cell::Number(2_147_483_648.0)),
            Err("nombre trop grand".to_string())
        );
    }

    #[test]
    fn siret_checks() {
        // 73282932000074 is a valid SIRET (Luhn).
        assert_eq!(
            company_id(&text("732 829 320 00074")),
            Ok(CompanyId::Siret("73282932000074".into()))
        );
        assert!(company_id(&text("73282932000075")).is_err());
        // La Poste: digit sum multiple of 5.
        assert!(company_id(&text("35600000000001")).is_ok());
        assert!(company_id(&text("35600000000002")).is_err());
        // A SIREN alone.
        assert_eq!(
            company_id(&text("732829320")),
            Ok(CompanyId::Siren("732829320".into()))
        );
        // A number cell that lost its leading zeros is restored.
        assert_eq!(
            company_id(&Cell::Number(572_132_700_012.0)),
            Ok(CompanyId::Siret("00572132700012".into()))
        );
        assert!(company_id(&text("1234")).is_err());
        assert!(company_id(&text("ABC")).is_err());
    }
}
