//! The study's figures, drawn with `plotters` from a [`StudyAnalysis`] (nothing is computed
//! here): a forest plot of Δ vs the baseline with 95% CIs, the per-seed accuracies of every arm,
//! and learning curves with min–max bands over seeds. Each figure is written as PNG (pixels from
//! plotters' bitmap backend, encoded by the saliency crate's PNG writer) and SVG.
//!
//! Text uses DejaVu Sans, the font the saliency crate embeds ([`atrous_saliency::text`]), so
//! figures look the same on every machine and need no system font library.

use crate::analysis::{ArmRow, EQUIVALENCE_MARGIN, StudyAnalysis};
use crate::{Result, StudyError};
use atrous_saliency::picture::RgbImage;
pub(crate) use atrous_saliency::text::{FONT, register_font as font};
use atrous_saliency::writer::write_png;
use atrous_tensor::files::write_atomic;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The figures every report embeds: (PNG file name, caption).
pub const FIGURES: [(&str, &str); 3] = [
    (
        "forest.png",
        "Δ test accuracy vs the baseline with 95% CIs (Welch t: dark; bootstrap: light); the band is the ±0.2 pp equivalence margin",
    ),
    (
        "seeds.png",
        "Accuracy of every run: test (filled) and validation (open), one dot per seed; bars are the arm means",
    ),
    (
        "curves.png",
        "Learning curves: per-epoch validation accuracy and training loss, mean over seeds with the min–max band",
    ),
];

const WIDTH: u32 = 1000;

fn fail(path: &Path, e: impl std::fmt::Display) -> StudyError {
    StudyError::Figure { path: path.to_path_buf(), message: e.to_string() }
}

type Draw<'a> = dyn Fn(&DrawingArea<BitMapBackend<'_>, Shift>) -> std::result::Result<(), String> + 'a;
type DrawSvg<'a> = dyn Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String> + 'a;

/// Draws one figure as `NAME.png` and `NAME.svg` in `dir`.
pub(crate) fn write_both(
    dir: &Path,
    png_name: &str,
    size: (u32, u32),
    png: &Draw<'_>,
    svg: &DrawSvg<'_>,
) -> Result<()> {
    let path = dir.join(png_name);
    let mut buf = vec![255u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&path, e))?;
        png(&root).map_err(|e| fail(&path, e))?;
        root.present().map_err(|e| fail(&path, e))?;
    }
    let image = RgbImage { width: size.0 as usize, height: size.1 as usize, data: buf };
    write_png(&path, &image)?;
    let svg_path = path.with_extension("svg");
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&svg_path, e))?;
        svg(&root).map_err(|e| fail(&svg_path, e))?;
        root.present().map_err(|e| fail(&svg_path, e))?;
    }
    Ok(write_atomic(&svg_path, text.as_bytes())?)
}

/// Writes every figure of [`FIGURES`] (and its SVG twin) into `dir`.
pub fn write_figures(dir: &Path, a: &StudyAnalysis) -> Result<()> {
    font();
    let compared: Vec<&ArmRow> = a.rows.iter().filter(|r| r.comparison.is_some()).collect();
    let forest_h = 120 + 40 * compared.len().max(1) as u32;
    write_both(dir, FIGURES[0].0, (WIDTH, forest_h), &|r| forest(r, a), &|r| forest(r, a))?;
    write_both(dir, FIGURES[1].0, (WIDTH, 520), &|r| seeds(r, a), &|r| seeds(r, a))?;
    write_both(dir, FIGURES[2].0, (WIDTH, 460), &|r| curves(r, a), &|r| curves(r, a))
}

pub(crate) fn colour(i: usize) -> RGBColor {
    const C: [RGBColor; 12] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
        RGBColor(0, 0, 0),
        RGBColor(102, 0, 153),
    ];
    C[i % C.len()]
}

pub(crate) fn range_with(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let span = (hi - lo).max(1e-6);
    (lo - pad * span, hi + pad * span)
}

