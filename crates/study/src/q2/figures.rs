//! The figures of Q2, drawn from a [`Q2Analysis`] (nothing computed here but layout): map
//! metrics against d with 95% CIs and the baselines as bands, ERF radial profiles, mean axis
//! spectra, and pictures (mean ERFs, class models of three seeds per d, saliency sheets).
//! Charts use the study's plotting helpers and embedded font ([`crate::figures`]).

use super::Q2Plan;
use super::analysis::{METRICS, MetricRow, Q2Analysis};
use super::maps::spectrum_frequencies;
use super::run::{Inputs, cache_dir};
use crate::Result;
use crate::figures::{FONT, colour, font, range_with, write_both};
use atrous_saliency::picture::{RgbImage, class_model_grid, grey, grid, saliency_sheet};
use atrous_saliency::writer::write_png;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Figures of `Q2.md`: (file in `q2/`, caption).
pub const FIGURES: [(&str, &str); 7] = [
    (
        "metrics.png",
        "Map metrics against d: seed means with 95% CIs (dots: single seeds); grey bands: uniform (dashed), image (solid), Sobel (dotted) baselines; crosses: random networks of the same d",
    ),
    (
        "erf_profiles.png",
        "ERF radial profiles (share of the mass per pixel at each distance from the centroid), mean over seeds: after training (left) and at initialisation (right)",
    ),
    (
        "spectra.png",
        "Mean axis power spectrum of the maps (1 = flat) per d; grey: the images and their Sobel edges",
    ),
    (
        "erf_maps.png",
        "Mean ERF of conv3 per d (columns d = 1..4): after training (top), at initialisation (bottom), each scaled to its maximum",
    ),
    (
        "class_models_paper.png",
        "Class models after the paper's 200 steps: per d (blocks top to bottom), seeds 0, 1, 2; each block shows I* (red −, blue +) over I* + m",
    ),
    ("class_models_converged.png", "Class models at convergence or the cap, same layout"),
    ("saliency.png", "Saliency maps of seed 0 per d (blocks top to bottom) on the first 8 images of the set"),
];

type Res = std::result::Result<(), String>;
/// A named line of points in one colour.
type Series = (String, Vec<(f64, f64)>, RGBColor);

fn metric_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, a: &Q2Analysis, row: &MetricRow) -> Res {
    let m = &METRICS[row.metric];
    let vals = row.cells.iter().flat_map(|c| c.values.iter().copied().chain([c.random])).chain(row.fixed);
    let (lo, hi) = range_with(vals, 0.1);
    let x_hi = *a.dilations.iter().max().unwrap_or(&1) as f64 + 0.5;
    let mut chart = ChartBuilder::on(area)
        .caption(m.name, (FONT, 16))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(50)
        .build_cartesian_2d(0.5..x_hi, lo..hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(a.dilations.len())
        .x_desc("d")
        .label_style((FONT, 12))
        .draw()
        .map_err(|e| e.to_string())?;
    let grey_c = RGBColor(150, 150, 150);
    for (k, v) in row.fixed.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        let style = grey_c.stroke_width(2);
        let pts: Vec<(f64, f64)> = (0..=20).map(|i| (0.5 + (x_hi - 0.5) * i as f64 / 20.0, *v)).collect();
        let line: Vec<(f64, f64)> = match k {
            0 => pts.chunks(2).filter_map(|c| c.first().copied()).collect(),
            _ => pts,
        };
        if k == 0 {
            for pair in line.chunks(2) {
                if pair.len() == 2 {
                    chart.draw_series([PathElement::new(pair.to_vec(), style)]).map_err(|e| e.to_string())?;
                }
            }
        } else if k == 2 {
            chart
                .draw_series(line.iter().map(|&p| Circle::new(p, 2, grey_c.filled())))
                .map_err(|e| e.to_string())?;
        } else {
            chart.draw_series([PathElement::new(line, style)]).map_err(|e| e.to_string())?;
        }
    }
    for c in &row.cells {
        let x = c.dilation as f64;
        chart
            .draw_series(c.values.iter().map(|&v| Circle::new((x - 0.15, v), 2, colour(0).mix(0.5).filled())))
            .map_err(|e| e.to_string())?;
        if let Some(s) = c.summary {
            chart
                .draw_series([PathElement::new(vec![(x, s.ci.lo), (x, s.ci.hi)], colour(0).stroke_width(3))])
                .map_err(|e| e.to_string())?;
            chart
                .draw_series([Circle::new((x, s.mean), 4, colour(0).filled())])
                .map_err(|e| e.to_string())?;
        }
        if c.random.is_finite() {
            chart
                .draw_series([Cross::new((x + 0.15, c.random), 5, colour(3).stroke_width(2))])
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn metrics<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Q2Analysis) -> Res {
    let shown: Vec<&MetricRow> = a.metrics.iter().take(8).collect();
    for (area, row) in root.split_evenly((2, 4)).iter().zip(shown) {
        metric_panel(area, a, row)?;
    }
    Ok(())
}

fn lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    series: &[Series],
) -> Res {
    let (x0, x1) = range_with(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)), 0.02);
    let (y0, y1) = range_with(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)), 0.05);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc(x_desc).label_style((FONT, 12)).draw().map_err(|e| e.to_string())?;
    for (name, pts, col) in series {
        let col = *col;
        chart
            .draw_series([PathElement::new(pts.clone(), col.stroke_width(2))])
            .map_err(|e| e.to_string())?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], col.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn erf_profiles<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Q2Analysis) -> Res {
    let halves = root.split_evenly((1, 2));
    for (k, title) in ["ERF after training", "ERF at initialisation"].iter().enumerate() {
        let series: Vec<Series> = a
            .erf
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    format!("d={}", e.dilation),
                    e.profile[k].iter().enumerate().take(20).map(|(r, &v)| (r as f64 + 0.5, v)).collect(),
                    colour(i),
                )
            })
            .collect();
        lines(&halves[k], title, "distance from centroid (px)", &series)?;
    }
    Ok(())
}

