//! essaim: the measurement pipeline of the AIS#Emploi accelerator.
//!
//! Data flows one way through stages named for what they do:
//! [`ingest`] reads what structures send, [`validate`] judges it against the
//! data contract, [`identity`] hashes people, [`store`] loads and recomputes,
//! [`report`] and [`digest`] tell people what became of their files and the
//! figures, [`app`] composes them into jobs. The binary (`src/main.rs`) is a
//! thin shell over [`cli`].
//!
//! # Floors
//!
//! Modules sit on floors, and a module imports only from its own floor or
//! the floors below it (a test scans `use crate::...` to keep it so):
//!
//! | floor | modules |
//! | --- | --- |
//! | 8 | `cli`, `serve`, `lock` |
//! | 7 | `app` (run, reimport, check, notify, worker) |
//! | 6 | `report`, `digest`, `export`, `status`, `synth` |
//! | 5 | `store` |
//! | 4 | `indicators`, `identity` |
//! | 3 | `validate` |
//! | 2 | `config` |
//! | 1 | `ingest` |
//! | 0 | `model` (template, records, registry, verdict and exit codes, limits), `text` and `logging` (which the progress bars of floor 7 write through) |
//!
//! `text` and `logging` import nothing of the crate, and `model` nothing but `text`.

pub mod app;
pub mod cli;
pub mod config;
pub mod digest;
pub mod export;
pub mod identity;
pub mod indicators;
pub mod ingest;
pub mod lock;
pub mod logging;
pub mod model;
pub mod report;
pub mod serve;
pub mod status;
pub mod store;
pub mod synth;
pub mod text;
pub mod validate;

/// The floors of the crate, lowest first (see the module documentation).
pub const FLOORS: &[&[&str]] = &[
    &["model", "text", "logging"],
    &["ingest"],
    &["config"],
    &["validate"],
    &["indicators", "identity"],
    &["store"],
    &["report", "digest", "export", "status", "synth"],
    &["app"],
    &["cli", "serve", "lock"],
];

#[cfg(test)]
mod floors {
    use super::FLOORS;

    fn floor_of(module: &str) -> Option<usize> {
        FLOORS.iter().position(|f| f.contains(&module))
    }

    /// The crate's top-level modules a source file names as `crate::X`.
    fn imports(source: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c};`
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        }
        out
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src is readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_module_imports_only_from_its_floor_or_below() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let mut broken = Vec::new();
        for f in &files {
            let rel = f.strip_prefix(&src).expect("under src");
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .map(|s| s.trim_end_matches(".rs").to_string())
                .unwrap_or_default();
            if top == "lib" || top == "main" {
                continue;
            }
            let Some(mine) = floor_of(&top) else {
                broken.push(format!("{}: module `{top}` is on no floor", rel.display()));
                continue;
            };
            let text = std::fs::read_to_string(f).expect("source is readable");
            for dep in imports(&text) {
                if dep == top || dep == "FLOORS" {
                    continue;
                }
                match floor_of(&dep) {
                    None => {
                        broken.push(format!("{}: `crate::{dep}` is on no floor", rel.display()));
                    }
                    Some(theirs) if theirs > mine => broken.push(format!(
                        "{}: `{top}` (floor {mine}) imports `crate::{dep}` (floor {theirs})",
                        rel.display()
                    )),
                    Some(_) if top == "text" => {
                        broken.push(format!("{}: `text` imports `crate::{dep}`", rel.display()));
                    }
                    Some(theirs) if top == "model" && theirs == 0 && dep != "text" => {
                        broken.push(format!("{}: `model` imports `crate::{dep}`", rel.display()));
                    }
                    Some(_) => {}
                }
            }
        }
        assert!(files.len() > 30, "only {} sources found", files.len());
        assert!(broken.is_empty(), "floors broken:\n{}", broken.join("\n"));
    }

    #[test]
    fn the_scan_sees_grouped_and_plain_imports() {
        let found = super::floors::imports(
            "use crate::{store::Store, text};\nfn f() { crate::app::run::run(); }",
        );
        assert_eq!(found, ["store", "text", "app"]);
    }
}
