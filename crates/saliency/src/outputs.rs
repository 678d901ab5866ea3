//! What each explanation writes: the file layouts of saliency maps, localisation and class
//! models, so that every caller (the `atrous` binary, a study, a library user) writes the same
//! files with the same fields. Every byte goes through [`crate::writer`].
//!
//! | explanation | files |
//! | --- | --- |
//! | saliency (any attribution method) | `maps.npy` `[N, H, W]`, `index.json` (with the method, its parameters and what a map holds), `saliency.png` (rows input / map / overlay; `\|map\|` for signed methods) |
//! | localisation | `localize.json`, `localize.png` (rows input / map / segmentation with both boxes) |
//! | class models | `class_models.npy` `[K, H, W]`, `mean.npy` `[H, W]`, `class_models.json`, `index.json`, `class_models.png` (rows `I*` / `I* + m`) |
//!
//! Every PNG is a labelled figure in [`crate::figure`]'s one layout: a title naming the command,
//! the method and the model's dilation; one column per image or class with its label,
//! prediction and score; a colour bar with numbers beside each coloured row; a legend and notes
//! on how colours are scaled ([`MapScale`]).
//!
//! The JSON names targets as `"predicted"`, `"label"` or a class number, and writes `f32`
//! values as their shortest decimal ([`crate::writer::json_f32`]): `0.05`, not `0.05000000074505806`.

use crate::attribution::{Attribution, Method};
use crate::class_model::{ClassModelConfig, ClassModels};
use crate::figure::MapScale;
use crate::figure::explain::{
    ClassModelFigure, LocalizationFigure, SaliencyFigure, ShownImage, class_model_figure,
    localization_figure, saliency_figure,
};
use crate::localize::{Localization, LocalizeConfig, LocalizeSummary};
use crate::saliency::Target;
use crate::writer::{IndexEntry, json_f32, json_f32s, write_index, write_json, write_npy, write_png};
use crate::{Result, SaliencyError};
use atrous_tensor::mnist::MnistSplit;
use serde_json::{Value, json};
use std::path::Path;

/// A target as the JSON names it: `"predicted"`, `"label"` or the class number.
pub fn json_target(target: Target) -> Value {
    match target {
        Target::Predicted => "predicted".into(),
        Target::Label => "label".into(),
        Target::Class(c) => c.into(),
    }
}

/// Where the explained model came from and how long the explanation took: the root fields
/// `model`, `dilations` and `seconds` of each JSON file.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// The model file.
    pub model: &'a Path,
    /// The model's per-layer dilations.
    pub dilations: &'a [usize],
    /// Wall time of the explanation, in seconds.
    pub seconds: f64,
}

impl Source<'_> {
    fn fields(&self, more: Value) -> serde_json::Map<String, Value> {
        let mut root = serde_json::Map::new();
        root.insert("model".into(), json!(self.model));
        root.insert("dilations".into(), json!(self.dilations));
        root.insert("seconds".into(), json!(self.seconds));
        if let Value::Object(more) = more {
            root.extend(more);
        }
        root
    }
}

/// `side` of square images of `plane` pixels.
fn side_of(plane: usize) -> usize {
    (plane as f64).sqrt().round() as usize
}

/// Saliency (attribution) maps of test images, ready to be written by [`write_saliency`].
#[derive(Clone, Copy, Debug)]
pub struct SaliencyOutputs<'a> {
    /// The test split the images come from.
    pub test: &'a MnistSplit,
    /// The images explained, in the order of the maps.
    pub indices: &'a [usize],
    /// Their maps.
    pub saliency: &'a Attribution,
    /// The method that made them.
    pub method: &'a Method,
    /// The target the maps explain.
    pub target: Target,
    /// The model and the time taken.
    pub source: Source<'a>,
    /// Images in the picture (the first ones; capped to the images explained; 0: no picture).
    pub show: usize,
    /// Upscaling factor of the picture.
    pub scale: usize,
    /// How the maps of the picture are coloured.
    pub map_scale: MapScale,
}

/// What [`write_saliency`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaliencyWritten {
    /// Maps in `maps.npy`.
    pub maps: usize,
    /// Images whose prediction equals their label.
    pub correct: usize,
    /// Images in `saliency.png` (0: no picture was written).
    pub shown: usize,
}

