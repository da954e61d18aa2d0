//! `essaim reimport`: re-judge archived files by hand (after aliases or
//! rules change), for one file, a structure, a period, an innovation, or
//! everything; `--dry-run` shows what would change without writing.

use std::io::Write;

use crate::app::reimport::{reimport_into, Selection};
use crate::config::Config;
use crate::indicators::Figure;
use crate::store::Store;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).multiple(true).args(["file", "structure", "period", "innovation", "all"])))]
pub struct Args {
    /// One file, by hash (or its first characters) or by name.
    #[arg(long)]
    pub file: Option<String>,
    /// Every file of a structure (code).
    #[arg(long)]
    pub structure: Option<String>,
    /// Every file of a period (2019-T1, 2019-03).
    #[arg(long)]
    pub period: Option<String>,
    /// Every file of an innovation (code).
    #[arg(long)]
    pub innovation: Option<String>,
    /// Every archived file.
    #[arg(long)]
    pub all: bool,
    /// Why (kept in the history).
    #[arg(long, required = true)]
    pub reason: String,
    /// Show which files would change verdict and how each headline figure
    /// would move, without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Re-hash every person with the key now supplied (ESSAIM_HASH_KEY or
    /// the key file), which differs from the database's: with --all only.
    /// All or nothing: every archived original is read first, and the
    /// figures change only once every file is re-hashed.
    #[arg(long, requires = "all")]
    pub rotate_key: bool,
    /// How long to wait for another essaim process to release the data folder.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait: u64,
}

impl Args {
    fn selection(&self) -> Selection {
        Selection {
            file: self.file.clone(),
            structure: self.structure.clone(),
            period: self.period.clone(),
            innovation: self.innovation.clone(),
            rotate_key: self.rotate_key,
            feedback: !self.dry_run,
        }
    }

    fn scope(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = &self.file {
            parts.push(format!("file={f}"));
        }
        if let Some(s) = &self.structure {
            parts.push(format!("structure={s}"));
        }
        if let Some(p) = &self.period {
            parts.push(format!("period={p}"));
        }
        if let Some(i) = &self.innovation {
            parts.push(format!("innovation={i}"));
        }
        if self.all || parts.is_empty() {
            parts.push("all".into());
        }
        parts.join(",")
    }
}

fn national(figures: &[Figure], name: &str) -> Option<f64> {
    figures
        .iter()
        .find(|f| f.indicator == name && f.scope_kind == "national")
        .and_then(|f| f.value)
}

pub fn run(config: &Config, args: Args) -> Result<u8, crate::cli::CliError> {
    let (_lock, mut store) = super::open_locked(config, args.wait)?;
    let before = store.latest_national_figures()?;
    let scope = args.scope();
    let (count, changes, after) = if args.dry_run {
        // Work on a copy of the database; the real one only records the request.
        store.checkpoint()?;
        let tmp = std::env::temp_dir().join(format!("essaim-dry-run-{}", std::process::id()));
        std::fs::create_dir_all(&tmp)?;
        std::fs::copy(&store.path, tmp.join(crate::store::DB_FILE))?;
        let result = (|| {
            let mut copy = Store::open(&tmp)?;
            let run_id = copy.begin_run("reimport", Some(&args.reason))?;
            let (count, changes) = reimport_into(config, &mut copy, &args.selection(), run_id)?;
            let after = copy.latest_national_figures()?;
            Ok::<_, crate::cli::CliError>((count, changes, after))
        })();
        let _ = std::fs::remove_dir_all(&tmp);
        let run_id = store.begin_run("reimport", Some(&format!("dry run: {}", args.reason)))?;
        store.record_reimport(run_id, &scope, &args.reason, true)?;
        store.finish_run(run_id, "dry_run", 0, 0, 0, 0)?;
        result?
    } else {
        let run_id = store.begin_run("reimport", Some(&args.reason))?;
        let (count, changes) = reimport_into(config, &mut store, &args.selection(), run_id)?;
        store.record_reimport(run_id, &scope, &args.reason, false)?;
        store.finish_run(run_id, "ok", count, 0, 0, 0)?;
        super::refresh_snapshot(&store);
        (count, changes, store.latest_national_figures()?)
    };
    let mut out = std::io::stdout().lock();
    let what = if args.dry_run {
        "Simulation de réimport"
    } else {
        "Réimport"
    };
    writeln!(
        out,
        "{what} ({scope}) : {count} fichier(s) rejugé(s), {} changement(s) de verdict.",
        changes.len()
    )?;
    for c in &changes {
        writeln!(out, "  {} : {} -> {}", c.name, c.before, c.after)?;
    }
    if !args.dry_run && !changes.is_empty() && config.email.feedback {
        // The structures whose verdict changed hear of it now.
        match crate::digest::deliver::deliver_due(config, &store, chrono::Utc::now().naive_utc()) {
            Ok(d) if d.sent > 0 => writeln!(
                out,
                "  {} courriel(s) de retour {}.",
                d.sent,
                d.outbox
                    .map_or("envoyé(s)".to_string(), |o| format!("écrit(s) dans {o}"))
            )?,
            Ok(_) => {}
            Err(e) => writeln!(out, "  Courriels non envoyés (ils restent en file) : {e}")?,
        }
    }
    writeln!(out, "Chiffres (bruts) avant -> après :")?;
    for ind in crate::indicators::REGISTRY {
        let show = |v: Option<f64>| match v {
            None => "–".to_string(),
            Some(x) if ind.ratio => crate::text::percent(x),
            Some(x) => format!("{}", x as i64),
        };
        let (b, a) = (national(&before, ind.name), national(&after, ind.name));
        let mark = if b == a { "" } else { "  *" };
        writeln!(
            out,
            "  {:<42} {:>10} -> {:<10}{mark}",
            ind.label,
            show(b),
            show(a)
        )?;
    }
    Ok(crate::model::exit::OK)
}
