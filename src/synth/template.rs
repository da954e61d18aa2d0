//! The reporting template a structure fills in (`essaim template`): an
//! « Instructions » sheet in French, the « Structure » sheet filled in from
//! the registry, and the three tables with bold frozen headers, column
//! widths, date and text formats, and drop-down lists for every listed
//! value (kept in a hidden « Listes » sheet).

use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook};

use crate::model::records::{CompanyKind, Education, Engagement, Listed, Period, Sex, Situation};
use crate::model::registry::{Registry, Structure};
use crate::model::template::{Field, Need, Table};

use super::SynthError;

/// Rows that get formats and drop-downs below each header.
const ROWS: u32 = 2000;

/// What the template is filled in with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prefill<'a> {
    pub structure: Option<&'a Structure>,
    pub period: Option<Period>,
}

/// The values of a listed column, if it is one.
fn listed(field: Field) -> Option<Vec<&'static str>> {
    Some(match field {
        Field::Sexe => Sex::labels(),
        Field::NiveauFormation => Education::labels(),
        Field::Situation => Situation::labels(),
        Field::Type => CompanyKind::labels(),
        Field::Nature => Engagement::labels(),
        _ => return None,
    })
}

fn is_date(field: Field) -> bool {
    matches!(
        field,
        Field::DateNaissance | Field::DateEntree | Field::DateSortie
    )
}

fn is_code(field: Field) -> bool {
    matches!(field, Field::CodePostal | Field::Siret | Field::Identifiant)
}

