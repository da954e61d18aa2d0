//! The annotated copy of an `.xlsx`/`.xlsm` workbook, made by editing the
//! structure's own file rather than rewriting it: every part of the
//! package is copied byte for byte (column widths, fills, fonts, frozen
//! panes, formulas and their cached values, other sheets) except
//!
//! * `xl/styles.xml`: one red fill appended, and for each cell style a
//!   rejected cell uses, a copy of it with that fill;
//! * the worksheets with rejected cells: those cells take the red copy of
//!   their style (a missing cell is added, empty and red), and each row
//!   with rejections gets its reasons in a new column after the last one
//!   used, in wrapped text.
//!
//! Any part that does not read as expected makes the edit give up
//! (`Ok(None)`); the caller then writes a plain rebuilt copy.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Reasons per sheet name, then per (row number as shown, zero-based
/// column); column `None` is a problem of the whole row (or file). The
/// sheet name [`FIRST_SHEET`] stands for the workbook's first sheet.
pub type Notes = BTreeMap<String, BTreeMap<u32, BTreeMap<Option<u32>, Vec<String>>>>;

const RED: &str = "FFF4B0B0";

/// The key of [`Notes`] for the first sheet, whatever its name.
pub const FIRST_SHEET: &str = "";

/// The edited workbook, or `None` when it is not a workbook this editor
/// understands.
pub fn annotate_xlsx(bytes: &[u8], notes: &Notes) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let read = |zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str| {
        let mut f = zip.by_name(name).ok()?;
        let mut s = Vec::new();
        f.read_to_end(&mut s).ok()?;
        Some(s)
    };
    let workbook = read(&mut zip, "xl/workbook.xml")?;
    let rels = read(&mut zip, "xl/_rels/workbook.xml.rels")?;
    let styles = read(&mut zip, "xl/styles.xml")?;
    let sheet_parts = sheet_parts(&workbook, &rels)?;
    let mut notes = notes.clone();
    if let (Some(first), Some(general)) = (sheet_parts.first(), notes.remove(FIRST_SHEET)) {
        let entry = notes.entry(first.0.clone()).or_default();
        for (row, cols) in general {
            for (col, reasons) in cols {
                entry
                    .entry(row)
                    .or_default()
                    .entry(col)
                    .or_default()
                    .extend(reasons);
            }
        }
    }
    let notes = &notes;
    // Which styles rejected cells use, sheet by sheet.
    let mut edited_sheets: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut sheets_xml: BTreeMap<String, (Vec<u8>, u32)> = BTreeMap::new();
    let mut used_styles = BTreeSet::new();
    for (name, part) in &sheet_parts {
        if notes.get(name).is_some_and(|n| !n.is_empty()) {
            let xml = read(&mut zip, part)?;
            let (styles, last) =
                survey_bytes(&xml, &notes[name]).or_else(|| survey(&xml, &notes[name]))?;
            used_styles.extend(styles);
            sheets_xml.insert(part.clone(), (xml, last));
        }
    }
    if sheets_xml.is_empty() {
        return None;
    }
    let (styles, red_of, wrap) = add_red_styles(&styles, &used_styles)?;
    for (name, part) in &sheet_parts {
        if let Some((xml, last)) = sheets_xml.get(part) {
            edited_sheets.insert(
                part.clone(),
                edit_sheet(xml, *last, &notes[name], &red_of, wrap)?,
            );
        }
    }
    // Copy the package, replacing the edited parts.
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).ok()?;
        let name = entry.name().ok()?.to_string();
        let replacement = if name == "xl/styles.xml" {
            Some(styles.as_slice())
        } else {
            edited_sheets.get(&name).map(Vec::as_slice)
        };
        match replacement {
            Some(data) => {
                drop(entry);
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    // Fast: the copy is small and made for most files of a load.
                    .compression_level(Some(1));
                out.start_file(name, options).ok()?;
                out.write_all(data).ok()?;
            }
            None => out.raw_copy_file(entry).ok()?,
        }
    }
    Some(out.finish().ok()?.into_inner())
}

/// A reader over a part or a fragment of one (which may start or end in
/// the middle of an element: end tags are not matched).
fn reader(xml: &[u8]) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(xml);
    r.config_mut().check_end_names = false;
    r.config_mut().allow_unmatched_ends = true;
    r
}

fn value(a: &quick_xml::events::attributes::Attribute<'_>) -> Option<String> {
    quick_xml::escape::unescape(&a.value)
        .ok()
        .map(std::borrow::Cow::into_owned)
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| AsRef::<str>::as_ref(&a.key) == key)
        .and_then(|a| value(&a))
}

