//! The digest stakeholders read, and the feedback structures get: composed
//! from data (pure, [`compose`]), rendered with templates and a chart
//! ([`render`]), and delivered through SMTP or the outbox folder
//! ([`deliver`]). Everything a reader sees is in French, within their
//! scope, with small counts hidden; nothing identifies a person.

pub mod deliver;
pub mod render;

use std::collections::HashMap;

use serde::Serialize;

use crate::config::Config;
use crate::indicators::publish::{Published, Status};
use crate::indicators::{Cell, Kind, INSEE_2016, REGISTRY};
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

/// A line of the breakdown table (per innovation, or per structure for an
/// innovation's reader).
#[derive(Debug, Clone, Serialize)]
pub struct BreakdownLine {
    pub code: String,
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

/// The late structures of one innovation.
#[derive(Debug, Clone, Serialize)]
pub struct LateGroup {
    pub innovation: String,
    pub count: usize,
    pub structures: Vec<String>,
}

/// One line of the chart: its name, its colour (the innovation's rank in
/// the registry, so that an innovation keeps its colour in every digest;
/// `None` for a département's own line) and its (period, DELD) points,
/// `None` where the count is hidden.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub colour: Option<usize>,
    pub points: Vec<(String, Option<i64>)>,
}

/// Everything one reader's digest says.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub scope_label: String,
    /// `national`, `innovation` or `departement` (for the page's markup).
    pub scope_kind: String,
    pub date: String,
    pub headline: Vec<Headline>,
    /// « Par innovation » or « Par structure ».
    pub breakdown_title: String,
    pub breakdown_first: String,
    pub breakdown: Vec<BreakdownLine>,
    pub durations: Vec<DurationLine>,
    pub files: Vec<FileLine>,
    pub files_accepted: usize,
    pub files_superseded: usize,
    pub files_rejected: usize,
    pub reasons: Vec<(String, i64)>,
    pub late_period: String,
    pub late_count: usize,
    pub late: Vec<LateGroup>,
    pub failures: Vec<String>,
    pub threshold: i64,
    /// Whether a hidden count, a hidden rate or an undefined rate is shown
    /// (each gets its footnote).
    pub any_hidden_count: bool,
    pub any_secret: bool,
    pub any_undefined: bool,
    pub chart_title: String,
    /// The chart's lines (empty: a sentence replaces the chart).
    pub series: Vec<Series>,
}

/// What composing needs, read once for all readers.
pub struct Inputs<'a> {
    pub config: &'a Config,
    /// The latest figures, published.
    pub now: &'a [Published],
    /// The figures the previous digest showed, published.
    pub before: &'a [Published],
    pub files: &'a [FileSummary],
    pub reasons: &'a [(String, i64)],
    pub late_period: String,
    pub late: &'a [Late],
    pub failures: &'a [String],
    pub date: String,
}

/// Published cells by (indicator, where).
struct Cells<'a>(HashMap<(&'a str, Cell), &'a Published>);

impl<'a> Cells<'a> {
    fn new(cells: &'a [Published]) -> Self {
        Cells(
            cells
                .iter()
                .filter_map(|c| Some(((c.indicator.as_str(), c.cell()?), c)))
                .collect(),
        )
    }

