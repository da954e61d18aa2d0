//! The published figures in one tidy table, written as CSV, XLSX and
//! Parquet with the same columns: one row per figure, one column per
//! coordinate (`docs/schema.md`, "Exports").

use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use crate::indicators::publish::{Published, Status};
use crate::indicators::{Cell, Kind};
use crate::store::{Publication, Store};

/// The columns, in order, in all three formats.
pub const COLUMNS: [&str; 12] = [
    "indicateur",
    "libelle",
    "unite",
    "perimetre",
    "code_perimetre",
    "nom_perimetre",
    "innovation",
    "periode",
    "duree_chomage",
    "valeur",
    "statut",
    "calcule_le",
];

/// One published figure, tidy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub indicateur: String,
    pub libelle: String,
    /// `nombre` (a count) or `taux` (a fraction between 0 and 1).
    pub unite: &'static str,
    /// `national`, `innovation`, `departement` or `structure`.
    pub perimetre: &'static str,
    pub code_perimetre: String,
    pub nom_perimetre: String,
    /// Within a département, the structures of this innovation only.
    pub innovation: Option<String>,
    pub periode: Option<String>,
    pub duree_chomage: Option<String>,
    /// Empty when hidden or undefined.
    pub valeur: Option<f64>,
    /// `publié`, `masqué` or `non défini`.
    pub statut: &'static str,
    /// When the figures were computed (UTC), `YYYY-MM-DD HH:MM:SS`.
    pub calcule_le: String,
}

/// The tidy rows of a publication (figures with a name this binary does
/// not know are left out).
pub fn rows(config: &Config, publication: &Publication) -> Vec<Row> {
    let registry = &config.registry;
    let computed = publication
        .computed_at
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    publication
        .cells
        .iter()
        .filter_map(|p: &Published| {
            let cell = p.cell()?;
            let indicator = crate::indicators::find(&p.indicator)?;
            Some(Row {
                indicateur: p.indicator.clone(),
                libelle: indicator.label.to_string(),
                unite: if indicator.ratio { "taux" } else { "nombre" },
                perimetre: cell.kind.as_str(),
                nom_perimetre: scope_name(config, &cell),
                code_perimetre: cell.code.clone(),
                innovation: cell.innovation.clone(),
                periode: cell.period.clone(),
                duree_chomage: cell.band.clone(),
                valeur: p.value.filter(|_| p.status == Status::Published),
                statut: p.status.as_str(),
                calcule_le: computed.clone(),
            })
        })
        .map(|mut r| {
            if let Some(i) = r.innovation.as_deref().and_then(|c| registry.innovation(c)) {
                r.innovation = Some(i.code.clone());
            }
            r
        })
        .collect()
}

/// The name of a scope for people: « France entière », an innovation's or
/// a structure's registered name, a département's name.
pub fn scope_name(config: &Config, cell: &Cell) -> String {
    let registry = &config.registry;
    match cell.kind {
        Kind::National => "France entière".to_string(),
        Kind::Innovation => registry
            .innovation(&cell.code)
            .map_or_else(|| cell.code.clone(), |i| i.name.clone()),
        Kind::Departement => crate::model::departements::name(&cell.code)
            .map_or_else(|| cell.code.clone(), str::to_string),
        Kind::Structure => registry
            .structure(&cell.code)
            .map_or_else(|| cell.code.clone(), |s| s.name.clone()),
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the CSV export: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the XLSX export: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Writes the rows as CSV (comma-separated, UTF-8, a dot for decimals,
/// empty cells for missing values).
///
/// # Errors
/// I/O errors.
pub fn write_csv(rows: &[Row], path: &Path) -> Result<(), ExportError> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record([
            r.indicateur.as_str(),
            &r.libelle,
            r.unite,
            r.perimetre,
            &r.code_perimetre,
            &r.nom_perimetre,
            r.innovation.as_deref().unwrap_or(""),
            r.periode.as_deref().unwrap_or(""),
            r.duree_chomage.as_deref().unwrap_or(""),
            &r.valeur.map(number).unwrap_or_default(),
            r.statut,
            &r.calcule_le,
        ])?;
    }
    w.flush().map_err(|source| ExportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(())
}

/// Writes the rows as a workbook: one sheet « Chiffres », a bold frozen
/// header with an autofilter, column widths, rates in % and counts as
/// integers, empty cells for missing values.
///
/// # Errors
/// Writer errors.
pub fn write_xlsx(rows: &[Row], path: &Path) -> Result<(), ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Chiffres")?;
    let bold = Format::new().set_bold().set_background_color("E8EEF6");
    let percent = Format::new().set_num_format("0.0%");
    let count = Format::new().set_num_format("# ##0");
    let widths = [
        22.0, 38.0, 8.0, 12.0, 16.0, 34.0, 12.0, 10.0, 14.0, 10.0, 11.0, 20.0,
    ];
    for (c, (h, w)) in COLUMNS.iter().zip(widths).enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *h, &bold)?;
        ws.set_column_width(c, w)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let texts = [
            (0, r.indicateur.as_str()),
            (1, r.libelle.as_str()),
            (2, r.unite),
            (3, r.perimetre),
            (4, r.code_perimetre.as_str()),
            (5, r.nom_perimetre.as_str()),
            (6, r.innovation.as_deref().unwrap_or("")),
            (7, r.periode.as_deref().unwrap_or("")),
            (8, r.duree_chomage.as_deref().unwrap_or("")),
            (10, r.statut),
            (11, r.calcule_le.as_str()),
        ];
        for (c, t) in texts {
            if !t.is_empty() {
                ws.write_string(row, c, t)?;
            }
        }
        if let Some(v) = r.valeur {
            let f = if r.unite == "taux" { &percent } else { &count };
            ws.write_number_with_format(row, 9, v, f)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows.len() as u32, COLUMNS.len() as u16 - 1)?;
    book.save(path)?;
    Ok(())
}

/// Writes `figures.csv`, `figures.xlsx` and `figures.parquet` into `dir`.
///
/// # Errors
/// I/O, writer or SQL errors.
pub fn write_all(
    config: &Config,
    store: &Store,
    publication: &Publication,
    dir: &Path,
) -> Result<usize, ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let rows = rows(config, publication);
    let csv = dir.join("figures.csv");
    write_csv(&rows, &csv)?;
    write_xlsx(&rows, &dir.join("figures.xlsx"))?;
    store.export_parquet(&csv, &dir.join("figures.parquet"))?;
    Ok(rows.len())
}
