//! SmoothGrad and its relatives: gradients at noisy copies `x + ε`, `ε ~ N(0, σ²)` per pixel,
//! summarised per pixel. SmoothGrad (Smilkov et al. 2017) averages the paper's map `|g|`,
//! SmoothGrad² averages `g²`, VarGrad (Adebayo et al. 2018) takes the variance of `g`. Pixels
//! in `[0, 1]`, so `σ = 0.15` is 15 % of the input range, the noise level Smilkov et al.
//! recommend (10–20 %). Noisy copies are not clipped to `[0, 1]`.
//!
//! The noise of an image is drawn from `Rng::seed_from(seed).fork(h)`, `h` a hash of the
//! image's pixels: the map of an image depends on the seed and the image only, not on its batch
//! or its position, and repeats exactly. All samples of an image go through one
//! forward/backward pass.

use super::{Attribution, Explained, gradients_at, items};
use crate::saliency::{Target, abs_max_channels};
use crate::{Result, SaliencyError};
use atrous_autograd::{BackwardRules, Classifier};
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// The most noisy samples per image accepted (a typo must not ask for millions of rows).
pub const MAX_SAMPLES: usize = 10_000;

/// The noise of SmoothGrad and its relatives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Noise {
    /// Noisy copies per image, `1..=MAX_SAMPLES` (default 50).
    pub samples: usize,
    /// Standard deviation of the noise, in pixel units (default 0.15; 0 gives the plain gradient).
    pub sigma: f32,
    /// Seed of the noise (default 0).
    pub seed: u64,
}

impl Default for Noise {
    fn default() -> Self {
        Noise { samples: 50, sigma: 0.15, seed: 0 }
    }
}

impl Noise {
    /// Refuses a sample count outside `1..=MAX_SAMPLES` and a noise level outside `[0, 10]`.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_SAMPLES).contains(&self.samples) {
            return Err(SaliencyError::Setting {
                setting: "number of noisy samples",
                value: self.samples as f64,
                rule: "must be in 1..=10000",
            });
        }
        if !(0.0..=10.0).contains(&self.sigma) {
            return Err(SaliencyError::Setting {
                setting: "noise level (sigma, pixel units)",
                value: f64::from(self.sigma),
                rule: "must be in [0, 10]",
            });
        }
        Ok(())
    }

    /// The generator of the noise added to `image`.
    pub fn stream(&self, image: &[f32]) -> Rng {
        // FNV-1a over the pixels' bits: a stable, order-sensitive fingerprint of the image.
        let hash = image.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
            v.to_bits()
                .to_le_bytes()
                .iter()
                .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
        });
        Rng::seed_from(self.seed).fork(hash)
    }
}

/// How the gradients at the noisy copies are summarised, per pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// SmoothGrad: the mean of `|g|`.
    MeanAbs,
    /// SmoothGrad²: the mean of `g²`.
    MeanSquare,
    /// VarGrad: the (population) variance of `g`.
    Variance,
}

/// SmoothGrad-type maps of images `x [N, C, H, W]` for the chosen target: `statistic` of the
/// input gradients at `noise.samples` noisy copies of each image, maximised over channels.
pub fn smooth_grad<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
    noise: &Noise,
    statistic: Statistic,
) -> Result<Attribution> {
    noise.validate()?;
    let (n, [c, h, w]) = items(x)?;
    let explained = Explained::at(model, x, target, labels)?;
    let (item, samples) = (c * h * w, noise.samples);
    let mut rows = Vec::with_capacity(n * samples * item);
    for image in x.as_slice().chunks_exact(item) {
        let mut rng = noise.stream(image);
        for _ in 0..samples {
            rows.extend(image.iter().map(|&p| p + noise.sigma * rng.normal()));
        }
    }
    let rows = Tensor::from_vec(&[n * samples, c, h, w], rows)?;
    let classes: Vec<usize> =
        explained.targets.iter().flat_map(|&t| std::iter::repeat_n(t, samples)).collect();
    let (_, grads) = gradients_at(model, &rows, &classes, BackwardRules::default())?;

    let inv = 1.0 / samples as f32;
    let mut summary = vec![0.0f32; n * item];
    for (out, g) in summary.chunks_exact_mut(item).zip(grads.as_slice().chunks_exact(samples * item)) {
        match statistic {
            Statistic::MeanAbs => accumulate(out, g, inv, f32::abs),
            Statistic::MeanSquare => accumulate(out, g, inv, |v| v * v),
            Statistic::Variance => {
                let mut mean = vec![0.0f32; item];
                accumulate(&mut mean, g, inv, |v| v);
                for gs in g.chunks_exact(item) {
                    for ((o, &m), &v) in out.iter_mut().zip(&mean).zip(gs) {
                        *o += inv * (v - m) * (v - m);
                    }
                }
            }
        }
    }
    Ok(explained.with_maps(abs_max_channels(&Tensor::from_vec(x.dims(), summary)?)?))
}

/// `out += inv · Σ_s f(g_s)` over the samples `g_s` (chunks of `out.len()`) of `g`.
fn accumulate(out: &mut [f32], g: &[f32], inv: f32, f: impl Fn(f32) -> f32) {
    for gs in g.chunks_exact(out.len()) {
        out.iter_mut().zip(gs).for_each(|(o, &v)| *o += inv * f(v));
    }
}
