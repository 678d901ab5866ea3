//! Integrated gradients (Sundararajan, Taly & Yan 2017): the gradient averaged along the
//! straight path from a baseline `b` to the image, times `x − b`,
//!
//! `IG(x) = (x − b) ⊙ ∫₀¹ ∂S_c/∂x (b + α(x − b)) dα`,
//!
//! by the trapezoid rule on `steps` equal intervals (`steps + 1` points, end points weighted ½).
//! The exact integral is *complete*, `Σ IG = S_c(x) − S_c(b)`; the quadrature misses it by a gap
//! that shrinks with more steps, reported per image. All `steps + 1` points of an image go
//! through one forward/backward pass.

use super::{Attribution, Explained, gradients_at, items, sum_channels};
use crate::saliency::Target;
use crate::{Result, SaliencyError};
use atrous_autograd::{BackwardRules, Classifier};
use atrous_tensor::Tensor;

/// The most quadrature intervals accepted: far beyond where the gap stops shrinking visibly,
/// low enough that a typo cannot ask for a pass of millions of rows.
pub const MAX_STEPS: usize = 10_000;

/// Where the integration path starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Baseline {
    /// The black image `b = 0` (the default).
    Zero,
    /// One fixed image for every input, `C·H·W` values (any shape): typically the per-pixel
    /// mean of the training images ([`crate::class_model::mean_image`]).
    Mean(Tensor),
    /// The image itself blurred by a Gaussian of `sigma` pixels ([`gaussian_blur`]), which
    /// keeps the ink's rough mass and removes the strokes.
    Blur {
        /// Standard deviation of the Gaussian, in pixels.
        sigma: f32,
    },
}

/// Settings of integrated gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct IntegratedGradients {
    /// Intervals of the trapezoid rule, `1..=MAX_STEPS` (default 50).
    pub steps: usize,
    /// The path's start (default [`Baseline::Zero`]).
    pub baseline: Baseline,
}

impl Default for IntegratedGradients {
    fn default() -> Self {
        IntegratedGradients { steps: 50, baseline: Baseline::Zero }
    }
}

impl IntegratedGradients {
    /// Refuses a step count outside `1..=MAX_STEPS` and a blur that is not a positive width.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return Err(SaliencyError::Setting {
                setting: "number of integration steps",
                value: self.steps as f64,
                rule: "must be in 1..=10000",
            });
        }
        if let Baseline::Blur { sigma } = self.baseline {
            if !(sigma > 0.0 && sigma <= 100.0) {
                return Err(SaliencyError::Setting {
                    setting: "blur width (sigma, pixels)",
                    value: f64::from(sigma),
                    rule: "must be in (0, 100]",
                });
            }
        }
        Ok(())
    }
}

impl Baseline {
    /// The baseline of each image of `x [N, C, H, W]`.
    pub fn of(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Baseline::Zero => Ok(Tensor::zeros(x.dims())),
            Baseline::Mean(image) => {
                let (n, [c, h, w]) = items(x)?;
                if image.len() != c * h * w {
                    return Err(SaliencyError::Shape {
                        what: "a mean-image baseline",
                        expected: format!("{c}·{h}·{w} values, as one input image"),
                        found: image.shape().clone(),
                    });
                }
                Ok(Tensor::from_vec(x.dims(), image.as_slice().repeat(n))?)
            }
            Baseline::Blur { sigma } => gaussian_blur(x, *sigma),
        }
    }
}

/// Weights of the trapezoid rule on `steps` equal intervals of `[0, 1]`, one per point.
pub fn trapezoid_weights(steps: usize) -> Vec<f32> {
    let h = 1.0 / steps as f32;
    (0..=steps).map(|k| if k == 0 || k == steps { h / 2.0 } else { h }).collect()
}

