//! Format sniffing from the bytes, never from the file name: an `.xls` that
//! is really an OpenDocument file or a CSV export is read as what it is.
//! Zip-based workbooks are also measured here, before any decompression, so
//! that a zip bomb is refused without being inflated.

use std::io::Cursor;

use serde::Serialize;

use super::ReadError;
use crate::model::limits::Limits;

/// A file format essaim can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
    Csv,
}

impl Format {
    /// The usual extension, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Tells the format of `bytes`.
///
/// # Errors
/// [`ReadError::Password`] for an encrypted OOXML package,
/// [`ReadError::Bomb`] for an archive that would inflate past the limit,
/// [`ReadError::NotASpreadsheet`] for anything else that is no spreadsheet.
pub fn sniff(bytes: &[u8], limits: &Limits) -> Result<Format, ReadError> {
    if bytes.starts_with(ZIP_MAGIC) {
        return sniff_zip(bytes, limits);
    }
    if bytes.starts_with(CFB_MAGIC) {
        // An encrypted xlsx is a CFB container holding these two streams.
        if contains_utf16(bytes, "EncryptedPackage") || contains_utf16(bytes, "EncryptionInfo") {
            return Err(ReadError::Password);
        }
        return Ok(Format::Xls);
    }
    if looks_like_text(bytes) {
        return Ok(Format::Csv);
    }
    let what = match bytes {
        [0x25, 0x50, 0x44, 0x46, ..] => "document PDF",
        [0x89, b'P', b'N', b'G', ..] | [0xFF, 0xD8, 0xFF, ..] => "image",
        [0x1F, 0x8B, ..] => "archive gzip",
        _ => "contenu binaire inconnu",
    };
    Err(ReadError::NotASpreadsheet(what.into()))
}

fn sniff_zip(bytes: &[u8], limits: &Limits) -> Result<Format, ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ReadError::Corrupt(format!("archive zip invalide ({e})")))?;
    let max = limits.max_uncompressed_mib.saturating_mul(1024 * 1024);
    let mut total: u64 = 0;
    let mut names = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| ReadError::Corrupt(format!("archive zip invalide ({e})")))?;
        total = total.saturating_add(entry.size());
        names.push(entry.name().map(|n| n.to_string()).unwrap_or_default());
    }
    if total > max {
        return Err(ReadError::Bomb {
            max_mib: limits.max_uncompressed_mib,
        });
    }
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    if has("mimetype") || has("content.xml") {
        if let Ok(mut f) = archive.by_name("mimetype") {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut std::io::Read::take(&mut f, 200), &mut s);
            if !s.contains("spreadsheet") {
                return Err(ReadError::NotASpreadsheet(format!(
                    "document OpenDocument « {} »",
                    s.trim()
                )));
            }
        }
        return Ok(Format::Ods);
    }
    if names.iter().any(|n| n.ends_with("workbook.bin")) {
        return Ok(Format::Xlsb);
    }
    if names
        .iter()
        .any(|n| n.ends_with("workbook.xml") || n.ends_with("workbook2.xml"))
    {
        return Ok(Format::Xlsx);
    }
    if has("word/document.xml") {
        return Err(ReadError::NotASpreadsheet("document Word".into()));
    }
    Err(ReadError::NotASpreadsheet("archive zip".into()))
}

fn contains_utf16(haystack: &[u8], needle: &str) -> bool {
    let pattern: Vec<u8> = needle.encode_utf16().flat_map(u16::to_le_bytes).collect();
    haystack
        .windows(pattern.len())
        .any(|w| w == pattern.as_slice())
}

/// Text if it has a UTF-16 BOM, or no NUL byte and few control characters
/// in its first 8 KiB.
fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return false;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C))
        .count();
    control * 100 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_csv_whatever_the_name() {
        assert_eq!(sniff(b"a;b\n1;2\n", &Limits::default()), Ok(Format::Csv));
    }

    #[test]
    fn binary_garbage_is_refused_with_a_reason() {
        let err = sniff(&[0x25, 0x50, 0x44, 0x46, 0, 1, 2], &Limits::default()).unwrap_err();
        assert_eq!(err, ReadError::NotASpreadsheet("document PDF".into()));
    }

    #[test]
    fn encrypted_ooxml_is_named_as_password_protected() {
        let mut bytes = CFB_MAGIC.to_vec();
        bytes.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(sniff(&bytes, &Limits::default()), Err(ReadError::Password));
    }
}
