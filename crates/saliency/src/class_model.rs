//! Class model visualisation (Simonyan et al. 2014, §2).
//!
//! The paper finds the image that a network scores highest for a class:
//! `I* = argmax_I S_c(I) − λ‖I‖²` over the zero-centred image `I`, by gradient ascent from
//! `I = 0`. Here the network sees pixels, so the image it sees is `x = I + m` with `m` the
//! per-pixel mean of the training images; `I = 0` is the mean digit. The ascent is the paper's:
//! plain gradient steps `I ← I + η(∂S_c/∂x − 2λI)` with a fixed step `η` for `K` steps, no
//! clamping, jitter or blur. The classes are independent terms of one sum, so all of them run as
//! one batch with one forward and one backward pass per step.

use crate::error::check_finite;
use crate::gradient::score_gradient;
use crate::{Result, SaliencyError};
use atrous_autograd::{BackwardRules, Classifier};
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::reduce::softmax;
use atrous_tensor::{Tensor, simd};

/// Settings of the gradient ascent. The defaults are those of the PyTorch reference
/// (`bench/saliency_ref.py`): `λ = 0.01`, `η = 0.1`, `K = 200`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassModelConfig {
    /// Weight `λ` of the `L2` penalty `λ‖I‖²`.
    pub lambda: f32,
    /// Fixed step `η`.
    pub lr: f32,
    /// Number of steps `K`.
    pub steps: usize,
}

impl Default for ClassModelConfig {
    fn default() -> Self {
        ClassModelConfig { lambda: 0.01, lr: 0.1, steps: 200 }
    }
}

impl ClassModelConfig {
    /// Refuses a negative or non-finite `λ` or `η`, and `λ·η ≥ 1`, where the ascent diverges.
    pub fn validate(&self) -> Result<()> {
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(SaliencyError::Setting {
                setting: "lambda",
                value: f64::from(self.lambda),
                rule: "must be finite and ≥ 0",
            });
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(SaliencyError::Setting {
                setting: "step size",
                value: f64::from(self.lr),
                rule: "must be finite and > 0",
            });
        }
        // The penalty alone multiplies I by 1 − 2λη each step: past λη = 1 that factor is
        // below −1 and the ascent oscillates ever wider (to NaN).
        if f64::from(self.lambda) * f64::from(self.lr) >= 1.0 {
            return Err(SaliencyError::Setting {
                setting: "lambda",
                value: f64::from(self.lambda),
                rule: "times the step size must be below 1, or each step's penalty overshoots and the ascent diverges",
            });
        }
        Ok(())
    }
}

/// The per-pixel mean `m` of a split's images, `[1, 1, 28, 28]` in `[0, 1]`.
pub fn mean_image(split: &MnistSplit) -> Result<Tensor> {
    if split.n == 0 {
        return Err(SaliencyError::EmptySplit);
    }
    let pixels = split.images.len() / split.n;
    let mut sum = vec![0u64; pixels];
    for image in split.images.chunks_exact(pixels) {
        for (s, &p) in sum.iter_mut().zip(image) {
            *s += u64::from(p);
        }
    }
    let side = (pixels as f64).sqrt() as usize;
    let mean = sum.iter().map(|&s| (s as f64 / (255.0 * split.n as f64)) as f32).collect();
    Ok(Tensor::from_vec(&[1, 1, side, side], mean)?)
}

/// The outcome of the ascent for a list of classes.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassModels {
    /// The optimised zero-centred images `I*`, `[K, 1, H, W]`; the network saw `I* + m`.
    pub images: Tensor,
    /// The mean image `m`, `[1, 1, H, W]`.
    pub mean: Tensor,
    /// The class of each image.
    pub classes: Vec<usize>,
    /// `S_c(m)`: the score at the start (`I = 0`).
    pub initial_scores: Vec<f32>,
    /// `S_c(I* + m)`.
    pub scores: Vec<f32>,
    /// Softmax probability of class `c` at `I* + m`.
    pub probabilities: Vec<f32>,
    /// The class the model predicts at `I* + m` (equal to `c` when the ascent succeeded).
    pub predicted: Vec<usize>,
    /// The objective `S_c(I + m) − λ‖I‖²` of each class before each step and after the last,
    /// `steps + 1` values per class.
    pub objective: Vec<Vec<f32>>,
}