/// Sheet name → its part (`xl/worksheets/sheet1.xml`).
fn sheet_parts(workbook: &[u8], rels: &[u8]) -> Option<Vec<(String, String)>> {
    let mut targets = BTreeMap::new();
    let mut r = reader(rels);
    loop {
        match r.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(t)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    let t = t.trim_start_matches('/');
                    let t = t.strip_prefix("xl/").unwrap_or(t);
                    targets.insert(id, format!("xl/{t}"));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut r = reader(workbook);
    loop {
        match r.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                let name = attr(&e, "name")?;
                let id = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "id")
                    .and_then(|a| value(&a))?;
                out.push((name, targets.get(&id)?.clone()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(out)
}

/// `B12` → (row 12, column 1).
fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let n = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    let row: u32 = r[n..].parse().ok()?;
    let mut col = 0u32;
    for &c in &r.as_bytes()[..n] {
        col = col
            .checked_mul(26)?
            .checked_add(u32::from(c.to_ascii_uppercase() - b'A') + 1)?;
    }
    (col > 0).then_some((row, col - 1))
}

fn flagged(notes: &BTreeMap<u32, BTreeMap<Option<u32>, Vec<String>>>, row: u32, col: u32) -> bool {
    notes.get(&row).is_some_and(|r| r.contains_key(&Some(col)))
}

/// One pass over a worksheet: the style indexes of the cells to paint red,
/// and the last column used anywhere (zero-based).
fn survey(
    xml: &[u8],
    notes: &BTreeMap<u32, BTreeMap<Option<u32>, Vec<String>>>,
) -> Option<(BTreeSet<u32>, u32)> {
    let mut styles = BTreeSet::from([0]);
    let mut last = 0u32;
    let mut r = reader(xml);
    loop {
        match r.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "c" => {
                let (row, col) = cell_ref(&raw_attr(&e, "r")?)?;
                last = last.max(col);
                if flagged(notes, row, col) {
                    styles.insert(style_of(&e));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some((styles, last))
}

/// [`survey`] without an XML parser: the cells' start tags found by their
/// bytes (`<c` and a space), their `r` and `s` read in place. Several
/// times faster; `None` (the caller then runs [`survey`]) for a sheet
/// whose elements carry a namespace prefix. Text cannot hold a `<`, so
/// nothing but a tag is met; a comment or CDATA looking like a cell could
/// only widen the column count or add an unused red style.
fn survey_bytes(
    xml: &[u8],
    notes: &BTreeMap<u32, BTreeMap<Option<u32>, Vec<String>>>,
) -> Option<(BTreeSet<u32>, u32)> {
    memchr::memmem::find(xml, b"<sheetData")?;
    let mut styles = BTreeSet::from([0]);
    let mut last = 0u32;
    for at in memchr::memmem::find_iter(xml, b"<c") {
        let rest = &xml[at + 2..];
        if !rest.first().is_some_and(u8::is_ascii_whitespace) {
            continue;
        }
        let tag = &rest[..memchr::memchr(b'>', rest)?];
        let (row, col) = cell_ref(std::str::from_utf8(attr_bytes(tag, b"r")?).ok()?)?;
        last = last.max(col);
        if flagged(notes, row, col) {
            styles.insert(
                attr_bytes(tag, b"s")
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
                    .unwrap_or(0),
            );
        }
    }
    Some((styles, last))
}

/// The value of attribute `key` in the inside of a start tag, as written.
fn attr_bytes<'a>(tag: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let trim = |b: &'a [u8]| &b[b.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    let mut from = 0;
    while let Some(k) = memchr::memmem::find(&tag[from..], key) {
        let at = from + k;
        from = at + key.len();
        if at == 0 || !tag[at - 1].is_ascii_whitespace() {
            continue;
        }
        let after = trim(&tag[from..]);
        if after.first() != Some(&b'=') {
            continue;
        }
        let value = trim(&after[1..]);
        let quote = *value.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let end = memchr::memchr(quote, &value[1..])?;
        return Some(&value[1..=end]);
    }
    None
}

/// An attribute's raw value (cell references and style indexes hold no
/// entities).
fn raw_attr<'a>(e: &'a BytesStart<'_>, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    e.try_get_attribute(key).ok().flatten().map(|a| a.value)
}

/// A cell's style index (0 when it has none).
fn style_of(e: &BytesStart<'_>) -> u32 {
    raw_attr(e, "s").and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Byte range of the first `<tag ...>...</tag>` section, and of its
/// start tag.
fn section(xml: &[u8], tag: &str) -> Option<(usize, usize, usize)> {
    let mut r = reader(xml);
    let mut start = None;
    let mut open_end = 0;
    loop {
        let before = r.buffer_position() as usize;
        match r.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == tag && start.is_none() => {
                start = Some(before);
                open_end = r.buffer_position() as usize;
            }
            Event::End(e) if e.local_name().as_ref() == tag && start.is_some() => {
                return Some((start?, open_end, before));
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Each child element of a section, as its raw bytes.
fn children(xml: &[u8], tag: &str) -> Option<Vec<Vec<u8>>> {
    let mut r = reader(xml);
    let mut out = Vec::new();
    let mut depth = 0;
    let mut from = 0;
    loop {
        let before = r.buffer_position() as usize;
        match r.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == tag && depth == 0 => {
                depth = 1;
                from = before;
            }
            Event::Start(_) if depth > 0 => depth += 1,
            Event::End(e) if depth > 0 => {
                depth -= 1;
                if depth == 0 && e.local_name().as_ref() == tag {
                    out.push(xml[from..r.buffer_position() as usize].to_vec());
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == tag && depth == 0 => {
                out.push(xml[before..r.buffer_position() as usize].to_vec());
            }
            Event::Eof => return Some(out),
            _ => {}
        }
    }
}

/// Replaces the `count` attribute of a start tag.
fn with_count(open: &[u8], count: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(open);
    match text.find("count=\"") {
        Some(i) => {
            let rest = &text[i + 7..];
            let end = rest.find('"').unwrap_or(0);
            format!("{}count=\"{count}\"{}", &text[..i], &rest[end + 1..]).into_bytes()
        }
        None => text
            .replacen('>', &format!(" count=\"{count}\">"), 1)
            .into_bytes(),
    }
}

/// Sets (or adds) attributes on the first tag of an element.
fn set_attrs(element: &[u8], attrs: &[(&str, String)]) -> Vec<u8> {
    let text = String::from_utf8_lossy(element).into_owned();
    let end = text.find('>').unwrap_or(text.len());
    let self_closing = text[..end].ends_with('/');
    let head_end = if self_closing { end - 1 } else { end };
    let mut head = text[..head_end].to_string();
    for (k, v) in attrs {
        let key = format!(" {k}=\"");
        if let Some(i) = head.find(&key) {
            let rest = &head[i + key.len()..];
            let close = rest.find('"').unwrap_or(0);
            head = format!("{}{key}{v}\"{}", &head[..i], &rest[close + 1..]);
        } else {
            head.push_str(&format!("{key}{v}\""));
        }
    }
    format!("{head}{}", &text[head_end..]).into_bytes()
}

/// styles.xml with a red fill and, for each style in `used`, a red copy;
/// also a wrapped red style for the reasons. Returns (styles, old → red,
/// the reasons' style).
fn add_red_styles(
    styles: &[u8],
    used: &BTreeSet<u32>,
) -> Option<(Vec<u8>, BTreeMap<u32, u32>, u32)> {
    let (fs, fo, fe) = section(styles, "fills")?;
    let fills = children(&styles[fo..fe], "fill")?;
    let red_fill = fills.len();
    let new_fill = format!(
        "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"{RED}\"/><bgColor indexed=\"64\"/></patternFill></fill>"
    );
    let mut out = Vec::new();
    out.extend_from_slice(&styles[..fs]);
    out.extend(with_count(&styles[fs..fo], red_fill + 1));
    out.extend_from_slice(&styles[fo..fe]);
    out.extend_from_slice(new_fill.as_bytes());
    let rest = &styles[fe..];
    // The cell styles come after the fills.
    let (xs, xo, xe) = section(rest, "cellXfs")?;
    let xfs = children(&rest[xo..xe], "xf")?;
    let mut red_of = BTreeMap::new();
    let mut added = Vec::new();
    for &s in used {
        let base = xfs.get(s as usize).or_else(|| xfs.first())?;
        red_of.insert(s, (xfs.len() + added.len()) as u32);
        added.push(set_attrs(
            base,
            &[("fillId", red_fill.to_string()), ("applyFill", "1".into())],
        ));
    }
    let wrap = (xfs.len() + added.len()) as u32;
    added.push(
        format!(
            "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"{red_fill}\" borderId=\"0\" xfId=\"0\" applyFill=\"1\" applyAlignment=\"1\"><alignment vertical=\"top\" wrapText=\"1\"/></xf>"
        )
        .into_bytes(),
    );
    out.extend_from_slice(&rest[..xs]);
    out.extend(with_count(&rest[xs..xo], xfs.len() + added.len()));
    out.extend_from_slice(&rest[xo..xe]);
    for a in added {
        out.extend(a);
    }
    out.extend_from_slice(&rest[xe..]);
    Some((out, red_of, wrap))
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The worksheet with its flagged cells red and a column of reasons after
/// `last`, the last column used. Rows without rejections are copied as
/// they are, without being parsed.
fn edit_sheet(
    xml: &[u8],
    last: u32,
    notes: &BTreeMap<u32, BTreeMap<Option<u32>, Vec<String>>>,
    red_of: &BTreeMap<u32, u32>,
    wrap: u32,
) -> Option<Vec<u8>> {
    let flagged_last = notes.values().flat_map(|r| r.keys()).flatten().max();
    let reasons_col = last.max(flagged_last.copied().unwrap_or(0)) + 1;
    let letters = crate::text::column_letter(reasons_col as usize);
    let mut out = Vec::with_capacity(xml.len() + 4096);
    // Where the reader started in `xml` (it starts again after a row
    // copied whole).
    let mut base = 0usize;
    let mut r = reader(xml);
    let mut row: Option<u32> = None;
    // Flagged cells of the current row not met yet (missing from the XML).
    let mut pending: Vec<u32> = Vec::new();
    let mut saw_cols = false;
    let red = |s: u32| red_of.get(&s).copied().unwrap_or(wrap);
    let empty_cell = |row: u32, col: u32| {
        format!(
            "<c r=\"{}{row}\" s=\"{}\"/>",
            crate::text::column_letter(col as usize),
            red_of.get(&0).copied().unwrap_or(wrap)
        )
    };
    loop {
        let before = base + r.buffer_position() as usize;
        let event = r.read_event().ok()?;
        let after = base + r.buffer_position() as usize;
        let raw = &xml[before..after];
        match event {
            Event::Start(e) if e.local_name().as_ref() == "cols" => {
                saw_cols = true;
                out.extend_from_slice(raw);
            }
            Event::End(e) if e.local_name().as_ref() == "cols" => {
                out.extend(
                    format!(
                        "<col min=\"{0}\" max=\"{0}\" width=\"60\" customWidth=\"1\"/>",
                        reasons_col + 1
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(raw);
            }
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheetData" => {
                if !saw_cols {
                    out.extend(
                        format!(
                            "<cols><col min=\"{0}\" max=\"{0}\" width=\"60\" customWidth=\"1\"/></cols>",
                            reasons_col + 1
                        )
                        .as_bytes(),
                    );
                }
                out.extend_from_slice(raw);
            }
            Event::Start(e) if e.local_name().as_ref() == "row" => {
                row = raw_attr(&e, "r").and_then(|v| v.parse().ok());
                // A row without rejections, copied whole up to its end tag.
                let unprefixed = e.name().as_ref() == "row";
                if unprefixed && !row.is_some_and(|n| notes.contains_key(&n)) {
                    if let Some(end) = memchr::memmem::find(&xml[after..], b"</row>") {
                        let next = after + end + b"</row>".len();
                        out.extend_from_slice(&xml[before..next]);
                        row = None;
                        base = next;
                        r = reader(&xml[base..]);
                        continue;
                    }
                }
                pending = row
                    .and_then(|n| notes.get(&n))
                    .map(|r| r.keys().flatten().copied().collect())
                    .unwrap_or_default();
                out.extend_from_slice(raw);
            }
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "c" => {
                let at = raw_attr(&e, "r").as_deref().and_then(cell_ref);
                if let (Some(n), Some((_, col))) = (row, at) {
                    // Missing flagged cells before this one, in column order.
                    while let Some(&p) = pending.first().filter(|&&p| p < col) {
                        out.extend(empty_cell(n, p).as_bytes());
                        pending.remove(0);
                    }
                    if pending.first() == Some(&col) {
                        pending.remove(0);
                        out.extend(set_attrs(raw, &[("s", red(style_of(&e)).to_string())]));
                        continue;
                    }
                }
                out.extend_from_slice(raw);
            }
            Event::End(e) if e.local_name().as_ref() == "row" => {
                if let Some(n) = row {
                    for p in pending.drain(..) {
                        out.extend(empty_cell(n, p).as_bytes());
                    }
                    if let Some(reasons) = notes.get(&n) {
                        let text: Vec<String> = reasons.values().flatten().cloned().collect();
                        out.extend(
                            format!(
                                "<c r=\"{letters}{n}\" t=\"inlineStr\" s=\"{wrap}\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                                escape(&text.join("\n"))
                            )
                            .as_bytes(),
                        );
                    }
                }
                row = None;
                out.extend_from_slice(raw);
            }
            Event::Eof => break,
            _ => out.extend_from_slice(raw),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_survey_finds_what_the_parser_finds() {
        let sheet = br#"<worksheet><dimension ref="A1:C3"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="4"/></row>
<row r="2"><c s="7" r="B2"><v>1</v></c><c
  r = 'D2' s="9"><is><t>a &lt;c r="Z9"&gt; b</t></is></c></row>
<row r="3"><c r="C3" s="2"><v>3</v></c></row></sheetData></worksheet>"#;
        let mut notes: BTreeMap<u32, BTreeMap<Option<u32>, Vec<String>>> = BTreeMap::new();
        notes
            .entry(2)
            .or_default()
            .insert(Some(1), vec!["x".into()]);
        notes
            .entry(2)
            .or_default()
            .insert(Some(3), vec!["y".into()]);
        notes.entry(3).or_default().insert(None, vec!["z".into()]);
        let fast = survey_bytes(sheet, &notes).unwrap();
        assert_eq!(fast, survey(sheet, &notes).unwrap());
        assert_eq!(fast, (BTreeSet::from([0, 7, 9]), 3));
        // Prefixed elements: left to the parser.
        assert_eq!(
            survey_bytes(b"<x:worksheet><x:sheetData><x:row r=\"1\"><x:c r=\"A1\"/></x:row></x:sheetData></x:worksheet>", &notes),
            None
        );
    }

    #[test]
    fn references_and_letters_round_trip() {
        assert_eq!(cell_ref("B12"), Some((12, 1)));
        assert_eq!(cell_ref("AA3"), Some((3, 26)));
        let letters = |c: usize| crate::text::column_letter(c);
        assert_eq!(letters(0), "A");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
    }

    #[test]
    fn attributes_are_set_or_added_in_place() {
        assert_eq!(
            set_attrs(b"<c r=\"B2\" s=\"3\" t=\"s\">", &[("s", "9".into())]),
            b"<c r=\"B2\" s=\"9\" t=\"s\">".to_vec()
        );
        assert_eq!(
            set_attrs(b"<c r=\"B2\"/>", &[("s", "9".into())]),
            b"<c r=\"B2\" s=\"9\"/>".to_vec()
        );
        assert_eq!(
            with_count(b"<fills count=\"2\">", 3),
            b"<fills count=\"3\">".to_vec()
        );
    }
}

#[cfg(test)]
mod on_a_fixture {
    use super::*;

    #[test]
    fn a_structures_workbook_is_edited_in_place() {
        let bytes = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/inbox/SOLENI-MTP-04_2019-T1.xlsx"),
        )
        .unwrap();
        let mut notes = Notes::new();
        notes
            .entry("Demandeurs d'emploi".into())
            .or_default()
            .entry(9)
            .or_default()
            .insert(
                Some(10),
                vec!["Date de sortie : valeur obligatoire manquante".into()],
            );
        let out = annotate_xlsx(&bytes, &notes).expect("edited");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
        let mut part = |name: &str| {
            let mut s = String::new();
            zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        let sheet = part("xl/worksheets/sheet2.xml");
        let styles = part("xl/styles.xml");
        // K9 was empty: it is added, red; the reason is beside the row.
        assert!(sheet.contains("<c r=\"K9\" s=\"2\"/>"), "{sheet}");
        assert!(
            sheet.contains("<c r=\"L9\" t=\"inlineStr\" s=\"3\"><is><t xml:space=\"preserve\">Date de sortie : valeur obligatoire manquante</t></is></c></row>"),
            "{sheet}"
        );
        assert!(styles.contains("<fills count=\"3\">"), "{styles}");
        assert!(styles.contains("<cellXfs count=\"4\">"), "{styles}");
        // Everything else as it was.
        assert_eq!(part("xl/worksheets/sheet1.xml").len(), {
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
            let mut s = String::new();
            z.by_name("xl/worksheets/sheet1.xml")
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            s.len()
        });
    }
}
