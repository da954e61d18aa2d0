//! Shared by the integration tests and the benchmarks (included with
//! `#[path]`): a configuration in a folder of its own.

use std::path::{Path, PathBuf};

/// Writes `dir/essaim.toml`: the project's configuration with its inbox and
/// data folders at `dir/inbox` and `dir/data`, and the project's registries
/// and aliases. Creates `dir/inbox`.
///
/// # Panics
/// When the project's configuration cannot be read or `dir` written.
pub fn config_in(dir: &Path) -> PathBuf {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let text = std::fs::read_to_string(cfg.join("essaim.toml"))
        .expect("config")
        .replace("inbox = \"../fixtures/inbox\"", "inbox = \"inbox\"")
        .replace("data = \"../data\"", "data = \"data\"")
        .replace(
            "innovations = \"innovations.csv\"",
            &format!(
                "innovations = \"{}\"",
                cfg.join("innovations.csv").display()
            ),
        )
        .replace(
            "structures = \"structures.csv\"",
            &format!("structures = \"{}\"", cfg.join("structures.csv").display()),
        );
    std::fs::create_dir_all(dir.join("inbox")).expect("inbox");
    let path = dir.join("essaim.toml");
    std::fs::write(&path, text).expect("write config");
    path
}
