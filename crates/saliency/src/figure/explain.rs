//! The figures of the three explanation commands, all in [`super::Figure`]'s layout: one column
//! per item (a test image, a class), one row per view, a colour bar per coloured row.
//!
//! | command | columns | rows |
//! | --- | --- | --- |
//! | `saliency` | test images: index, label, prediction (red when wrong), `S_c`, the map's maximum | input, map, map over input |
//! | `class-model` | classes: `S_c(I* + m)`, softmax p, `±r` | `I*` (red −, white 0, blue +), `I* + m` (grey) |
//! | `localize` | test images: index, label, prediction, box IoU, the map's maximum | input, map, graph cut with both boxes |
//!
//! Maps are coloured by [`MapScale`]: each on its own maximum by default, or all on one scale.

use super::{BarColours, ColourBar, Figure, Label, LegendEntry, MAX_COLUMNS, MapScale, Row, Swatch, number};
use crate::attribution::Method;
use crate::class_model::{ClassModelConfig, ClassModels};
use crate::localize::{Localization, LocalizeConfig, quantile};
use crate::outputs::Source;
use crate::picture::{
    DISPLAY_CLIP, INK_BOX, RgbImage, SEGMENT_BOX, display_range, diverging_within, draw_box, grey, heat_upto,
    max_of, overlay,
};
use crate::saliency::Target;

/// The model's dilations as a title says them: `d = 2` when every layer has the same,
/// `d = 1,2,3` per layer otherwise.
pub fn dilation_text(dilations: &[usize]) -> String {
    match dilations {
        [first, rest @ ..] if rest.iter().all(|d| d == first) => format!("d = {first}"),
        _ => format!("d = {}", dilations.iter().map(usize::to_string).collect::<Vec<_>>().join(",")),
    }
}

fn model_line(source: &Source<'_>) -> String {
    format!("model: {} (dilations {})", source.model.display(), dilation_list(source.dilations))
}

fn dilation_list(d: &[usize]) -> String {
    d.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
}

/// How the target is said in a subtitle.
fn target_text(target: Target) -> String {
    match target {
        Target::Predicted => "the predicted class".into(),
        Target::Label => "the true label".into(),
        Target::Class(c) => format!("class {c}"),
    }
}

/// The input row: grey, 0 black, 1 white.
fn input_row(images: &[&[f32]], side: usize, scale: usize) -> Row {
    Row {
        label: "input".into(),
        tiles: images.iter().map(|x| grey(x, side, 0.0, 1.0).upscale(scale)).collect(),
        bar: Some(ColourBar { colours: BarColours::Grey, ticks: vec![(0.0, "0".into()), (1.0, "1".into())] }),
    }
}

/// The heat map row of non-negative `maps` and the top of each one's scale.
fn map_row(
    label: String,
    maps: &[&[f32]],
    side: usize,
    scale: usize,
    map_scale: MapScale,
) -> (Row, Vec<f32>) {
    let own: Vec<f32> = maps.iter().map(|m| max_of(m)).collect();
    let all = own.iter().copied().fold(0.0f32, f32::max);
    let tops: Vec<f32> = own.iter().map(|&o| map_scale.top(o, all)).collect();
    let tiles = maps
        .iter()
        .zip(&tops)
        .map(|(m, &t)| heat_upto(m, side, colorous::INFERNO, t).upscale(scale))
        .collect();
    let top_text = match map_scale {
        MapScale::PerMap => "max".to_string(),
        MapScale::Shared => number(all),
        MapScale::Fixed(m) => format!("≥ {}", number(m)),
    };
    let half = match map_scale {
        MapScale::PerMap => "max/2".to_string(),
        _ => number(map_scale.top(0.0, all) / 2.0),
    };
    let bar = ColourBar {
        colours: BarColours::Gradient(colorous::INFERNO),
        ticks: vec![(0.0, "0".into()), (0.5, half), (1.0, top_text)],
    };
    (Row { label, tiles, bar: Some(bar) }, tops)
}