/// The instructions, one paragraph a line.
pub fn instructions(registry: &Registry, prefill: Prefill<'_>) -> Vec<String> {
    let mut out = vec!["Modèle de remontée AIS#Emploi".to_string(), String::new()];
    if let Some(s) = prefill.structure {
        out.push(format!(
            "Structure : {} ({}), innovation {}.",
            s.name,
            s.code,
            registry
                .innovation(&s.innovation)
                .map_or(s.innovation.as_str(), |i| i.name.as_str())
        ));
    }
    if let Some(p) = prefill.period {
        out.push(format!("Période : {p}."));
    }
    let required = |t: Table| {
        t.columns()
            .iter()
            .filter(|c| c.need == Need::Required)
            .map(|c| format!("« {} »", c.header))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.extend([
        "1. Feuille « Structure » : vérifiez le code structure, l'innovation (liste déroulante) et la période (un trimestre comme 2019-T1, ou un mois comme 2019-03). Indiquez le nombre de professionnels mobilisés si vous ne les listez pas.".to_string(),
        format!(
            "2. Feuille « {} » : une ligne par personne accompagnée. Identifiez-la par son identifiant France Travail ou, à défaut, par son nom, son prénom et sa date de naissance. Colonnes obligatoires : {}.",
            Table::Demandeurs.sheet_name(),
            required(Table::Demandeurs)
        ),
        format!(
            "3. Feuille « {} » : une ligne par entreprise ou partenaire, avec son SIRET (14 chiffres) ou à défaut son SIREN (9 chiffres). Colonnes obligatoires : {}.",
            Table::Entreprises.sheet_name(),
            required(Table::Entreprises)
        ),
        format!(
            "4. Feuille « {} » (facultative) : une ligne par professionnel mobilisé.",
            Table::Professionnels.sheet_name()
        ),
        "5. Les colonnes à valeurs fixées (sexe, niveau de formation, situation à la sortie, type, nature de l'engagement) ont une liste déroulante : choisissez-y la valeur. Les dates s'écrivent jj/mm/aaaa. Ne renommez ni les feuilles ni les colonnes.".to_string(),
        format!(
            "6. Enregistrez le fichier sous le nom {}_{}.xlsx et envoyez-le à l'accélérateur. Vous recevrez par courriel le résultat de la vérification, avec une copie annotée si des lignes sont à corriger. Un nouvel envoi pour la même période remplace le précédent.",
            prefill.structure.map_or("<code structure>", |s| s.code.as_str()),
            prefill.period.map_or_else(|| "<période>".to_string(), |p| p.to_string())
        ),
        "7. Confidentialité : les noms, dates de naissance et identifiants ne sont jamais conservés ; seules des empreintes chiffrées servent à compter chaque personne une fois. Les chiffres publiés masquent les effectifs de moins de 5 personnes.".to_string(),
        "Vous pouvez vérifier votre fichier avant l'envoi avec « essaim validate ».".to_string(),
    ]);
    out
}

/// The template as xlsx bytes.
///
/// # Errors
/// rust_xlsxwriter errors.
pub fn template_xlsx(registry: &Registry, prefill: Prefill<'_>) -> Result<Vec<u8>, SynthError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color("E8EEF6")
        .set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let text = Format::new().set_num_format("@");

    // Instructions first: the sheet the workbook opens on.
    let ws = book.add_worksheet();
    ws.set_name("Instructions")?;
    ws.set_column_width(0, 110)?;
    for (r, line) in instructions(registry, prefill).iter().enumerate() {
        let f = if r == 0 { &bold } else { &wrap };
        ws.write_string_with_format(r as u32, 0, line, f)?;
    }
    ws.set_active(true);

    // The lists, in a hidden sheet the drop-downs point to.
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    let innovations: Vec<String> = registry
        .innovations
        .iter()
        .map(|i| i.name.clone())
        .collect();
    if !innovations.is_empty() {
        lists.push(("Innovation".into(), innovations));
    }
    for t in Table::ALL {
        for c in t.columns() {
            if let Some(values) = listed(c.field) {
                if !lists.iter().any(|(h, _)| h == c.header) {
                    lists.push((
                        c.header.to_string(),
                        values.iter().map(|v| (*v).to_string()).collect(),
                    ));
                }
            }
        }
    }
    let range_of = |header: &str| -> Option<Formula> {
        let (col, (_, values)) = lists.iter().enumerate().find(|(_, (h, _))| h == header)?;
        let letter = crate::text::column_letter(col);
        Some(Formula::new(format!(
            "=Listes!${letter}$2:${letter}${}",
            values.len() + 1
        )))
    };
    let pick = |header: &str| -> Result<Option<DataValidation>, SynthError> {
        let Some(formula) = range_of(header) else {
            return Ok(None);
        };
        Ok(Some(
            DataValidation::new()
                .allow_list_formula(formula)
                .set_error_title("Valeur hors liste")?
                .set_error_message(format!("Choisissez « {header} » dans la liste déroulante."))?,
        ))
    };

    // Structure.
    let ws = book.add_worksheet();
    ws.set_name("Structure")?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 44)?;
    let innovation_name = prefill
        .structure
        .and_then(|s| registry.innovation(&s.innovation).map(|i| i.name.clone()));
    let fields = [
        ("Code structure", prefill.structure.map(|s| s.code.clone())),
        ("Innovation", innovation_name),
        ("Période", prefill.period.map(|p| p.to_string())),
        ("Professionnels mobilisés", None),
        ("Contact", None),
    ];
    for (r, (label, value)) in fields.iter().enumerate() {
        let r = r as u32;
        ws.write_string_with_format(r, 0, *label, &bold)?;
        match value {
            Some(v) => {
                ws.write_string_with_format(r, 1, v, &text)?;
            }
            None => {
                ws.write_blank(r, 1, &text)?;
            }
        }
    }
    if let Some(v) = pick("Innovation")? {
        ws.add_data_validation(1, 1, 1, 1, &v)?;
    }
    let count = DataValidation::new()
        .allow_whole_number(rust_xlsxwriter::DataValidationRule::GreaterThanOrEqualTo(0))
        .set_error_message("Un nombre entier de professionnels.")?;
    ws.add_data_validation(3, 1, 3, 1, &count)?;

    // The tables.
    for t in Table::ALL {
        let ws = book.add_worksheet();
        ws.set_name(t.sheet_name())?;
        for (c, col) in t.columns().iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, col.header, &header)?;
            let width = (col.header.chars().count() as f64 + 4.0).max(14.0);
            ws.set_column_width(c, width)?;
            if is_date(col.field) {
                ws.set_column_format(c, &date)?;
            } else if is_code(col.field) {
                // Leading zeros stay (postal codes, SIRET).
                ws.set_column_format(c, &text)?;
            }
            if let Some(v) = pick(col.header)? {
                ws.add_data_validation(1, c, ROWS, c, &v)?;
            }
        }
        ws.set_row_height(0, 32)?;
        ws.set_freeze_panes(1, 0)?;
    }

    let ws = book.add_worksheet();
    ws.set_name("Listes")?;
    for (c, (h, values)) in lists.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, h, &bold)?;
        for (r, v) in values.iter().enumerate() {
            ws.write_string(r as u32 + 1, c, v)?;
        }
    }
    ws.set_hidden(true);
    Ok(book.save_to_buffer()?)
}
