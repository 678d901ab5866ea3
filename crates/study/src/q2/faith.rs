//! Faithfulness of the maps of one network, from the saliency crate's evaluation functions:
//! deletion and insertion AUC (Petsiuk et al. 2018) with a random-order baseline, and the
//! model-randomisation test (Adebayo et al. 2018: every layer re-initialised, Spearman of
//! `|map|` against the trained model's maps), for vanilla gradients, integrated gradients and
//! SmoothGrad with the crate's default settings. Maps explain the class predicted at the clean
//! image.

use crate::Result;
use atrous_autograd::Classifier;
use atrous_autograd::nn::DilNet;
use atrous_saliency::attribution::{IntegratedGradients, Method, Noise};
use atrous_saliency::evaluation::maps_for;
use atrous_saliency::evaluation::perturbation::{perturbation_curves, random_ranking, ranking};
use atrous_saliency::evaluation::randomisation::{cascade, compare_maps};
use atrous_tensor::Tensor;
use serde::{Deserialize, Serialize};

/// The methods compared, by name.
pub const FAITH_METHODS: [&str; 3] = ["vanilla", "integrated-gradients", "smoothgrad"];

/// Rows per forward/backward pass.
const BATCH: usize = 256;

/// The method called `name` in [`FAITH_METHODS`], with the crate's default settings.
fn method(name: &str) -> Method {
    match name {
        "integrated-gradients" => Method::IntegratedGradients(IntegratedGradients::default()),
        "smoothgrad" => Method::SmoothGrad(Noise::default()),
        _ => Method::Vanilla,
    }
}

/// One method's means over the images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaithScore {
    /// The method's name.
    pub method: String,
    /// Mean deletion AUC (lower is better).
    pub deletion: f64,
    /// Mean insertion AUC (higher is better).
    pub insertion: f64,
    /// Mean Spearman of `|map|` between the trained and the fully randomised network (near 0:
    /// the map depends on the weights, as it should).
    pub randomised_spearman: f64,
}

/// Faithfulness of one network on images `x` (pixels in `[0, 1]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Faith {
    /// Images evaluated.
    pub images: usize,
    /// Deletion/insertion steps.
    pub steps: usize,
    /// Random pixel order: mean deletion AUC.
    pub random_deletion: f64,
    /// Random pixel order: mean insertion AUC.
    pub random_insertion: f64,
    /// One entry per method of [`FAITH_METHODS`].
    pub methods: Vec<FaithScore>,
}

fn mean(v: &[f64]) -> f64 {
    crate::q2::floor::finite_mean(v)
}

/// Runs the checks; `image_ids` number the images for the random-order baseline's seeds.
pub fn faithfulness(
    model: &DilNet,
    x: &Tensor,
    image_ids: &[usize],
    steps: usize,
    seed: u64,
) -> Result<Faith> {
    let classes = model.predict(x)?.argmax_last().map_err(super::te)?;
    let pixels = x.len() / image_ids.len().max(1);
    let random: Vec<Vec<usize>> = image_ids.iter().map(|&i| random_ranking(pixels, seed, i)).collect();
    let base = perturbation_curves(model, x, &random, &classes, steps, BATCH)?;
    let randomised = cascade(model, seed).pop().unwrap_or_else(|| model.clone());
    let mut methods = Vec::new();
    for name in FAITH_METHODS {
        let m = method(name);
        let maps = maps_for(model, x, &classes, &m, BATCH)?;
        let order: Vec<Vec<usize>> = maps.as_slice().chunks_exact(pixels).map(ranking).collect();
        let curves = perturbation_curves(model, x, &order, &classes, steps, BATCH)?;
        let rand_maps = maps_for(&randomised, x, &classes, &m, BATCH)?;
        let similarity = compare_maps(&maps, &rand_maps)?;
        methods.push(FaithScore {
            method: name.to_string(),
            deletion: mean(&curves.deletion_auc()),
            insertion: mean(&curves.insertion_auc()),
            randomised_spearman: mean(&similarity.spearman_abs),
        });
    }
    Ok(Faith {
        images: image_ids.len(),
        steps,
        random_deletion: mean(&base.deletion_auc()),
        random_insertion: mean(&base.insertion_auc()),
        methods,
    })
}
