//! What the study measures on one trained run: per-image correctness on the test set, and how
//! its saliency maps sit on the digit (share on ink, spread, graph-cut localisation); plus the
//! class models and saliency pictures of one run per dilation.

use crate::plan::{Arm, Family, StudyPlan};
use crate::run::Metrics;
use crate::{Result, StudyError};
use atrous_autograd::Classifier;
use atrous_autograd::checkpoint::EpochRecord;
use atrous_autograd::train::{EVAL_BATCH, evaluate};
use atrous_saliency::attribution::Method;
use atrous_saliency::class_model::{class_models, mean_image};
use atrous_saliency::figure::MapScale;
use atrous_saliency::figure::explain::{SaliencyFigure, ShownImage, saliency_figure};
use atrous_saliency::localize::localize;
use atrous_saliency::outputs::Source;
use atrous_saliency::picture::class_model_grid;
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_saliency::writer::write_png;
use atrous_tensor::mnist::MnistSplit;

/// Images per forward/backward pass of the saliency measurements.
const SALIENCY_BATCH: usize = 250;

/// How a run's saliency maps sit on the digits (main-grid runs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Look {
    /// Mean share of saliency mass on the digit's ink.
    pub ink_share: f64,
    /// Mean saliency-weighted distance from the saliency centroid, in pixels.
    pub spread: f64,
    /// Mean box IoU of the graph-cut localisation with the ink's box.
    pub box_iou: f64,
    /// Mean mask IoU of the graph-cut foreground with the ink.
    pub mask_iou: f64,
}

/// What one trained run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// The arm's name.
    pub arm: String,
    /// Dilation of every conv layer (main-grid arms).
    pub dilation: Option<usize>,
    /// Seed.
    pub seed: u64,
    /// Validation accuracy after the last epoch (`None` without a validation split).
    pub val_accuracy: Option<f64>,
    /// Test accuracy, from the run's single test evaluation (`metrics.json`).
    pub test_accuracy: f64,
    /// Test loss.
    pub test_loss: f64,
    /// The per-epoch records (learning curves).
    pub history: Vec<EpochRecord>,
    /// Per test image: classified correctly (main-grid runs; empty for controls).
    pub correct: Vec<bool>,
    /// Saliency statistics (main-grid runs).
    pub look: Option<Look>,
    /// Wall time of the run's training epochs.
    pub train_seconds: f64,
}

/// Class-model results of one main-grid arm (the seed-0 model).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassModelResult {
    /// The arm's name.
    pub arm: String,
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

/// The result of the complete run `seed` of `arm`: its recorded accuracies and history; for
/// main-grid arms also correctness on every test image and saliency statistics on the first
/// `plan.saliency_images` test images.
pub fn measure_run(
    plan: &StudyPlan,
    arm: &Arm,
    seed: u64,
    metrics: &Metrics,
    test: &MnistSplit,
) -> Result<RunResult> {
    let dir = plan.arm_dir(&arm.name, seed);
    let missing = || StudyError::MissingRun { dir: dir.path().to_path_buf() };
    let split = metrics.evaluated_per_epoch == "validation";
    let mut result = RunResult {
        arm: arm.name.clone(),
        dilation: arm.dilation,
        seed,
        val_accuracy: metrics.epochs.last().filter(|_| split).map(|r| r.val_accuracy),
        test_accuracy: metrics.test_accuracy.ok_or_else(missing)?,
        test_loss: metrics.test_loss.ok_or_else(missing)?,
        history: metrics.epochs.clone(),
        correct: Vec::new(),
        look: None,
        train_seconds: metrics.epochs.iter().map(|e| e.seconds).sum(),
    };
    if arm.family != Family::Main {
        return Ok(result);
    }
    let model = dir.read_model()?;
    result.correct = evaluate(&model, test, EVAL_BATCH)?.correct;
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
    result.look = Some(Look {
        ink_share: ink_share / k,
        spread: spread / k,
        box_iou: box_iou / k,
        mask_iou: mask_iou / k,
    });
    Ok(result)
}

/// Images in each dilation's saliency sheet.
pub const SHEET_IMAGES: usize = 16;

/// Class models and a saliency sheet of the seed-0 model of a main-grid arm, written to
/// `figures/class_models_ARM.png` and `figures/saliency_ARM.png` (`ARM` = `dD`). The class
/// models start from the mean image of `train` (the training file).
pub fn figures(
    plan: &StudyPlan,
    arm: &Arm,
    train: &MnistSplit,
    test: &MnistSplit,
) -> Result<ClassModelResult> {
    let model = plan.arm_dir(&arm.name, 0).read_model()?;
    let name = &arm.name;
    let side = model.input_dims()[2];
    let mean = mean_image(train)?;
    let classes: Vec<usize> = (0..model.classes()).collect();
    let cm = class_models(&model, &mean, &classes, &plan.class_model)?;
    let fig = plan.out.join("figures");
    write_png(
        &fig.join(format!("class_models_{name}.png")),
        &class_model_grid(cm.images.as_slice(), mean.as_slice(), side, 3),
    )?;
    let shown: Vec<usize> = (0..SHEET_IMAGES.min(test.n)).collect();
    let b = test.batch(&shown);
    let s = saliency_maps(&model, &b.x, Target::Label, Some(&b.labels))?;
    // The same labelled figure as `atrous saliency` (image, label, prediction, S_c, colour bar);
    // the model is named relative to the study folder so the picture does not depend on where
    // the study lives.
    let plane = side * side;
    let (x, maps) = (b.x.as_slice(), s.maps.as_slice());
    let images: Vec<ShownImage<'_>> = (0..shown.len())
        .map(|i| ShownImage {
            index: shown[i],
            pixels: &x[i * plane..(i + 1) * plane],
            map: &maps[i * plane..(i + 1) * plane],
            label: b.labels[i],
            prediction: s.predictions[i],
            target: s.targets[i],
            score: s.scores[i],
        })
        .collect();
    let model_path = plan.arm_dir(&arm.name, 0).model_path();
    let model_name = model_path.strip_prefix(&plan.out).unwrap_or(&model_path);
    let figure = saliency_figure(&SaliencyFigure {
        images: &images,
        side,
        method: &Method::Vanilla,
        target: Target::Label,
        source: Source { model: model_name, dilations: &model.config.dilations, seconds: 0.0 },
        map_scale: MapScale::PerMap,
        scale: 3,
    });
    write_png(&fig.join(format!("saliency_{name}.png")), &figure.render().image)?;
    Ok(ClassModelResult { arm: name.clone(), scores: cm.scores, probabilities: cm.probabilities })
}
