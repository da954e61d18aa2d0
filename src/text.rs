//! Text folding shared by header matching, listed values and registries:
//! what "ignoring case, accents, spaces and curly apostrophes" means, in one
//! place.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower case, accents dropped (NFKD), curly apostrophes and backticks made
/// straight, line breaks and runs of white space folded to one space, and
/// trimmed. `"  Durée de\nchômage (mois) "` becomes `"duree de chomage (mois)"`.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return fold_ascii(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' | '\u{b4}' => '\'',
            c => c,
        };
        if c.is_whitespace() || c == '\u{feff}' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// [`fold`] for ASCII text: no decomposition needed (the common case, and
/// the hot path of validation).
fn fold_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for b in s.bytes() {
        let c = if b == b'`' { '\'' } else { b as char };
        if c.is_ascii_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// [`fold`], then without spaces, hyphens, underscores or apostrophes:
/// `"Jeu_ESS_Créative"`, `"jeu ess creative"` and `"JEU-ESS-CREATIVE"` agree.
pub fn fold_compact(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '\''))
        .collect()
}

/// A ratio as a French percentage with one decimal: 0.4512 -> `45,1 %`.
/// The one place percentages are written for people.
pub fn percent(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0).replace('.', ",")
}

/// A change of a ratio, in percentage points with its sign: `+2,5 pt`.
pub fn points(delta: f64) -> String {
    format!("{:+.1} pt", delta * 100.0).replace('.', ",")
}

/// The spreadsheet column letter of a zero-based column index (0 -> A).
pub fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_drops_case_accents_and_spacing() {
        assert_eq!(
            fold("  Durée de\nchômage   (mois) "),
            "duree de chomage (mois)"
        );
        assert_eq!(fold("Demandeurs d’emploi"), "demandeurs d'emploi");
        assert_eq!(fold("ÉVALUATION"), "evaluation");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn compact_fold_ignores_separators() {
        assert_eq!(
            fold_compact("Jeu_ESS_Créative"),
            fold_compact("jeu ess creative")
        );
        assert_eq!(fold_compact("Opportunités Emplois"), "opportunitesemplois");
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}

/// A value safe to put in a CSV or spreadsheet cell that a person opens:
/// text starting with `=`, `+`, `-`, `@`, a tab or a carriage return would
/// be run as a formula by Excel or LibreOffice, so it gets a leading `'`
/// (OWASP's CSV-injection rule). A plain number (`-3`, `12,5`) is left as
/// it is: it cannot run.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && !is_plain_number(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn is_plain_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        && t.bytes().filter(|b| *b == b'.' || *b == b',').count() <= 1
        && t.as_bytes()[0].is_ascii_digit()
}

/// Text as it may be printed on a terminal or in a log: control characters
/// (escape sequences included) shown as `\u{..}`, and at most `max`
/// characters (the rest as `…`). For file and sheet names, which come from
/// whoever dropped the file.
pub fn printable(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// A file name made from a received name: its stem (the extension cut)
/// with no path separator or control character, not hidden, and at most
/// 120 bytes, whatever was received.
pub fn safe_file_stem(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    safe_part(stem, 120)
}

/// The extension of a received name, cleaned like [`safe_file_stem`] and
/// at most 10 bytes (empty when there is none).
pub fn safe_extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| safe_part(e, 10))
        .unwrap_or_default()
}

fn safe_part(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = if c == '/' || c == '\\' || c.is_control() {
            '_'
        } else {
            c
        };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod safety_tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for risky in [
            "=HYPERLINK(\"x\")",
            "+1+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "=1",
        ] {
            assert!(neutralise(risky).starts_with('\''), "{risky}");
        }
        for safe in ["-3", "+4", "12,5", "-0.5", "texte", "", "3=3"] {
            assert_eq!(neutralise(safe), safe);
        }
    }

    #[test]
    fn percentages_are_written_the_french_way() {
        assert_eq!(percent(0.4512), "45,1 %");
        assert_eq!(percent(1.0), "100,0 %");
        assert_eq!(points(0.025), "+2,5 pt");
        assert_eq!(points(-0.1), "-10,0 pt");
    }

    #[test]
    fn file_names_are_made_safe() {
        let long = "x".repeat(300) + ".xlsx";
        assert_eq!(safe_file_stem(&long).len(), 120);
        assert_eq!(safe_extension(&long), "xlsx");
        assert_eq!(safe_file_stem("../a/b\u{1b}c.csv"), "_.._a_b_c");
        assert_eq!(safe_file_stem(".cache"), "_");
    }

    #[test]
    fn control_characters_are_escaped_and_length_bounded() {
        assert_eq!(printable("a\u{1b}[31mb", 80), "a\\u{1b}[31mb");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("é\u{202e}", 9), "é\\u{202e}");
    }
}
