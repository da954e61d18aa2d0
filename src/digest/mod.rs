//! The digest stakeholders read, and the feedback structures get: composed
//! from data (pure, [`compose`]), rendered with templates and a chart
//! ([`render`]), and delivered through SMTP or the outbox folder
//! ([`deliver`]). Everything a reader sees is in French, within their
//! scope, with small counts hidden; nothing identifies a person.

pub mod deliver;
pub mod render;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Config;
use crate::indicators::publish::{publish, Published};
use crate::indicators::Figure;
use crate::indicators::{INSEE_2016, REGISTRY};
use crate::model::scope::Scope;
use crate::model::Verdict;
use crate::status::Late;
use crate::store::FileSummary;

/// A headline line: label, value, change since the previous digest.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub name: String,
    pub label: String,
    pub value: String,
    pub change: String,
}

/// A line of the table per innovation.
#[derive(Debug, Clone, Serialize)]
pub struct InnovationLine {
    pub name: String,
    pub phase: String,
    pub structures: String,
    pub deld: String,
    pub exits: String,
    pub rate: String,
}

/// Exit rate by unemployment duration beside the Insee reference.
#[derive(Debug, Clone, Serialize)]
pub struct DurationLine {
    pub band: String,
    pub rate: String,
    pub reference: String,
}

/// A received file as listed.
#[derive(Debug, Clone, Serialize)]
pub struct FileLine {
    pub name: String,
    pub structure: String,
    pub period: String,
    pub outcome: String,
}

/// One line of the chart: an innovation's name and its (period, DELD)
/// points, `None` where the count is hidden.
pub type Series = (String, Vec<(String, Option<i64>)>);

/// Everything one reader's digest says.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub scope_label: String,
    pub date: String,
    pub headline: Vec<Headline>,
    pub innovations: Vec<InnovationLine>,
    pub durations: Vec<DurationLine>,
    pub files: Vec<FileLine>,
    pub files_accepted: usize,
    pub files_superseded: usize,
    pub files_rejected: usize,
    pub reasons: Vec<(String, i64)>,
    pub late_period: String,
    pub late: Vec<String>,
    pub failures: Vec<String>,
    pub threshold: i64,
    /// Per innovation, the chart's points.
    pub series: Vec<Series>,
}

/// What composing needs, read once for all readers.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub current: &'a [Figure],
    pub previous: &'a [Figure],
    pub files: &'a [FileSummary],
    pub reasons: &'a [(String, i64)],
    pub late_period: String,
    pub late: &'a [Late],
    pub failures: &'a [String],
    /// (innovation code, period, DELD) for the chart.
    pub series: &'a [(String, String, i64)],
    pub date: String,
}

fn cell<'a>(
    cells: &'a [Published],
    indicator: &str,
    kind: &str,
    scope: &str,
) -> Option<&'a Published> {
    cells
        .iter()
        .find(|c| c.indicator == indicator && c.scope_kind == kind && c.scope == scope)
}

fn shown(c: Option<&Published>, threshold: i64) -> String {
    c.map_or_else(|| "0".to_string(), |c| c.display(threshold))
}

