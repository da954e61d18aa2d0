//! Delivery: every message is built once (stable Message-ID), kept as an
//! .eml file under `data/messages/`, recorded in DuckDB as `pending`, then
//! delivered by SMTP (lettre) or, with no SMTP host, copied to
//! `data/outbox/`. A message is marked `sending` before the SMTP dialogue:
//! one interrupted there stays `sending` and is never sent again on its
//! own (an operator checks the mailbox, then `essaim digest --resend ID`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, Message, SmtpTransport, Transport};
use sha2::{Digest as _, Sha256};

use crate::config::Security;
use crate::config::{Config, Recipient, Smtp};
use crate::model::MessageState;
use crate::store::Store;

/// Delivery failures that stop delivery altogether.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("e-mail address \"{0}\" is invalid: {1}")]
    Address(String, String),
    #[error("building the message: {0}")]
    Build(String),
    #[error("SMTP configuration: {0}")]
    Config(String),
    #[error("the SMTP password variable {0} is not set (username given in [email.smtp])")]
    MissingPassword(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Render(#[from] minijinja::Error),
    #[error(transparent)]
    Chart(#[from] super::render::ChartError),
}

/// A message ready to queue.
#[derive(Debug, Clone)]
pub struct Composed {
    pub id: String,
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub bytes: Vec<u8>,
}

fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..6])
}

fn mailbox(s: &str) -> Result<Mailbox, DeliverError> {
    s.parse::<Mailbox>()
        .map_err(|e| DeliverError::Address(s.to_string(), e.to_string()))
}

/// The digest for one recipient: HTML and text alternatives, the chart
/// inline by Content-ID.
///
/// # Errors
/// Address or message building errors.
#[allow(clippy::too_many_arguments)]
pub fn digest_message(
    config: &Config,
    database_id: &str,
    r: &Recipient,
    digest_id: i64,
    subject: &str,
    html: String,
    text: String,
    png: Option<Vec<u8>>,
) -> Result<Composed, DeliverError> {
    // The database's id keeps ids unique if the database is ever lost and
    // digest numbers start again.
    let id = format!(
        "digest-{database_id}-{digest_id}-{}@essaim",
        short_hash(&r.address)
    );
    let to = match &r.name {
        Some(n) => format!("{n} <{}>", r.address),
        None => r.address.clone(),
    };
    let alternatives = MultiPart::alternative_plain_html(text, html);
    let body = match png {
        Some(png) => MultiPart::related().multipart(alternatives).singlepart(
            Attachment::new_inline("graphique".to_string()).body(
                png,
                ContentType::parse("image/png").map_err(|e| DeliverError::Build(e.to_string()))?,
            ),
        ),
        None => alternatives,
    };
    let msg = Message::builder()
        .message_id(Some(format!("<{id}>")))
        .from(mailbox(&config.email.from)?)
        .to(mailbox(&to)?)
        .subject(subject)
        .multipart(body)
        .map_err(|e| DeliverError::Build(e.to_string()))?;
    Ok(Composed {
        id,
        kind: "digest",
        to: r.address.clone(),
        subject: subject.to_string(),
        bytes: msg.formatted(),
    })
}

/// The Message-ID (without brackets) of the feedback to `to` about file
/// `sha256`: stable, so that a feedback is queued once.
pub fn feedback_id(database_id: &str, to: &str, sha256: &str, revision: Option<i64>) -> String {
    format!(
        "retour-{database_id}-{}-{}{}@essaim",
        sha256.get(..16).unwrap_or(sha256),
        short_hash(to),
        revision.map(|r| format!("-r{r}")).unwrap_or_default()
    )
}

