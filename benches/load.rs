//! Loading and recomputation benchmarks (`cargo bench --bench load`):
//!
//! * `history`: ten years of history (65 structures x 40 quarters x 200 job
//!   seekers = 2,600 workbooks, 520,000 rows) loaded end to end into an
//!   empty database, then a second run with nothing new;
//! * `recompute`: indicator recomputation over 1,000,000 person rows
//!   (800,000 people, some reported twice; keys numbered as loads number
//!   them; half the rows carry both keys, so people are linked).
//!
//! Each measurement runs in a child process for its own peak memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use rayon::prelude::*;

use common::{bench_dir, config_in, median, peak_rss_kib};
use essaim::app::run::{self, RunOptions};
use essaim::config::Config;
use essaim::model::template::Table;
use essaim::store::Store;
use essaim::synth::{SBook, SCell, SSheet};

fn structures() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/structures.csv"),
    )
    .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|x| x.unwrap())
        .map(|x| (x[0].to_string(), x[2].to_string()))
        .collect()
}

fn history_inbox(rows: usize) -> PathBuf {
    let inbox = bench_dir().join(format!("history-{rows}")).join("inbox");
    let structures = structures();
    let jobs: Vec<(usize, usize)> = (0..structures.len())
        .flat_map(|s| (0..40).map(move |q| (s, q)))
        .collect();
    if std::fs::read_dir(&inbox).map_or(0, std::iter::Iterator::count) == jobs.len() {
        return inbox;
    }
    std::fs::create_dir_all(&inbox).unwrap();
    eprintln!("generating {} workbooks of {rows} rows", jobs.len());
    jobs.par_iter().for_each(|&(s, q)| {
        let (code, innovation) = &structures[s];
        let year = 2015 + (q / 4) as i32;
        let quarter = (q % 4) as u32 + 1;
        let period = format!("{year}-T{quarter}");
        let start = NaiveDate::from_ymd_opt(year, quarter * 3 - 2, 1).unwrap();
        let mut st = SSheet::new("Structure");
        st.row(vec!["Code structure".into(), code.as_str().into()]);
        st.row(vec!["Innovation".into(), innovation.as_str().into()]);
        st.row(vec!["Période".into(), period.as_str().into()]);
        let mut js = SSheet::new("Demandeurs d'emploi");
        js.row(
            Table::Demandeurs
                .columns()
                .iter()
                .map(|c| SCell::from(c.header)),
        );
        for i in 0..rows {
            // People stay about a year: the same person reappears in 4 quarters.
            let person = s * 100_000 + (q / 4) * rows + i;
            js.row(vec![
                SCell::Text(format!("{person:08}X")),
                SCell::Empty,
                SCell::Empty,
                SCell::Empty,
                "F".into(),
                SCell::Text(format!("{:05}", 10000 + person % 80000)),
                SCell::Date(start),
                SCell::Number((person % 40) as f64),
                SCell::Empty,
                if i % 5 == 0 {
                    "CDI".into()
                } else {
                    "En cours".into()
                },
                if i % 5 == 0 {
                    SCell::Date(start + chrono::Duration::days(30))
                } else {
                    SCell::Empty
                },
            ]);
        }
        let mut co = SSheet::new("Entreprises et partenaires");
        co.row(
            Table::Entreprises
                .columns()
                .iter()
                .map(|c| SCell::from(c.header)),
        );
        let book = SBook {
            sheets: vec![st, js, co],
            date_1904: false,
        };
        std::fs::write(
            inbox.join(format!("{code}_{period}.xlsx")),
            book.to_xlsx().unwrap(),
        )
        .unwrap();
    });
    inbox
}

/// Moves the previous run's folder out of the way rather than deleting
/// it: on a file system without a journal (this machine's), ext4 skips the
/// inodes freed in the last minutes one by one when it makes a new file, so
/// deleting ten thousand files just before a run made that run's own new
/// files (archive copies, messages) cost about a second of kernel time
/// (`recently_deleted` in `perf`). The parent deletes them after its runs.
fn set_aside(work: &Path) {
    if work.exists() {
        let trash = bench_dir().join("trash");
        let _ = std::fs::create_dir_all(&trash);
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        if std::fs::rename(work, trash.join(format!("{n}"))).is_err() {
            let _ = std::fs::remove_dir_all(work);
        }
    }
}

fn child_history(work: &Path, inbox: &Path) {
    set_aside(work);
    let cfg_path = config_in(work);
    let _ = std::fs::remove_dir_all(work.join("inbox"));
    std::os::unix::fs::symlink(inbox, work.join("inbox")).unwrap();
    let config = Config::load(&cfg_path).unwrap();
    // SAFETY of the benchmark: single-threaded at this point.
    unsafe {
        std::env::set_var(
            "ESSAIM_HASH_KEY",
            "bench-key-0123456789abcdef0123456789abcdef",
        );
    };
    let mut store = Store::open(&config.data).unwrap();
    let t = Instant::now();
    let r = run::run(&config, &mut store, &RunOptions::default()).unwrap();
    essaim::app::notify::after_run(&config, &store, &r, false);
    let first = t.elapsed().as_secs_f64();
    drop(store);
    let t = Instant::now();
    let mut store = Store::open(&config.data).unwrap();
    let r2 = run::run(&config, &mut store, &RunOptions::default()).unwrap();
    essaim::app::notify::after_run(&config, &store, &r2, false);
    let second = t.elapsed().as_secs_f64();
    assert_eq!(r2.unchanged, r.files_seen);
    println!("{first} {second} {} {}", peak_rss_kib(), r.rows_accepted);
}

