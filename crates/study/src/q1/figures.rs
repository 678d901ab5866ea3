//! The figures of `Q1.md`, drawn from a [`Q1Analysis`] and the search records (layout only):
//! the ground-truth heat map (mean validation accuracy of conv2 × conv3 dilations, one panel per
//! conv1 dilation, ε-optimal cells outlined, a labelled colour bar) and the trajectories (learned
//! d, or a mixture's weight-averaged d, against the step: one line per seed, one panel per method
//! and layer), and the start figure (the same trajectories of continuous searches that differ
//! only in their start, overlaid and coloured by start). Written as PNG and SVG with the
//! study's plotting helpers.

use super::analysis::Q1Analysis;
use super::records::SeedRecord;
use crate::Result;
use crate::figures::{FONT, colour, font, range_with, write_both};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Figures of `Q1.md`: (file in `figures/`, caption).
pub const FIGURES: [(&str, &str); 3] = [
    (
        "q1_grid.png",
        "Ground truth: mean validation accuracy (%) of each trained configuration, conv3 dilation across, conv2 down, one panel per conv1 dilation; black outline: ε-optimal set; grey: not trained",
    ),
    (
        "q1_trajectories.png",
        "Trajectories: learned d (continuous) or the weight-averaged d Σ w·d (mixture) per layer against the step, one line per seed",
    ),
    (
        "q1_starts.png",
        "Where the continuous search starts: learned d per layer against the step, one line per seed, coloured by the start; one row per family of searches that differ only in their start",
    ),
];

type Res = std::result::Result<(), String>;

/// A perceptually ordered colour for `t` in [0, 1] (viridis, linearly between five of its
/// colours: dark purple for low accuracy, yellow for high).
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] =
        [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];
    let x = t.clamp(0.0, 1.0) * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The dilations the grid's configurations use, sorted.
fn values(a: &Q1Analysis) -> Vec<usize> {
    let mut v: Vec<usize> = a.truth.rows.iter().flat_map(|r| r.config).collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn heat_map<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Q1Analysis) -> Res {
    let ds = values(a);
    let means: Vec<f64> = a.truth.rows.iter().map(|r| 100.0 * r.mean).filter(|v| v.is_finite()).collect();
    let (lo, hi) = range_with(means.iter().copied(), 0.0);
    let t = |v: f64| (v - lo) / (hi - lo).max(1e-9);
    let (w, _) = root.dim_in_pixel();
    let (panels, bar) = root.split_horizontally(w.saturating_sub(110));
    let k = ds.len();
    let pos = |d: usize| ds.iter().position(|&x| x == d).unwrap_or(0) as f64;
    for (p, area) in panels.split_evenly((1, k.max(1))).iter().enumerate() {
        let Some(&d1) = ds.get(p) else { break };
        let mut chart = ChartBuilder::on(area)
            .caption(format!("conv1 d = {d1}"), (FONT, 16))
            .margin(10)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(-0.5..k as f64 - 0.5, -0.5..k as f64 - 0.5)
            .map_err(|e| e.to_string())?;
        let label = |v: &f64| ds.get(v.round().max(0.0) as usize).map_or_else(String::new, |d| d.to_string());
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(k)
            .y_labels(k)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| label(&(k as f64 - 1.0 - v)))
            .x_desc("conv3 d")
            .y_desc("conv2 d")
            .label_style((FONT, 12))
            .draw()
            .map_err(|e| e.to_string())?;
        for &d2 in &ds {
            for &d3 in &ds {
                let (x, y) = (pos(d3), k as f64 - 1.0 - pos(d2));
                let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
                let row = a.truth.row([d1, d2, d3]).filter(|r| r.mean.is_finite());
                let fill = row.map_or(RGBColor(215, 215, 215), |r| viridis(t(100.0 * r.mean)));
                chart.draw_series([Rectangle::new(corners, fill.filled())]).map_err(|e| e.to_string())?;
                if let Some(r) = row {
                    let text_colour = if t(100.0 * r.mean) > 0.6 { BLACK } else { WHITE };
                    let style = TextStyle::from((FONT, 13).into_font())
                        .color(&text_colour)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    chart
                        .draw_series([Text::new(format!("{:.2}", 100.0 * r.mean), (x, y), style)])
                        .map_err(|e| e.to_string())?;
                    if r.within_epsilon {
                        let inset = [(x - 0.46, y - 0.46), (x + 0.46, y + 0.46)];
                        chart
                            .draw_series([Rectangle::new(inset, BLACK.stroke_width(3))])
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
        }
    }
    colour_bar(&bar, lo, hi)
}

fn colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, lo: f64, hi: f64) -> Res {
    let mut chart = ChartBuilder::on(area)
        .caption("val. acc. (%)", (FONT, 12))
        .margin_top(40)
        .margin_bottom(42)
        .margin_right(8)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..1.0, lo..hi.max(lo + 1e-6))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .label_style((FONT, 11))
        .draw()
        .map_err(|e| e.to_string())?;
    let steps = 100;
    let span = hi.max(lo + 1e-6) - lo;
    chart
        .draw_series((0..steps).map(|i| {
            let (a, b) = (lo + span * i as f64 / steps as f64, lo + span * (i + 1) as f64 / steps as f64);
            Rectangle::new([(0.0, a), (1.0, b)], viridis(i as f64 / (steps - 1) as f64).filled())
        }))
        .map_err(|e| e.to_string())?;
    Ok(())
}

type StepChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A panel of a value against the training step, with its axes drawn.
fn step_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    max_step: usize,
    (lo, hi): (f64, f64),
    y_desc: &str,
) -> std::result::Result<StepChart<'a, DB>, String> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 15))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..max_step as f64, lo..hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("step")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc(y_desc)
        .label_style((FONT, 11))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// The series' labels in a box.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut StepChart<'a, DB>) -> Res {
    chart
        .configure_series_labels()
        .label_font((FONT, 10))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

fn trajectories<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, records: &[SeedRecord]) -> Res {
    let mut methods: Vec<&str> = records.iter().map(|r| r.method.as_str()).collect();
    methods.dedup();
    if methods.is_empty() {
        return Ok(());
    }
    let areas = root.split_evenly((methods.len(), 3));
    for (m, method) in methods.iter().enumerate() {
        let mine: Vec<&SeedRecord> = records.iter().filter(|r| r.method == *method).collect();
        let paths: Vec<(u64, super::records::DilationPath)> =
            mine.iter().map(|r| (r.seed, r.learned.dilation_path())).collect();
        let max_step = paths.iter().flat_map(|(_, p)| p.iter().map(|x| x.0)).max().unwrap_or(1).max(1);
        let (lo, hi) = range_with(paths.iter().flat_map(|(_, p)| p.iter().flat_map(|x| x.1)), 0.1);
        let is_continuous =
            mine.iter().any(|r| matches!(r.learned, super::records::Learned::Continuous { .. }));
        for layer in 0..3 {
            let caption = format!("{method}: conv{}", layer + 1);
            let y_desc = if is_continuous { "d" } else { "Σ w·d" };
            let mut chart = step_chart(&areas[3 * m + layer], &caption, max_step, (lo, hi), y_desc)?;
            for (seed, path) in &paths {
                let line: Vec<(f64, f64)> = path.iter().map(|(s, d)| (*s as f64, d[layer])).collect();
                chart
                    .draw_series([PathElement::new(line, colour(*seed as usize).stroke_width(2))])
                    .map_err(|e| e.to_string())?
                    .label(format!("seed {seed}"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 14, y)], colour(*seed as usize).stroke_width(2))
                    });
            }
            if layer == 2 && paths.len() <= 12 {
                legend(&mut chart)?;
            }
        }
    }
    Ok(())
}

/// Per family with at least two starts (as [`super::start::start_sensitivity`] finds them), per
/// layer: every seed's learned d against the step, coloured by its start.
fn starts<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    families: &[String],
    records: &[SeedRecord],
) -> Res {
    let areas = root.split_evenly((families.len(), 3));
    for (f, family) in families.iter().enumerate() {
        // (start, learned d along the steps) of every seed of the family.
        let paths: Vec<(f64, super::records::DilationPath)> = records
            .iter()
            .filter_map(|r| r.start.as_ref().filter(|s| &s.family == family).map(|s| (s.dilations[0], r)))
            .map(|(start, r)| (start, r.learned.dilation_path()))
            .collect();
        let mut start_values: Vec<f64> = paths.iter().map(|(start, _)| *start).collect();
        start_values.sort_by(f64::total_cmp);
        start_values.dedup();
        let max_step = paths.iter().flat_map(|(_, p)| p.iter().map(|x| x.0)).max().unwrap_or(1).max(1);
        for layer in 0..3 {
            let caption = format!("{family}: conv{}", layer + 1);
            let mut chart = step_chart(&areas[3 * f + layer], &caption, max_step, (0.9, 4.1), "d")?;
            for (i, start) in start_values.iter().enumerate() {
                let from = paths.iter().filter(|(s, _)| s == start);
                for (k, (_, path)) in from.enumerate() {
                    let line: Vec<(f64, f64)> = path.iter().map(|(s, d)| (*s as f64, d[layer])).collect();
                    let series = chart
                        .draw_series([PathElement::new(line, colour(i).stroke_width(2))])
                        .map_err(|e| e.to_string())?;
                    if k == 0 {
                        series.label(format!("from d = {start}")).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 14, y)], colour(i).stroke_width(2))
                        });
                    }
                }
            }
            if layer == 2 {
                legend(&mut chart)?;
            }
        }
    }
    Ok(())
}

/// Writes the figures of [`FIGURES`] (and their SVG twins) into `dir`; the trajectories only
/// when there are records, the start figure only when some family has two starts.
pub fn write(dir: &Path, a: &Q1Analysis, records: &[SeedRecord]) -> Result<()> {
    font();
    let k = values(a).len().max(1) as u32;
    let size = (110 + 300 * k, 340);
    write_both(dir, FIGURES[0].0, size, &|r| heat_map(r, a), &|r| heat_map(r, a))?;
    if !records.is_empty() {
        let mut methods: Vec<&str> = records.iter().map(|r| r.method.as_str()).collect();
        methods.dedup();
        let size = (1200, 300 * methods.len() as u32);
        write_both(dir, FIGURES[1].0, size, &|r| trajectories(r, records), &|r| trajectories(r, records))?;
    }
    let families: Vec<String> = a.starts.iter().map(|f| f.family.clone()).collect();
    if !families.is_empty() {
        let size = (1200, 300 * families.len() as u32);
        write_both(dir, FIGURES[2].0, size, &|r| starts(r, &families, records), &|r| {
            starts(r, &families, records)
        })?;
    }
    Ok(())
}