/// A file attached to a message: name, MIME type, bytes.
pub type Attached = (String, &'static str, Vec<u8>);

/// The MIME type of the annotated workbook.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The feedback to a structure about one file, with its attachments (the
/// annotated copy, the rejection CSV), answers going to the operators.
/// `revision` tells a later feedback about the same file (after a
/// re-import changed its verdict) from the first.
///
/// # Errors
/// Address or message building errors.
#[allow(clippy::too_many_arguments)]
pub fn feedback_message(
    config: &Config,
    database_id: &str,
    to: &str,
    sha256: &str,
    revision: Option<i64>,
    subject: &str,
    html: String,
    text: String,
    attachments: Vec<Attached>,
) -> Result<Composed, DeliverError> {
    let id = feedback_id(database_id, to, sha256, revision);
    let alt = MultiPart::alternative_plain_html(text, html);
    let body = if attachments.is_empty() {
        alt
    } else {
        let mut mixed = MultiPart::mixed().multipart(alt);
        for (name, mime, bytes) in attachments {
            mixed = mixed.singlepart(Attachment::new(name).body(
                bytes,
                ContentType::parse(mime).map_err(|e| DeliverError::Build(e.to_string()))?,
            ));
        }
        mixed
    };
    let mut builder = Message::builder()
        .message_id(Some(format!("<{id}>")))
        .from(mailbox(&config.email.from)?)
        .to(mailbox(to)?);
    // The structure's questions go to the people who can answer them.
    for operator in &config.email.operators {
        builder = builder.reply_to(mailbox(operator)?);
    }
    let msg = builder
        .subject(subject)
        .multipart(body)
        .map_err(|e| DeliverError::Build(e.to_string()))?;
    Ok(Composed {
        id,
        kind: "feedback",
        to: to.to_string(),
        subject: subject.to_string(),
        bytes: msg.formatted(),
    })
}

/// A plain-text alert to the operators (a failed job).
///
/// # Errors
/// Address or message building errors.
pub fn alert_message(
    config: &Config,
    to: &str,
    subject: &str,
    text: String,
) -> Result<Composed, DeliverError> {
    let id = format!(
        "alerte-{}-{}@essaim",
        Utc::now().format("%Y%m%d%H%M%S%f"),
        short_hash(to)
    );
    let msg = Message::builder()
        .message_id(Some(format!("<{id}>")))
        .from(mailbox(&config.email.from)?)
        .to(mailbox(to)?)
        .subject(subject)
        .singlepart(SinglePart::plain(text))
        .map_err(|e| DeliverError::Build(e.to_string()))?;
    Ok(Composed {
        id,
        kind: "alert",
        to: to.to_string(),
        subject: subject.to_string(),
        bytes: msg.formatted(),
    })
}

fn messages_dir(config: &Config) -> PathBuf {
    config.data.join("messages")
}

/// Keeps the message as an .eml file and records it as pending (once: the
/// same Message-ID again is ignored).
///
/// # Errors
/// I/O or SQL errors.
pub fn enqueue(config: &Config, store: &Store, m: &Composed) -> Result<(), DeliverError> {
    let path = write_eml(config, m)?;
    store.record_message(&m.id, m.kind, &m.to, &m.subject, &path.to_string_lossy())?;
    Ok(())
}

/// Writes the message's .eml file (atomically: a temporary file renamed),
/// owner-only, and returns its path. The same Message-ID is written once.
///
/// # Errors
/// I/O errors.
pub fn write_eml(config: &Config, m: &Composed) -> Result<PathBuf, DeliverError> {
    crate::store::private_umask();
    let dir = messages_dir(config);
    std::fs::create_dir_all(&dir).map_err(|source| DeliverError::Io {
        what: format!("create {}", dir.display()),
        source,
    })?;
    let path = dir.join(format!("{}.eml", m.id.replace('@', "_")));
    if !path.exists() {
        let tmp = path.with_extension("eml.tmp");
        std::fs::write(&tmp, &m.bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| DeliverError::Io {
                what: format!("write {}", path.display()),
                source,
            })?;
    }
    Ok(path)
}

enum Channel {
    Smtp(Box<SmtpTransport>),
    Outbox(PathBuf),
}

fn channel(config: &Config) -> Result<Channel, DeliverError> {
    let Some(smtp) = &config.email.smtp else {
        return Ok(Channel::Outbox(config.data.join("outbox")));
    };
    Ok(Channel::Smtp(Box::new(smtp_transport(smtp)?)))
}

fn smtp_transport(s: &Smtp) -> Result<SmtpTransport, DeliverError> {
    let mut tls = TlsParameters::builder(s.host.clone());
    if let Some(ca) = &s.ca_file {
        let pem = std::fs::read(ca).map_err(|source| DeliverError::Io {
            what: format!("read {}", ca.display()),
            source,
        })?;
        tls = tls.add_root_certificate(
            Certificate::from_pem(&pem)
                .map_err(|e| DeliverError::Config(format!("{}: {e}", ca.display())))?,
        );
    }
    let params = || {
        tls.clone()
            .build_rustls()
            .map_err(|e| DeliverError::Config(e.to_string()))
    };
    let mode = match s.security {
        Security::Tls => Tls::Wrapper(params()?),
        Security::None => Tls::None,
        Security::Starttls => Tls::Required(params()?),
    };
    let mut b = SmtpTransport::builder_dangerous(s.host.clone())
        .port(s.port)
        .tls(mode)
        .timeout(Some(Duration::from_secs(s.timeout_secs)));
    if let Some(user) = &s.username {
        let password = std::env::var(&s.password_env)
            .map_err(|_| DeliverError::MissingPassword(s.password_env.clone()))?;
        b = b.credentials(Credentials::new(user.clone(), password));
    }
    Ok(b.build())
}

/// What a delivery round did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Delivery {
    pub sent: usize,
    pub deferred: usize,
    pub failed: Vec<(String, String)>,
    /// Where the messages were written when no SMTP server is configured.
    pub outbox: Option<String>,
}