    fn get(&self, indicator: &'a str, cell: &Cell) -> Option<&'a Published> {
        self.0.get(&(indicator, cell.clone())).copied()
    }
}

/// What the digest shows for a cell: a count without people is 0, a rate
/// without people is undefined.
fn shown(c: Option<&Published>, threshold: i64, notes: &mut Notes) -> String {
    match c {
        Some(c) => {
            match c.status {
                Status::Hidden if c.ratio() => notes.secret = true,
                Status::Hidden => notes.count = true,
                Status::Undefined => notes.undefined = true,
                Status::Published => {}
            }
            c.display(threshold)
        }
        None => "0".to_string(),
    }
}

#[derive(Default)]
struct Notes {
    count: bool,
    secret: bool,
    undefined: bool,
}

fn rate(c: Option<&Published>, threshold: i64, notes: &mut Notes) -> String {
    if c.is_none() {
        notes.undefined = true;
        return "–".into();
    }
    shown(c, threshold, notes)
}

/// The cell a reader's scope stands for.
fn scope_cell(scope: &Scope) -> Cell {
    match scope {
        Scope::National => Cell::national(),
        Scope::Innovation(code) => Cell::of(Kind::Innovation, code),
        Scope::Departement(d) => Cell::of(Kind::Departement, d),
    }
}

/// Composes one reader's digest: every figure, table and chart line comes
/// from the published cells of that reader's scope. Pure.
pub fn compose(inputs: &Inputs<'_>, scope: &Scope) -> Digest {
    let t = inputs.config.privacy.threshold;
    let registry = &inputs.config.registry;
    let now = Cells::new(inputs.now);
    let before = Cells::new(inputs.before);
    let mut notes = Notes::default();
    let here = scope_cell(scope);
    let headline = REGISTRY
        .iter()
        .map(|ind| {
            let c = now.get(ind.name, &here);
            let p = before.get(ind.name, &here);
            let change = match (c, p) {
                (Some(c), Some(p)) if !c.hidden() && !p.hidden() => match (c.value, p.value) {
                    (Some(a), Some(b)) if ind.ratio => crate::text::points(a - b),
                    (Some(a), Some(b)) if (a - b).abs() > f64::EPSILON => {
                        format!("{:+}", (a - b).round() as i64)
                    }
                    (Some(_), Some(_)) => "=".into(),
                    _ => String::new(),
                },
                (Some(c), None) if !c.hidden() && inputs.before.is_empty() => "nouveau".into(),
                _ => String::new(),
            };
            let value = if ind.ratio {
                rate(c, t, &mut notes)
            } else {
                shown(c, t, &mut notes)
            };
            Headline {
                name: ind.name.into(),
                label: ind.label.into(),
                value,
                change,
            }
        })
        .collect();
    // The breakdown: innovations (nationally, or within the département),
    // or the innovation's structures.
    let line =
        |code: &str, name: &str, phase: &str, cell: &Cell, notes: &mut Notes| BreakdownLine {
            code: code.into(),
            name: name.into(),
            phase: phase.into(),
            structures: shown(now.get("structures", cell), t, notes),
            deld: shown(now.get("deld", cell), t, notes),
            exits: shown(now.get("exits_to_employment", cell), t, notes),
            rate: rate(now.get("exit_rate", cell), t, notes),
        };
    let (breakdown_title, breakdown_first, breakdown) = match scope {
        Scope::National => (
            "Par innovation",
            "Innovation",
            registry
                .innovations
                .iter()
                .map(|i| {
                    let cell = Cell::of(Kind::Innovation, &i.code);
                    line(&i.code, &i.name, i.phase.label(), &cell, &mut notes)
                })
                .collect::<Vec<_>>(),
        ),
        Scope::Departement(d) => (
            "Par innovation dans le département",
            "Innovation",
            registry
                .innovations
                .iter()
                .filter(|i| {
                    registry
                        .structures
                        .iter()
                        .any(|s| &s.departement == d && s.innovation == i.code)
                })
                .map(|i| {
                    let cell = Cell {
                        innovation: Some(i.code.clone()),
                        ..Cell::of(Kind::Departement, d)
                    };
                    line(&i.code, &i.name, i.phase.label(), &cell, &mut notes)
                })
                .collect(),
        ),
        Scope::Innovation(code) => (
            "Par structure",
            "Structure",
            registry
                .structures
                .iter()
                .filter(|s| &s.innovation == code)
                .map(|s| {
                    let cell = Cell::of(Kind::Structure, &s.code);
                    let mut l = line(&s.code, &s.name, "", &cell, &mut notes);
                    l.structures = String::new();
                    l
                })
                .collect(),
        ),
    };
    let durations = INSEE_2016
        .iter()
        .map(|(band, label, reference)| DurationLine {
            band: (*label).into(),
            rate: rate(
                now.get("exit_rate", &here.clone().in_band(band)),
                t,
                &mut notes,
            ),
            reference: reference.map_or("non publié par l'Insee".into(), crate::text::percent),
        })
        .collect();
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
    let mut late: Vec<LateGroup> = Vec::new();
    for l in inputs
        .late
        .iter()
        .filter(|l| in_scope(Some(&l.code), Some(&l.innovation)))
    {
        let name = registry
            .innovation(&l.innovation)
            .map_or(l.innovation.clone(), |i| i.name.clone());
        let entry = format!("{} ({})", l.name, l.code);
        match late.iter_mut().find(|g| g.innovation == name) {
            Some(g) => {
                g.structures.push(entry);
                g.count += 1;
            }
            None => late.push(LateGroup {
                innovation: name,
                count: 1,
                structures: vec![entry],
            }),
        }
    }
    let order = |name: &str| {
        registry
            .innovations
            .iter()
            .position(|i| i.name == name)
            .unwrap_or(usize::MAX)
    };
    late.sort_by_key(|g| order(&g.innovation));
    let (chart_title, series) = chart_series(inputs, scope, &now);
    Digest {
        scope_label: scope_label(inputs.config, scope),
        scope_kind: scope.key().0.to_string(),
        date: inputs.date.clone(),
        headline,
        breakdown_title: breakdown_title.into(),
        breakdown_first: breakdown_first.into(),
        breakdown,
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
        late_count: late.iter().map(|g| g.count).sum(),
        late,
        failures: if *scope == Scope::National {
            inputs.failures.to_vec()
        } else {
            Vec::new()
        },
        threshold: t,
        any_hidden_count: notes.count,
        any_secret: notes.secret,
        any_undefined: notes.undefined,
        chart_title,
        series,
    }
}

fn scope_label(config: &Config, scope: &Scope) -> String {
    match scope {
        Scope::National => "national".into(),
        Scope::Innovation(code) => format!(
            "innovation {}",
            config
                .registry
                .innovation(code)
                .map_or(code.as_str(), |i| i.name.as_str())
        ),
        Scope::Departement(d) => match crate::model::departements::name(d) {
            Some(name) => format!("département {name} ({d})"),
            None => format!("département {d}"),
        },
    }
}

/// The chart's lines, from the same published DELD figures as the tables:
/// per innovation and period nationally, the innovation's own line for its
/// reader, the département's own line for a département's reader.
fn chart_series(inputs: &Inputs<'_>, scope: &Scope, now: &Cells<'_>) -> (String, Vec<Series>) {
    let registry = &inputs.config.registry;
    // The periods with a national figure.
    let mut periods: Vec<&str> = inputs
        .now
        .iter()
        .filter(|c| c.indicator == "deld" && c.scope_kind == "period")
        .map(|c| c.scope.as_str())
        .collect();
    periods.sort_unstable();
    let line = |name: String, colour: Option<usize>, base: &Cell| {
        let points: Vec<(String, Option<i64>)> = periods
            .iter()
            .filter_map(|p| {
                let c = now.get("deld", &base.clone().in_period(p))?;
                Some((
                    (*p).to_string(),
                    (!c.hidden()).then(|| c.value.unwrap_or(0.0).round() as i64),
                ))
            })
            .collect();
        Series {
            name,
            colour,
            points,
        }
    };
    let series: Vec<Series> = match scope {
        Scope::National | Scope::Innovation(_) => registry
            .innovations
            .iter()
            .enumerate()
            .filter(|(_, i)| match scope {
                Scope::Innovation(code) => &i.code == code,
                _ => true,
            })
            .map(|(k, i)| {
                line(
                    i.name.clone(),
                    Some(k),
                    &Cell::of(Kind::Innovation, &i.code),
                )
            })
            .collect(),
        Scope::Departement(d) => vec![line(
            scope_label(inputs.config, scope),
            None,
            &Cell::of(Kind::Departement, d),
        )],
    };
    // A line whose every point is hidden is left out; no line at all, and
    // the digest says why in a sentence instead of an empty chart.
    let series: Vec<Series> = series
        .into_iter()
        .filter(|s| s.points.iter().any(|(_, v)| v.is_some()))
        .collect();
    let title = match scope {
        Scope::National => "Demandeurs d'emploi de longue durée par innovation et par période",
        Scope::Innovation(_) => "Demandeurs d'emploi de longue durée de l'innovation par période",
        Scope::Departement(_) => "Demandeurs d'emploi de longue durée du département par période",
    };
    (title.to_string(), series)
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
    now: Vec<Published>,
    before: Vec<Published>,
    files: Vec<FileSummary>,
    reasons: Vec<(String, i64)>,
    late_period: String,
    late: Vec<Late>,
    failures: Vec<String>,
    figures_run: Option<i64>,
}

fn gather(
    config: &Config,
    store: &crate::store::Store,
    today: chrono::NaiveDate,
) -> Result<Gathered, deliver::DeliverError> {
    let last = store.last_digest()?;
    let t = config.privacy.threshold;
    let latest = store.latest_publication(t)?;
    let figures_run = latest.as_ref().map(|p| p.run_id);
    let now = latest.map(|p| p.cells).unwrap_or_default();
    let before = match last.and_then(|(_, f, _)| f) {
        Some(r) => store.publication(r, t)?.cells,
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
        now,
        before,
        files: store.files_since(after)?,
        reasons: store.main_reasons(after, 5)?,
        late_period: q.to_string(),
        late,
        failures,
        figures_run,
    })
}

