//! The headline indicators: one `.sql` file each under `sql/`, listed once
//! in [`REGISTRY`]. Each file is a SELECT returning `scope_kind, scope,
//! value, people` (people: how many people the cell covers, for small-count
//! suppression; NULL when the value is not a count of people). Adding an
//! indicator is one file and one line here.

pub mod cell;
pub mod publish;

pub use cell::{Cell, Kind, Leaf};

/// One indicator.
#[derive(Debug, Clone, Copy)]
pub struct Indicator {
    pub name: &'static str,
    /// French label for people.
    pub label: &'static str,
    pub sql: &'static str,
    /// A ratio (shown as a percentage) rather than a count.
    pub ratio: bool,
    /// For a ratio, the indicator that is its numerator (hidden with it).
    pub numerator: Option<&'static str>,
}

macro_rules! indicator {
    ($name:literal, $label:literal) => {
        Indicator {
            name: $name,
            label: $label,
            sql: include_str!(concat!("sql/", $name, ".sql")),
            ratio: false,
            numerator: None,
        }
    };
    ($name:literal, $label:literal, ratio of $numerator:literal) => {
        Indicator {
            name: $name,
            label: $label,
            sql: include_str!(concat!("sql/", $name, ".sql")),
            ratio: true,
            numerator: Some($numerator),
        }
    };
}

/// Every indicator, in the order they are shown.
pub const REGISTRY: &[Indicator] = &[
    indicator!("innovations", "Innovations"),
    indicator!("structures", "Structures"),
    indicator!("job_seekers", "Demandeurs d'emploi accompagnés"),
    indicator!("deld", "Demandeurs d'emploi de longue durée"),
    indicator!("professionals", "Professionnels mobilisés"),
    indicator!("companies", "Entreprises et partenaires privés"),
    indicator!("exits_to_employment", "Sorties en emploi"),
    indicator!(
        "exit_rate",
        "Taux de sortie en emploi",
        ratio of "exits_to_employment"
    ),
];

/// Insee 2016: exit rate into employment by unemployment duration (`None`:
/// the reference publishes no figure for that band).
pub const INSEE_2016: &[(&str, &str, Option<f64>)] = &[
    ("<12", "moins de 12 mois", Some(0.278)),
    ("12-35", "12 à 35 mois", None),
    ("36+", "36 mois et plus", Some(0.067)),
];

/// Looks an indicator up by name.
pub fn find(name: &str) -> Option<&'static Indicator> {
    REGISTRY.iter().find(|i| i.name == name)
}

/// A headline figure as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Figure {
    pub indicator: String,
    pub scope_kind: String,
    pub scope: String,
    pub value: Option<f64>,
    pub people: Option<i64>,
}