fn child_recompute(work: &Path, people: usize) {
    // ESSAIM_LOG=debug shows the recomputation's phases on stderr.
    if let Ok(filter) = std::env::var("ESSAIM_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    set_aside(work);
    let cfg_path = config_in(work);
    let config = Config::load(&cfg_path).unwrap();
    let mut store = Store::open(&config.data).unwrap();
    let files = 65 * 40;
    let per_file = people / files;
    store
        .connection()
        .execute_batch(&format!(
            "INSERT INTO files (file_no, sha256, name, size, format, structure, innovation, period, period_end, received_at, run_id, verdict, rows_read, rows_accepted, rows_rejected)
             SELECT i + 1, 'f' || i, 'f' || i || '.xlsx', 1, 'xlsx', s.code, s.innovation, (2015 + (i % 40) // 4) || '-T' || (i % 4 + 1),
                    make_date(2015 + (i % 40) // 4, (i % 4) * 3 + 3, 28), TIMESTAMP '2020-01-01' + to_seconds(i), 1, 'accepted', {per_file}, {per_file}, 0
             FROM range({files}) t(i) JOIN (SELECT code, innovation, row_number() OVER () - 1 AS n FROM read_csv('{structures}')) s ON s.n = i // 40;
             INSERT INTO file_tables SELECT sha256, 'demandeurs' FROM files;
             INSERT INTO identity_keys
             SELECT hash('id' || k), hash('id2' || k), hash('id3' || k), hash('id4' || k), k + 1 FROM range({distinct}) t(k)
             UNION ALL SELECT hash('name' || k), hash('name2' || k), hash('name3' || k), hash('name4' || k), {distinct} + k + 1
             FROM range({distinct}) t(k);
             INSERT INTO job_seekers
             SELECT i // {per_file} + 1, i % {per_file}, 'F', '75001', DATE '2016-01-01', i % 40, NULL,
                    CASE WHEN i % 5 = 0 THEN 'CDI' ELSE 'En cours' END, NULL, i % 5 = 0, i % 5 = 0,
                    i % {distinct} + 1, CASE WHEN i % 2 = 0 THEN {distinct} + i % {distinct} + 1 END
             FROM range({rows}) t(i);",
            structures = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/structures.csv").display(),
            distinct = people * 4 / 5,
            rows = per_file * files,
        ))
        .unwrap();
    // Keys are numbered as rows are loaded (here, by the SQL above). The
    // first recomputation works out every person; the timed one is the
    // nightly case: people and figures recomputed.
    let t = Instant::now();
    store.recompute(1, &config.registry).unwrap();
    eprintln!("first recomputation: {:.2} s", t.elapsed().as_secs_f64());
    store
        .connection()
        .execute_batch("UPDATE state SET version = version + 1")
        .unwrap();
    let t = Instant::now();
    store.recompute(2, &config.registry).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let n: i64 = store.connection().query_row("SELECT value FROM indicator_values WHERE run_id = 2 AND indicator = 'job_seekers' AND scope_kind = 'national'", [], |r| r.get::<_, f64>(0)).map(|v| v as i64).unwrap();
    println!("{secs} 0 {} {n}", peak_rss_kib());
}

fn main() {
    // Files are read by essaim's worker processes, as `essaim run` does.
    common::use_essaim_workers();
    let args: Vec<String> = std::env::args().collect();
    let work = bench_dir().join("work");
    if args.get(1).map(String::as_str) == Some("--child") {
        match args[2].as_str() {
            "history" => child_history(&work, Path::new(&args[3])),
            _ => child_recompute(&work, args[3].parse().unwrap()),
        }
        return;
    }
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let runs = flag("--runs", 3);
    let rows = flag("--rows", 200);
    let people = flag("--people", 1_000_000);
    let exe = std::env::current_exe().unwrap();
    let run_child = |a: &[&str]| -> Vec<f64> {
        let out = Command::new(&exe).arg("--child").args(a).output().unwrap();
        let line = String::from_utf8_lossy(&out.stdout);
        let v: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        assert!(
            v.len() == 4,
            "child failed: {}\n{}",
            line,
            String::from_utf8_lossy(&out.stderr)
        );
        v
    };
    if !args.iter().any(|a| a == "recompute") {
        let inbox = history_inbox(rows);
        let (mut first, mut second, mut mem) = (Vec::new(), Vec::new(), 0f64);
        let mut loaded = 0.0;
        for _ in 0..runs {
            let v = run_child(&["history", inbox.to_str().unwrap()]);
            first.push(v[0]);
            second.push(v[1]);
            mem = mem.max(v[2]);
            loaded = v[3];
        }
        println!(
            "history: {} rows loaded from an empty database: median {:.2} s ({:.0} rows/s); second run with nothing new: median {:.3} s; peak RSS {:.0} MiB ({runs} runs)",
            loaded,
            median(first.clone()),
            loaded / median(first),
            median(second),
            mem / 1024.0
        );
    }
    if !args.iter().any(|a| a == "history") {
        let mut times = Vec::new();
        let mut mem = 0f64;
        for _ in 0..runs {
            let v = run_child(&["recompute", &people.to_string()]);
            times.push(v[0]);
            mem = mem.max(v[2]);
        }
        println!(
            "recompute: {people} person rows: median {:.3} s, peak RSS {:.0} MiB ({runs} runs)",
            median(times),
            mem / 1024.0
        );
    }
    let _ = std::fs::remove_dir_all(bench_dir().join("trash"));
}
