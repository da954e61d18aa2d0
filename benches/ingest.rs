//! Ingest + validate throughput against the floor: the same files opened by
//! bare calamine with every cell touched, in parallel.
//!
//! `cargo bench --bench ingest` (options after `--`: `batch`, `large`,
//! `--runs N`, `--files N`, `--rows N`). Each measurement runs in a child
//! process so that its peak memory (VmHWM) is its own. Inputs are generated
//! once into `$CARGO_TARGET_DIR/essaim-bench/` (or the system temp dir).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use rayon::prelude::*;

use common::{bench_dir, median, peak_rss_kib};
use essaim::config::Config;
use essaim::synth::{SBook, SCell, SSheet};

fn config() -> Config {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/essaim.toml")).expect("config")
}

/// A workbook of `rows` job seekers in the template's layout.
fn workbook(rows: usize, seed: usize) -> SBook {
    let mut s = SSheet::new("Structure");
    s.row(vec!["Code structure".into(), "TAPAJ-TLS-06".into()]);
    s.row(vec!["Innovation".into(), "TAPAJ".into()]);
    s.row(vec!["Période".into(), "2019-T1".into()]);
    let mut js = SSheet::new("Demandeurs d'emploi");
    js.row(
        essaim::model::template::Table::Demandeurs
            .columns()
            .iter()
            .map(|c| SCell::from(c.header)),
    );
    let entry = NaiveDate::from_ymd_opt(2019, 1, 10).unwrap();
    let birth = NaiveDate::from_ymd_opt(1980, 5, 12).unwrap();
    for i in 0..rows {
        let n = seed * rows + i;
        let with_id = !n.is_multiple_of(3);
        js.row(vec![
            if with_id {
                SCell::Text(format!("{:07}A", n % 10_000_000))
            } else {
                SCell::Empty
            },
            if with_id {
                SCell::Empty
            } else {
                SCell::Text(format!("NOM{n}"))
            },
            if with_id {
                SCell::Empty
            } else {
                SCell::Text("Prénom".into())
            },
            if with_id {
                SCell::Empty
            } else {
                SCell::Date(birth)
            },
            SCell::Text(if n.is_multiple_of(2) { "F" } else { "H" }.into()),
            SCell::Text(format!("{:05}", 1000 + n % 90_000)),
            SCell::Date(entry),
            SCell::Number((n % 48) as f64),
            SCell::Text("Bac".into()),
            SCell::Text(
                if n.is_multiple_of(4) {
                    "CDI"
                } else {
                    "En cours"
                }
                .into(),
            ),
            if n.is_multiple_of(4) {
                SCell::Date(NaiveDate::from_ymd_opt(2019, 3, 1).unwrap())
            } else {
                SCell::Empty
            },
        ]);
    }
    let mut co = SSheet::new("Entreprises et partenaires");
    co.row(
        essaim::model::template::Table::Entreprises
            .columns()
            .iter()
            .map(|c| SCell::from(c.header)),
    );
    SBook {
        sheets: vec![s, js, co],
        date_1904: false,
    }
}

fn generate(dir: &Path, files: usize, rows: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("bench dir");
    let paths: Vec<PathBuf> = (0..files)
        .map(|i| dir.join(format!("w{i:05}.xlsx")))
        .collect();
    let missing: Vec<_> = paths
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.exists())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "generating {} workbooks of {rows} rows in {}",
            missing.len(),
            dir.display()
        );
        missing.par_iter().for_each(|(i, p)| {
            let bytes = workbook(rows, *i).to_xlsx().expect("xlsx");
            std::fs::write(p, bytes).expect("write");
        });
    }
    paths
}

/// Bare calamine: open, load every planned sheet into a Range, touch every cell.
fn floor(paths: &[PathBuf]) -> usize {
    paths
        .par_iter()
        .map(|p| {
            let bytes: Arc<[u8]> = std::fs::read(p).expect("read").into();
            let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("xlsx");
            let mut touched = 0usize;
            for name in wb.sheet_names() {
                let range = wb.worksheet_range(&name).expect("range");
                for row in range.rows() {
                    for c in row {
                        touched += match c {
                            Data::Empty => 0,
                            Data::String(s) => s.len().min(1),
                            _ => 1,
                        };
                    }
                }
            }
            touched
        })
        .sum()
}

/// essaim: what `essaim validate` does for each file.
fn essaim_validate(paths: &[PathBuf]) -> usize {
    let config = config();
    let today = chrono::Local::now().date_naive();
    let judged = essaim::app::check::judge_all(&config, paths, today, false)
        .expect("worker processes start");
    judged.iter().map(|j| j.report.totals().1).sum()
}

fn child(mode: &str, dir: &Path, files: usize) {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    paths.truncate(files);
    let t = Instant::now();
    let n = match mode {
        "floor" => floor(&paths),
        _ => essaim_validate(&paths),
    };
    println!("{} {} {}", t.elapsed().as_secs_f64(), peak_rss_kib(), n);
}

fn measure(name: &str, dir: &Path, files: usize, rows_total: usize, runs: usize) {
    let exe = std::env::current_exe().expect("exe");
    let mut results = Vec::new();
    for mode in ["floor", "essaim"] {
        let mut times = Vec::new();
        let mut mem = 0;
        for _ in 0..runs {
            let out = Command::new(&exe)
                .args(["--child", mode, dir.to_str().unwrap(), &files.to_string()])
                .output()
                .expect("child");
            let line = String::from_utf8_lossy(&out.stdout);
            let mut it = line.split_whitespace();
            let t: f64 = it.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
                panic!("child failed: {}", String::from_utf8_lossy(&out.stderr))
            });
            let m: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            times.push(t);
            mem = mem.max(m);
        }
        let med = median(times.clone());
        println!(
            "{name:>6} {mode:>7}: median {med:8.3} s over {runs} runs (min {:.3}, max {:.3}), {:>10.0} rows/s, peak RSS {:>7.1} MiB",
            times.iter().copied().fold(f64::INFINITY, f64::min),
            times.iter().copied().fold(0.0, f64::max),
            rows_total as f64 / med,
            mem as f64 / 1024.0
        );
        results.push((med, mem));
    }
    println!(
        "{name:>6}   ratio: essaim/floor time {:.2}x, memory {:.2}x",
        results[1].0 / results[0].0,
        results[1].1 as f64 / results[0].1.max(1) as f64
    );
}

fn main() {
    // Files are read by essaim's worker processes, as `essaim validate` does.
    common::use_essaim_workers();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(
            &args[2],
            Path::new(&args[3]),
            args[4].parse().expect("files"),
        );
        return;
    }
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let runs = flag("--runs", 5);
    let files = flag("--files", 2000);
    let rows = flag("--rows", 500);
    let large_rows = flag("--large-rows", 1_000_000);
    let only_large = args.iter().any(|a| a == "large");
    let only_batch = args.iter().any(|a| a == "batch");
    if !only_large {
        let dir = bench_dir().join(format!("batch-{files}x{rows}"));
        generate(&dir, files, rows);
        measure("batch", &dir, files, files * rows, runs);
    }
    if !only_batch {
        let dir = bench_dir().join(format!("large-{large_rows}"));
        generate(&dir, 1, large_rows);
        measure("large", &dir, 1, large_rows, runs.min(3));
    }
}
