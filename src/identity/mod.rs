//! What "the same person" and "the same company" mean, in one place.
//!
//! People are known only by keyed hashes (HMAC-SHA256) of their normalised
//! identifier and of their normalised surname + first name + birth date.
//! A row carrying both keys links them; a person is a connected group of
//! linked keys ([`Persons`]). Companies are matched by SIRET, and by SIREN
//! for the `companies` figure (see `validate::types::CompanyId`).

mod persons;

pub use persons::{layout, tally_latest, Persons, Report, SAYS, SCOPE_KINDS};

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use serde::{Deserialize, Serialize};

use crate::model::records::{Company, Identity, JobSeeker, Professional};
use crate::model::template::Table;
use crate::validate::FileData;

/// A keyed hash (HMAC-SHA256) of a person's identifier or name, as bytes:
/// stored in `identity_keys` only, as four 64-bit integers.
pub type PersonKey = [u8; 32];

/// A person's keys: the keyed hashes of the identifier and of surname +
/// first name + birth date, as far as the row gives them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonKeys {
    pub by_id: Option<PersonKey>,
    pub by_name: Option<PersonKey>,
}

/// An accepted job-seeker row as it is stored: the identity only as keyed
/// hashes. Made where the file is read (a worker process), so that names,
/// birth dates and identifiers never leave it.
pub type SeekerRow = JobSeeker<PersonKeys>;

/// An accepted professional row as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProRow {
    pub row: u32,
    /// HMAC of surname + first name + organisation.
    pub key: String,
    pub function: Option<String>,
}

/// What the store loads of an accepted file: nothing that names a person.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoadData {
    /// Tables the file carries (a workbook all its sheets, a CSV its one).
    pub carried: Vec<Table>,
    pub job_seekers: Vec<SeekerRow>,
    pub companies: Vec<Company>,
    pub professionals: Vec<ProRow>,
    pub declared_professionals: Option<u32>,
}

impl LoadData {
    /// Hashes the identities of a file's typed records.
    pub fn hash(data: FileData, key: &HashKey) -> LoadData {
        LoadData {
            carried: data.carried,
            job_seekers: data
                .job_seekers
                .into_iter()
                .map(|j| {
                    let (by_id, by_name) = key.person_keys(&j.identity);
                    j.with_identity(PersonKeys { by_id, by_name })
                })
                .collect(),
            companies: data.companies,
            professionals: data
                .professionals
                .iter()
                .map(|p| ProRow {
                    row: p.row,
                    key: key.professional_key(p),
                    function: p.function.clone(),
                })
                .collect(),
            declared_professionals: data.declared_professionals,
        }
    }
}

/// The secret key of the identity hashes, with the HMAC state it starts
/// every hash from (the key's two padded blocks hashed once, not for each
/// of a million keys).
#[derive(Clone)]
pub struct HashKey {
    bytes: Vec<u8>,
    start: Hmac<Sha256>,
}

impl std::fmt::Debug for HashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashKey(***)")
    }
}

/// Where the key came from, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    Created(PathBuf),
}

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the hash key file {0} is readable by others (mode {1:o}); make it owner-only: chmod 600 {0}")]
    Permissions(PathBuf, u32),
    #[error("the hash key in {0} is too short ({1} bytes, at least 32 expected)")]
    TooShort(String, usize),
    #[error("cannot read or create the hash key file {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("no hash key: {KEY_ENV} is not set and {0} does not exist, but the database already holds identity hashes made with a key. Restore that key (from its backup, or the secrets file of the service) and run again; essaim will not make a new key, which would make every person look new")]
    Missing(PathBuf),
    #[error("the hash key supplied is not the one the database was built with (fingerprint {found}, expected {expected}). Supply the right key; to change keys on purpose, run `essaim reimport --all --rotate-key --reason ...` with the new key")]
    Mismatch { expected: String, found: String },
}

/// Environment variable holding the key (hex or any text of 32+ bytes).
pub const KEY_ENV: &str = "ESSAIM_HASH_KEY";

impl HashKey {
    /// The key from `ESSAIM_HASH_KEY`, else from `file` (owner-only), else a
    /// new random key written to `file` with mode 600.
    ///
    /// # Errors
    /// [`KeyError`] when the file is unsafe, too short, or cannot be written.
    pub fn load_or_create(file: &Path) -> Result<(HashKey, KeySource), KeyError> {
        Self::load(file, true)
    }