/// Integrated gradients of images `x [N, C, H, W]` for the chosen target, summed over
/// channels, with the completeness gap of each image.
pub fn integrated_gradients<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
    ig: &IntegratedGradients,
) -> Result<Attribution> {
    ig.validate()?;
    let (n, [c, h, w]) = items(x)?;
    let explained = Explained::at(model, x, target, labels)?;
    let b = ig.baseline.of(x)?;
    let delta = x.sub(&b)?;
    let (item, points) = (c * h * w, ig.steps + 1);
    let mut rows = Vec::with_capacity(n * points * item);
    for (bi, di) in b.as_slice().chunks_exact(item).zip(delta.as_slice().chunks_exact(item)) {
        for k in 0..points {
            let alpha = k as f32 / ig.steps as f32;
            rows.extend(bi.iter().zip(di).map(|(&b, &d)| b + alpha * d));
        }
    }
    let rows = Tensor::from_vec(&[n * points, c, h, w], rows)?;
    let classes: Vec<usize> =
        explained.targets.iter().flat_map(|&t| std::iter::repeat_n(t, points)).collect();
    let (scores, grads) = gradients_at(model, &rows, &classes, BackwardRules::default())?;

    let weights = trapezoid_weights(ig.steps);
    let mut attr = delta.into_vec();
    let mut gaps = Vec::with_capacity(n);
    for (i, (a, g)) in
        attr.chunks_exact_mut(item).zip(grads.as_slice().chunks_exact(points * item)).enumerate()
    {
        let mut mean = vec![0.0f32; item];
        for (&wk, gk) in weights.iter().zip(g.chunks_exact(item)) {
            mean.iter_mut().zip(gk).for_each(|(m, &v)| *m += wk * v);
        }
        a.iter_mut().zip(&mean).for_each(|(a, &m)| *a *= m);
        let total: f64 = a.iter().map(|&v| f64::from(v)).sum();
        let rise = f64::from(scores[i * points + ig.steps]) - f64::from(scores[i * points]);
        gaps.push((total - rise).abs() as f32);
    }
    let maps = sum_channels(&Tensor::from_vec(x.dims(), attr)?)?;
    let mut a = explained.with_maps(maps);
    a.completeness_gap = Some(gaps);
    Ok(a)
}

/// `x [N, C, H, W]` blurred plane by plane by a Gaussian of `sigma` pixels, cut at `3σ`; near
/// the border the kernel is renormalised over the taps inside the image, so a constant image
/// stays constant.
pub fn gaussian_blur(x: &Tensor, sigma: f32) -> Result<Tensor> {
    let (_, [_, h, w]) = items(x)?;
    let radius = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> =
        (-radius..=radius).map(|d| (-((d * d) as f32) / (2.0 * sigma * sigma)).exp()).collect();
    let mut out = x.clone();
    for plane in out.as_mut_slice().chunks_exact_mut(h * w) {
        let along_rows = blur_lines(plane, h, w, w, 1, &kernel);
        let both = blur_lines(&along_rows, w, h, 1, w, &kernel);
        plane.copy_from_slice(&both);
    }
    Ok(out)
}

/// One pass of a 1-D convolution along lines of `len` values `step` apart; `lines` lines start
/// `line_step` apart.
fn blur_lines(
    plane: &[f32],
    lines: usize,
    len: usize,
    line_step: usize,
    step: usize,
    kernel: &[f32],
) -> Vec<f32> {
    let radius = (kernel.len() / 2) as isize;
    let mut out = vec![0.0f32; plane.len()];
    for line in 0..lines {
        for i in 0..len as isize {
            let (mut sum, mut weight) = (0.0f32, 0.0f32);
            for (t, &k) in kernel.iter().enumerate() {
                let j = i + t as isize - radius;
                if (0..len as isize).contains(&j) {
                    sum += k * plane[line * line_step + j as usize * step];
                    weight += k;
                }
            }
            out[line * line_step + i as usize * step] = sum / weight;
        }
    }
    out
}
