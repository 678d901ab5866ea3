//! The evaluation's pictures: the grid of every method's maps for the same images
//! ([`method_grid`], built with [`crate::picture`]), and line plots drawn with `plotters`
//! (deletion/insertion curves, randomisation curves), encoded by [`crate::writer`].
//!
//! Colour scales, one per map type, each tile on its own map's scale: non-negative maps use
//! INFERNO from 0 (black) to the map's maximum (yellow); signed maps use RED_BLUE centred on 0
//! (white) with `±` the 99th percentile of `|value|` (red negative, blue positive, larger
//! values clipped); inputs are grey, 0 black, 1 white. Text is DejaVu Sans, the crate's embedded font
//! ([`crate::text`]), so figures look the same on every machine.

use super::randomisation::CASCADE;
use super::suite::Evaluation;
use crate::picture::{RgbImage, diverging, grey, grid, heat};
use crate::text::{FONT, register_font as font};
use crate::writer::write_png;
use crate::{Result, SaliencyError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

const SCALE: usize = 3;
const GAP: usize = 2;
const HEADER: usize = 36;

type Draw<'a> = dyn Fn(&DrawingArea<BitMapBackend<'_>, Shift>) -> std::result::Result<(), String> + 'a;

/// Draws into an RGB buffer of `size` that starts as `background`, then writes it as PNG.
fn draw_png(path: &Path, size: (u32, u32), background: Vec<u8>, draw: &Draw<'_>) -> Result<()> {
    font();
    let fail = |e: String| SaliencyError::Encode { path: path.to_path_buf(), message: e };
    let mut buf = background;
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    write_png(path, &RgbImage { width: size.0 as usize, height: size.1 as usize, data: buf })
}

/// The tile of one map on its type's colour scale (see the module documentation).
pub fn map_tile(map: &[f32], side: usize, signed: bool) -> RgbImage {
    if signed { diverging(map, side, colorous::RED_BLUE) } else { heat(map, side, colorous::INFERNO) }
}