/// The digest of one scope, rendered.
pub struct Preview {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The chart, when there is one.
    pub png: Option<Vec<u8>>,
}

/// The digest of one scope, rendered.
///
/// # Errors
/// Template or chart errors.
pub fn preview(
    config: &Config,
    store: &crate::store::Store,
    scope: &Scope,
) -> Result<Preview, deliver::DeliverError> {
    let today = chrono::Local::now().date_naive();
    let g = gather(config, store, today)?;
    let d = compose(&inputs(config, &g, today), scope);
    let (html, text) = render::digest(&d)?;
    let png = render::chart(&d)?;
    Ok(Preview {
        subject: subject(&d),
        html,
        text,
        png,
    })
}

fn inputs<'a>(config: &'a Config, g: &'a Gathered, today: chrono::NaiveDate) -> Inputs<'a> {
    Inputs {
        config,
        now: &g.now,
        before: &g.before,
        files: &g.files,
        reasons: &g.reasons,
        late_period: g.late_period.clone(),
        late: &g.late,
        failures: &g.failures,
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

/// What a feedback message is about.
pub struct Feedback<'a> {
    pub report: &'a crate::validate::FileReport,
    /// The annotated copy of the file, when there is one.
    pub annotated: Option<&'a [u8]>,
    /// After a re-import changed the file's verdict: the verdict before,
    /// and the run that changed it.
    pub changed: Option<(Verdict, i64)>,
}

/// Writes the feedback about one processed file to its structure's
/// contact as an .eml file, and returns the message to record with the
/// file's load (the same transaction): queued, or, when it could not be
/// built (a folder it cannot write, say), recorded `failed` with the reason
/// and rebuilt later from the archived original. `None` when the structure
/// is unknown or has no contact.
pub fn prepare_feedback(
    config: &Config,
    database_id: &str,
    feedback: &Feedback<'_>,
) -> Option<crate::store::NewMessage> {
    let report = feedback.report;
    let structure = report
        .structure
        .as_deref()
        .and_then(|c| config.registry.structure(c))?;
    if structure.contact.is_empty() {
        return None;
    }
    let subject = match feedback.changed {
        Some(_) => format!(
            "AIS#Emploi : votre fichier {} : nouveau verdict, {}",
            crate::text::printable(&report.name, 120),
            report.verdict.label()
        ),
        None => format!(
            "AIS#Emploi : votre fichier {} : {}",
            crate::text::printable(&report.name, 120),
            report.verdict.label()
        ),
    };
    let revision = feedback.changed.map(|(_, run)| run);
    match build_feedback(config, database_id, feedback, &structure.contact, &subject) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!(file = %crate::text::printable(&report.name, 120), error = %e, "feedback could not be built: recorded as failed, rebuilt by the next run");
            Some(crate::store::NewMessage {
                id: deliver::feedback_id(database_id, &structure.contact, &report.sha256, revision),
                kind: "feedback",
                recipient: structure.contact.clone(),
                subject,
                eml_path: String::new(),
                about: Some(report.sha256.clone()),
                failed: Some(e.to_string()),
            })
        }
    }
}