/// The note that says how maps are coloured.
fn map_scale_note(map_scale: MapScale, what: &str) -> String {
    match map_scale {
        MapScale::PerMap => format!(
            "Colours: each {what} on its own scale, 0 (black) to its own maximum (yellow), printed as \"max\" above it; --shared-scale puts all on one scale."
        ),
        MapScale::Shared => format!(
            "Colours: every {what} on one scale, 0 (black) to the largest value among them (yellow), so tiles compare."
        ),
        MapScale::Fixed(m) => format!(
            "Colours: every {what} on the fixed scale 0 to {} (yellow; larger values clipped), so figures of different models compare.",
            number(m)
        ),
    }
}

/// One test image of a figure: where it comes from and what the model made of it.
#[derive(Clone, Copy, Debug)]
pub struct ShownImage<'a> {
    /// Index in the test split.
    pub index: usize,
    /// `side²` pixels in `[0, 1]`.
    pub pixels: &'a [f32],
    /// The map drawn for it (non-negative: magnitudes of signed maps).
    pub map: &'a [f32],
    /// True label.
    pub label: usize,
    /// The model's prediction.
    pub prediction: usize,
    /// The class explained.
    pub target: usize,
    /// `S_c` of that class.
    pub score: f32,
}

fn image_header(img: &ShownImage<'_>) -> Vec<Label> {
    let pred = format!("pred {}", img.prediction);
    vec![
        Label::plain(format!("#{}", img.index)),
        Label::plain(format!("label {}", img.label)),
        if img.prediction == img.label { Label::plain(pred) } else { Label::warn(pred) },
    ]
}

/// What [`saliency_figure`] draws.
#[derive(Clone, Copy, Debug)]
pub struct SaliencyFigure<'a> {
    /// The images, in column order.
    pub images: &'a [ShownImage<'a>],
    /// Image side in pixels.
    pub side: usize,
    /// The attribution method.
    pub method: &'a Method,
    /// The target the maps explain.
    pub target: Target,
    /// The model.
    pub source: Source<'a>,
    /// How maps are coloured.
    pub map_scale: MapScale,
    /// Upscaling factor of the tiles.
    pub scale: usize,
}

/// The label of the map row of a method.
fn map_label(method: &Method) -> String {
    match method {
        Method::Vanilla => "|∂S_c/∂x|".into(),
        m if m.is_signed() => format!("|{}|", m.name()),
        m => m.name().into(),
    }
}

/// `atrous saliency`'s figure: rows input, map, map over input.
pub fn saliency_figure(f: &SaliencyFigure<'_>) -> Figure {
    let (side, scale) = (f.side, f.scale);
    let pixels: Vec<&[f32]> = f.images.iter().map(|i| i.pixels).collect();
    let maps: Vec<&[f32]> = f.images.iter().map(|i| i.map).collect();
    let (row, tops) = map_row(map_label(f.method), &maps, side, scale, f.map_scale);
    let overlay_row = Row {
        label: "overlay".into(),
        tiles: pixels
            .iter()
            .zip(&maps)
            .zip(&tops)
            .map(|((x, m), &t)| overlay(x, m, side, colorous::INFERNO, t).upscale(scale))
            .collect(),
        bar: None,
    };
    let columns = f
        .images
        .iter()
        .zip(&tops)
        .map(|(img, &top)| {
            let mut lines = image_header(img);
            lines.push(Label::plain(format!("S_{} {}", img.target, number(img.score))));
            if f.map_scale == MapScale::PerMap {
                lines.push(Label::plain(format!("max {}", number(top))));
            }
            lines
        })
        .collect();
    let mut notes = vec![
        format!("Map: {}.", f.method.meaning()),
        map_scale_note(f.map_scale, "map"),
        "Overlay: the map's colour over the grey input, with opacity √(value / top of its scale).".into(),
    ];
    if f.method.is_signed() {
        notes.push("The method's maps are signed: the picture shows |map|; maps.npy keeps the signs.".into());
    }
    Figure {
        title: format!("atrous saliency · {} · {}", f.method.name(), dilation_text(f.source.dilations)),
        subtitle: vec![
            model_line(&f.source),
            format!(
                "Columns: test image #, true label, prediction (red when wrong), S_c = logit of {} (class c).",
                target_text(f.target)
            ),
        ],
        columns,
        rows: vec![input_row(&pixels, side, scale), row, overlay_row],
        legend: vec![],
        notes,
        max_columns: MAX_COLUMNS,
    }
}