/// Rows: images; columns: the input, then each method's map; a header names the columns.
pub fn method_grid(path: &Path, e: &Evaluation) -> Result<()> {
    let (side, plane) = (e.side, e.side * e.side);
    let shown = e.shown_images.len() / plane.max(1);
    let rows: Vec<Vec<RgbImage>> =
        (0..shown)
            .map(|i| {
                let mut row = vec![grey(&e.shown_images[i * plane..(i + 1) * plane], side, 0.0, 1.0)];
                row.extend(e.methods.iter().map(|m| {
                    map_tile(&m.shown_maps[i * plane..(i + 1) * plane], side, m.method.is_signed())
                }));
                row
            })
            .collect();
    let body = grid(&rows, SCALE, GAP);
    let (w, h) = (body.width.max(200), body.height + HEADER);
    let mut canvas = RgbImage::filled(w, h, [255; 3]);
    canvas.paste(&body, HEADER, 0);
    let mut names = vec!["input".to_string()];
    names.extend(e.methods.iter().map(|m| {
        let n = m
            .method
            .name()
            .replace("integrated-gradients", "int-grad")
            .replace("guided-backprop", "guided-bp");
        if m.method.is_signed() { format!("{n} ±") } else { n }
    }));
    let tile = side * SCALE + GAP;
    draw_png(path, (w as u32, h as u32), canvas.data, &|root| {
        for (c, name) in names.iter().enumerate() {
            let x = (GAP + c * tile) as i32;
            root.draw(&Text::new(name.clone(), (x, 12), (FONT, 13).into_font()))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

fn colour(i: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
        RGBColor(102, 0, 153),
    ];
    C[i % C.len()]
}

/// Mean deletion (left) and insertion (right) curves, one line per method, the baselines dashed.
pub fn curves_figure(path: &Path, e: &Evaluation) -> Result<()> {
    let white = vec![255u8; 1400 * 560 * 3];
    draw_png(path, (1400, 560), white, &|root| {
        for (p, panel) in root.split_evenly((1, 2)).iter().enumerate() {
            let title = if p == 0 {
                "Deletion: p(target) as top-ranked pixels → 0"
            } else {
                "Insertion: p(target) as top-ranked pixels restored into 0"
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(title, (FONT, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0.0..1.0, 0.0..1.02)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("fraction of pixels perturbed")
                .y_desc("softmax probability of the target class")
                .label_style((FONT, 13))
                .draw()
                .map_err(|e| e.to_string())?;
            let pick = |c: &super::suite::CurveResult| {
                if p == 0 { c.deletion_curve.clone() } else { c.insertion_curve.clone() }
            };
            let auc = |c: &super::suite::CurveResult| {
                let v = if p == 0 { &c.deletion_auc } else { &c.insertion_auc };
                v.iter().sum::<f64>() / v.len().max(1) as f64
            };
            for (i, m) in e.methods.iter().enumerate() {
                let pts: Vec<(f64, f64)> = e.x.iter().copied().zip(pick(&m.curves)).collect();
                let col = colour(i);
                chart
                    .draw_series(LineSeries::new(pts, col.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(format!("{} ({:.3})", m.method.name(), auc(&m.curves)))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2)));
            }
            for (j, (name, c)) in e.baselines.iter().enumerate() {
                let pts: Vec<(f64, f64)> = e.x.iter().copied().zip(pick(c)).collect();
                let col = if j == 0 { RGBColor(90, 90, 90) } else { BLACK };
                chart
                    .draw_series(DashedLineSeries::new(pts, 6, 4, col.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(format!("{name} ({:.3})", auc(c)))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(1)));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FONT, 12))
                .position(if p == 0 {
                    SeriesLabelPosition::UpperRight
                } else {
                    SeriesLabelPosition::LowerRight
                })
                .draw()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// Mean Spearman of `|map|` (left), of the maps as given (middle) and SSIM of `|map|` (right)
/// against the original model's maps, as layers are re-initialised from the top; the
/// label-randomised model is the last, unconnected point.
pub fn randomisation_figure(path: &Path, e: &Evaluation) -> Result<()> {
    let mut labels = vec!["none".to_string()];
    labels.extend(CASCADE.iter().map(|l| format!("+{}", l.name())));
    labels.push("labels".into());
    let white = vec![255u8; 1500 * 520 * 3];
    draw_png(path, (1500, 520), white, &|root| {
        let titles =
            ["Spearman of |map|", "Spearman of map (signed as given)", "SSIM of |map| (7×7 uniform)"];
        for (p, panel) in root.split_evenly((1, 3)).iter().enumerate() {
            let lo = if p == 2 { 0.0 } else { -0.2 };
            let mut chart = ChartBuilder::on(panel)
                .caption(titles[p], (FONT, 17))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(45)
                .build_cartesian_2d(-0.3..(labels.len() as f64 - 0.7), lo..1.02)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_labels(labels.len())
                .x_label_formatter(&|x| {
                    let i = x.round();
                    if (x - i).abs() < 1e-6 && i >= 0.0 {
                        labels.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .x_desc("layers re-initialised (cumulative, top down)")
                .label_style((FONT, 12))
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, m) in e.methods.iter().enumerate() {
                let value = |s: &super::randomisation::SimilaritySummary| match p {
                    0 => s.spearman_abs.mean,
                    1 => s.spearman.mean,
                    _ => s.ssim_abs.mean,
                };
                let pts: Vec<(f64, f64)> = m
                    .cascade
                    .iter()
                    .enumerate()
                    .map(|(k, s)| (k as f64, value(s)))
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                let col = colour(i);
                let series = chart
                    .draw_series(LineSeries::new(pts.clone(), col.stroke_width(2)))
                    .map_err(|e| e.to_string())?;
                if p == 0 {
                    series.label(m.method.name()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2))
                    });
                }
                chart
                    .draw_series(pts.iter().map(|&pt| Circle::new(pt, 3, col.filled())))
                    .map_err(|e| e.to_string())?;
                if let Some(l) = &m.label {
                    let v = value(l);
                    if v.is_finite() {
                        let pt = ((labels.len() - 1) as f64, v);
                        chart
                            .draw_series([TriangleMarker::new(pt, 6, col.filled())])
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
            if p == 0 {
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font((FONT, 12))
                    .position(SeriesLabelPosition::LowerLeft)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}
