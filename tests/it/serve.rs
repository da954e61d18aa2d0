//! `essaim serve` and the writer lock, through the real binary: a
//! per-second schedule picks up a dropped file, the digest's schedule mails
//! the digest (a run never does); a job
//! is not started while its previous run goes on; SIGTERM during a run
//! leaves a consistent database; two `run`s never write together.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{drop_into, essaim_with, fixture_files, s, temp_config};

const KEY: (&str, &str) = (
    "ESSAIM_HASH_KEY",
    "test-key-0123456789abcdef0123456789abcdef",
);

fn per_second(config: &Path) {
    let text = std::fs::read_to_string(config).unwrap();
    let text = text
        .replace("run = \"0 30 2 * * *\"", "run = \"* * * * * *\"")
        .replace("digest = \"0 0 7 * * Mon\"", "digest = \"*/5 * * * * *\"")
        .replace("retry = \"0 */15 * * * *\"", "retry = \"0 0 0 1 1 *\"")
        .replace("lock_wait_secs = 600", "lock_wait_secs = 30");
    std::fs::write(config, text).unwrap();
}

fn serve(config: &Path, log: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_essaim"))
        .args(["--config", s(config), "--log-format", "json", "serve"])
        .env(KEY.0, KEY.1)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

fn sigterm(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// (started, finished) of every run, from `status --format json`.
fn runs(config: &Path) -> Vec<(String, Option<String>, String)> {
    let st = essaim_with(
        config,
        &["status", "--format", "json", "--runs", "100"],
        &[KEY],
    )
    .json();
    st["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["started_at"].as_str().unwrap().to_string(),
                r["finished_at"].as_str().map(str::to_string),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn no_overlap(mut runs: Vec<(String, Option<String>, String)>) {
    runs.sort();
    for w in runs.windows(2) {
        let end = w[0].1.clone().expect("finished");
        assert!(end <= w[1].0, "runs overlap: {:?} and {:?}", w[0], w[1]);
    }
}

#[test]
fn serve_picks_up_a_dropped_file_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    per_second(&config);
    let log = dir.path().join("serve.log");
    let mut child = serve(&config, &log);
    std::thread::sleep(Duration::from_millis(1500));
    drop_into(&dir.path().join("inbox"), &fixture_files("inbox")[..1]);
    // Loaded and counted (read from the snapshot while serve holds the
    // data): a digest alone may have gone out on its own schedule before.
    let counted = wait_until(Duration::from_secs(60), || {
        let f = essaim_with(
            &config,
            &["indicators", "--format", "json", "--raw", "--wait", "0"],
            &[KEY],
        );
        serde_json::from_str::<serde_json::Value>(&f.stdout).is_ok_and(|v| v["structures"] == 1)
    });
    assert!(
        counted,
        "the file was not counted:\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let outbox = dir.path().join("data/outbox");
    let digest_sent = wait_until(Duration::from_secs(60), || {
        std::fs::read_dir(&outbox).is_ok_and(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with("digest-"))
        })
    });
    assert!(
        digest_sent,
        "no digest in the outbox:\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
    sigterm(&child);
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let figures = essaim_with(
        &config,
        &["indicators", "--format", "json", "--raw"],
        &[KEY],
    )
    .json();
    assert_eq!(figures["structures"], 1, "{figures}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("essaim serve stopped"), "{log}");
}

#[test]
fn a_long_job_is_not_started_twice_and_sigterm_leaves_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    per_second(&config);
    // A commit a file: the first run lasts several seconds (250 commits),
    // and SIGTERM lands between commits.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("group_files = 256", "group_files = 1"),
    )
    .unwrap();
    drop_into(&dir.path().join("inbox"), &fixture_files("figures"));
    let log = dir.path().join("serve.log");
    let mut child = serve(&config, &log);
    // The first run loads 250 files: ticks come every second meanwhile.
    let skipped = wait_until(Duration::from_secs(60), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("this tick is skipped")
    });
    let loaded_some = wait_until(Duration::from_secs(60), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("file loaded")
    });
    sigterm(&child);
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        skipped,
        "no tick was skipped while the run went on:\n{text}"
    );
    assert!(loaded_some);
    assert_eq!(status.code(), Some(0), "{text}");
    no_overlap(runs(&config));
    // The next run finishes the work: the same figures as an uninterrupted load.
    let run = essaim_with(&config, &["run"], &[KEY]);
    assert!(matches!(run.code, 0..=2), "{}", run.stderr);
    let f = essaim_with(
        &config,
        &["indicators", "--format", "json", "--raw"],
        &[KEY],
    )
    .json();
    assert_eq!(
        (
            f["structures"].as_i64(),
            f["deld"].as_i64(),
            f["professionals"].as_i64(),
            f["companies"].as_i64()
        ),
        (Some(65), Some(622), Some(338), Some(167))
    );
}

#[test]
fn two_runs_started_together_never_both_write() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    drop_into(&dir.path().join("inbox"), &fixture_files("figures")[..60]);
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_essaim"))
            .args([
                "--config",
                s(&config),
                "--log-format",
                "json",
                "run",
                "--wait",
                "120",
            ])
            .env(KEY.0, KEY.1)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    let (ca, cb) = (a.wait().unwrap().code(), b.wait().unwrap().code());
    assert!(
        matches!(ca, Some(0..=2)) && matches!(cb, Some(0..=2)),
        "{ca:?} {cb:?}"
    );
    let r = runs(&config);
    assert_eq!(r.iter().filter(|x| x.2 == "run").count(), 2);
    no_overlap(r);
    // A third with no patience while the lock is held exits 4.
    let _held = {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("data/essaim.lock"))
            .unwrap();
        f.lock().unwrap();
        f
    };
    let busy = essaim_with(&config, &["run", "--wait", "1"], &[KEY]);
    assert_eq!(busy.code, 4, "{}", busy.stderr);
    assert!(
        busy.stderr.contains("another essaim process is writing"),
        "{}",
        busy.stderr
    );
}

#[test]
fn a_failed_job_is_recorded_and_mailed_to_the_operators_and_serve_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path());
    per_second(&config);
    // No inbox folder: every run fails.
    std::fs::remove_dir_all(dir.path().join("inbox")).unwrap();
    let log = dir.path().join("serve.log");
    let mut child = serve(&config, &log);
    let outbox = dir.path().join("data/outbox");
    let alerts = || {
        std::fs::read_dir(&outbox).map_or(0, |d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("alerte-"))
                .count()
        })
    };
    // Two alerts: the scheduler kept going after the first failure.
    assert!(
        wait_until(Duration::from_secs(60), || alerts() >= 2),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    sigterm(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let alert = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("alerte-"))
        .unwrap();
    let text = std::fs::read_to_string(alert.path()).unwrap();
    assert!(text.contains("To: operateurs@example.org"), "{text}");
    assert!(text.contains("Subject: essaim : "), "{text}");
    let st = essaim_with(&config, &["status", "--format", "json"], &[KEY]).json();
    assert!(
        st["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["outcome"] == "failed"),
        "{st:#}"
    );
}
