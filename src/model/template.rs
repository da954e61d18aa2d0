//! The reporting template's tables and columns: what every stage means by
//! "the Demandeurs table" or "the SIRET column".

use serde::Serialize;

use crate::text::fold;

/// The name under which a CSV file's one table is read, as if it were a
/// sheet.
pub const CSV_SHEET: &str = "CSV";

/// A table of the template: one sheet of the workbook, or one CSV file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    Demandeurs,
    Entreprises,
    Professionnels,
}

impl Table {
    pub const ALL: [Table; 3] = [Table::Demandeurs, Table::Entreprises, Table::Professionnels];

    /// The sheet name in the workbook template.
    pub fn sheet_name(self) -> &'static str {
        match self {
            Table::Demandeurs => "Demandeurs d'emploi",
            Table::Entreprises => "Entreprises et partenaires",
            Table::Professionnels => "Professionnels",
        }
    }

    /// The table name in CSV file names.
    pub fn csv_name(self) -> &'static str {
        match self {
            Table::Demandeurs => "demandeurs",
            Table::Entreprises => "entreprises",
            Table::Professionnels => "professionnels",
        }
    }

    /// Parses a CSV file name's table part.
    pub fn from_csv_name(s: &str) -> Option<Table> {
        let f = fold(s);
        Table::ALL.into_iter().find(|t| t.csv_name() == f)
    }

    /// The columns of this table.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Demandeurs => DEMANDEURS,
            Table::Entreprises => ENTREPRISES,
            Table::Professionnels => PROFESSIONNELS,
        }
    }
}

/// Every column of every table.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub enum Field {
    Identifiant,
    Nom,
    Prenom,
    DateNaissance,
    Sexe,
    CodePostal,
    DateEntree,
    DureeChomage,
    NiveauFormation,
    Situation,
    DateSortie,
    Siret,
    RaisonSociale,
    Type,
    Nature,
    Recrutements,
    Fonction,
    Organisme,
}

impl Field {
    /// Whether the value identifies a person: never echoed in reports.
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            Field::Identifiant | Field::Nom | Field::Prenom | Field::DateNaissance
        )
    }
}

/// How much a column is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    /// Part of the job seeker's identity: the identifier, or all three of
    /// surname, first name and birth date.
    Identity,
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub field: Field,
    pub header: &'static str,
    pub need: Need,
}

const fn col(field: Field, header: &'static str, need: Need) -> Column {
    Column {
        field,
        header,
        need,
    }
}

const DEMANDEURS: &[Column] = &[
    col(
        Field::Identifiant,
        "Identifiant France Travail",
        Need::Identity,
    ),
    col(Field::Nom, "Nom", Need::Identity),
    col(Field::Prenom, "Prénom", Need::Identity),
    col(Field::DateNaissance, "Date de naissance", Need::Identity),
    col(Field::Sexe, "Sexe", Need::Optional),
    col(Field::CodePostal, "Code postal", Need::Required),
    col(Field::DateEntree, "Date d'entrée", Need::Required),
    col(
        Field::DureeChomage,
        "Durée de chômage (mois)",
        Need::Required,
    ),
    col(
        Field::NiveauFormation,
        "Niveau de formation",
        Need::Optional,
    ),
    col(Field::Situation, "Situation à la sortie", Need::Optional),
    col(Field::DateSortie, "Date de sortie", Need::Optional),
];

const ENTREPRISES: &[Column] = &[
    col(Field::Siret, "SIRET", Need::Required),
    col(Field::RaisonSociale, "Raison sociale", Need::Required),
    col(Field::Type, "Type", Need::Required),
    col(Field::Nature, "Nature de l'engagement", Need::Required),
    col(Field::CodePostal, "Code postal", Need::Optional),
    col(Field::Recrutements, "Recrutements", Need::Optional),
];

const PROFESSIONNELS: &[Column] = &[
    col(Field::Nom, "Nom", Need::Required),
    col(Field::Prenom, "Prénom", Need::Required),
    col(Field::Fonction, "Fonction", Need::Optional),
    col(Field::Organisme, "Organisme", Need::Optional),
];

/// The key headers are compared on: folded, letters and digits only.
pub fn header_key(s: &str) -> String {
    header_key_of_folded(&fold(s))
}

/// [`header_key`] of text already folded (for a caller that also needs
/// the folded text, without folding twice).
pub fn header_key_of_folded(folded: &str) -> String {
    folded.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether `header` is a column of some table (for checking aliases).
pub fn is_known_header(header: &str) -> bool {
    let k = header_key(header);
    Table::ALL
        .iter()
        .flat_map(|t| t.columns())
        .any(|c| header_key(c.header) == k)
}

/// Every template header, for messages.
pub fn known_headers() -> Vec<&'static str> {
    let mut v: Vec<&str> = Table::ALL
        .iter()
        .flat_map(|t| t.columns())
        .map(|c| c.header)
        .collect();
    v.dedup();
    v
}
