//! Every check for a list of methods on test images: the plan ([`EvaluationPlan`]), the run
//! ([`evaluate`]) and its numbers ([`Evaluation`]), nothing written (see [`super::report`]).
//!
//! Deletion and insertion use all the plan's images; the randomisation tests and
//! max-sensitivity, which recompute maps many times, use the first
//! `randomisation_images` / `sensitivity_images` of them. Every map explains the class the
//! model predicts at the clean image.

use super::perturbation::{Curves, intensity_ranking, perturbation_curves, random_ranking, ranking};
use super::randomisation::{
    LabelRandomisation, SimilaritySummary, cascade, compare_maps, train_on_permuted_labels,
};
use super::sensitivity::{Explained, Sensitivity, max_sensitivity};
use super::{maps_for, perturbation};
use crate::attribution::{Method, attribute_split};
use crate::saliency::Target;
use crate::{Result, SaliencyError};
use atrous_autograd::Classifier;
use atrous_autograd::nn::DilNet;
use atrous_tensor::mnist::MnistSplit;
use std::time::Instant;

/// What to evaluate and how.
#[derive(Clone, Debug, PartialEq)]
pub struct EvaluationPlan {
    /// The methods, with their settings.
    pub methods: Vec<Method>,
    /// Test images for deletion and insertion (the others use a prefix).
    pub images: Vec<usize>,
    /// Deletion/insertion steps ([`perturbation::DEFAULT_STEPS`]).
    pub steps: usize,
    /// Seed of the random-order baseline.
    pub baseline_seed: u64,
    /// Images of the randomisation tests (the first ones of `images`).
    pub randomisation_images: usize,
    /// Seed of the cascading re-initialisation.
    pub randomisation_seed: u64,
    /// The label randomisation test, if run.
    pub label: Option<LabelRandomisation>,
    /// Images of max-sensitivity (the first ones of `images`; 0 skips it).
    pub sensitivity_images: usize,
    /// The perturbations of max-sensitivity.
    pub sensitivity: Sensitivity,
    /// Rows per forward/backward pass.
    pub batch: usize,
    /// A method passes the randomisation check when the mean Spearman correlation of `|map|`
    /// after full randomisation (and after label randomisation) is below this.
    pub pass_threshold: f64,
    /// Images shown in the method grid (the first ones).
    pub show: usize,
}

impl EvaluationPlan {
    /// The defaults of `atrous evaluate` for `methods` on `images`.
    pub fn new(methods: Vec<Method>, images: Vec<usize>) -> Self {
        EvaluationPlan {
            methods,
            images,
            steps: perturbation::DEFAULT_STEPS,
            baseline_seed: 0,
            randomisation_images: 100,
            randomisation_seed: 0,
            label: Some(LabelRandomisation::default()),
            sensitivity_images: 100,
            sensitivity: Sensitivity::default(),
            batch: 256,
            pass_threshold: 0.5,
            show: 8,
        }
    }

    /// Refuses a plan that cannot run, naming what is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.images.is_empty() {
            return Err(SaliencyError::NoImage);
        }
        if self.methods.is_empty() {
            return Err(SaliencyError::Setting {
                setting: "methods",
                value: 0.0,
                rule: "name at least one method",
            });
        }
        self.methods.iter().try_for_each(Method::validate)?;
        if self.steps == 0 || self.batch == 0 {
            return Err(SaliencyError::Setting {
                setting: "perturbation steps and batch",
                value: self.steps.min(self.batch) as f64,
                rule: "must be at least 1",
            });
        }
        if self.randomisation_images == 0 {
            return Err(SaliencyError::Setting {
                setting: "randomisation images",
                value: 0.0,
                rule: "must be at least 1",
            });
        }
        if self.sensitivity_images > 0 {
            self.sensitivity.validate()?;
        }
        Ok(())
    }
}

/// One ranking's deletion and insertion results.
#[derive(Clone, Debug, PartialEq)]
pub struct CurveResult {
    /// Per image, the deletion AUC.
    pub deletion_auc: Vec<f64>,
    /// Per image, the insertion AUC.
    pub insertion_auc: Vec<f64>,
    /// Mean deletion curve over images.
    pub deletion_curve: Vec<f64>,
    /// Mean insertion curve over images.
    pub insertion_curve: Vec<f64>,
}

impl From<&Curves> for CurveResult {
    fn from(c: &Curves) -> Self {
        CurveResult {
            deletion_auc: c.deletion_auc(),
            insertion_auc: c.insertion_auc(),
            deletion_curve: Curves::mean(&c.deletion),
            insertion_curve: Curves::mean(&c.insertion),
        }
    }
}

/// What one method scored.
#[derive(Clone, Debug)]
pub struct MethodEvaluation {
    /// The method.
    pub method: Method,
    /// Deletion and insertion.
    pub curves: CurveResult,
    /// Step `k` of the cascade (0: nothing randomised, then fc2, fc1, conv3, conv2, conv1
    /// cumulatively): similarity of the maps to the original model's.
    pub cascade: Vec<SimilaritySummary>,
    /// Similarity of the label-randomised model's maps to the original's.
    pub label: Option<SimilaritySummary>,
    /// Per image, max-sensitivity.
    pub sensitivity: Vec<f64>,
    /// Maps of the first `show` images, `[show, H, W]` flattened.
    pub shown_maps: Vec<f32>,
    /// Wall time of this method's checks.
    pub seconds: f64,
}

