//! CSV files: decoded from UTF-8 (with or without BOM), UTF-16 (with BOM)
//! or Windows-1252, and split on the delimiter found in the first lines.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::{Cell, Event, Format, Meta, ReadError, Row, Sender};
use crate::model::limits::Limits;
use crate::model::template::CSV_SHEET;

pub(super) fn read(bytes: &[u8], limits: &Limits, out: &Sender) -> Result<(), ReadError> {
    let text = decode(bytes)?;
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    out.push(Event::Opened(Meta {
        format: Format::Csv,
        date_1904: false,
        sheet_names: vec![CSV_SHEET.into()],
    }));
    out.push(Event::Sheet(CSV_SHEET.into()));
    let mut sent = 0;
    let mut dropped_columns = false;
    let mut record = csv::StringRecord::new();
    let mut index = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(ReadError::Corrupt(format!("CSV invalide : {e}"))),
        }
        index += 1;
        if record.len() > limits.max_columns {
            dropped_columns = true;
        }
        let cells: Vec<Cell> = record
            .iter()
            .take(limits.max_columns)
            .map(|f| {
                if f.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(f.to_string())
                }
            })
            .collect();
        let row = Row {
            number: u32::try_from(index).unwrap_or(u32::MAX),
            cells,
        };
        if row.is_blank() {
            continue;
        }
        if sent >= limits.max_rows {
            return Err(ReadError::TooManyRows {
                sheet: CSV_SHEET.into(),
                max: limits.max_rows,
            });
        }
        sent += 1;
        out.row(row)?;
    }
    if dropped_columns {
        out.push(Event::Notice(format!(
            "Les colonnes au-delà de la {}e ont été ignorées.",
            limits.max_columns
        )));
    }
    Ok(())
}

/// UTF-8 when the bytes are valid UTF-8 (a BOM is dropped), UTF-16 when a
/// BOM says so, otherwise Windows-1252, which is what French Excel writes.
pub fn decode(bytes: &[u8]) -> Result<String, ReadError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(str::to_string)
            .map_err(|_| ReadError::Encoding);
    }
    for (bom, enc) in [([0xFF, 0xFE], UTF_16LE), ([0xFE, 0xFF], UTF_16BE)] {
        if bytes.starts_with(&bom) {
            let (text, _, had_errors) = enc.decode(bytes);
            return if had_errors {
                Err(ReadError::Encoding)
            } else {
                Ok(text.into_owned())
            };
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = WINDOWS_1252.decode(bytes);
    if had_errors {
        return Err(ReadError::Encoding);
    }
    Ok(text.into_owned())
}

/// The delimiter that splits the first lines most consistently: `;` and `,`
/// as the template says, tab and `|` as exports often have.
pub fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (b';', 0usize);
    for d in [b';', b',', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        // Score: lines where the delimiter appears, weighted by its usual count.
        let mut sorted = counts.clone();
        sorted.sort_unstable();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
        let consistent = counts.iter().filter(|&&c| c == median && c > 0).count();
        let score = consistent * 1000 + median;
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, d: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for b in line.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == d && !in_quotes {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_decoded() {
        let bytes = b"Dur\xe9e de ch\xf4mage";
        assert_eq!(decode(bytes).unwrap(), "Durée de chômage");
    }

    #[test]
    fn utf8_bom_is_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBFa;b").unwrap(), "a;b");
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b\n\"1,5\";2\n\"3,5\";4\n"), b';');
        assert_eq!(sniff_delimiter("a|b\n1|2\n"), b'|');
    }
}
