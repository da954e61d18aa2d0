//! Why a whole file is refused: one variant per reason, whose `Display` is
//! the French text the structure reads. Validation returns these, never
//! strings, so every reason a file can be refused for is listed here.

use crate::ingest::ReadError;
use crate::model::records::Period;

/// Why a whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The bytes could not be read as a spreadsheet or CSV file.
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("Nom de fichier non conforme : « {0} ». Un fichier CSV doit s'appeler <code structure>_<période>_<table>.csv, par exemple TAPAJ-BDX-01_2019-T1_demandeurs.csv (table : demandeurs, entreprises ou professionnels).")]
    CsvName(String),
    #[error("Code structure « {0} » inconnu : il n'est pas inscrit au registre des structures. Vérifiez le code communiqué par l'accélérateur.")]
    UnknownStructure(String),
    #[error("Période « {0} » invalide : attendu un trimestre (2019-T1) ou un mois (2019-03).")]
    InvalidPeriod(String),
    #[error("Période {0} dans le futur : elle n'a pas encore commencé.")]
    FuturePeriod(Period),
    #[error("{} Feuilles trouvées : {}.", absent_list("Feuille obligatoire absente", "Feuilles obligatoires absentes", .missing), quote_all(.found))]
    MissingSheets {
        missing: Vec<&'static str>,
        found: Vec<String>,
    },
    #[error("Feuille inattendue « {0} ».")]
    UnexpectedSheet(String),
    #[error("Fichier vide.")]
    Empty,
    #[error("Feuille « Structure » : le champ obligatoire « {0} » est absent ou vide.")]
    MissingField(&'static str),
    #[error("Innovation « {written} » différente de celle de la structure {structure} (« {registered} ») : corrigez la feuille « Structure ».")]
    InnovationMismatch {
        written: String,
        structure: String,
        registered: String,
    },
    #[error("Ligne d'en-tête introuvable dans « {sheet} » : colonnes attendues : {}.", quote_all(.expected))]
    NoHeaderRow {
        sheet: String,
        expected: Vec<&'static str>,
    },
    #[error("{} Colonnes trouvées dans « {sheet} » : {}.{}", absent_list("Colonne obligatoire absente", "Colonnes obligatoires absentes", .missing), quote_all(.found), suggest(.suggestions))]
    MissingColumns {
        sheet: String,
        missing: Vec<&'static str>,
        found: Vec<String>,
        /// (header found, template header it may be), for the closest
        /// headers found that are not in the template.
        suggestions: Vec<(String, &'static str)>,
    },
    #[error("« {name} » n'est pas un classeur {extension} : il contient du texte. Ouvrez-le dans votre tableur et enregistrez-le au format .xlsx (ou .ods), ou, si c'est un export CSV, renommez-le <code structure>_<période>_<table>.csv.")]
    TextNamedAsWorkbook { name: String, extension: String },
    #[error("Colonne obligatoire absente : « Identifiant France Travail » (ou, à défaut, les trois colonnes « Nom », « Prénom » et « Date de naissance »). Colonnes trouvées dans « {sheet} » : {}.", quote_all(.found))]
    MissingIdentity { sheet: String, found: Vec<String> },
}

/// `« a », « b »`, or `aucune`.
pub fn quote_all<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return "aucune".to_string();
    }
    items
        .iter()
        .map(|s| format!("« {} »", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` « Date de début » : vouliez-vous « Date d'entrée » ?` for each
/// suggestion, or nothing.
fn suggest(items: &[(String, &'static str)]) -> String {
    use std::fmt::Write;
    items.iter().fold(String::new(), |mut out, (found, meant)| {
        let _ = write!(
            out,
            " « {found} » : vouliez-vous dire « {meant} » ? Renommez la colonne comme dans le modèle."
        );
        out
    })
}

/// `Feuille obligatoire absente : « a ».` or the plural with the list.
fn absent_list(one: &str, many: &str, items: &[&str]) -> String {
    match items {
        [only] => format!("{one} : « {only} »."),
        _ => format!("{many} : {}.", quote_all(items)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_before() {
        assert_eq!(
            Refusal::MissingSheets {
                missing: vec!["Structure"],
                found: vec!["Feuil1".into()]
            }
            .to_string(),
            "Feuille obligatoire absente : « Structure ». Feuilles trouvées : « Feuil1 »."
        );
        assert_eq!(
            Refusal::MissingColumns {
                sheet: "demandeurs".into(),
                missing: vec!["Code postal", "Date d'entrée"],
                found: vec![],
                suggestions: vec![],
            }
            .to_string(),
            "Colonnes obligatoires absentes : « Code postal », « Date d'entrée ». Colonnes trouvées dans « demandeurs » : aucune."
        );
        assert_eq!(
            Refusal::MissingColumns {
                sheet: "demandeurs".into(),
                missing: vec!["Date d'entrée"],
                found: vec!["Date de début".into()],
                suggestions: vec![("Date de début".into(), "Date d'entrée")],
            }
            .to_string(),
            "Colonne obligatoire absente : « Date d'entrée ». Colonnes trouvées dans « demandeurs » : « Date de début ». « Date de début » : vouliez-vous dire « Date d'entrée » ? Renommez la colonne comme dans le modèle."
        );
        assert_eq!(Refusal::Read(ReadError::Empty).to_string(), "Fichier vide.");
    }
}