impl ClassModels {
    /// `‖I*‖` of each class model (pixel units).
    pub fn image_norms(&self) -> Vec<f32> {
        let plane = self.mean.len();
        self.images.as_slice().chunks(plane).map(|i| i.iter().map(|v| v * v).sum::<f32>().sqrt()).collect()
    }
}

/// Runs the ascent for each of `classes` from `I = 0`, seeing `I + mean`.
pub fn class_models<M: Classifier + ?Sized>(
    model: &M,
    mean: &Tensor,
    classes: &[usize],
    config: &ClassModelConfig,
) -> Result<ClassModels> {
    config.validate()?;
    let [c, h, w] = model.input_dims();
    if mean.dims() != [1, c, h, w] {
        return Err(SaliencyError::Shape {
            what: "the mean image",
            expected: format!("[1, {c}, {h}, {w}]"),
            found: mean.shape().clone(),
        });
    }
    if classes.is_empty() {
        return Err(SaliencyError::NoClass);
    }
    let n_classes = model.classes();
    if let Some(&class) = classes.iter().find(|&&c| c >= n_classes) {
        return Err(SaliencyError::Class { class, classes: n_classes });
    }
    let k = classes.len();
    let plane = mean.len();
    let mut images = Tensor::zeros(&[k, c, h, w]);
    let mut objective = vec![Vec::with_capacity(config.steps + 1); k];
    // The network sees x = I + m.
    let seen = |images: &Tensor| {
        let mut x = images.clone();
        for xi in x.as_mut_slice().chunks_exact_mut(plane) {
            simd::add_assign(xi, mean.as_slice());
        }
        x
    };
    // Records each class's objective S_c − λ‖I‖² from the scores of x = I + m.
    let record = |images: &Tensor, logits: &Tensor, objective: &mut [Vec<f32>]| {
        for (j, (&c, image)) in classes.iter().zip(images.as_slice().chunks_exact(plane)).enumerate() {
            let norm2: f64 = image.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
            let score = f64::from(logits.as_slice()[j * n_classes + c]);
            objective[j].push((score - f64::from(config.lambda) * norm2) as f32);
        }
    };
    for _ in 0..config.steps {
        // ∂/∂I [S_c(I + m) − λ‖I‖²] = ∂S_c/∂x − 2λI.
        let g = score_gradient(
            model,
            &seen(&images),
            |logits| {
                record(&images, logits, &mut objective);
                Ok(classes.to_vec())
            },
            BackwardRules::default(),
        )?;
        let (lr, decay) = (config.lr, 2.0 * config.lambda);
        for (iv, &g) in images.as_mut_slice().iter_mut().zip(g.gradient.as_slice()) {
            *iv += lr * (g - decay * *iv);
        }
    }
    // After the last step: the final scores.
    let logits = model.predict(&seen(&images))?;
    record(&images, &logits, &mut objective);
    let rows: Vec<&[f32]> = logits.as_slice().chunks_exact(n_classes).collect();
    let picked: Vec<f32> = classes.iter().zip(&rows).map(|(&c, row)| row[c]).collect();
    check_finite("the class model of class", images.as_slice(), plane, |j| classes[j])?;
    check_finite("the final class score of class", &picked, 1, |j| classes[j])?;
    // At I = 0 the penalty vanishes, so the first objective value is S_c(m).
    let initial_scores = objective.iter().map(|t| t[0]).collect();
    Ok(ClassModels {
        scores: picked,
        probabilities: classes.iter().zip(&rows).map(|(&c, row)| softmax(row)[c]).collect(),
        predicted: logits.argmax_last()?,
        images,
        mean: mean.clone(),
        classes: classes.to_vec(),
        initial_scores,
        objective,
    })
}
