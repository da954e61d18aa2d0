//! Configuration: the operator's TOML file turned into a checked [`Config`].
//!
//! Two steps, as ripgrep and vector do: serde reads a raw structure that
//! refuses unknown keys, then [`Config::from_raw`] resolves paths against the
//! config file's folder, loads the reference registries and reports every
//! problem at once instead of stopping at the first.

pub mod reference;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::registry::Registry;
use crate::model::scope::Scope;

use crate::text::fold;

/// Everything that can stop the program from starting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("cannot read the configuration file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or missing keys.
    #[error("invalid configuration file {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// One or more checks failed after parsing; all of them are listed.
    #[error("the configuration has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
    Invalid(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    paths: RawPaths,
    reference: RawReference,
    #[serde(default)]
    aliases: RawAliases,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    archive: ArchiveSettings,
    #[serde(default)]
    privacy: Privacy,
    #[serde(default)]
    reporting: Reporting,
    #[serde(default)]
    email: RawEmail,
    #[serde(default)]
    schedule: Schedule,
}

/// The schedules of `serve`, parsed once when the configuration is read.
#[derive(Debug, Clone)]
pub struct Schedules {
    pub timezone: chrono_tz::Tz,
    pub run: croner::Cron,
    pub digest: croner::Cron,
    pub retry: croner::Cron,
}

/// When `serve` runs its jobs: cron expressions with seconds
/// (`sec min hour day month weekday`) in `timezone`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Schedule {
    pub timezone: String,
    /// The nightly run.
    pub run: String,
    /// The digest, on its own schedule.
    pub digest: String,
    /// Retries of pending e-mails.
    pub retry: String,
    /// How long a job waits for another essaim process to release the data folder.
    pub lock_wait_secs: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            timezone: "Europe/Paris".into(),
            run: "0 30 2 * * *".into(),
            digest: "0 0 7 * * Mon".into(),
            retry: "0 */15 * * * *".into(),
            lock_wait_secs: 600,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    from: Option<String>,
    #[serde(default)]
    operators: Vec<String>,
    #[serde(default = "yes")]
    feedback: bool,
    #[serde(default)]
    recipients: Vec<RawRecipient>,
    smtp: Option<Smtp>,
    #[serde(default = "default_retry")]
    retry_base_secs: u64,
    #[serde(default)]
    digest_after_run: bool,
}

fn default_retry() -> u64 {
    300
}

impl Default for RawEmail {
    fn default() -> Self {
        RawEmail {
            from: None,
            operators: Vec::new(),
            feedback: true,
            recipients: Vec::new(),
            smtp: None,
            retry_base_secs: default_retry(),
            digest_after_run: false,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    address: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default = "national")]
    scope: String,
}

fn national() -> String {
    "national".into()
}

/// How the SMTP server is reached. The password only ever comes from the
/// environment variable named by `password_env`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// `starttls`, `tls` (implicit, port 465) or `none` (loopback only).
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default = "default_password_env")]
    pub password_env: String,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// An extra CA certificate (PEM) to trust, for a private relay.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_port() -> u16 {
    587
}
/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587), required.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: for a relay on loopback only.
    None,
}
fn default_password_env() -> String {
    "ESSAIM_SMTP_PASSWORD".into()
}
fn default_timeout() -> u64 {
    30
}

/// A digest recipient.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recipient {
    pub address: String,
    pub name: Option<String>,
    pub scope: Scope,
}

/// E-mail settings, checked.
#[derive(Debug, Clone, Default)]
pub struct Email {
    pub from: String,
    pub operators: Vec<String>,
    pub feedback: bool,
    pub recipients: Vec<Recipient>,
    /// `None`: messages go to the outbox folder as .eml files.
    pub smtp: Option<Smtp>,
    /// First retry delay after a temporary failure; doubles each attempt.
    pub retry_base_secs: u64,
    /// Also send the digest after every run that changed a figure (by
    /// default the digest goes on `[schedule] digest` only).
    pub digest_after_run: bool,
}

/// When structures are expected to report.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reporting {
    /// Days after the end of a quarter before a structure with no accepted
    /// file for it is shown as late.
    pub grace_days: u32,
}

impl Default for Reporting {
    fn default() -> Self {
        Reporting { grace_days: 30 }
    }
}

