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
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
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
