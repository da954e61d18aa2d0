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
