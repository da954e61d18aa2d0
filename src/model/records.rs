//! The typed values a valid row is made of. After validation, code handles
//! these, never raw strings.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A reporting period: a month (`2019-03`) or a quarter (`2019-T1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    /// Parses `2019-T1`, `2019-t1`, `2019 T1`, `T1 2019`, `2019-03`, `03/2019`.
    pub fn parse(s: &str) -> Option<Period> {
        let s: String = s
            .trim()
            .to_uppercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        // `T1 2019` and `T12019`.
        if let Some(rest) = s
            .strip_prefix('T')
            .filter(|r| r.len() == 5 && r.is_char_boundary(1))
        {
            return Period::parse(&format!("{}-T{}", &rest[1..], &rest[..1]));
        }
        let (a, b) = s
            .split_once('-')
            .or_else(|| s.split_once('/'))
            .or_else(|| s.find('T').map(|i| (&s[..i], &s[i..])))?;
        let (year, rest) = if a.len() == 4 { (a, b) } else { (b, a) };
        let year: i32 = year.parse().ok()?;
        if !(2000..=2100).contains(&year) {
            return None;
        }
        if let Some(q) = rest.strip_prefix('T') {
            let quarter: u32 = q.parse().ok()?;
            return (1..=4)
                .contains(&quarter)
                .then_some(Period::Quarter { year, quarter });
        }
        let month: u32 = rest.parse().ok()?;
        (1..=12)
            .contains(&month)
            .then_some(Period::Month { year, month })
    }

    /// The month a date falls in.
    pub fn month_of(d: NaiveDate) -> Period {
        Period::Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// First day of the period.
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, quarter * 3 - 2),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day of the period: a period's order is its end date.
    pub fn end(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, quarter * 3),
        };
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        NaiveDate::from_ymd_opt(ny, nm, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-T{quarter}"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Period::parse(&s).ok_or_else(|| serde::de::Error::custom("invalid period"))
    }
}

/// A French postal code, always 5 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PostalCode(String);

