//! A minimal OpenDocument spreadsheet writer: enough for calamine (and
//! LibreOffice) to read strings, floats, dates and formulas with cached
//! values.

use std::io::{Cursor, Write};

use super::{SBook, SCell, SynthError};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn write(book: &SBook) -> Result<Vec<u8>, SynthError> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    for sheet in &book.sheets {
        content.push_str(&format!(
            "<table:table table:name=\"{}\">",
            esc(&sheet.name)
        ));
        for row in &sheet.rows {
            content.push_str("<table:table-row>");
            for cell in row {
                match cell {
                    SCell::Empty => content.push_str("<table:table-cell/>"),
                    SCell::Text(s) => content.push_str(&format!(
                        "<table:table-cell office:value-type=\"string\"><text:p>{}</text:p></table:table-cell>",
                        esc(s)
                    )),
                    SCell::Number(n) => content.push_str(&format!(
                        "<table:table-cell office:value-type=\"float\" office:value=\"{n}\"><text:p>{n}</text:p></table:table-cell>"
                    )),
                    SCell::Date(d) => content.push_str(&format!(
                        "<table:table-cell office:value-type=\"date\" office:date-value=\"{}\"><text:p>{}</text:p></table:table-cell>",
                        d.format("%Y-%m-%d"),
                        d.format("%d/%m/%Y")
                    )),
                    SCell::Formula { formula, result } => content.push_str(&format!(
                        "<table:table-cell table:formula=\"of:{}\" office:value-type=\"float\" office:value=\"{result}\"><text:p>{result}</text:p></table:table-cell>",
                        esc(formula)
                    )),
                }
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    let parts: [(&str, &[u8], _); 3] = [
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
            stored,
        ),
        ("content.xml", content.as_bytes(), deflated),
        ("META-INF/manifest.xml", manifest.as_bytes(), deflated),
    ];
    for (name, data, opts) in parts {
        zip.start_file(name, opts)?;
        zip.write_all(data)?;
    }
    Ok(zip.finish()?.into_inner())
}
