//! `essaim digest`: compose and send the digest now, preview it, resend or
//! retry messages, list them.

use std::io::Write;
use std::path::PathBuf;

use crate::config::Config;
use crate::digest;
use crate::model::scope::Scope;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write digest.html, digest.txt and graphique.png into DIR without sending.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["resend", "retry", "list"])]
    pub preview: Option<PathBuf>,
    /// With --preview: the scope (national, innovation:<code>, departement:<code>).
    #[arg(long, default_value = "national", requires = "preview")]
    pub scope: String,
    /// Put a message back in the queue and deliver it (after checking that
    /// an interrupted sending did not reach the recipient).
    #[arg(long, value_name = "MESSAGE_ID")]
    pub resend: Option<String>,
    /// With --resend: send again a message already sent.
    #[arg(long, requires = "resend")]
    pub force: bool,
    /// Only deliver what is due (pending messages whose retry time has
    /// come), after building again feedback that could not be built.
    #[arg(long)]
    pub retry: bool,
    /// List every message and its state.
    #[arg(long)]
    pub list: bool,
    /// How long to wait for another essaim process to release the data folder.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    let mut out = std::io::stdout().lock();
    if args.list {
        // Read-only: answers during a run, from the snapshot.
        let (_lock, store) = super::open_for_reading(config, args.wait)?;
        for m in store.all_messages()? {
            writeln!(
                out,
                "{:<10} {:<9} {:<36} {} ({} essai(s)){}",
                m.state,
                m.kind,
                m.recipient,
                m.id,
                m.attempts,
                m.last_error.map(|e| format!(" : {e}")).unwrap_or_default()
            )?;
        }
        return Ok(crate::model::exit::OK);
    }
    let (_lock, store) = super::open_locked(config, args.wait)?;
    if let Some(dir) = &args.preview {
        let scope =
            Scope::parse(&args.scope, &config.registry).map_err(crate::cli::CliError::Refused)?;
        let digest::Preview {
            subject,
            html,
            text,
            png,
        } = digest::preview(config, &store, &scope)?;
        std::fs::create_dir_all(dir)?;
        // The HTML as a browser shows it: the inline image by file name.
        std::fs::write(
            dir.join("digest.html"),
            html.replace("cid:graphique", "graphique.png"),
        )?;
        std::fs::write(dir.join("digest.txt"), text)?;
        let chart = dir.join("graphique.png");
        let with_chart = match png {
            Some(png) => {
                std::fs::write(&chart, png)?;
                ", graphique.png"
            }
            None => {
                // No stale chart of an earlier preview beside this one.
                if chart.exists() {
                    std::fs::remove_file(&chart)?;
                }
                ""
            }
        };
        writeln!(
            out,
            "Aperçu « {subject} » écrit dans {} (digest.html, digest.txt{with_chart}).",
            dir.display()
        )?;
        return Ok(crate::model::exit::OK);
    }

    let now = chrono::Utc::now().naive_utc();
    let delivery = if let Some(id) = &args.resend {
        let id = id.trim_matches(['<', '>']);
        match store.message_state(id)? {
            None => {
                return Err(crate::cli::CliError::Refused(format!(
                    "no message has the id {id} (see essaim digest --list)"
                )))
            }
            Some((_, false)) => {
                return Err(crate::cli::CliError::Refused(format!(
                    "message {id} could not be built yet: essaim digest --retry builds it again from the archived file"
                )))
            }
            Some((crate::model::MessageState::Sent, true)) if !args.force => {
                return Err(crate::cli::CliError::Refused(format!(
                    "message {id} was already sent: add --force to send it again"
                )))
            }
            Some(_) => {}
        }
        store.requeue_message(id)?;
        digest::deliver::deliver_due(config, &store, now)?
    } else if args.retry {
        let rebuilt = crate::app::notify::rebuild_feedback(config, &store);
        if rebuilt > 0 {
            writeln!(out, "{rebuilt} message(s) de retour reconstruit(s).")?;
        }
        digest::deliver::deliver_due(config, &store, now)?
    } else {
        let o = digest::send_digest(config, &store)?;
        writeln!(
            out,
            "Synthèse composée pour {} destinataire(s).",
            o.composed
        )?;
        o.delivery
    };
    writeln!(
        out,
        "Messages : {} envoyé(s), {} reporté(s), {} en échec.",
        delivery.sent,
        delivery.deferred,
        delivery.failed.len()
    )?;
    for (id, e) in &delivery.failed {
        writeln!(out, "  {id} : {e}")?;
    }
    Ok(if delivery.failed.is_empty() {
        crate::model::exit::OK
    } else {
        crate::model::exit::ROWS_REJECTED
    })
}