impl PostalCode {
    /// Accepts 5 digits, or 4 digits whose leading zero a number cell lost.
    pub fn parse(s: &str) -> Option<PostalCode> {
        let s = s.trim();
        let digits = match s.len() {
            4 => format!("0{s}"),
            5 => s.to_string(),
            _ => return None,
        };
        (digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with("00"))
            .then_some(PostalCode(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A company identifier: an establishment (SIRET, 14 digits) or, when the
/// establishment is unknown, the company (SIREN, 9 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompanyId {
    Siret(String),
    Siren(String),
}

impl CompanyId {
    /// The SIREN (the first 9 digits of a SIRET).
    pub fn siren(&self) -> &str {
        match self {
            CompanyId::Siret(s) => &s[..9],
            CompanyId::Siren(s) => s,
        }
    }
}

/// A value that identifies a person. It prints as `***` everywhere (Debug
/// included) so it cannot leak into logs or reports by accident; only the
/// identity module reads it, to hash it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(String);

impl Sensitive {
    pub fn new(s: impl Into<String>) -> Self {
        Sensitive(s.into())
    }

    /// The raw value. Call only to hash it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A listed value of the template: parsed by folding case, accents, spaces
/// and apostrophes, labelled in French.
pub trait Listed: Sized + Copy + 'static {
    /// Every value with the spellings accepted for it (the first is the label).
    const VALUES: &'static [(Self, &'static [&'static str])];

    fn parse(s: &str) -> Option<Self> {
        // Most cells are written exactly as in the template: no folding then.
        let trimmed = s.trim();
        if let Some((v, _)) = Self::VALUES
            .iter()
            .find(|(_, names)| names.contains(&trimmed))
        {
            return Some(*v);
        }
        let key = crate::text::fold_compact(s);
        Self::VALUES
            .iter()
            .find(|(_, names)| names.iter().any(|n| crate::text::fold_compact(n) == key))
            .map(|(v, _)| *v)
    }

    fn label(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::VALUES
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, n)| n[0])
            .unwrap_or("")
    }

    fn labels() -> Vec<&'static str> {
        Self::VALUES.iter().map(|(_, n)| n[0]).collect()
    }
}

macro_rules! listed {
    ($name:ident { $($variant:ident => [$($spelling:literal),+]),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }
        impl Listed for $name {
            const VALUES: &'static [(Self, &'static [&'static str])] =
                &[$(($name::$variant, &[$($spelling),+])),+];
        }
    };
}

listed!(Sex { F => ["F", "Femme"], H => ["H", "Homme", "M"] });

listed!(Education {
    SansDiplome => ["Sans diplôme"],
    CapBep => ["CAP-BEP", "CAP BEP", "CAP/BEP"],
    Bac => ["Bac"],
    Bac2 => ["Bac+2"],
    Bac3 => ["Bac+3 et plus", "Bac+3"],
});

listed!(Situation {
    EnCours => ["En cours"],
    Cdi => ["CDI"],
    CddLong => ["CDD de 6 mois ou plus"],
    CddCourt => ["CDD de moins de 6 mois"],
    Interim => ["Intérim"],
    Creation => ["Création d'entreprise"],
    Formation => ["Formation qualifiante"],
    SansSolution => ["Sans solution"],
    Abandon => ["Abandon"],
});

impl Situation {
    /// "Sortie en emploi": CDI, CDD of 6 months or more, Intérim, or a business start.
    pub fn is_employment(self) -> bool {
        matches!(
            self,
            Situation::Cdi | Situation::CddLong | Situation::Interim | Situation::Creation
        )
    }

    /// Any exit, whatever it is.
    pub fn is_exit(self) -> bool {
        self != Situation::EnCours
    }
}

listed!(CompanyKind {
    Entreprise => ["Entreprise"],
    PartenairePrive => ["Partenaire privé"],
    Association => ["Association"],
    EmployeurPublic => ["Employeur public"],
});

impl CompanyKind {
    /// Whether it counts in the `companies` figure.
    pub fn is_company_or_private_partner(self) -> bool {
        matches!(self, CompanyKind::Entreprise | CompanyKind::PartenairePrive)
    }
}

listed!(Engagement {
    Recrutement => ["Recrutement"],
    Immersion => ["Immersion (PMSMP)", "Immersion", "PMSMP"],
    Parrainage => ["Parrainage"],
    Visite => ["Visite d'entreprise"],
    Mecenat => ["Mécénat"],
    Autre => ["Autre"],
});

/// A person's identity as written: the identifier, or name, first name and
/// birth date. Never printed (see [`Sensitive`]).
#[derive(Debug, Clone)]
pub struct Identity {
    pub identifier: Option<Sensitive>,
    pub name: Option<(Sensitive, Sensitive, NaiveDate)>,
}

/// One accepted row of `Demandeurs d'emploi`: with the identity as
/// written ([`Identity`]) after validation, or as keyed hashes once the
/// identity module has hashed it (`identity::PersonKeys`), which is the
/// only form that leaves the process that read the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobSeeker<I = Identity> {
    pub row: u32,
    pub identity: I,
    pub sex: Option<Sex>,
    pub postal_code: PostalCode,
    #[serde(with = "day")]
    pub entry: NaiveDate,
    pub unemployment_months: u32,
    pub education: Option<Education>,
    pub situation: Situation,
    #[serde(with = "day::optional")]
    pub exit: Option<NaiveDate>,
}

/// A date as text where people read it (JSON), as its day number between
/// essaim's own processes (postcard, not human-readable): every accepted
/// row crosses from a worker, and parsing its dates back through chrono's
/// format parser was a tenth of the parent's reading threads. (serde's
/// `with` passes the value by reference, hence the allowed lints.)
#[allow(clippy::trivially_copy_pass_by_ref, clippy::ref_option)]
mod day {
    use chrono::{Datelike, NaiveDate};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            d.serialize(s)
        } else {
            d.num_days_from_ce().serialize(s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        if d.is_human_readable() {
            NaiveDate::deserialize(d)
        } else {
            let n = i32::deserialize(d)?;
            NaiveDate::from_num_days_from_ce_opt(n)
                .ok_or_else(|| D::Error::custom(format!("day {n} out of range")))
        }
    }

    /// The same for an optional date.
    pub mod optional {
        use chrono::NaiveDate;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #[derive(Serialize, Deserialize)]
        struct Day(#[serde(with = "super")] NaiveDate);

        pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
            d.map(Day).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
            Ok(Option::<Day>::deserialize(d)?.map(|Day(d)| d))
        }
    }
}

impl<I> JobSeeker<I> {
    /// The same row with its identity replaced (hashed).
    pub fn with_identity<J>(self, identity: J) -> JobSeeker<J> {
        JobSeeker {
            row: self.row,
            identity,
            sex: self.sex,
            postal_code: self.postal_code,
            entry: self.entry,
            unemployment_months: self.unemployment_months,
            education: self.education,
            situation: self.situation,
            exit: self.exit,
        }
    }
}

/// One accepted row of `Entreprises et partenaires`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Company {
    pub row: u32,
    pub id: CompanyId,
    pub name: String,
    pub kind: CompanyKind,
    pub engagement: Engagement,
    pub postal_code: Option<PostalCode>,
    pub hires: Option<u32>,
}