/// What [`class_model_figure`] draws.
#[derive(Clone, Copy, Debug)]
pub struct ClassModelFigure<'a> {
    /// The class models.
    pub models: &'a ClassModels,
    /// How they were computed.
    pub config: &'a ClassModelConfig,
    /// The model explained.
    pub source: Source<'a>,
    /// How `I*` is coloured.
    pub map_scale: MapScale,
    /// Upscaling factor of the tiles.
    pub scale: usize,
}

/// `atrous class-model`'s figure: rows `I*` (diverging) and `I* + m` (grey).
pub fn class_model_figure(f: &ClassModelFigure<'_>) -> Figure {
    let cm = f.models;
    let plane = cm.mean.len();
    let side = (plane as f64).sqrt().round() as usize;
    let mean = cm.mean.as_slice();
    let images: Vec<&[f32]> = cm.images.as_slice().chunks_exact(plane).collect();
    let seen: Vec<Vec<f32>> =
        images.iter().map(|i| i.iter().zip(mean).map(|(a, b)| a + b).collect()).collect();
    // I*: symmetric range ±r, r the 99th percentile of |I*| (of the tile, or of all tiles).
    let own_r: Vec<f32> = images.iter().map(|i| display_range(i)).collect();
    let all_r = display_range(cm.images.as_slice());
    let r: Vec<f32> = own_r.iter().map(|&o| f.map_scale.top(o, all_r)).collect();
    // I* + m: grey between the 1st and 99th percentiles, of the tile or of all tiles; a fixed
    // ±r of I* gives I* + m the range [−r, 1 + r] (m is in [0, 1]).
    let all_seen: Vec<f32> = seen.iter().flatten().copied().collect();
    let range = |v: &[f32]| (quantile(v, DISPLAY_CLIP), quantile(v, 1.0 - DISPLAY_CLIP));
    let grey_range: Vec<(f32, f32)> = seen
        .iter()
        .map(|s| match f.map_scale {
            MapScale::PerMap => range(s),
            MapScale::Shared => range(&all_seen),
            MapScale::Fixed(m) => (-m, 1.0 + m),
        })
        .collect();
    let top_row = Row {
        label: "I*".into(),
        tiles: images
            .iter()
            .zip(&r)
            .map(|(i, &r)| diverging_within(i, side, colorous::RED_BLUE, r).upscale(f.scale))
            .collect(),
        bar: Some(ColourBar {
            colours: BarColours::Gradient(colorous::RED_BLUE),
            ticks: match f.map_scale {
                MapScale::PerMap => vec![(0.0, "−r".into()), (0.5, "0".into()), (1.0, "+r".into())],
                _ => vec![(0.0, number(-r[0])), (0.5, "0".into()), (1.0, number(r[0]))],
            },
        }),
    };
    let bottom_row = Row {
        label: "I* + m".into(),
        tiles: seen
            .iter()
            .zip(&grey_range)
            .map(|(s, &(lo, hi))| grey(s, side, lo, hi).upscale(f.scale))
            .collect(),
        bar: Some(ColourBar {
            colours: BarColours::Grey,
            ticks: match f.map_scale {
                MapScale::PerMap => vec![(0.0, "p1".into()), (1.0, "p99".into())],
                _ => vec![(0.0, number(grey_range[0].0)), (1.0, number(grey_range[0].1))],
            },
        }),
    };
    let columns = (0..cm.classes.len())
        .map(|j| {
            let mut lines = vec![
                Label::plain(format!("class {}", cm.classes[j])),
                Label::plain(format!("S_c {}", number(cm.scores[j]))),
                Label::plain(format!("p {:.3}", cm.probabilities[j])),
            ];
            if cm.predicted[j] != cm.classes[j] {
                lines.push(Label::warn(format!("pred {}", cm.predicted[j])));
            }
            if f.map_scale == MapScale::PerMap {
                lines.push(Label::plain(format!("r {}", number(r[j]))));
            }
            lines
        })
        .collect();
    let c = f.config;
    let scale_note: [String; 2] = match f.map_scale {
        MapScale::PerMap => [
            "I*: red negative, white 0, blue positive, on ±r, r = the tile's 99th percentile of |I*| (printed above it; larger values clipped).".to_string(),
            "I* + m: grey from the tile's 1st (p1) to its 99th (p99) percentile. --shared-scale puts all tiles on one scale.".to_string(),
        ],
        MapScale::Shared => [
            "I*: red negative, white 0, blue positive, on ±r, r = the 99th percentile of |I*| over all tiles (larger values clipped).".to_string(),
            "I* + m: grey between the 1st and 99th percentiles over all tiles.".to_string(),
        ],
        MapScale::Fixed(m) => [
            format!("I*: red negative, white 0, blue positive, on the fixed scale ±{} (larger values clipped).", number(m)),
            format!("I* + m: grey on [−{0}, 1 + {0}], the range that scale allows (m is in [0, 1]).", number(m)),
        ],
    };
    Figure {
        title: format!(
            "atrous class-model · argmax_I S_c(I + m) − λ‖I‖² · {}",
            dilation_text(f.source.dilations)
        ),
        subtitle: vec![
            model_line(&f.source),
            format!(
                "λ {}, step η {}, {} steps of gradient ascent from I = 0; m = mean training image; S_c = logit of class c at I* + m, p = its softmax probability.",
                c.lambda, c.lr, c.steps
            ),
        ],
        columns,
        rows: vec![top_row, bottom_row],
        legend: vec![],
        notes: scale_note.to_vec(),
        max_columns: MAX_COLUMNS,
    }
}