    /// The key from `ESSAIM_HASH_KEY`, else from `file`; a new one is made
    /// only when `create` (a database that holds no hash yet).
    ///
    /// # Errors
    /// [`KeyError`]; [`KeyError::Missing`] when there is none and `create`
    /// is false.
    pub fn load(file: &Path, create: bool) -> Result<(HashKey, KeySource), KeyError> {
        if let Ok(v) = std::env::var(KEY_ENV) {
            let v = v.trim().as_bytes().to_vec();
            if v.len() < 32 {
                return Err(KeyError::TooShort(KEY_ENV.into(), v.len()));
            }
            return Ok((HashKey::new(v), KeySource::Environment));
        }
        match std::fs::read(file) {
            Ok(bytes) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(file)
                        .map_err(|e| KeyError::Io(file.into(), e))?
                        .permissions()
                        .mode()
                        & 0o777;
                    if mode & 0o077 != 0 {
                        return Err(KeyError::Permissions(file.into(), mode));
                    }
                }
                let key: Vec<u8> = String::from_utf8_lossy(&bytes).trim().as_bytes().to_vec();
                if key.len() < 32 {
                    return Err(KeyError::TooShort(file.display().to_string(), key.len()));
                }
                Ok((HashKey::new(key), KeySource::File(file.into())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => {
                Err(KeyError::Missing(file.into()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut raw = [0u8; 32];
                rand::fill(&mut raw);
                let text = hex::encode(raw);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(file).map_err(|e| KeyError::Io(file.into(), e))?;
                f.write_all(text.as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|e| KeyError::Io(file.into(), e))?;
                Ok((
                    HashKey::new(text.into_bytes()),
                    KeySource::Created(file.into()),
                ))
            }
            Err(e) => Err(KeyError::Io(file.into(), e)),
        }
    }

    /// The key's bytes, to hand to a worker process through its pipe.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A fingerprint of the key, stored in the database to notice a key
    /// change: an HMAC of a fixed text, which tells nothing of the key.
    pub fn fingerprint(&self) -> String {
        self.mac("fingerprint", "essaim")[..32].to_string()
    }

    /// A key for tests and benchmarks.
    pub fn from_bytes(bytes: &[u8]) -> HashKey {
        HashKey::new(bytes.to_vec())
    }

    fn new(bytes: Vec<u8>) -> HashKey {
        // new_from_slice accepts any key length for HMAC.
        #[allow(clippy::expect_used)]
        let start =
            Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC accepts a key of any length");
        HashKey { bytes, start }
    }

    fn mac_bytes(&self, domain: &str, text: &str) -> PersonKey {
        let mut mac = self.start.clone();
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn mac(&self, domain: &str, text: &str) -> String {
        hex::encode(self.mac_bytes(domain, text))
    }

    /// The keys of a job seeker's row: identifier, and name + birth date.
    pub fn person_keys(&self, id: &Identity) -> (Option<PersonKey>, Option<PersonKey>) {
        let by_id = id
            .identifier
            .as_ref()
            .map(|i| self.mac_bytes("id", &normalise_identifier(i.expose())));
        let by_name = id.name.as_ref().map(|(s, f, b)| {
            let mut text = normalise_name(s.expose());
            text.push('|');
            text.push_str(&normalise_name(f.expose()));
            text.push('|');
            push_iso_date(&mut text, *b);
            self.mac_bytes("name", &text)
        });
        (by_id, by_name)
    }

    /// The key of a professional: surname + first name + organisation.
    pub fn professional_key(&self, p: &Professional) -> String {
        let org = p
            .organisation
            .as_deref()
            .map(normalise_name)
            .unwrap_or_default();
        self.mac(
            "pro",
            &format!(
                "{}|{}|{}",
                normalise_name(p.surname.expose()),
                normalise_name(p.first_name.expose()),
                org
            ),
        )
    }
}

/// Identifier: upper case, letters and digits only.
pub fn normalise_identifier(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `date` as `chrono`'s `%Y-%m-%d` writes it, without parsing that format
/// for each of a million rows (the keys must not change by one byte).
fn push_iso_date(out: &mut String, date: chrono::NaiveDate) {
    use chrono::Datelike;
    use std::fmt::Write;
    if (0..=9999).contains(&date.year()) {
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}",
            date.year(),
            date.month(),
            date.day()
        );
    } else {
        let _ = write!(out, "{}", date.format("%Y-%m-%d"));
    }
}

/// Name: NFKD, accents and case dropped, hyphens and apostrophes as spaces,
/// repeated spaces folded. "Jean-Étienne  d’Arc" and "jean etienne d arc" agree.
pub fn normalise_name(s: &str) -> String {
    if s.is_ascii() {
        return normalise_ascii_name(s);
    }
    normalise_unicode_name(s)
}

/// [`normalise_name`] of ASCII text, most names: decomposing changes
/// nothing and no character is a combining mark, so each byte is kept
/// (lower case), made a space, or dropped as a repeated space.
fn normalise_ascii_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if matches!(c, '-' | '\'' | '_' | '.') || c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        out.push(c.to_ascii_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn normalise_unicode_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        let c =
            if matches!(c, '-' | '\'' | '\u{2019}' | '\u{2018}' | '_' | '.') || c.is_whitespace() {
                ' '
            } else {
                c
            };
        if c == ' ' {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(
            normalise_name("  Jean-Étienne  d’Arc "),
            "jean etienne d arc"
        );
        assert_eq!(normalise_name("JEAN ETIENNE D ARC"), "jean etienne d arc");
        // The ASCII path agrees with the general one, byte for byte.
        for name in [
            "",
            " ",
            "  -- ",
            "Jean-Pierre",
            "O'Neil  Mc.Donald_Jr",
            "a\tb\nc\u{0b}d\u{0c}e\rf",
            " x ",
            "ABC-",
            "-abc",
            "Z",
            "1 2 3",
            "~!@#$%^&*()+=[]{};:,<>/?|\\\"",
        ] {
            assert_eq!(
                normalise_ascii_name(name),
                normalise_unicode_name(name),
                "{name:?}"
            );
        }
        for b in 0u8..128 {
            let name = format!("Ab{}cD{}", b as char, b as char);
            assert_eq!(
                normalise_ascii_name(&name),
                normalise_unicode_name(&name),
                "{b}"
            );
        }
        assert_eq!(normalise_identifier(" 1234 567a "), "1234567A");
    }

    #[test]
    fn keys_are_keyed_and_stable() {
        let k1 = HashKey::from_bytes(b"0123456789abcdef0123456789abcdef");
        let k2 = HashKey::from_bytes(b"fedcba9876543210fedcba9876543210");
        assert_eq!(k1.mac("id", "X"), k1.mac("id", "X"));
        assert_ne!(k1.mac("id", "X"), k2.mac("id", "X"));
        assert_ne!(k1.mac("id", "X"), k1.mac("name", "X"));
        assert_eq!(k1.mac("id", "X").len(), 64);
    }

    /// The name key is the HMAC of `surname|first name|%Y-%m-%d` (written
    /// without chrono's format parser): the same bytes as ever, or every
    /// person of a database would look new.
    #[test]
    fn name_keys_keep_their_bytes() {
        use crate::model::records::Sensitive;
        use chrono::NaiveDate;
        let key = HashKey::from_bytes(b"0123456789abcdef0123456789abcdef");
        for (surname, first, born) in [
            ("Dupont", "Jean-Pierre", NaiveDate::from_ymd_opt(1975, 3, 9)),
            ("  d’Arc ", "Jeanne", NaiveDate::from_ymd_opt(1412, 1, 6)),
            ("Ngô", "Thị", NaiveDate::from_ymd_opt(2001, 12, 31)),
            ("X", "Y", NaiveDate::from_ymd_opt(9, 1, 1)),
            ("X", "Y", NaiveDate::from_ymd_opt(12345, 6, 7)),
            ("X", "Y", NaiveDate::from_ymd_opt(-44, 3, 15)),
        ] {
            let born = born.unwrap();
            let id = Identity {
                identifier: None,
                name: Some((Sensitive::new(surname), Sensitive::new(first), born)),
            };
            let expected = key.mac_bytes(
                "name",
                &format!(
                    "{}|{}|{}",
                    normalise_name(surname),
                    normalise_name(first),
                    born.format("%Y-%m-%d")
                ),
            );
            assert_eq!(key.person_keys(&id).1, Some(expected), "{born}");
        }
    }
}