fn spectra<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Q2Analysis) -> Res {
    let freqs = spectrum_frequencies();
    let mean_of = |d: usize| -> Vec<f64> {
        let s: Vec<&Vec<f64>> =
            a.runs.iter().filter(|r| r.dilation == d).map(|r| &r.look.maps.spectrum).collect();
        (0..freqs.len()).map(|j| s.iter().map(|v| v[j]).sum::<f64>() / s.len().max(1) as f64).collect()
    };
    let mut series: Vec<Series> = a
        .dilations
        .iter()
        .enumerate()
        .map(|(i, &d)| (format!("d={d}"), freqs.iter().copied().zip(mean_of(d)).collect(), colour(i)))
        .collect();
    series.push((
        "image".into(),
        freqs.iter().copied().zip(a.baselines.image.maps.spectrum.iter().copied()).collect(),
        RGBColor(120, 120, 120),
    ));
    series.push((
        "Sobel".into(),
        freqs.iter().copied().zip(a.baselines.sobel.maps.spectrum.iter().copied()).collect(),
        RGBColor(190, 190, 190),
    ));
    lines(root, "Axis power spectrum of the saliency maps", "frequency (cycles per pixel)", &series)
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn max_of(v: &[f32]) -> f32 {
    v.iter().copied().fold(0.0, f32::max)
}

/// Writes every figure of [`FIGURES`] into `plan.docs/q2`.
pub fn write(plan: &Q2Plan, a: &Q2Analysis, inputs: &Inputs) -> Result<()> {
    font();
    let dir = plan.docs.join("q2");
    write_both(&dir, FIGURES[0].0, (1400, 620), &|r| metrics(r, a), &|r| metrics(r, a))?;
    write_both(&dir, FIGURES[1].0, (1200, 460), &|r| erf_profiles(r, a), &|r| erf_profiles(r, a))?;
    write_both(&dir, FIGURES[2].0, (1000, 460), &|r| spectra(r, a), &|r| spectra(r, a))?;
    let side = (inputs.mean.len() as f64).sqrt() as usize;
    let erf_rows: Vec<Vec<RgbImage>> = (0..2)
        .map(|k| {
            a.erf
                .iter()
                .map(|e| {
                    let m = to_f32(&e.map[k]);
                    grey(&m, side, 0.0, max_of(&m))
                })
                .collect()
        })
        .collect();
    write_png(&dir.join(FIGURES[3].0), &grid(&erf_rows, 4, 4))?;
    for (fig, converged) in [(FIGURES[4].0, false), (FIGURES[5].0, true)] {
        let mut blocks = Vec::new();
        for &d in &a.dilations {
            for r in a.runs.iter().filter(|r| r.dilation == d && r.seed < 3) {
                let Some(c) = r.class.as_ref().filter(|c| !converged || c.cap > a.paper_steps) else {
                    continue;
                };
                let imgs = if converged { &c.converged } else { &c.paper };
                blocks.push(vec![class_model_grid(&imgs.concat(), &inputs.mean, side, 1)]);
            }
        }
        if !blocks.is_empty() {
            write_png(&dir.join(fig), &grid(&blocks, 2, 6))?;
        }
    }
    let shown = 8.min(inputs.ids.len());
    let plane = side * side;
    let mut sheets = Vec::new();
    for &d in &a.dilations {
        let path = cache_dir(plan, d, 0).join("maps.f32");
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let maps: Vec<f32> = bytes
            .chunks_exact(4)
            .take(shown * plane)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        sheets.push(vec![saliency_sheet(&inputs.x.as_slice()[..shown * plane], &maps, side, shown, 1)]);
    }
    if !sheets.is_empty() {
        write_png(&dir.join(FIGURES[6].0), &grid(&sheets, 3, 6))?;
    }
    Ok(())
}