/// What [`localization_figure`] draws.
#[derive(Clone, Copy, Debug)]
pub struct LocalizationFigure<'a> {
    /// The images (their map is the saliency of the predicted class) in column order.
    pub images: &'a [ShownImage<'a>],
    /// Their localisations.
    pub results: &'a [Localization],
    /// Image side in pixels.
    pub side: usize,
    /// The settings used.
    pub config: &'a LocalizeConfig,
    /// The model.
    pub source: Source<'a>,
    /// How maps are coloured.
    pub map_scale: MapScale,
    /// Upscaling factor of the tiles.
    pub scale: usize,
}

/// The foreground in white over the input dimmed to 35 %, with the segmentation's box and the
/// ink's box.
fn segmentation_tile(image: &[f32], loc: &Localization, side: usize, scale: usize) -> RgbImage {
    let seg: Vec<f32> = image.iter().zip(&loc.mask).map(|(&p, &m)| if m { 1.0 } else { 0.35 * p }).collect();
    let mut tile = grey(&seg, side, 0.0, 1.0).upscale(scale);
    for (b, colour) in [(loc.ink_box, INK_BOX), (loc.bbox, SEGMENT_BOX)] {
        if let Some(b) = b {
            draw_box(&mut tile, b.top * scale, b.left * scale, b.bottom * scale, b.right * scale, colour);
        }
    }
    tile
}

