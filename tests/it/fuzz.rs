//! Fuzzing the readers through the worker processes: real workbooks from
//! `../shared/corpora` and the fixtures, mutated (bytes flipped, cut, or an
//! entry of the zip changed and the zip rebuilt), are judged or refused
//! with a reason; a crash or a hang costs only its worker, never the
//! caller, and the next file is judged as before.

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use essaim::app::worker::{Job, Outcome, Pool};
use essaim::model::Verdict;
use proptest::prelude::*;

use super::util::{corpora, fixture, temp_config};

/// Small real workbooks to start from.
fn seeds() -> &'static Vec<(String, Vec<u8>)> {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut paths: Vec<PathBuf> = vec![
            fixture("validate/valide.xlsx"),
            fixture("validate/valide.ods"),
            fixture("validate/lignes-invalides.xlsx"),
            fixture("validate/csv/TAPAJ-TLS-06_2019-T1_demandeurs.csv"),
        ];
        if let Ok(rd) = std::fs::read_dir(corpora().join("calamine-tests")) {
            let mut more: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("xlsx" | "xls" | "ods" | "xlsb")
                    ) && std::fs::metadata(p).is_ok_and(|m| m.len() < 100_000)
                })
                .collect();
            more.sort();
            paths.extend(more);
        }
        paths
            .into_iter()
            .filter_map(|p| {
                let bytes = std::fs::read(&p).ok()?;
                Some((p.file_name()?.to_string_lossy().into_owned(), bytes))
            })
            .collect()
    })
}

struct Harness {
    pool: Pool,
    _dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = temp_config(dir.path());
        super::hostile::set_config(
            &path,
            &[("worker_memory_mib", "768"), ("file_timeout_secs", "10")],
        );
        let config = essaim::config::Config::load(&path).unwrap();
        let pool = Pool::with_exe(
            PathBuf::from(env!("CARGO_BIN_EXE_essaim")),
            &config,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            None,
        );
        Harness { pool, _dir: dir }
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Rebuilds a zip with one entry's bytes changed.
fn mutate_entry(bytes: &[u8], pick: usize, flips: &[(usize, u8)]) -> Option<Vec<u8>> {
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let n = a.len();
    if n == 0 {
        return None;
    }
    let target = pick % n;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..n {
        let mut f = a.by_index(i).ok()?;
        let mut body = Vec::new();
        f.read_to_end(&mut body).ok()?;
        if i == target && !body.is_empty() {
            for (at, b) in flips {
                let len = body.len();
                body[at % len] = *b;
            }
        }
        w.start_file(f.name().ok()?.to_string(), opts).ok()?;
        w.write_all(&body).ok()?;
    }
    Some(w.finish().ok()?.into_inner())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_workbooks_are_judged_or_refused_and_never_hurt_the_caller(
        seed in any::<usize>(),
        mode in 0u8..3,
        pick in any::<usize>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16),
        cut in any::<usize>(),
    ) {
        let seeds = seeds();
        prop_assume!(!seeds.is_empty());
        let (name, original) = &seeds[seed % seeds.len()];
        let bytes = match mode {
            0 => {
                let mut b = original.clone();
                for (at, v) in &flips {
                    let len = b.len();
                    b[at % len] = *v;
                }
                b
            }
            1 => original[..cut % (original.len() + 1)].to_vec(),
            _ => mutate_entry(original, pick, &flips).unwrap_or_else(|| original.clone()),
        };
        let sha = sha256_hex(&bytes);
        let job = Job { name, sha256: &sha, bytes: &bytes, path: &[], annotate: true };
        match harness().pool.judge(&job) {
            Outcome::Judged(j) => {
                if j.report.verdict == Verdict::FileRejected {
                    prop_assert!(j.report.reason.as_deref().is_some_and(|r| !r.is_empty()));
                }
                let (rows, accepted, rejected) = j.report.totals();
                prop_assert_eq!(rows, accepted + rejected);
            }
            Outcome::Failed { detail } => prop_assert!(!detail.is_empty()),
        }
    }
}

#[test]
fn after_mutated_files_the_workers_still_judge_a_valid_file() {
    let bytes = std::fs::read(fixture("validate/valide.xlsx")).unwrap();
    for _ in 0..3 {
        let sha = sha256_hex(&bytes);
        let job = Job {
            name: "valide.xlsx",
            sha256: &sha,
            bytes: &bytes,
            path: &[],
            annotate: false,
        };
        match harness().pool.judge(&job) {
            Outcome::Judged(j) => {
                assert_eq!(j.report.verdict, Verdict::Accepted, "{:?}", j.report.reason);
            }
            Outcome::Failed { detail } => panic!("{detail}"),
        }
    }
}
