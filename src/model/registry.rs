//! The reference registries' vocabulary: innovations, their phases, and
//! partner structures, with the lookups validation needs. Loading them from
//! the operators' CSV files is `config::reference`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::text::{fold, fold_compact};

/// Where an innovation stands in the accelerator's programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Being spread to new structures.
    Essaimage,
    /// Under evaluation.
    Evaluation,
    /// Leaving the accelerator.
    Sortie,
}

impl Phase {
    /// Parses a phase as operators write it.
    pub fn parse(s: &str) -> Option<Phase> {
        match fold(s).as_str() {
            "essaimage" => Some(Phase::Essaimage),
            "evaluation" => Some(Phase::Evaluation),
            "sortie" => Some(Phase::Sortie),
            _ => None,
        }
    }

    /// The French label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Essaimage => "essaimage",
            Phase::Evaluation => "évaluation",
            Phase::Sortie => "sortie",
        }
    }
}

/// One innovation supported by the accelerator.
#[derive(Debug, Clone, Serialize)]
pub struct Innovation {
    pub code: String,
    pub name: String,
    pub phase: Phase,
}

/// One partner structure.
#[derive(Debug, Clone, Serialize)]
pub struct Structure {
    pub code: String,
    pub name: String,
    pub innovation: String,
    pub departement: String,
    pub contact: String,
    pub joined: NaiveDate,
}

/// Innovations and structures, with the lookups validation needs.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub innovations: Vec<Innovation>,
    pub structures: Vec<Structure>,
    /// Compact folded code, name or alias -> innovation code.
    pub(crate) innovation_keys: BTreeMap<String, String>,
    /// Folded structure code -> index in `structures`.
    pub(crate) structure_keys: BTreeMap<String, usize>,
    /// Read from the operators' files: without them (`essaim validate` on
    /// a structure's machine) structure codes and innovations go unchecked.
    pub loaded: bool,
}

impl Registry {
    /// The innovation with this exact code.
    pub fn innovation(&self, code: &str) -> Option<&Innovation> {
        self.innovations.iter().find(|i| i.code == code)
    }

    /// The innovation a structure wrote, matched on code, name or alias,
    /// ignoring case, accents and spaces.
    pub fn match_innovation(&self, written: &str) -> Option<&Innovation> {
        self.innovation_keys
            .get(&fold_compact(written))
            .and_then(|code| self.innovation(code))
    }

    /// The structure registered under this code (case and spaces ignored).
    pub fn structure(&self, code: &str) -> Option<&Structure> {
        self.structure_keys
            .get(&fold(code))
            .map(|&i| &self.structures[i])
    }
}

/// Whether `s` is a French département code.
pub fn is_departement(s: &str) -> bool {
    match s {
        "2A" | "2B" => true,
        _ if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) => {
            matches!(s.parse::<u8>(), Ok(1..=95)) && s != "20"
        }
        _ if s.len() == 3 && s.starts_with("97") => matches!(&s[2..], "1" | "2" | "3" | "4" | "6"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departement_codes() {
        for ok in ["01", "33", "95", "2A", "2B", "971", "976"] {
            assert!(is_departement(ok), "{ok}");
        }
        for bad in ["00", "20", "96", "975", "1", "ABC", ""] {
            assert!(!is_departement(bad), "{bad}");
        }
    }
}