/// Composes one reader's digest. Pure.
pub fn compose(inputs: &Inputs<'_>, scope: &Scope) -> Digest {
    let t = inputs.config.privacy.threshold;
    let registry = &inputs.config.registry;
    let now = publish(inputs.current, t);
    let before = publish(inputs.previous, t);
    let (kind, key) = scope.key();
    let headline = REGISTRY
        .iter()
        .map(|ind| {
            let c = cell(&now, ind.name, kind, key);
            let p = cell(&before, ind.name, kind, key);
            let change = match (c, p) {
                (Some(c), Some(p)) if !c.hidden && !p.hidden => match (c.value, p.value) {
                    (Some(a), Some(b)) if ind.ratio => crate::text::points(a - b),
                    (Some(a), Some(b)) if (a - b).abs() > f64::EPSILON => {
                        format!("{:+}", (a - b).round() as i64)
                    }
                    (Some(_), Some(_)) => "=".into(),
                    _ => String::new(),
                },
                (Some(c), None) if !c.hidden && inputs.previous.is_empty() => "nouveau".into(),
                _ => String::new(),
            };
            Headline {
                name: ind.name.into(),
                label: ind.label.into(),
                value: shown(c, t),
                change,
            }
        })
        .collect();
    let innovations = registry
        .innovations
        .iter()
        .filter(|i| match scope {
            Scope::National => true,
            Scope::Innovation(code) => &i.code == code,
            Scope::Departement(_) => false,
        })
        .map(|i| InnovationLine {
            name: i.name.clone(),
            phase: i.phase.label().into(),
            structures: shown(cell(&now, "structures", "innovation", &i.code), t),
            deld: shown(cell(&now, "deld", "innovation", &i.code), t),
            exits: shown(cell(&now, "exits_to_employment", "innovation", &i.code), t),
            rate: cell(&now, "exit_rate", "innovation", &i.code)
                .map_or("–".into(), |c| c.display(t)),
        })
        .collect();
    let durations = if *scope == Scope::National {
        INSEE_2016
            .iter()
            .map(|(band, label, reference)| DurationLine {
                band: (*label).into(),
                rate: cell(&now, "exit_rate", "duration", band)
                    .map_or("–".into(), |c| c.display(t)),
                reference: reference.map_or("–".into(), crate::text::percent),
            })
            .collect()
    } else {
        Vec::new()
    };
    let in_scope = |structure: Option<&String>, innovation: Option<&String>| match scope {
        Scope::National => true,
        Scope::Innovation(code) => innovation == Some(code),
        Scope::Departement(d) => structure
            .and_then(|s| registry.structure(s))
            .is_some_and(|s| &s.departement == d),
    };
    let files: Vec<&FileSummary> = inputs
        .files
        .iter()
        .filter(|f| in_scope(f.structure.as_ref(), f.innovation.as_ref()))
        .collect();
    let outcome = |f: &FileSummary| match (f.verdict, f.current) {
        (Verdict::FileRejected, _) => format!("refusé : {}", f.reason.clone().unwrap_or_default()),
        (_, false) => "remplacé par un envoi plus récent".to_string(),
        (Verdict::RowsRejected, true) => {
            format!("accepté, {} ligne(s) rejetée(s)", f.rows_rejected)
        }
        _ => "accepté".to_string(),
    };
    let late: Vec<String> = inputs
        .late
        .iter()
        .filter(|l| in_scope(Some(&l.code), Some(&l.innovation)))
        .map(|l| format!("{} ({})", l.name, l.code))
        .collect();
    let mut series: BTreeMap<String, Vec<(String, Option<i64>)>> = BTreeMap::new();
    for (innovation, period, n) in inputs.series {
        if let Scope::Innovation(code) = scope {
            if code != innovation {
                continue;
            }
        }
        let name = registry
            .innovation(innovation)
            .map_or(innovation.clone(), |i| i.name.clone());
        let v = if *n > 0 && *n < t { None } else { Some(*n) };
        series.entry(name).or_default().push((period.clone(), v));
    }
    Digest {
        scope_label: match scope {
            Scope::National => "national".into(),
            Scope::Innovation(code) => format!(
                "innovation {}",
                registry
                    .innovation(code)
                    .map_or(code.as_str(), |i| i.name.as_str())
            ),
            Scope::Departement(d) => format!("département {d}"),
        },
        date: inputs.date.clone(),
        headline,
        innovations,
        durations,
        files_accepted: files
            .iter()
            .filter(|f| f.verdict != Verdict::FileRejected && f.current)
            .count(),
        files_superseded: files
            .iter()
            .filter(|f| f.verdict != Verdict::FileRejected && !f.current)
            .count(),
        files_rejected: files
            .iter()
            .filter(|f| f.verdict == Verdict::FileRejected)
            .count(),
        files: files
            .iter()
            .map(|f| FileLine {
                name: f.name.clone(),
                structure: f.structure.clone().unwrap_or_default(),
                period: f.period.clone().unwrap_or_default(),
                outcome: outcome(f),
            })
            .collect(),
        reasons: if *scope == Scope::National {
            inputs.reasons.to_vec()
        } else {
            Vec::new()
        },
        late_period: inputs.late_period.clone(),
        late,
        failures: if *scope == Scope::National {
            inputs.failures.to_vec()
        } else {
            Vec::new()
        },
        threshold: t,
        series: series.into_iter().collect(),
    }
}

/// What a digest round did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct DigestOutcome {
    pub digest_id: Option<i64>,
    pub composed: usize,
    pub delivery: deliver::Delivery,
}

/// Reads what every digest needs from the store.
struct Gathered {
    current: Vec<Figure>,
    previous: Vec<Figure>,
    files: Vec<FileSummary>,
    reasons: Vec<(String, i64)>,
    late_period: String,
    late: Vec<Late>,
    failures: Vec<String>,
    series: Vec<(String, String, i64)>,
    figures_run: Option<i64>,
}

fn gather(
    config: &Config,
    store: &crate::store::Store,
    today: chrono::NaiveDate,
) -> Result<Gathered, deliver::DeliverError> {
    let last = store.last_digest()?;
    let figures_run = store.latest_figures_run()?;
    let current = match figures_run {
        Some(r) => store.figures_of(r)?,
        None => Vec::new(),
    };
    let previous = match last.and_then(|(_, f, _)| f) {
        Some(r) => store.figures_of(r)?,
        None => Vec::new(),
    };
    let after = last.map_or(0, |(_, _, run)| run);
    let (q, late) = crate::status::late_structures(config, store, today)?;
    let failures = store
        .recent_runs(50)?
        .into_iter()
        .filter(|r| r.id > after && r.outcome.as_deref() == Some("failed"))
        .map(|r| {
            format!(
                "exécution n° {} ({}) du {} : échec",
                r.id, r.kind, r.started_at
            )
        })
        .collect();
    Ok(Gathered {
        current,
        previous,
        files: store.files_since(after)?,
        reasons: store.main_reasons(after, 5)?,
        late_period: q.to_string(),
        late,
        failures,
        series: store.deld_by_innovation_period(None)?,
        figures_run,
    })
}