/// One accepted row of `Professionnels`.
#[derive(Debug, Clone)]
pub struct Professional {
    pub row: u32,
    pub surname: Sensitive,
    pub first_name: Sensitive,
    pub function: Option<String>,
    pub organisation: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cross_processes_as_day_numbers_and_read_as_text_in_json() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let row = |exit| JobSeeker {
            row: 7,
            identity: 0u8,
            sex: None,
            postal_code: PostalCode::parse("75001").unwrap(),
            entry: d(2019, 3, 1),
            unemployment_months: 13,
            education: None,
            situation: Situation::EnCours,
            exit,
        };
        for exit in [None, Some(d(2020, 2, 29)), Some(NaiveDate::MIN)] {
            let sent = row(exit);
            let bytes = postcard::to_stdvec(&sent).unwrap();
            let got: JobSeeker<u8> = postcard::from_bytes(&bytes).unwrap();
            assert_eq!((got.entry, got.exit), (sent.entry, sent.exit));
        }
        let json = serde_json::to_value(row(Some(d(2020, 2, 29)))).unwrap();
        assert_eq!(json["entry"], "2019-03-01");
        assert_eq!(json["exit"], "2020-02-29");
        let back: JobSeeker<u8> = serde_json::from_value(json).unwrap();
        assert_eq!(back.exit, Some(d(2020, 2, 29)));
        // A day number no calendar holds is an error, not a date.
        #[derive(Deserialize)]
        struct Day(#[serde(with = "day")] NaiveDate);
        let bytes = postcard::to_stdvec(&i32::MAX).unwrap();
        assert!(postcard::from_bytes::<Day>(&bytes).is_err());
        let bytes = postcard::to_stdvec(&d(2024, 1, 31).num_days_from_ce()).unwrap();
        assert_eq!(
            postcard::from_bytes::<Day>(&bytes).unwrap().0,
            d(2024, 1, 31)
        );
    }

    #[test]
    fn periods_parse_and_order_by_end() {
        assert_eq!(
            Period::parse("2019-T1"),
            Some(Period::Quarter {
                year: 2019,
                quarter: 1
            })
        );
        assert_eq!(
            Period::parse(" 2019-t4 "),
            Some(Period::Quarter {
                year: 2019,
                quarter: 4
            })
        );
        assert_eq!(
            Period::parse("T2 2020"),
            Some(Period::Quarter {
                year: 2020,
                quarter: 2
            })
        );
        assert_eq!(
            Period::parse("2019-03"),
            Some(Period::Month {
                year: 2019,
                month: 3
            })
        );
        assert_eq!(Period::parse("2019-13"), None);
        assert_eq!(Period::parse("2019-T5"), None);
        assert_eq!(Period::parse("hier"), None);
        let q1 = Period::parse("2019-T1").unwrap();
        let m3 = Period::parse("2019-03").unwrap();
        assert_eq!(q1.end(), m3.end());
        assert_eq!(q1.end(), NaiveDate::from_ymd_opt(2019, 3, 31).unwrap());
        assert_eq!(
            Period::parse("2020-T4").unwrap().end(),
            NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()
        );
        assert_eq!(
            Period::parse("2020-02").unwrap().end(),
            NaiveDate::from_ymd_opt(2020, 2, 29).unwrap()
        );
    }

    #[test]
    fn postal_codes_restore_lost_zero() {
        assert_eq!(PostalCode::parse("1000").unwrap().as_str(), "01000");
        assert_eq!(PostalCode::parse("97400").unwrap().as_str(), "97400");
        assert_eq!(PostalCode::parse("20000").unwrap().as_str(), "20000");
        assert!(PostalCode::parse("123").is_none());
        assert!(PostalCode::parse("75A01").is_none());
        assert!(PostalCode::parse("00100").is_none());
    }

    #[test]
    fn listed_values_fold() {
        assert_eq!(
            Situation::parse("cdd de 6 MOIS ou plus"),
            Some(Situation::CddLong)
        );
        assert_eq!(
            Situation::parse("Création d’entreprise"),
            Some(Situation::Creation)
        );
        assert_eq!(Sex::parse("m"), Some(Sex::H));
        assert_eq!(Education::parse("bac + 2"), Some(Education::Bac2));
        assert_eq!(Engagement::parse("Mecenat"), Some(Engagement::Mecenat));
        assert_eq!(
            CompanyKind::parse("partenaire prive"),
            Some(CompanyKind::PartenairePrive)
        );
        assert_eq!(Situation::parse("CDI temps partiel"), None);
        assert_eq!(Situation::Cdi.label(), "CDI");
    }

    #[test]
    fn sensitive_never_prints() {
        assert_eq!(format!("{:?}", Sensitive::new("DUPONT")), "***");
    }
}