/// What happens to received files.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveSettings {
    /// Originals are deleted from the archive after this many days (their
    /// records and hashes stay).
    pub retention_days: u32,
    /// Remove a file from the inbox once it is safely archived.
    pub remove_from_inbox: bool,
    /// Files archived and loaded together, in one transaction (a group
    /// commit): a group is committed when it holds this many files,
    /// 200,000 rows, or when its first file has waited `group_secs`.
    pub group_files: usize,
    pub group_secs: u64,
}

impl Default for ArchiveSettings {
    fn default() -> Self {
        ArchiveSettings {
            retention_days: 3650,
            remove_from_inbox: false,
            group_files: 256,
            group_secs: 2,
        }
    }
}

/// Protection of people in published figures and of their identities.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Privacy {
    /// Cells covering fewer people than this are shown as `< threshold`.
    pub threshold: i64,
    /// File holding the identity hash key when `ESSAIM_HASH_KEY` is not set
    /// (relative to the data folder; created owner-only on first run).
    pub hash_key_file: PathBuf,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            threshold: 5,
            hash_key_file: PathBuf::from("hash.key"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    inbox: PathBuf,
    data: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReference {
    innovations: PathBuf,
    structures: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAliases {
    /// Header as written by a structure -> the template's header.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Innovation as written by a structure -> an innovation code.
    #[serde(default)]
    innovations: BTreeMap<String, String>,
}

use crate::model::limits::Limits;

/// The checked configuration every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub source: PathBuf,
    /// Where structures drop their files.
    pub inbox: PathBuf,
    /// Where the database, archive, quarantine, outbox and reports live.
    pub data: PathBuf,
    /// Innovations and structures.
    pub registry: Registry,
    /// Folded header alias -> canonical header (as in the template).
    pub header_aliases: BTreeMap<String, String>,
    /// Safety limits for input files.
    pub limits: Limits,
    pub archive: ArchiveSettings,
    /// Small-count threshold; `hash_key_file` resolved against `data`.
    pub privacy: Privacy,
    pub reporting: Reporting,
    pub email: Email,
    /// The schedules as written (for messages).
    pub schedule: Schedule,
    /// The schedules, parsed.
    pub schedules: Schedules,
}

impl Config {
    /// Reads and checks the configuration file at `path`.
    ///
    /// # Errors
    /// [`ConfigError`] when the file is unreadable, malformed, or any check
    /// fails; all failed checks are listed together.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let raw: RawConfig = match toml::from_str(&text) {
            Ok(raw) => raw,
            Err(e) => {
                // The other files' problems are reported all the same: the
                // registries beside the configuration, where they usually are.
                let mut problems = vec![format!("{}: {e}", path.display())];
                let (innovations, structures) =
                    (base.join("innovations.csv"), base.join("structures.csv"));
                if innovations.exists() && structures.exists() {
                    Registry::load(&innovations, &structures, BTreeMap::new(), &mut problems);
                }
                if problems.len() == 1 {
                    return Err(ConfigError::Syntax {
                        path: path.to_path_buf(),
                        message: e.to_string(),
                    });
                }
                return Err(ConfigError::Invalid(problems));
            }
        };
        Config::from_raw(path, &base, raw)
    }

    /// The configuration of a structure's machine, without the operators'
    /// files: default limits, no aliases, no registry (`registry.loaded`
    /// is false, so structure codes and innovations go unchecked), no
    /// inbox or database. Only `essaim validate` runs on it.
    pub fn standalone() -> Config {
        let raw: RawConfig = toml::from_str(
            "[paths]\ninbox = \"inbox\"\ndata = \"data\"\n[reference]\ninnovations = \"\"\nstructures = \"\"\n",
        )
        .expect("the built-in standalone configuration parses");
        Config::build(Path::new("(aucune)"), Path::new("."), raw, false)
            .expect("the built-in standalone configuration is valid")
    }

    fn from_raw(source: &Path, base: &Path, raw: RawConfig) -> Result<Config, ConfigError> {
        Config::build(source, base, raw, true)
    }

    fn build(
        source: &Path,
        base: &Path,
        raw: RawConfig,
        with_registry: bool,
    ) -> Result<Config, ConfigError> {
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let mut problems = Vec::new();
        let inbox = resolve(&raw.paths.inbox);
        let data = resolve(&raw.paths.data);
        let innovations_path = resolve(&raw.reference.innovations);
        let structures_path = resolve(&raw.reference.structures);

        let mut innovation_aliases = BTreeMap::new();
        for (alias, code) in &raw.aliases.innovations {
            innovation_aliases.insert(fold(alias), code.clone());
        }
        let registry = if with_registry {
            Registry::load(
                &innovations_path,
                &structures_path,
                innovation_aliases,
                &mut problems,
            )
        } else {
            Registry::default()
        };

        let mut header_aliases = BTreeMap::new();
        for (alias, canonical) in &raw.aliases.headers {
            if !crate::model::template::is_known_header(canonical) {
                problems.push(format!(
                    "[aliases.headers] \"{alias}\" points to \"{canonical}\", which is no column of the template (known: {})",
                    crate::model::template::known_headers().join(", ")
                ));
            }
            header_aliases.insert(fold(alias), canonical.clone());
        }
        let l = &raw.limits;
        if l.max_file_mib == 0
            || l.max_rows == 0
            || l.max_columns == 0
            || l.file_timeout_secs == 0
            || l.max_uncompressed_mib == 0
            || l.max_rejections == 0
            || l.max_attachment_kib == 0
        {
            problems.push("[limits] every limit must be greater than zero".to_string());
        }
        if l.worker_memory_mib < 256 {
            problems.push(format!(
                "[limits] worker_memory_mib = {} is too small: a worker needs at least 256 MiB to start",
                l.worker_memory_mib
            ));
        }
        let registry_read = !problems.iter().any(|p| p.starts_with("cannot read "));
        let mut recipients = Vec::new();
        for r in &raw.email.recipients {
            if !r.address.contains('@') {
                problems.push(format!(
                    "[[email.recipients]] \"{}\" is not an e-mail address",
                    r.address
                ));
            }
            let scope = match Scope::parse(&r.scope, &registry) {
                Ok(s) => Some(s),
                // An unreadable registry is reported once, not per reader.
                Err(_) if !registry_read => None,
                Err(e) => {
                    problems.push(format!("[[email.recipients]] {}: {e}", r.address));
                    None
                }
            };
            if let Some(scope) = scope {
                recipients.push(Recipient {
                    address: r.address.clone(),
                    name: r.name.clone(),
                    scope,
                });
            }
        }
        let mut smtp = raw.email.smtp.clone();
        if let Some(s) = smtp.as_mut() {
            if let Some(ca) = s.ca_file.as_mut() {
                if ca.is_relative() {
                    *ca = base.join(&*ca);
                }
            }
        }
        let email = Email {
            from: raw
                .email
                .from
                .clone()
                .unwrap_or_else(|| "essaim <essaim@localhost>".into()),
            operators: raw.email.operators.clone(),
            feedback: raw.email.feedback,
            recipients,
            smtp,
            retry_base_secs: raw.email.retry_base_secs,
            digest_after_run: raw.email.digest_after_run,
        };
        let timezone = match raw.schedule.timezone.parse::<chrono_tz::Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                problems.push(format!(
                    "[schedule] timezone \"{}\" is not an IANA time zone (e.g. Europe/Paris)",
                    raw.schedule.timezone
                ));
                chrono_tz::Europe::Paris
            }
        };
        let mut crons = Vec::new();
        for (name, expr) in [
            ("run", &raw.schedule.run),
            ("digest", &raw.schedule.digest),
            ("retry", &raw.schedule.retry),
        ] {
            match parse_cron(expr) {
                Ok(c) => crons.push(c),
                Err(e) => problems.push(format!("[schedule] {name} = \"{expr}\": {e} (expected: sec min hour day month weekday)")),
            }
        }
        if raw.privacy.threshold < 1 {
            problems.push("[privacy] threshold must be at least 1".to_string());
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        let [run, digest, retry]: [croner::Cron; 3] = crons
            .try_into()
            .map_err(|_| ConfigError::Invalid(vec!["[schedule] three schedules".into()]))?;
        let mut privacy = raw.privacy;
        if privacy.hash_key_file.is_relative() {
            privacy.hash_key_file = data.join(&privacy.hash_key_file);
        }
        Ok(Config {
            source: source.to_path_buf(),
            inbox,
            data,
            registry,
            header_aliases,
            limits: raw.limits,
            archive: raw.archive,
            privacy,
            reporting: raw.reporting,
            email,
            schedules: Schedules {
                timezone,
                run,
                digest,
                retry,
            },
            schedule: raw.schedule,
        })
    }
}

/// Parses a cron expression with seconds.
///
/// # Errors
/// croner's error, as text.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    use croner::parser::{CronParser, Seconds};
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}