/// The digest of one scope, rendered: (subject, HTML, text, PNG).
///
/// # Errors
/// Template or chart errors.
pub fn preview(
    config: &Config,
    store: &crate::store::Store,
    scope: &Scope,
) -> Result<(String, String, String, Vec<u8>), deliver::DeliverError> {
    let today = chrono::Local::now().date_naive();
    let g = gather(config, store, today)?;
    let d = compose(&inputs(config, &g, today), scope);
    let (html, text) = render::digest(&d)?;
    let png = render::chart(&d)?;
    Ok((subject(&d), html, text, png))
}

fn inputs<'a>(config: &'a Config, g: &'a Gathered, today: chrono::NaiveDate) -> Inputs<'a> {
    Inputs {
        config,
        current: &g.current,
        previous: &g.previous,
        files: &g.files,
        reasons: &g.reasons,
        late_period: g.late_period.clone(),
        late: &g.late,
        failures: &g.failures,
        series: &g.series,
        date: today.format("%d/%m/%Y").to_string(),
    }
}

fn subject(d: &Digest) -> String {
    format!("AIS#Emploi : synthèse du {} ({})", d.date, d.scope_label)
}

/// Composes the digest for every configured recipient, queues the
/// messages, records the digest, and delivers what is due.
///
/// # Errors
/// Store, template, chart or delivery configuration errors.
pub fn send_digest(
    config: &Config,
    store: &crate::store::Store,
) -> Result<DigestOutcome, deliver::DeliverError> {
    let today = chrono::Local::now().date_naive();
    let g = gather(config, store, today)?;
    let mut out = DigestOutcome::default();
    if !config.email.recipients.is_empty() {
        let digest_id = store.record_digest(g.figures_run)?;
        for r in &config.email.recipients {
            let d = compose(&inputs(config, &g, today), &r.scope);
            let (html, text) = render::digest(&d)?;
            let png = render::chart(&d)?;
            let m = deliver::digest_message(
                config,
                &store.database_id,
                r,
                digest_id,
                &subject(&d),
                html,
                text,
                png,
            )?;
            deliver::enqueue(config, store, &m)?;
            out.composed += 1;
        }
        out.digest_id = Some(digest_id);
    }
    out.delivery = deliver::deliver_due(config, store, Utc::now().naive_utc())?;
    Ok(out)
}

use chrono::Utc;

/// How many rejected rows the feedback body lists (all are in the CSV).
const FEEDBACK_ROWS: usize = 50;

/// Writes the feedback about one processed file to its structure's
/// contact as an .eml file, and returns the message to record with the
/// file's load (the same transaction). `None` when the structure is unknown
/// or has no contact.
///
/// # Errors
/// Template, message or I/O errors.
pub fn prepare_feedback(
    config: &Config,
    database_id: &str,
    report: &crate::validate::FileReport,
) -> Result<Option<crate::store::NewMessage>, deliver::DeliverError> {
    let Some(structure) = report
        .structure
        .as_deref()
        .and_then(|c| config.registry.structure(c))
    else {
        return Ok(None);
    };
    if structure.contact.is_empty() {
        return Ok(None);
    }
    let total = report.rejection_count();
    let ctx = serde_json::json!({
        "name": crate::text::printable(&report.name, 200),
        "structure": structure.code,
        "period": report.period.map(|p| p.to_string()),
        "verdict": report.verdict.label(),
        "reason": report.reason,
        "tables": report.tables,
        // Sheet, row, column, reason: never a value.
        "rejections": report.rejections.iter().take(FEEDBACK_ROWS).map(|j| serde_json::json!({
            "sheet": crate::text::printable(&j.sheet, 60), "row": j.row, "column": j.column,
            "header": crate::text::printable(&j.header, 60), "reason": j.reason
        })).collect::<Vec<_>>(),
        "truncated": total > FEEDBACK_ROWS,
        "shown": FEEDBACK_ROWS.min(total),
        "total": total,
    });
    let html = render::template("feedback.html", &ctx)?;
    let text = render::template("feedback.txt", &ctx)?;
    let csv = if report.rejections.is_empty() && report.reason.is_none() {
        None
    } else {
        let max = usize::try_from(config.limits.max_attachment_kib * 1024).unwrap_or(usize::MAX);
        let bytes = crate::report::rejections_csv(report, max)
            .map_err(|e| deliver::DeliverError::Build(e.to_string()))?;
        Some((
            format!("{}.rejets.csv", crate::text::safe_file_stem(&report.name)),
            bytes,
        ))
    };
    let subject = format!(
        "AIS#Emploi : votre fichier {} : {}",
        crate::text::printable(&report.name, 120),
        report.verdict.label()
    );
    let m = deliver::feedback_message(
        config,
        database_id,
        &structure.contact,
        &report.sha256,
        &subject,
        html,
        text,
        csv,
    )?;
    let path = deliver::write_eml(config, &m)?;
    Ok(Some(crate::store::NewMessage {
        id: m.id,
        kind: m.kind,
        recipient: m.to,
        subject: m.subject,
        eml_path: path.to_string_lossy().into_owned(),
    }))
}
