//! Re-judging archived files (after aliases, rules or the hash key
//! changed): every original read and checked first, then every file
//! re-judged in worker processes and reloaded in one transaction, then the
//! figures recomputed.

use std::path::Path;

use rayon::prelude::*;

use crate::config::Config;
use crate::identity::LoadData;
use crate::store::Store;
use crate::validate::FileReport;

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
        match check_archived(Path::new(path), sha) {
            Ok(()) => originals.push((name.as_str(), sha.as_str(), before.as_str(), path.as_str())),
            Err(e) => problems.push(format!("{name} ({path}): {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(ReimportError::Unreadable(problems));
    }
    let pool = Pool::new(config, chrono::Local::now().date_naive(), Some(&key))?;
    let shas: Vec<&str> = originals.iter().map(|o| o.1).collect();
    let store_id = store.database_id.clone();
    let mut reload = store.begin_reload(&shas)?;
    let mut changes = Vec::new();
    let mut messages = Vec::new();
    let mut count = 0;
    // Groups of files are judged by the workers while the one before is
    // written into the open transaction (a pipeline), so that no more than
    // two groups are in memory at once.
    let failure = std::thread::scope(|scope| -> Result<(), ReimportError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let pool = &pool;
        let originals = &originals;
        scope.spawn(move || {
            for group in originals.chunks(GROUP) {
                let judged: Vec<_> = group
                    .par_iter()
                    .map(|&(name, sha256, _, path)| rejudge(pool, name, sha256, path, false))
                    .collect();
                if tx.send((group, judged)).is_err() {
                    return;
                }
            }
        });
        for (group, judged) in rx {
            let judged = judged
                .into_iter()
                .map(|j| j.map(|(report, load, _)| (report, load)))
                .collect::<Result<Vec<_>, _>>()?;
            count += judged.len();
            reload.add(&judged)?;
            for (&(name, sha256, before, path), (report, _)) in group.iter().zip(&judged) {
                let after = report.verdict.as_str();
                if after == before {
                    continue;
                }
                changes.push(Change {
                    name: name.to_string(),
                    before: before.to_string(),
                    after: after.to_string(),
                });
                // The structure hears of the new verdict, saying so, with
                // the annotated copy (made now, for these files only).
                if config.email.feedback && args.feedback {
                    let annotated = rejudge(pool, name, sha256, path, true)?;
                    let previous = before.parse().unwrap_or(crate::model::Verdict::Accepted);
                    let feedback = crate::digest::Feedback {
                        report,
                        annotated: annotated.2.as_deref(),
                        changed: Some((previous, run_id)),
                    };
                    messages.extend(crate::digest::prepare_feedback(
                        config, &store_id, &feedback,
                    ));
                }
            }
        }
        Ok(())
    });
    failure?;
    drop(pool);
    let fingerprint = rotating.then(|| key.fingerprint());
    reload.finish(fingerprint.as_deref(), &messages)?;
    store.recompute(run_id, &config.registry)?;
    Ok((count, changes))
}

/// Files judged and written together in a re-import.
const GROUP: usize = 256;

/// Judges an archived original again: its report and records (and, with
/// `annotate`, the annotated copy).
#[allow(clippy::type_complexity)]
fn rejudge(
    pool: &Pool,
    name: &str,
    sha256: &str,
    path: &str,
    annotate: bool,
) -> Result<(FileReport, Option<LoadData>, Option<Vec<u8>>), ReimportError> {
    let bytes = read_archived(Path::new(path), sha256)
        .map_err(|e| ReimportError::Unreadable(vec![format!("{name} ({path}): {e}")]))?;
    let job = Job {
        name,
        sha256,
        bytes: &bytes,
        path: &[],
        annotate,
    };
    let j = pool.judge_or_refuse(&job);
    Ok((j.report, j.load, j.annotated))
}

/// Checks that an archived original is still there with its bytes.
fn check_archived(path: &Path, sha256: &str) -> Result<(), String> {
    match crate::ingest::hash_file(path) {
        Ok((h, _)) if h == sha256 => Ok(()),
        Ok(_) => Err("the archived copy does not match its hash: the archive is damaged".into()),
        Err(e) => Err(e.to_string()),
    }
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