/// Every number of an evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The plan it followed.
    pub plan: EvaluationPlan,
    /// x of the deletion/insertion curves (fraction of pixels perturbed).
    pub x: Vec<f64>,
    /// Per method, in the plan's order.
    pub methods: Vec<MethodEvaluation>,
    /// The baselines: random order, then pixel intensity.
    pub baselines: Vec<(&'static str, CurveResult)>,
    /// The class explained for each image (the prediction at the clean image).
    pub targets: Vec<usize>,
    /// Each image's label.
    pub labels: Vec<usize>,
    /// Accuracy and loss of the label-randomised model on its permuted training labels.
    pub label_fit: Option<(f64, f64)>,
    /// Pixels of the first `show` images.
    pub shown_images: Vec<f32>,
    /// Side of the square images.
    pub side: usize,
}

/// Names of the baselines, as the JSON and CSVs write them.
pub const BASELINES: [&str; 2] = ["random-order", "pixel-intensity"];

/// Runs every check of `plan` on `model` and the test images `test`; `train` is needed for
/// the label randomisation test. `progress` hears one line per phase.
pub fn evaluate(
    model: &DilNet,
    test: &MnistSplit,
    train: Option<&MnistSplit>,
    plan: &EvaluationPlan,
    progress: &mut dyn FnMut(&str),
) -> Result<Evaluation> {
    plan.validate()?;
    let batch = test.batch(&plan.images);
    let (x, labels) = (batch.x, batch.labels);
    let n = plan.images.len();
    let side = model.config.side;
    let plane = side * side;
    let targets = model.predict(&x)?.argmax_last()?;
    let k_rand = plan.randomisation_images.min(n);
    let k_sens = plan.sensitivity_images.min(n);
    let k_sub = k_rand.max(k_sens);
    let x_sub = x.to_batch(0..k_sub)?;
    let show = plan.show.min(n);

    progress("random-order and pixel-intensity baselines");
    let pixels = plane;
    let random: Vec<Vec<usize>> =
        plan.images.iter().map(|&i| random_ranking(pixels, plan.baseline_seed, i)).collect();
    let bright: Vec<Vec<usize>> =
        x.as_slice().chunks_exact(x.len() / n).map(|img| intensity_ranking(img, pixels)).collect();
    let mut baselines = Vec::new();
    let mut xs = Vec::new();
    for (name, order) in BASELINES.iter().zip([random, bright]) {
        let c = perturbation_curves(model, &x, &order, &targets, plan.steps, plan.batch)?;
        xs.clone_from(&c.x);
        baselines.push((*name, CurveResult::from(&c)));
    }

    let cascade_models = cascade(model, plan.randomisation_seed);
    let label_model = match (&plan.label, train) {
        (Some(cfg), Some(train)) => {
            progress(&format!("training on permuted labels ({} images, {} epochs)", cfg.images, cfg.epochs));
            Some(train_on_permuted_labels(model, train, cfg)?)
        }
        (Some(_), None) => {
            return Err(SaliencyError::Setting {
                setting: "label randomisation",
                value: 0.0,
                rule: "needs the training images",
            });
        }
        _ => None,
    };

    let mut methods = Vec::new();
    for method in &plan.methods {
        let start = Instant::now();
        progress(&format!("{}: maps, deletion and insertion", method.name()));
        let maps = attribute_split(model, test, &plan.images, Target::Predicted, method, plan.batch)?.maps;
        let order: Vec<Vec<usize>> = maps.as_slice().chunks_exact(plane).map(ranking).collect();
        let curves = perturbation_curves(model, &x, &order, &targets, plan.steps, plan.batch)?;

        progress(&format!("{}: randomisation", method.name()));
        let classes = &targets[..k_sub];
        let original = maps_for(model, &x_sub, classes, method, plan.batch)?;
        let original_r = original.to_batch(0..k_rand)?;
        let x_rand = x_sub.to_batch(0..k_rand)?;
        let mut steps = vec![
            compare_maps(&original_r, &maps_for(model, &x_rand, &classes[..k_rand], method, plan.batch)?)?
                .summary(),
        ];
        for m in &cascade_models {
            let randomised = maps_for(m, &x_rand, &classes[..k_rand], method, plan.batch)?;
            steps.push(compare_maps(&original_r, &randomised)?.summary());
        }
        let label = match &label_model {
            Some(l) => {
                let maps = maps_for(&l.model, &x_rand, &classes[..k_rand], method, plan.batch)?;
                Some(compare_maps(&original_r, &maps)?.summary())
            }
            None => None,
        };

        let sensitivity = if k_sens > 0 {
            progress(&format!("{}: max-sensitivity", method.name()));
            let x_sens = x_sub.to_batch(0..k_sens)?;
            let phi = original.to_batch(0..k_sens)?;
            let ids = &plan.images[..k_sens];
            let e = Explained { x: &x_sens, maps: &phi, classes: &classes[..k_sens], ids };
            max_sensitivity(model, &e, method, &plan.sensitivity, plan.batch)?
        } else {
            Vec::new()
        };
        methods.push(MethodEvaluation {
            method: method.clone(),
            curves: CurveResult::from(&curves),
            cascade: steps,
            label,
            sensitivity,
            shown_maps: maps.as_slice()[..show * plane].to_vec(),
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    Ok(Evaluation {
        plan: plan.clone(),
        x: xs,
        methods,
        baselines,
        targets,
        labels,
        label_fit: label_model.map(|l| (l.train_accuracy, l.train_loss)),
        shown_images: x.as_slice()[..show * x.len() / n].to_vec(),
        side,
    })
}