/// `atrous localize`'s figure: rows input, saliency map, graph cut with both boxes.
pub fn localization_figure(f: &LocalizationFigure<'_>) -> Figure {
    let (side, scale) = (f.side, f.scale);
    let pixels: Vec<&[f32]> = f.images.iter().map(|i| i.pixels).collect();
    let maps: Vec<&[f32]> = f.images.iter().map(|i| i.map).collect();
    let (map_row, tops) = map_row(map_label(&Method::Vanilla), &maps, side, scale, f.map_scale);
    let cut_row = Row {
        label: "graph cut".into(),
        tiles: pixels.iter().zip(f.results).map(|(x, l)| segmentation_tile(x, l, side, scale)).collect(),
        bar: None,
    };
    let columns = f
        .images
        .iter()
        .zip(f.results)
        .zip(&tops)
        .map(|((img, loc), &top)| {
            let mut lines = image_header(img);
            lines.push(Label::plain(format!("box IoU {:.2}", loc.box_iou)));
            if f.map_scale == MapScale::PerMap {
                lines.push(Label::plain(format!("max {}", number(top))));
            }
            lines
        })
        .collect();
    let c = f.config;
    let dim = (0.35f32 * 255.0).round() as u8;
    Figure {
        title: format!("atrous localize · saliency-seeded graph cut · {}", dilation_text(f.source.dilations)),
        subtitle: vec![
            model_line(&f.source),
            format!(
                "Seeds: pixels at or above the {} saliency quantile are foreground, at or below the {} quantile background; smoothness {}. Map: |∂S_c/∂x| of the predicted class.",
                c.fg_quantile, c.bg_quantile, c.smoothness
            ),
        ],
        columns,
        rows: vec![input_row(&pixels, side, scale), map_row, cut_row],
        legend: vec![
            LegendEntry {
                swatch: Swatch::Outline(SEGMENT_BOX),
                text: "box of the graph cut's largest 8-connected component (the localisation)".into(),
            },
            LegendEntry {
                swatch: Swatch::Outline(INK_BOX),
                text: format!(
                    "box of the digit's ink, pixels > {} (the ground truth; box IoU compares the two)",
                    c.ink_threshold
                ),
            },
            LegendEntry { swatch: Swatch::Fill([255; 3]), text: "foreground of the graph cut".into() },
            LegendEntry {
                swatch: Swatch::Fill([dim; 3]),
                text: "background: the input dimmed to 35 % (white ink shows as this grey)".into(),
            },
        ],
        notes: vec![map_scale_note(f.map_scale, "map")],
        max_columns: MAX_COLUMNS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dilations_are_named_once_when_every_layer_shares_them() {
        assert_eq!(dilation_text(&[2, 2, 2]), "d = 2");
        assert_eq!(dilation_text(&[1, 2, 3]), "d = 1,2,3");
    }

    fn shown<'a>(index: usize, pixels: &'a [f32], map: &'a [f32], prediction: usize) -> ShownImage<'a> {
        ShownImage { index, pixels, map, label: 3, prediction, target: prediction, score: 7.5 }
    }

    fn saliency(images: &[ShownImage<'_>], map_scale: MapScale) -> Figure {
        saliency_figure(&SaliencyFigure {
            images,
            side: 2,
            method: &Method::Vanilla,
            target: Target::Predicted,
            source: Source {
                model: std::path::Path::new("m.safetensors"),
                dilations: &[2, 2, 2],
                seconds: 0.0,
            },
            map_scale,
            scale: 1,
        })
    }

    #[test]
    fn saliency_columns_name_the_image_and_flag_a_wrong_prediction() {
        let (x, a, b) = ([0.0f32; 4], [0.0, 1.0, 2.0, 4.0], [0.0, 0.5, 1.0, 2.0]);
        let f = saliency(&[shown(12, &x, &a, 3), shown(13, &x, &b, 5)], MapScale::PerMap);
        assert_eq!(f.title, "atrous saliency · vanilla · d = 2");
        let texts: Vec<&str> = f.columns[1].iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["#13", "label 3", "pred 5", "S_5 7.50", "max 2.00"]);
        assert_eq!(f.columns[0][2].colour, super::super::INK);
        assert_eq!(f.columns[1][2].colour, super::super::WARN);
        // Each map on its own scale: both maxima take the top colour.
        let top = colorous::INFERNO.eval_continuous(1.0);
        for tile in &f.rows[1].tiles {
            assert_eq!(tile.pixel(1, 1), [top.r, top.g, top.b]);
        }
    }

    #[test]
    fn a_shared_scale_keeps_the_ratio_between_maps() {
        let (x, a, b) = ([0.0f32; 4], [0.0, 1.0, 2.0, 4.0], [0.0, 0.5, 1.0, 2.0]);
        let rgb = |t: f64| {
            let c = colorous::INFERNO.eval_continuous(t);
            [c.r, c.g, c.b]
        };
        let f = saliency(&[shown(0, &x, &a, 3), shown(1, &x, &b, 3)], MapScale::Shared);
        assert_eq!(f.rows[1].tiles[0].pixel(1, 1), rgb(1.0));
        assert_eq!(f.rows[1].tiles[1].pixel(1, 1), rgb(0.5));
        let ticks: Vec<&str> = f.rows[1].bar.as_ref().unwrap().ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(ticks, ["0", "2.00", "4.00"]);
        assert!(f.columns[0].iter().all(|l| !l.text.starts_with("max")));
        // A fixed scale clips what lies above it and says so on the bar.
        let f = saliency(&[shown(0, &x, &a, 3)], MapScale::Fixed(2.0));
        assert_eq!(f.rows[1].tiles[0].pixel(0, 1), rgb(0.5));
        assert_eq!(f.rows[1].tiles[0].pixel(1, 1), rgb(1.0));
        assert_eq!(f.rows[1].bar.as_ref().unwrap().ticks[2].1, "≥ 2.00");
    }
}
