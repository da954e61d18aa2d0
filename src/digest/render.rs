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

/// Renders a template with a serializable context.
///
/// # Errors
/// Template errors.
pub fn template(name: &str, ctx: &impl serde::Serialize) -> Result<String, minijinja::Error> {
    env()?.get_template(name)?.render(ctx)
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

/// The PNG chart of DELD per innovation over the periods (hidden small
/// counts are gaps in the lines).
///
/// # Errors
/// [`ChartError`] when drawing fails.
pub fn chart(d: &Digest) -> Result<Vec<u8>, ChartError> {
    FONT_ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            tracing::warn!("the embedded chart font could not be loaded");
        }
    });
    let err = |e: &dyn std::fmt::Display| ChartError(e.to_string());
    let mut periods: Vec<String> = d
        .series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|(p, _)| p.clone()))
        .collect();
    periods.sort();
    periods.dedup();
    let max = d
        .series
        .iter()
        .flat_map(|(_, s)| s.iter().filter_map(|(_, v)| *v))
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
            .caption(
                "Demandeurs d'emploi de longue durée par innovation",
                ("sans-serif", 18),
            )
            .margin(12)
            .margin_right(24)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(0..n.saturating_sub(1).max(1), 0..(max + max / 10 + 1))
            .map_err(|e| err(&e))?;
        let labels = periods.clone();
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| err(&e))?;
        for (k, (name, points)) in d.series.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let pts: Vec<(usize, i64)> = points
                .iter()
                .filter_map(|(p, v)| Some((periods.iter().position(|x| x == p)?, (*v)?)))
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(
                    pts.iter()
                        .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
                )
                .map_err(|e| err(&e))?;
            let y = 50 + 20 * k as i32;
            legend
                .draw(&PathElement::new(
                    vec![(8, y), (28, y)],
                    color.stroke_width(3),
                ))
                .map_err(|e| err(&e))?;
            legend
                .draw(&Text::new(name.clone(), (34, y - 7), ("sans-serif", 12)))
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
    Ok(png)
}