/// Puts a message in the outbox: a second name for the stored message
/// when the two folders share a file system (nothing is copied), else a
/// copy of its bytes. A message written again replaces its earlier copy.
fn to_outbox(stored: &Path, target: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(target) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    if std::fs::hard_link(stored, target).is_ok() {
        return Ok(());
    }
    std::fs::copy(stored, target).map(|_| ())
}

/// Delivers every due message. A temporary failure (server down, 4xx,
/// timeout, authentication refused) leaves the message pending with an
/// exponential backoff; a permanent one (5xx for that recipient) marks it
/// failed and is reported; neither holds back the other messages.
///
/// # Errors
/// Configuration, I/O or SQL errors.
pub fn deliver_due(
    config: &Config,
    store: &Store,
    now: NaiveDateTime,
) -> Result<Delivery, DeliverError> {
    let due = store.due_messages(now)?;
    let mut out = Delivery::default();
    if due.is_empty() {
        return Ok(out);
    }
    let channel = channel(config)?;
    let from: Address = mailbox(&config.email.from)?.email;
    // Written to the outbox: marked sent together, at the end.
    let mut written = Vec::new();
    for m in due {
        let read = || {
            std::fs::read(&m.eml_path).map_err(|source| DeliverError::Io {
                what: format!("read {}", m.eml_path),
                source,
            })
        };
        match &channel {
            Channel::Outbox(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| DeliverError::Io {
                    what: format!("create {}", dir.display()),
                    source,
                })?;
                let target = dir.join(Path::new(&m.eml_path).file_name().unwrap_or_default());
                if let Err(source) = to_outbox(Path::new(&m.eml_path), &target) {
                    store.mark_sent(&written)?;
                    return Err(DeliverError::Io {
                        what: format!("copy {} to {}", m.eml_path, target.display()),
                        source,
                    });
                }
                written.push(m.id.clone());
                out.sent += 1;
                out.outbox = Some(dir.display().to_string());
            }
            Channel::Smtp(t) => {
                let to: Address = match m.recipient.parse() {
                    Ok(a) => a,
                    Err(e) => {
                        store.set_message_state(
                            &m.id,
                            MessageState::Failed,
                            Some(&e.to_string()),
                            None,
                        )?;
                        out.failed.push((m.id.clone(), e.to_string()));
                        continue;
                    }
                };
                let envelope = lettre::address::Envelope::new(Some(from.clone()), vec![to])
                    .map_err(|e| DeliverError::Build(e.to_string()))?;
                let bytes = read()?;
                store.set_message_state(&m.id, MessageState::Sending, None, None)?;
                match t.send_raw(&envelope, &bytes) {
                    Ok(_) => {
                        store.set_message_state(&m.id, MessageState::Sent, None, None)?;
                        tracing::info!(message = %m.id, kind = %m.kind, "message sent");
                        out.sent += 1;
                    }
                    Err(e) => {
                        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
                        let auth = code.starts_with("53");
                        let text = if auth {
                            format!("authentification refusée par le serveur SMTP ({e}) : vérifiez [email.smtp] username et la variable du mot de passe")
                        } else {
                            e.to_string()
                        };
                        if e.is_permanent() && !auth {
                            store.set_message_state(
                                &m.id,
                                MessageState::Failed,
                                Some(&text),
                                None,
                            )?;
                            tracing::error!(message = %m.id, error = %text, "message refused by the server");
                            out.failed.push((m.id.clone(), text));
                        } else {
                            let backoff = config
                                .email
                                .retry_base_secs
                                .saturating_mul(1 << m.attempts.clamp(0, 10));
                            let next = now + chrono::Duration::seconds(backoff as i64);
                            store.set_message_state(
                                &m.id,
                                MessageState::Pending,
                                Some(&text),
                                Some(next),
                            )?;
                            tracing::warn!(message = %m.id, error = %text, retry_at = %next, "message deferred");
                            out.deferred += 1;
                        }
                    }
                }
            }
        }
    }
    store.mark_sent(&written)?;
    Ok(out)
}
