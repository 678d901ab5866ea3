//! Class models (Simonyan et al. 2014, §2) in the paper's setting and run to convergence.
//!
//! The ascent is the saliency crate's ([`atrous_saliency::class_model`]): `I ← I + η(∂S_c/∂x −
//! 2λI)` from `I = 0`, the network seeing `x = I + m`. Here the same steps continue past the
//! paper's budget until the relative change `‖ΔI‖/‖I‖` of a class model falls below
//! [`ConvergePlan::tolerance`] or the cap is reached; the images at the paper's step count are
//! kept on the way. A converged class leaves the batch, so later steps cost less.

use crate::Result;
use atrous_autograd::{BackwardRules, Classifier};
use atrous_saliency::class_model::ClassModelConfig;
use atrous_saliency::gradient::score_gradient;
use atrous_tensor::Tensor;
use serde::{Deserialize, Serialize};

/// How far the ascent runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvergePlan {
    /// The paper's setting (`λ`, `η`, and its step count, kept as the first snapshot).
    pub lambda: f32,
    /// Step size `η`.
    pub lr: f32,
    /// The paper's step count.
    pub paper_steps: usize,
    /// Stop a class when `‖ΔI‖/‖I‖` of one step is below this.
    pub tolerance: f64,
    /// Most steps per class.
    pub cap: usize,
}

impl Default for ConvergePlan {
    fn default() -> Self {
        let paper = ClassModelConfig::default();
        ConvergePlan {
            lambda: paper.lambda,
            lr: paper.lr,
            paper_steps: paper.steps,
            tolerance: 1e-5,
            cap: 3000,
        }
    }
}

/// Class models of one network: at the paper's step count and at convergence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassRun {
    /// `I*` after the paper's steps, one `H·W` image per class (0..classes).
    pub paper: Vec<Vec<f32>>,
    /// `I*` at convergence (or at the cap).
    pub converged: Vec<Vec<f32>>,
    /// Steps each class took (the cap when it did not converge).
    pub steps: Vec<usize>,
    /// The cap this run had (the paper's step count: no convergence run).
    pub cap: usize,
    /// `‖ΔI‖/‖I‖` of each class's last step.
    pub final_change: Vec<f64>,
    /// `S_c(I* + m)` after the paper's steps.
    pub paper_scores: Vec<f32>,
    /// `S_c(I* + m)` at convergence.
    pub converged_scores: Vec<f32>,
}

/// `images + mean` as a batch `[K, 1, side, side]`.
pub fn seen(images: &[Vec<f32>], mean: &[f32], side: usize) -> Result<Tensor> {
    let mut data = Vec::with_capacity(images.len() * mean.len());
    for image in images {
        data.extend(image.iter().zip(mean).map(|(a, b)| a + b));
    }
    Tensor::from_vec(&[images.len(), 1, side, side], data).map_err(super::te)
}

/// `S_c(I_c + m)` of each class model.
pub fn scores<M: Classifier + ?Sized>(
    model: &M,
    images: &[Vec<f32>],
    mean: &[f32],
    side: usize,
) -> Result<Vec<f32>> {
    let logits = model.predict(&seen(images, mean, side)?)?;
    let k = model.classes();
    Ok((0..images.len()).map(|c| logits.as_slice()[c * k + c]).collect())
}

/// Runs the ascent for every class of `model` from `I = 0` (`mean` is `m`, `H·W` values).
pub fn converge<M: Classifier + ?Sized>(model: &M, mean: &[f32], plan: &ConvergePlan) -> Result<ClassRun> {
    let side = model.input_dims()[2];
    let classes = model.classes();
    let mut images = vec![vec![0.0f32; mean.len()]; classes];
    let mut steps = vec![plan.cap; classes];
    let mut final_change = vec![f64::NAN; classes];
    let mut active: Vec<usize> = (0..classes).collect();
    let mut paper = images.clone();
    let mut step = 0;
    while step < plan.cap && !active.is_empty() {
        let batch: Vec<Vec<f32>> = active.iter().map(|&c| images[c].clone()).collect();
        let x = seen(&batch, mean, side)?;
        let g = score_gradient(model, &x, |_| Ok(active.clone()), BackwardRules::default())?;
        step += 1;
        let mut still = Vec::with_capacity(active.len());
        for (row, &c) in active.iter().enumerate() {
            let grad = &g.gradient.as_slice()[row * mean.len()..(row + 1) * mean.len()];
            let (mut change, mut norm) = (0.0f64, 0.0f64);
            for (iv, &gv) in images[c].iter_mut().zip(grad) {
                let delta = plan.lr * (gv - 2.0 * plan.lambda * *iv);
                *iv += delta;
                change += f64::from(delta) * f64::from(delta);
                norm += f64::from(*iv) * f64::from(*iv);
            }
            final_change[c] = if norm > 0.0 { (change / norm).sqrt() } else { f64::INFINITY };
            if final_change[c] < plan.tolerance {
                steps[c] = step;
            } else {
                still.push(c);
            }
        }
        active = still;
        if step == plan.paper_steps {
            paper = images.clone();
        }
    }
    if step < plan.paper_steps {
        paper = images.clone();
    }
    Ok(ClassRun {
        paper_scores: scores(model, &paper, mean, side)?,
        converged_scores: scores(model, &images, mean, side)?,
        paper,
        converged: images,
        steps,
        cap: plan.cap,
        final_change,
    })
}

/// `‖I‖` and the range `[min, max]` of the pixels `I + m` the network saw.
pub fn norm_and_range(image: &[f32], mean: &[f32]) -> (f64, f64, f64) {
    let norm = image.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (a, b) in image.iter().zip(mean) {
        let v = f64::from(a + b);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (norm, lo, hi)
}
