//! Who reads what: the perimeter of a digest recipient or of a request.

use super::registry::{is_departement, Registry};

/// Who reads what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Scope {
    National,
    Innovation(String),
    Departement(String),
}

impl Scope {
    /// The indicator rows this scope reads: (scope_kind, scope).
    pub fn key(&self) -> (&str, &str) {
        match self {
            Scope::National => ("national", ""),
            Scope::Innovation(c) => ("innovation", c),
            Scope::Departement(d) => ("departement", d),
        }
    }
}

impl Scope {
    /// Parses `national`, `innovation:<code>` (a registered innovation) or
    /// `departement:<code>` (a French département).
    ///
    /// # Errors
    /// A message naming what is expected.
    pub fn parse(text: &str, registry: &Registry) -> Result<Scope, String> {
        match text.split_once(':') {
            None if text == "national" => Ok(Scope::National),
            Some(("innovation", code)) if registry.innovation(code).is_some() => {
                Ok(Scope::Innovation(code.to_string()))
            }
            Some(("innovation", code)) => Err(format!(
                "scope \"{text}\": no innovation has the code \"{code}\" (registered: {})",
                registry
                    .innovations
                    .iter()
                    .map(|i| i.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(("departement", d)) if is_departement(d) => Ok(Scope::Departement(d.to_string())),
            _ => Err(format!(
                "scope \"{text}\" must be national, innovation:<code> (a registered innovation) or departement:<code>"
            )),
        }
    }
}
