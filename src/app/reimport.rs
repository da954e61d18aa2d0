//! Re-judging archived files (after aliases, rules or the hash key
//! changed): every original read and checked first, then every file
//! re-judged in worker processes and reloaded in one transaction, then the
//! figures recomputed.

use std::path::Path;

use rayon::prelude::*;

use crate::config::Config;
use crate::store::Store;

use super::worker::{Job, Pool};

/// Which archived files to re-judge (`None`s: every one).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub file: Option<String>,
    pub structure: Option<String>,
    pub period: Option<String>,
    pub innovation: Option<String>,
    /// Re-hash with the key now supplied (a rotation): every file only.
    pub rotate_key: bool,
    /// Tell structures whose file's verdict changed (not in a dry run).
    pub feedback: bool,
}

/// A file whose verdict moved.
#[derive(Debug, Clone)]
pub struct Change {
    pub name: String,
    pub before: String,
    pub after: String,
}

/// Re-judges the selected archived files into `store` under `run_id`, and
/// recomputes the figures. Returns how many files were re-judged and whose
/// verdict moved.
///
/// # Errors
/// When an original cannot be re-read (nothing then changes), the key is
/// refused, or the store fails.
pub fn reimport_into(
    config: &Config,
    store: &mut Store,
    args: &Selection,
    run_id: i64,
) -> Result<(usize, Vec<Change>), ReimportError> {
    let rotating = args.rotate_key;
    if rotating
        && (args.file.is_some()
            || args.structure.is_some()
            || args.period.is_some()
            || args.innovation.is_some())
    {
        return Err(ReimportError::RotationScope);
    }
    // A selection names things that exist, in the form they are stored.
    let period = match &args.period {
        Some(p) => Some(
            crate::model::records::Period::parse(p)
                .ok_or_else(|| {
                    ReimportError::Selection(format!(
                        "period \"{p}\" is not a quarter (2019-T1) or a month (2019-03)"
                    ))
                })?
                .to_string(),
        ),
        None => None,
    };
    let structure = match &args.structure {
        Some(s) => Some(
            config
                .registry
                .structure(s)
                .ok_or_else(|| {
                    ReimportError::Selection(format!(
                        "no structure has the code \"{s}\" in the registry"
                    ))
                })?
                .code
                .clone(),
        ),
        None => None,
    };
    if let Some(i) = &args.innovation {
        if config.registry.innovation(i).is_none() {
            return Err(ReimportError::Selection(format!(
                "no innovation has the code \"{i}\" (registered: {})",
                config
                    .registry
                    .innovations
                    .iter()
                    .map(|i| i.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let key = super::run::hash_key(config, store, rotating)?;
    let files = store.select_files(
        args.file.as_deref(),
        structure.as_deref(),
        period.as_deref(),
        args.innovation.as_deref(),
    )?;
    let filtered = args.file.is_some()
        || args.structure.is_some()
        || args.period.is_some()
        || args.innovation.is_some();
    if filtered && files.is_empty() {
        return Err(ReimportError::Selection(
            "no archived file matches this selection (a file is named with its extension, or by the first characters of its hash; see essaim status)".into(),
        ));
    }
    // Every original is read and checked before anything changes: a file
    // that cannot be re-read stops the whole re-import, named.
    let mut problems = Vec::new();
    if rotating {
        for name in store.purged_with_records()? {
            problems.push(format!(
                "{name}: original deleted by the retention period, its people cannot be re-hashed"
            ));
        }
    }
    let mut originals = Vec::new();
    for (sha, name, before, archive_path) in &files {
        let Some(path) = archive_path else {
            // Refused before it could be read (too large): nothing stored.
            continue;
        };
        match read_archived(Path::new(path), sha) {
            Ok(bytes) => originals.push((name.clone(), sha.clone(), before.clone(), bytes)),
            Err(e) => problems.push(format!("{name} ({path}): {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(ReimportError::Unreadable(problems));
    }
    let pool = Pool::new(config, chrono::Local::now().date_naive(), Some(&key))?;
    let judged: Vec<_> = originals
        .par_iter()
        .map(|(name, sha256, _, bytes)| {
            let job = Job {
                name,
                sha256,
                bytes,
                path: &[],
                // The annotated copy goes with a feedback whose verdict changed.
                annotate: config.email.feedback,
            };
            let j = pool.judge_or_refuse(&job);
            ((j.report, j.load), j.annotated)
        })
        .collect();
    drop(pool);
    let (judged, annotated): (Vec<_>, Vec<_>) = judged.into_iter().unzip();
    let mut changes = Vec::new();
    let mut messages = Vec::new();
    for (((name, _, before, _), (report, _)), annotated) in
        originals.iter().zip(&judged).zip(&annotated)
    {
        let after = report.verdict.as_str();
        if after == before {
            continue;
        }
        changes.push(Change {
            name: name.clone(),
            before: before.clone(),
            after: after.to_string(),
        });
        // The structure hears of the new verdict, saying so.
        if config.email.feedback && args.feedback {
            let previous = before.parse().unwrap_or(crate::model::Verdict::Accepted);
            let feedback = crate::digest::Feedback {
                report,
                annotated: annotated.as_deref(),
                changed: Some((previous, run_id)),
            };
            messages.extend(crate::digest::prepare_feedback(
                config,
                &store.database_id,
                &feedback,
            ));
        }
    }
    let fingerprint = rotating.then(|| key.fingerprint());
    store.reload_files(&judged, fingerprint.as_deref(), &messages)?;
    store.recompute(run_id, &config.registry)?;
    Ok((judged.len(), changes))
}

/// The bytes of an archived original, checked against its hash.
fn read_archived(path: &Path, sha256: &str) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let found = crate::ingest::SourceFile::from_bytes(path, bytes, chrono::Utc::now());
    if found.sha256 != sha256 {
        return Err("the archived copy does not match its hash: the archive is damaged".into());
    }
    Ok(found.bytes.to_vec())
}

/// Why a re-import did not happen (nothing was then changed).
#[derive(Debug, thiserror::Error)]
pub enum ReimportError {
    #[error("--rotate-key re-hashes every file: use it with --all alone")]
    RotationScope,
    /// The selection names nothing, or something that does not exist.
    #[error("{0}")]
    Selection(String),
    #[error("{} archived original(s) cannot be re-read; nothing was changed:\n  {}", .0.len(), .0.join("\n  "))]
    Unreadable(Vec<String>),
    #[error(transparent)]
    Run(#[from] super::run::PipelineError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("worker processes: {0}")]
    Workers(#[from] std::io::Error),
}