fn build_feedback(
    config: &Config,
    database_id: &str,
    feedback: &Feedback<'_>,
    to: &str,
    subject: &str,
) -> Result<crate::store::NewMessage, deliver::DeliverError> {
    let report = feedback.report;
    let structure_code = report.structure.clone().unwrap_or_default();
    let total = report.rejection_count();
    let max = usize::try_from(config.limits.max_attachment_kib * 1024).unwrap_or(usize::MAX);
    let annotated = feedback.annotated.filter(|a| a.len() <= max).map(|a| {
        (
            format!("{}.annote.xlsx", crate::text::safe_file_stem(&report.name)),
            deliver::XLSX_MIME,
            a.to_vec(),
        )
    });
    let ctx = serde_json::json!({
        "name": crate::text::printable(&report.name, 200),
        "structure": structure_code,
        "period": report.period.map(|p| p.to_string()),
        "verdict": report.verdict.label(),
        "refused": report.verdict == Verdict::FileRejected,
        "problems": report.reason.as_deref().map(|r| r.lines().collect::<Vec<_>>()).unwrap_or_default(),
        "previous": feedback.changed.map(|(v, _)| v.label()),
        "annotated": annotated.is_some(),
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
    let mut attachments = Vec::new();
    attachments.extend(annotated);
    if !(report.rejections.is_empty() && report.reason.is_none()) {
        let bytes = crate::report::rejections_csv(report, max)
            .map_err(|e| deliver::DeliverError::Build(e.to_string()))?;
        attachments.push((
            format!("{}.rejets.csv", crate::text::safe_file_stem(&report.name)),
            "text/csv; charset=utf-8",
            bytes,
        ));
    }
    let m = deliver::feedback_message(
        config,
        database_id,
        to,
        &report.sha256,
        feedback.changed.map(|(_, run)| run),
        subject,
        html,
        text,
        attachments,
    )?;
    let path = deliver::write_eml(config, &m)?;
    Ok(crate::store::NewMessage {
        id: m.id,
        kind: m.kind,
        recipient: m.to,
        subject: m.subject,
        eml_path: path.to_string_lossy().into_owned(),
        about: Some(report.sha256.clone()),
        failed: None,
    })
}
