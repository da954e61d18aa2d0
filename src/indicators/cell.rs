//! Where a figure applies: a scope (national, an innovation, a
//! département, a structure), possibly narrowed to a period, to the
//! structures of one innovation within a département, or to a band of
//! unemployment duration at entry. Stored as `(scope_kind, scope)` with
//! crossed codes joined by '|' (`store/views.sql`, `file_scopes`); this is
//! the one place those names are read back.

use serde::Serialize;

/// The scope a figure is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    National,
    Innovation,
    Departement,
    Structure,
}

impl Kind {
    /// The name analysts read (`export`): `national`, `innovation`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::National => "national",
            Kind::Innovation => "innovation",
            Kind::Departement => "departement",
            Kind::Structure => "structure",
        }
    }

    /// In French, for people.
    pub fn label(self) -> &'static str {
        match self {
            Kind::National => "national",
            Kind::Innovation => "innovation",
            Kind::Departement => "département",
            Kind::Structure => "structure",
        }
    }
}

/// A figure's coordinates, read from its stored `(scope_kind, scope)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cell {
    pub kind: Kind,
    /// The code of the scope (empty for national).
    pub code: String,
    /// Within a département, the structures of this innovation only.
    pub innovation: Option<String>,
    pub period: Option<String>,
    /// A band of unemployment duration at entry (`<12`, `12-35`, `36+`).
    pub band: Option<String>,
}

impl Cell {
    /// The whole country.
    pub fn national() -> Cell {
        Cell {
            kind: Kind::National,
            code: String::new(),
            innovation: None,
            period: None,
            band: None,
        }
    }

    /// A scope without narrowing.
    pub fn of(kind: Kind, code: &str) -> Cell {
        Cell {
            code: code.to_string(),
            kind,
            ..Cell::national()
        }
    }

    /// The same scope narrowed to a period.
    #[must_use]
    pub fn in_period(mut self, period: &str) -> Cell {
        self.period = Some(period.to_string());
        self
    }

    /// The same scope narrowed to a duration band.
    #[must_use]
    pub fn in_band(mut self, band: &str) -> Cell {
        self.band = Some(band.to_string());
        self
    }

    /// Reads a stored `(scope_kind, scope)`; `None` for a name this binary
    /// does not know.
    pub fn parse(scope_kind: &str, scope: &str) -> Option<Cell> {
        let pair = || scope.split_once('|');
        Some(match scope_kind {
            "national" => Cell::national(),
            "innovation" => Cell::of(Kind::Innovation, scope),
            "departement" => Cell::of(Kind::Departement, scope),
            "structure" => Cell::of(Kind::Structure, scope),
            "period" => Cell::national().in_period(scope),
            "duration" => Cell::national().in_band(scope),
            "innovation_period" => {
                let (c, p) = pair()?;
                Cell::of(Kind::Innovation, c).in_period(p)
            }
            "departement_period" => {
                let (c, p) = pair()?;
                Cell::of(Kind::Departement, c).in_period(p)
            }
            "innovation_duration" => {
                let (c, b) = pair()?;
                Cell::of(Kind::Innovation, c).in_band(b)
            }
            "departement_duration" => {
                let (c, b) = pair()?;
                Cell::of(Kind::Departement, c).in_band(b)
            }
            // The finest cells, never published (see `is_finest`).
            "structure_period" => {
                let (c, p) = pair()?;
                Cell::of(Kind::Structure, c).in_period(p)
            }
            "structure_period_duration" => {
                let mut parts = scope.splitn(3, '|');
                let (c, p, b) = (parts.next()?, parts.next()?, parts.next()?);
                Cell::of(Kind::Structure, c).in_period(p).in_band(b)
            }
            "departement_innovation" => {
                let (d, i) = pair()?;
                Cell {
                    innovation: Some(i.to_string()),
                    ..Cell::of(Kind::Departement, d)
                }
            }
            _ => return None,
        })
    }

    /// A structure × period (× band) cell: the finest, never published,
    /// read only to know which finest cells are empty.
    pub fn is_finest(&self) -> bool {
        self.kind == Kind::Structure && self.period.is_some()
    }

    /// Whether the people of a structure × period × band fall in this cell.
    pub fn covers(&self, leaf: &Leaf, band: Option<&str>) -> bool {
        let scope = match self.kind {
            Kind::National => true,
            Kind::Innovation => leaf.innovation == self.code,
            Kind::Departement => leaf.departement == self.code,
            Kind::Structure => leaf.structure == self.code,
        };
        scope
            && self
                .innovation
                .as_ref()
                .is_none_or(|i| *i == leaf.innovation)
            && self.period.as_ref().is_none_or(|p| *p == leaf.period)
            && match (&self.band, band) {
                (Some(mine), Some(b)) => mine == b,
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

/// The finest cell of published counts of people: the current job seekers
/// of one structure for one period (`current_seeker_cells`, views.sql).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Leaf {
    pub structure: String,
    pub innovation: String,
    pub departement: String,
    pub period: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_reads_back() {
        let c = Cell::parse("departement_innovation", "33|TAPAJ").unwrap();
        assert_eq!(c.kind, Kind::Departement);
        assert_eq!(c.code, "33");
        assert_eq!(c.innovation.as_deref(), Some("TAPAJ"));
        assert_eq!(
            Cell::parse("innovation_period", "TAPAJ|2019-T2"),
            Some(Cell::of(Kind::Innovation, "TAPAJ").in_period("2019-T2"))
        );
        assert_eq!(
            Cell::parse("duration", "<12"),
            Some(Cell::national().in_band("<12"))
        );
        assert_eq!(Cell::parse("innovation_period", "no bar"), None);
        assert_eq!(Cell::parse("galaxy", "x"), None);
    }

    #[test]
    fn a_cell_covers_the_leaves_of_its_scope() {
        let leaf = Leaf {
            structure: "S1".into(),
            innovation: "TAPAJ".into(),
            departement: "33".into(),
            period: "2019-T2".into(),
        };
        assert!(Cell::national().covers(&leaf, Some("<12")));
        assert!(Cell::parse("departement_innovation", "33|TAPAJ")
            .unwrap()
            .covers(&leaf, None));
        assert!(!Cell::parse("departement_innovation", "33|JEU")
            .unwrap()
            .covers(&leaf, None));
        assert!(!Cell::national().in_period("2019-T1").covers(&leaf, None));
        assert!(!Cell::national().in_band("36+").covers(&leaf, Some("<12")));
        assert!(Cell::national().in_band("<12").covers(&leaf, Some("<12")));
    }
}