fn forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: &StudyAnalysis,
) -> std::result::Result<(), String> {
    let rows: Vec<&ArmRow> = a.rows.iter().filter(|r| r.comparison.is_some()).collect();
    let m = 100.0 * EQUIVALENCE_MARGIN;
    let ends = rows.iter().flat_map(|r| {
        let c = r.comparison.as_ref().expect("filtered");
        let w = c.welch.map(|w| [w.ci.lo, w.ci.hi]).unwrap_or([c.diff, c.diff]);
        let b = c.bootstrap.map(|b| [b.lo, b.hi]).unwrap_or([c.diff, c.diff]);
        [w[0], w[1], b[0], b[1]].map(|v| 100.0 * v)
    });
    let (lo, hi) = range_with(ends.chain([-m, m, 0.0]), 0.08);
    let n = rows.len().max(1);
    let labels: Vec<String> = rows
        .iter()
        .map(|r| {
            format!("{} vs {}", r.arm.label, r.comparison.as_ref().map_or("", |c| c.baseline_label.as_str()))
        })
        .collect();
    let mut chart = ChartBuilder::on(root)
        .caption("Δ test accuracy vs baseline (pp), 95% CIs", (FONT, 22))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(330)
        .build_cartesian_2d(lo..hi, -0.5..(n as f64 - 0.5))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(n - 1 - i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc("Δ (pp)")
        .label_style((FONT, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series([Rectangle::new(
            [(-m, -0.5), (m, n as f64 - 0.5)],
            RGBColor(200, 230, 200).mix(0.5).filled(),
        )])
        .map_err(|e| e.to_string())?;
    chart
        .draw_series([PathElement::new(vec![(0.0, -0.5), (0.0, n as f64 - 0.5)], BLACK.stroke_width(1))])
        .map_err(|e| e.to_string())?;
    for (k, r) in rows.iter().enumerate() {
        let y = (n - 1 - k) as f64;
        let c = r.comparison.as_ref().expect("filtered");
        let col = if r.arm.family == crate::plan::Family::Main { colour(0) } else { colour(1) };
        if let Some(b) = c.bootstrap {
            chart
                .draw_series([PathElement::new(
                    vec![(100.0 * b.lo, y - 0.18), (100.0 * b.hi, y - 0.18)],
                    col.mix(0.45).stroke_width(3),
                )])
                .map_err(|e| e.to_string())?;
        }
        if let Some(w) = c.welch {
            chart
                .draw_series([PathElement::new(
                    vec![(100.0 * w.ci.lo, y), (100.0 * w.ci.hi, y)],
                    col.stroke_width(3),
                )])
                .map_err(|e| e.to_string())?;
        }
        chart.draw_series([Circle::new((100.0 * c.diff, y), 5, col.filled())]).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn seeds<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: &StudyAnalysis,
) -> std::result::Result<(), String> {
    let n = a.rows.len().max(1);
    let values =
        a.runs.iter().flat_map(|r| [Some(r.test_accuracy), r.val_accuracy]).flatten().map(|v| 100.0 * v);
    let (lo, hi) = range_with(values, 0.08);
    let names: Vec<String> = a.rows.iter().map(|r| r.arm.name.clone()).collect();
    let mut chart = ChartBuilder::on(root)
        .caption("Accuracy per run: test (filled), validation (open)", (FONT, 22))
        .margin(15)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), lo..hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc("accuracy (%)")
        .label_style((FONT, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, row) in a.rows.iter().enumerate() {
        let col = colour(i);
        let runs: Vec<_> = a.runs.iter().filter(|r| r.arm == row.arm.name).collect();
        let k = runs.len().max(1) as f64;
        for (j, r) in runs.iter().enumerate() {
            let x = i as f64 - 0.3 + 0.6 * (j as f64 + 0.5) / k;
            chart
                .draw_series([Circle::new((x, 100.0 * r.test_accuracy), 4, col.filled())])
                .map_err(|e| e.to_string())?;
            if let Some(v) = r.val_accuracy {
                chart
                    .draw_series([Circle::new((x, 100.0 * v), 4, col.stroke_width(1))])
                    .map_err(|e| e.to_string())?;
            }
        }
        if row.n > 0 {
            let m = 100.0 * row.test_mean;
            chart
                .draw_series([PathElement::new(
                    vec![(i as f64 - 0.35, m), (i as f64 + 0.35, m)],
                    col.stroke_width(2),
                )])
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: &StudyAnalysis,
) -> std::result::Result<(), String> {
    let panels = root.split_evenly((1, 2));
    let epochs = a.rows.iter().map(|r| r.curve.len()).max().unwrap_or(1).max(1) as f64;
    for (p, panel) in panels.iter().enumerate() {
        let pick =
            |c: &crate::analysis::CurvePoint| if p == 0 { c.val.map(|v| 100.0 * v) } else { c.train_loss };
        let all = a.rows.iter().flat_map(|r| r.curve.iter().flat_map(&pick));
        let (lo, hi) = range_with(all, 0.05);
        let title = if p == 0 { "Validation accuracy (%) per epoch" } else { "Training loss per epoch" };
        let mut chart = ChartBuilder::on(panel)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.8..(epochs + 0.2), lo..hi)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_labels(epochs as usize + 1)
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 { format!("{}", x.round()) } else { String::new() }
            })
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, row) in a.rows.iter().enumerate() {
            if row.curve.is_empty() {
                continue;
            }
            let col = colour(i);
            let upper: Vec<(f64, f64)> = row.curve.iter().map(|c| (c.epoch as f64, pick(c)[2])).collect();
            let lower: Vec<(f64, f64)> =
                row.curve.iter().rev().map(|c| (c.epoch as f64, pick(c)[1])).collect();
            let band: Vec<(f64, f64)> = upper.into_iter().chain(lower).collect();
            chart.draw_series([Polygon::new(band, col.mix(0.15).filled())]).map_err(|e| e.to_string())?;
            let mean: Vec<(f64, f64)> = row.curve.iter().map(|c| (c.epoch as f64, pick(c)[0])).collect();
            let series = chart
                .draw_series(LineSeries::new(mean.clone(), col.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            if p == 0 {
                series
                    .label(row.arm.name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2)));
            }
            chart
                .draw_series(mean.iter().map(|&pt| Circle::new(pt, 3, col.filled())))
                .map_err(|e| e.to_string())?;
        }
        if p == 0 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font((FONT, 12))
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
