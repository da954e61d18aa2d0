//! Running the real binary in a fresh temporary directory, as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

pub fn corpora() -> PathBuf {
    root().join("..").join("shared").join("corpora")
}

/// The outcome of one run of `essaim`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `essaim --config config/essaim.toml ARGS` in `cwd`.
pub fn essaim_in(cwd: &Path, args: &[&str]) -> Run {
    let config = root().join("config").join("essaim.toml");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_essaim"))
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("ESSAIM_CONFIG")
        .arg("--config")
        .arg(&config)
        .arg("--log-format")
        .arg("text")
        .args(args)
        .output()
        .expect("the essaim binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn essaim(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    essaim_in(dir.path(), args)
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[path = "../support/project_config.rs"]
mod project_config;
/// A configuration in `dir` whose inbox and data folders are `dir/inbox`
/// and `dir/data`, with the project's registries and aliases.
pub use project_config::config_in as temp_config;

/// Runs `essaim --config CONFIG ARGS` with extra environment.
pub fn essaim_with(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_essaim"));
    cmd.current_dir(config.parent().expect("config folder"))
        .env_remove("RUST_LOG")
        .env_remove("ESSAIM_CONFIG")
        .env_remove("ESSAIM_HASH_KEY")
        .arg("--config")
        .arg(config)
        .arg("--log-format")
        .arg("text")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the essaim binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Copies files into `inbox`, all with the same modification time, so that
/// reception order is decided by names alone, whatever the copy order.
pub fn drop_into(inbox: &Path, files: &[PathBuf]) {
    let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    for f in files {
        let target = inbox.join(f.file_name().expect("file name"));
        std::fs::copy(f, &target).expect("copy");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&target)
            .expect("open");
        file.set_modified(when).expect("set mtime");
    }
}

/// Every file of a fixture folder, sorted.
pub fn fixture_files(rel: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture(rel))
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}