/// Writes `maps.npy`, `index.json` and (unless nothing is shown) `saliency.png` into `dir`.
pub fn write_saliency(dir: &Path, o: &SaliencyOutputs<'_>) -> Result<SaliencyWritten> {
    let s = o.saliency;
    let n = o.indices.len();
    let &[_, h, w] = s.maps.dims() else {
        return Err(SaliencyError::Shape {
            what: "saliency maps",
            expected: "[N, H, W]".into(),
            found: s.maps.shape().clone(),
        });
    };
    write_npy(&dir.join("maps.npy"), &[n, h, w], s.maps.as_slice())?;
    let labels = o.test.batch(o.indices).labels;
    let entries: Vec<IndexEntry> = (0..n)
        .map(|i| IndexEntry {
            slot: i,
            image: Some(o.indices[i]),
            label: Some(labels[i]),
            prediction: s.predictions[i],
            target: s.targets[i],
            score: s.scores[i],
        })
        .collect();
    let mut root = o.source.fields(json!({
        "split": "test",
        "maps": "maps.npy",
        "method": o.method.name(),
        "parameters": o.method.parameters(),
        "map": o.method.meaning(),
        "target": json_target(o.target),
    }));
    if let Some(gaps) = &s.completeness_gap {
        // |Σ map − (S_c(x) − S_c(baseline))| per slot of maps.npy, and its largest value.
        let max = gaps.iter().copied().fold(0.0f32, f32::max);
        root.insert("completeness_gap".into(), json_f32s(gaps));
        root.insert("completeness_gap_max".into(), json_f32(max));
    }
    write_index(&dir.join("index.json"), &entries, root)?;
    let shown = o.show.min(n);
    if shown > 0 {
        let x = o.test.batch(&o.indices[..shown]).x;
        let mut maps = s.maps.as_slice()[..shown * h * w].to_vec();
        if o.method.is_signed() {
            // The heat map reads magnitudes; the signs stay in maps.npy.
            maps.iter_mut().for_each(|m| *m = m.abs());
        }
        let plane = h * w;
        let images: Vec<ShownImage<'_>> = (0..shown)
            .map(|i| ShownImage {
                index: o.indices[i],
                pixels: &x.as_slice()[i * plane..(i + 1) * plane],
                map: &maps[i * plane..(i + 1) * plane],
                label: labels[i],
                prediction: s.predictions[i],
                target: s.targets[i],
                score: s.scores[i],
            })
            .collect();
        let figure = saliency_figure(&SaliencyFigure {
            images: &images,
            side: h,
            method: o.method,
            target: o.target,
            source: o.source,
            map_scale: o.map_scale,
            scale: o.scale,
        });
        write_png(&dir.join("saliency.png"), &figure.render().image)?;
    }
    let correct = s.predictions.iter().zip(&labels).filter(|(p, y)| p == y).count();
    Ok(SaliencyWritten { maps: n, correct, shown })
}

/// How the localisation of [`LocalizeOutputs`] was computed, as `localize.json` states it.
pub const LOCALIZE_METHOD: &str = "saliency-seeded graph cut (hard seeds: top/bottom saliency quantiles; grey-level histogram data term; contrast-sensitive 4-neighbour Potts term; Dinic min cut); box of the largest 8-connected component vs the ink's box; mask IoU of the whole foreground vs the ink";

/// Localisations of test images, ready to be written by [`write_localize`].
#[derive(Clone, Copy, Debug)]
pub struct LocalizeOutputs<'a> {
    /// The images, `side²` pixels each, in the order of `results`.
    pub images: &'a [f32],
    /// Their saliency maps (of the predicted class).
    pub maps: &'a [f32],
    /// Their true labels.
    pub labels: &'a [usize],
    /// The model's predictions.
    pub predictions: &'a [usize],
    /// The per-image localisations.
    pub results: &'a [Localization],
    /// Their means and baselines.
    pub summary: &'a LocalizeSummary,
    /// The settings used.
    pub config: &'a LocalizeConfig,
    /// Index of the first image in its split.
    pub first_image: usize,
    /// The model and the time taken.
    pub source: Source<'a>,
    /// Images in the picture, one column each (the first images; capped; 0: no picture).
    pub show: usize,
    /// Upscaling factor of the picture.
    pub scale: usize,
    /// How the maps of the picture are coloured.
    pub map_scale: MapScale,
}

