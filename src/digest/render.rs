//! Rendering: HTML (inline styles, readable with images blocked) and plain
//! text from the same data through minijinja templates, and the chart of
//! DELD per innovation over the periods as a PNG drawn with plotters.

use std::sync::Once;

use minijinja::Environment;
use plotters::prelude::*;

use super::Digest;

const FONT: &[u8] = include_bytes!("DejaVuSans.ttf");
static FONT_ONCE: Once = Once::new();

fn env() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    for (name, src) in [
        ("digest.html", include_str!("templates/digest.html")),
        ("digest.txt", include_str!("templates/digest.txt")),
        ("feedback.html", include_str!("templates/feedback.html")),
        ("feedback.txt", include_str!("templates/feedback.txt")),
    ] {
        // The templates are part of the binary: a syntax error is a bug,
        // reported as the render's error (and caught by the tests).
        env.add_template(name, src)?;
    }
    Ok(env)
}

/// The templates, compiled once per process (a run renders a feedback per
/// file).
static ENV: std::sync::OnceLock<Result<Environment<'static>, minijinja::Error>> =
    std::sync::OnceLock::new();

/// Renders a template with a serializable context.
///
/// # Errors
/// Template errors.
pub fn template(name: &str, ctx: &impl serde::Serialize) -> Result<String, minijinja::Error> {
    match ENV.get_or_init(env) {
        Ok(env) => env.get_template(name)?.render(ctx),
        Err(e) => Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            e.to_string(),
        )),
    }
}

/// The digest as (HTML, text).
///
/// # Errors
/// Template errors.
pub fn digest(d: &Digest) -> Result<(String, String), minijinja::Error> {
    Ok((template("digest.html", d)?, template("digest.txt", d)?))
}

/// Why the chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

/// The colour of an innovation's line, fixed by its rank in the registry
/// (a colour-blind-safe palette, Okabe & Ito, then Tableau's); a
/// département's own line is dark blue.
fn colour(rank: Option<usize>) -> RGBColor {
    const PALETTE: [(u8, u8, u8); 12] = [
        (0, 114, 178),
        (230, 159, 0),
        (0, 158, 115),
        (204, 121, 167),
        (86, 180, 233),
        (213, 94, 0),
        (120, 94, 240),
        (90, 90, 90),
        (140, 86, 75),
        (188, 189, 34),
        (23, 190, 207),
        (214, 39, 40),
    ];
    match rank {
        Some(k) => {
            let (r, g, b) = PALETTE[k % PALETTE.len()];
            RGBColor(r, g, b)
        }
        None => RGBColor(29, 78, 137),
    }
}

/// The PNG chart of the digest's lines over the periods (hidden small
/// counts are gaps in the lines), or `None` when there is nothing to draw
/// (the digest then says so in a sentence).
///
/// # Errors
/// [`ChartError`] when drawing fails.
pub fn chart(d: &Digest) -> Result<Option<Vec<u8>>, ChartError> {
    if d.series
        .iter()
        .all(|s| s.points.iter().all(|(_, v)| v.is_none()))
    {
        return Ok(None);
    }
    FONT_ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            tracing::warn!("the embedded chart font could not be loaded");
        }
    });
    let err = |e: &dyn std::fmt::Display| ChartError(e.to_string());
    let mut periods: Vec<String> = d
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|(p, _)| p.clone()))
        .collect();
    periods.sort();
    periods.dedup();
    let max = d
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|(_, v)| *v))
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h) = (780u32, 360u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        // The legend gets its own column so that it never hides a line.
        let (plot, legend) = root.split_horizontally(520);
        let n = periods.len().max(1);
        let mut chart = ChartBuilder::on(&plot)
            .caption("Demandeurs d'emploi de longue durée", ("sans-serif", 18))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(0..n.saturating_sub(1).max(1), 0..(max + max / 10 + 1))
            .map_err(|e| err(&e))?;
        let labels = periods.clone();
        chart
            .configure_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .y_desc("personnes")
            .x_labels(n.min(12))
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| err(&e))?;
        legend
            .draw(&Text::new("Légende", (8, 22), ("sans-serif", 14)))
            .map_err(|e| err(&e))?;
        for (k, line) in d.series.iter().enumerate() {
            let color = colour(line.colour);
            let name = crate::text::printable(&line.name, 32);
            // A hidden or missing period breaks the line: segments join
            // only points of consecutive periods.
            let pts: Vec<(usize, i64)> = line
                .points
                .iter()
                .filter_map(|(p, v)| Some((periods.iter().position(|x| x == p)?, (*v)?)))
                .collect();
            for run in pts.chunk_by(|a, b| b.0 == a.0 + 1) {
                chart
                    .draw_series(LineSeries::new(run.to_vec(), color.stroke_width(2)))
                    .map_err(|e| err(&e))?;
            }
            chart
                .draw_series(
                    pts.iter()
                        .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
                )
                .map_err(|e| err(&e))?;
            let y = 50 + 24 * k as i32;
            legend
                .draw(&PathElement::new(
                    vec![(8, y), (30, y)],
                    color.stroke_width(4),
                ))
                .map_err(|e| err(&e))?;
            legend
                .draw(&Text::new(name, (38, y - 8), ("sans-serif", 14)))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| err(&e))?;
        writer.write_image_data(&buf).map_err(|e| err(&e))?;
    }
    Ok(Some(png))
}
