//! What the study measures on one trained run: per-image correctness on the test set, and how
//! its saliency maps sit on the digit (share on ink, spread, graph-cut localisation); plus the
//! class models and saliency pictures of one run per dilation.

use crate::Result;
use crate::plan::StudyPlan;
use atrous_autograd::Classifier;
use atrous_autograd::train::{EVAL_BATCH, evaluate};
use atrous_saliency::class_model::{class_models, mean_image};
use atrous_saliency::localize::localize;
use atrous_saliency::picture::{class_model_grid, saliency_sheet};
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_saliency::writer::write_png;
use atrous_tensor::mnist::MnistSplit;

/// Images per forward/backward pass of the saliency measurements.
const SALIENCY_BATCH: usize = 250;

/// What one trained run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Dilation of every conv layer.
    pub dilation: usize,
    /// Seed.
    pub seed: u64,
    /// Test accuracy.
    pub accuracy: f64,
    /// Per test image: classified correctly.
    pub correct: Vec<bool>,
    /// Mean share of saliency mass on the digit's ink.
    pub ink_share: f64,
    /// Mean saliency-weighted distance from the saliency centroid, in pixels.
    pub spread: f64,
    /// Mean box IoU of the graph-cut localisation with the ink's box.
    pub box_iou: f64,
    /// Mean mask IoU of the graph-cut foreground with the ink.
    pub mask_iou: f64,
    /// Mean wall time of a training epoch.
    pub mean_epoch_seconds: f64,
}

/// Class-model results of one dilation (the seed-0 model).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassModelResult {
    /// Dilation.
    pub dilation: usize,
    /// `S_c` reached by each class model.
    pub scores: Vec<f32>,
    /// Softmax probability of each class model.
    pub probabilities: Vec<f32>,
}

/// Saliency concentration of one `side × side` map: share of its mass on the digit's ink, and
/// its mass-weighted mean distance (pixels) from its own centroid.
pub fn map_statistics(image: &[f32], map: &[f32], side: usize, ink_threshold: f32) -> (f64, f64) {
    let total: f64 = map.iter().map(|&v| f64::from(v)).sum();
    if total <= 0.0 {
        return (0.0, 0.0);
    }
    let on_ink: f64 =
        image.iter().zip(map).filter(|(p, _)| **p > ink_threshold).map(|(_, &v)| f64::from(v)).sum();
    let coords = |i: usize| ((i / side) as f64, (i % side) as f64);
    let (mut cy, mut cx) = (0.0, 0.0);
    for (i, &v) in map.iter().enumerate() {
        let (y, x) = coords(i);
        cy += y * f64::from(v) / total;
        cx += x * f64::from(v) / total;
    }
    let spread: f64 = map
        .iter()
        .enumerate()
        .map(|(i, &v)| f64::from(v) / total * ((coords(i).0 - cy).hypot(coords(i).1 - cx)))
        .sum();
    (on_ink / total, spread)
}

/// Measures the trained run `(d, seed)` of `plan` on `test`: correctness on every image, and
/// saliency statistics on the first `plan.saliency_images`.
pub fn measure_run(plan: &StudyPlan, d: usize, seed: u64, test: &MnistSplit) -> Result<RunResult> {
    let dir = plan.run_dir(d, seed);
    let model = dir.read_model()?;
    let metrics = dir.read_metrics()?;
    let epoch_seconds: Vec<f64> =
        metrics.map(|m| m.epochs.iter().map(|e| e.seconds).collect()).unwrap_or_default();
    let eval = evaluate(&model, test, EVAL_BATCH)?;
    let k = plan.saliency_images.min(test.n);
    let side = model.input_dims()[2];
    let pixels = side * side;
    let (mut ink_share, mut spread, mut box_iou, mut mask_iou) = (0.0, 0.0, 0.0, 0.0);
    let config = plan.localize;
    let shown: Vec<usize> = (0..k).collect();
    for chunk in shown.chunks(SALIENCY_BATCH) {
        let b = test.batch(chunk);
        let s = saliency_maps(&model, &b.x, Target::Label, Some(&b.labels))?;
        for (img, map) in b.x.as_slice().chunks_exact(pixels).zip(s.maps.as_slice().chunks_exact(pixels)) {
            let (share, sp) = map_statistics(img, map, side, config.ink_threshold);
            ink_share += share;
            spread += sp;
            let loc = localize(img, map, side, &config)?;
            box_iou += loc.box_iou;
            mask_iou += loc.mask_iou;
        }
    }
    let k = k.max(1) as f64;
    Ok(RunResult {
        dilation: d,
        seed,
        accuracy: eval.accuracy,
        correct: eval.correct,
        ink_share: ink_share / k,
        spread: spread / k,
        box_iou: box_iou / k,
        mask_iou: mask_iou / k,
        mean_epoch_seconds: epoch_seconds.iter().sum::<f64>() / epoch_seconds.len().max(1) as f64,
    })
}

/// Images in each dilation's saliency sheet.
pub const SHEET_IMAGES: usize = 16;

/// Class models and a saliency sheet of the seed-0 model of dilation `d`, written to
/// `figures/class_models_dD.png` and `figures/saliency_dD.png`.
pub fn figures(
    plan: &StudyPlan,
    d: usize,
    train: &MnistSplit,
    test: &MnistSplit,
) -> Result<ClassModelResult> {
    let model = plan.run_dir(d, 0).read_model()?;
    let side = model.input_dims()[2];
    let mean = mean_image(train)?;
    let classes: Vec<usize> = (0..model.classes()).collect();
    let cm = class_models(&model, &mean, &classes, &plan.class_model)?;
    let fig = plan.out.join("figures");
    write_png(
        &fig.join(format!("class_models_d{d}.png")),
        &class_model_grid(cm.images.as_slice(), mean.as_slice(), side, 3),
    )?;
    let shown: Vec<usize> = (0..SHEET_IMAGES.min(test.n)).collect();
    let b = test.batch(&shown);
    let s = saliency_maps(&model, &b.x, Target::Label, Some(&b.labels))?;
    write_png(
        &fig.join(format!("saliency_d{d}.png")),
        &saliency_sheet(b.x.as_slice(), s.maps.as_slice(), side, 8, 3),
    )?;
    Ok(ClassModelResult { dilation: d, scores: cm.scores, probabilities: cm.probabilities })
}