/// Writes `localize.json` and (unless nothing is shown) `localize.png` into `dir`; returns the
/// images in the picture.
pub fn write_localize(dir: &Path, o: &LocalizeOutputs<'_>) -> Result<usize> {
    let (c, m) = (o.config, o.summary);
    let report = o.source.fields(json!({
        "images": m.images,
        "first_image": o.first_image,
        "accuracy": m.accuracy,
        "target": json_target(Target::Predicted),
        "fg_quantile": c.fg_quantile,
        "bg_quantile": c.bg_quantile,
        "smoothness": c.smoothness,
        "histogram_bins": c.bins,
        "ink_threshold": json_f32(c.ink_threshold),
        "mean_box_iou": m.mean_box_iou,
        "mean_mask_iou": m.mean_mask_iou,
        "whole_image_box_iou": m.whole_image_box_iou,
        "seed_only_box_iou": m.seed_only_box_iou,
        "method": LOCALIZE_METHOD,
    }));
    write_json(&dir.join("localize.json"), &Value::Object(report))?;
    let shown = o.show.min(o.results.len());
    if shown > 0 {
        let plane = o.images.len() / o.results.len();
        let images: Vec<ShownImage<'_>> = (0..shown)
            .map(|i| ShownImage {
                index: o.first_image + i,
                pixels: &o.images[i * plane..(i + 1) * plane],
                map: &o.maps[i * plane..(i + 1) * plane],
                label: o.labels[i],
                prediction: o.predictions[i],
                target: o.predictions[i],
                score: f32::NAN,
            })
            .collect();
        let figure = localization_figure(&LocalizationFigure {
            images: &images,
            results: &o.results[..shown],
            side: side_of(plane),
            config: o.config,
            source: o.source,
            map_scale: o.map_scale,
            scale: o.scale,
        });
        write_png(&dir.join("localize.png"), &figure.render().image)?;
    }
    Ok(shown)
}

/// How class models are computed, as `class_models.json` states it.
pub const CLASS_MODEL_RECIPE: &str = "I* = argmax_I S_c(I + m) - lambda*||I||^2, plain gradient ascent from I = 0 (Simonyan et al. 2014, sec. 2); m = per-pixel mean of the 60k training images; x = I + m in pixel units [0,1] (not clamped)";

/// Writes `class_models.npy` (`I*`), `mean.npy` (`m`), `class_models.json` (settings, scores
/// before and after, softmax, prediction, final objective, `‖I*‖`), `index.json` (slot `j` of
/// `class_models.npy` is the class model of class `target`) and `class_models.png` (drawn with
/// `scale` and `map_scale`) into `dir`.
pub fn write_class_models(
    dir: &Path,
    cm: &ClassModels,
    config: &ClassModelConfig,
    source: Source<'_>,
    (scale, map_scale): (usize, MapScale),
) -> Result<()> {
    let k = cm.classes.len();
    let side = side_of(cm.mean.len());
    write_npy(&dir.join("class_models.npy"), &[k, side, side], cm.images.as_slice())?;
    write_npy(&dir.join("mean.npy"), &[side, side], cm.mean.as_slice())?;
    let final_objective: Vec<Value> =
        cm.objective.iter().map(|t| t.last().copied().map_or(Value::Null, json_f32)).collect();
    let report = source.fields(json!({
        "recipe": CLASS_MODEL_RECIPE,
        "lambda": json_f32(config.lambda),
        "lr": json_f32(config.lr),
        "steps": config.steps,
        "classes": cm.classes,
        "initial_score": json_f32s(&cm.initial_scores),
        "final_score": json_f32s(&cm.scores),
        "final_softmax_p": json_f32s(&cm.probabilities),
        "predicted_class": cm.predicted,
        "final_objective": final_objective,
        "image_l2": json_f32s(&cm.image_norms()),
        "arrays": {"class_models.npy": "I*, [K, 28, 28]", "mean.npy": "m, [28, 28]"},
    }));
    write_json(&dir.join("class_models.json"), &Value::Object(report))?;
    let entries: Vec<IndexEntry> = (0..k)
        .map(|j| IndexEntry {
            slot: j,
            image: None,
            label: None,
            prediction: cm.predicted[j],
            target: cm.classes[j],
            score: cm.scores[j],
        })
        .collect();
    let mut root = serde_json::Map::new();
    root.insert("maps".into(), "class_models.npy".into());
    root.insert("map".into(), "class model I*, [K, 28, 28]; see class_models.json".into());
    write_index(&dir.join("index.json"), &entries, root)?;
    let figure = class_model_figure(&ClassModelFigure { models: cm, config, source, map_scale, scale });
    write_png(&dir.join("class_models.png"), &figure.render().image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_named_as_the_command_line_names_them() {
        assert_eq!(json_target(Target::Predicted), json!("predicted"));
        assert_eq!(json_target(Target::Label), json!("label"));
        assert_eq!(json_target(Target::Class(3)), json!(3));
        for t in [Target::Predicted, Target::Label, Target::Class(7)] {
            let text = match json_target(t) {
                Value::String(s) => s,
                other => other.to_string(),
            };
            assert_eq!(text.parse::<Target>().unwrap(), t);
        }
    }
}
