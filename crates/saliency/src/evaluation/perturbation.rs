//! Deletion and insertion curves (Petsiuk et al. 2018, RISE §4.1): how fast the probability of
//! the explained class falls as the pixels a map ranks highest are removed, and how fast it
//! rises as they are put back into a blank image.
//!
//! - **Ranking**: pixels by map value, highest first, signed maps by value as given (negative
//!   evidence is removed last); equal values keep pixel order (row-major), so a ranking is a
//!   pure function of the map. A pixel covers every channel.
//! - **Steps**: `⌈P / steps⌉` pixels per step of `P` (8 of 784 at the default 100 steps: 1%,
//!   rounded up), `steps + 1` points from nothing perturbed to everything; the curve's x is the
//!   fraction of pixels perturbed, `min(k·⌈P/steps⌉, P) / P`, so the last points sit at 1.
//! - **Replacement**: deletion sets a pixel to [`DELETED_VALUE`] (0, the black MNIST
//!   background, in pixel units `[0, 1]`); insertion starts from the blank image of
//!   [`INSERTION_START`] (all 0) and restores the image's own pixel values.
//! - **Curve**: the softmax probability of the target class (the class explained at the clean
//!   image); the AUC is the trapezoid rule over x on `[0, 1]`. Low deletion AUC and high
//!   insertion AUC are good.
//!
//! All perturbed inputs of a group of images go through one forward pass; a step that changes
//! no pixel reuses the previous point's probability instead of evaluating the same input again.

use super::metrics::trapezoid;
use crate::attribution::items;
use crate::{Result, SaliencyError};
use atrous_autograd::Classifier;
use atrous_tensor::Tensor;
use atrous_tensor::reduce::softmax;
use atrous_tensor::rng::Rng;

/// The value a deleted pixel takes (black background, pixel units).
pub const DELETED_VALUE: f32 = 0.0;
/// The value of every pixel of the image insertion starts from (a blank, black image).
pub const INSERTION_START: f32 = 0.0;
/// Default number of steps (1% of the pixels per step, rounded up).
pub const DEFAULT_STEPS: usize = 100;

/// Pixel indices by `map` value, highest first; ties in pixel order.
pub fn ranking(map: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..map.len()).collect();
    // Stable sort: equal values keep their pixel order.
    order.sort_by(|&a, &b| map[b].total_cmp(&map[a]));
    order
}

/// The random-order baseline for image `image` of its split: a permutation of `pixels` drawn
/// from `Rng::seed_from(seed).fork(image)`, so it does not depend on batching.
pub fn random_ranking(pixels: usize, seed: u64, image: usize) -> Vec<usize> {
    Rng::seed_from(seed).fork(image as u64).permutation(pixels)
}

/// The pixel-intensity baseline: brightest pixel first (summed over channels), ties in pixel
/// order.
pub fn intensity_ranking(image: &[f32], pixels: usize) -> Vec<usize> {
    let channels = image.len() / pixels.max(1);
    let brightness: Vec<f32> =
        (0..pixels).map(|p| (0..channels).map(|c| image[c * pixels + p]).sum()).collect();
    ranking(&brightness)
}

/// Deletion and insertion curves of a set of images under one ranking each.
#[derive(Clone, Debug, PartialEq)]
pub struct Curves {
    /// Fraction of pixels perturbed at each point, `steps + 1` values from 0 to 1.
    pub x: Vec<f64>,
    /// Per image, the target probability as pixels are deleted.
    pub deletion: Vec<Vec<f64>>,
    /// Per image, the target probability as pixels are inserted into the blank image.
    pub insertion: Vec<Vec<f64>>,
}

impl Curves {
    /// Per image, the area under the deletion curve.
    pub fn deletion_auc(&self) -> Vec<f64> {
        self.deletion.iter().map(|y| trapezoid(&self.x, y)).collect()
    }

    /// Per image, the area under the insertion curve.
    pub fn insertion_auc(&self) -> Vec<f64> {
        self.insertion.iter().map(|y| trapezoid(&self.x, y)).collect()
    }

    /// The mean curve over images of `curves` (one value per point).
    pub fn mean(curves: &[Vec<f64>]) -> Vec<f64> {
        let n = curves.len().max(1) as f64;
        let len = curves.first().map_or(0, Vec::len);
        (0..len).map(|k| curves.iter().map(|c| c[k]).sum::<f64>() / n).collect()
    }
}

/// Pixels perturbed after each of the `steps + 1` points, for `pixels` pixels.
pub fn perturbed_counts(pixels: usize, steps: usize) -> Vec<usize> {
    let per_step = pixels.div_ceil(steps.max(1));
    (0..=steps).map(|k| (k * per_step).min(pixels)).collect()
}

/// Deletion and insertion curves of images `x [N, C, H, W]` (pixels in `[0, 1]`), each image
/// `n` perturbed in the order `rankings[n]` (pixel indices of `H·W`), for the class
/// `targets[n]`, with `steps` steps. About `batch` rows go through each forward pass (whole
/// images, `2·(steps + 1)` rows each).
pub fn perturbation_curves<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    rankings: &[Vec<usize>],
    targets: &[usize],
    steps: usize,
    batch: usize,
) -> Result<Curves> {
    let (n, [c, h, w]) = items(x)?;
    let pixels = h * w;
    if steps == 0 {
        return Err(SaliencyError::Setting {
            setting: "perturbation steps",
            value: 0.0,
            rule: "must be at least 1",
        });
    }
    if rankings.len() != n || targets.len() != n || rankings.iter().any(|r| r.len() != pixels) {
        return Err(SaliencyError::Length {
            what: "rankings and targets",
            dims: vec![n, pixels],
            expected: n,
            found: rankings.len().min(targets.len()),
        });
    }
    let counts = perturbed_counts(pixels, steps);
    let points = steps + 1;
    let item = c * pixels;
    let per_pass = (batch / (2 * points)).max(1);
    let mut curves = Curves {
        x: counts.iter().map(|&m| m as f64 / pixels as f64).collect(),
        deletion: Vec::with_capacity(n),
        insertion: Vec::with_capacity(n),
    };
    for first in (0..n).step_by(per_pass) {
        let group = first..(first + per_pass).min(n);
        let mut rows = Vec::with_capacity(group.len() * 2 * points * item);
        // Row of each point: a step that changes no pixel (deleting black pixels, inserting
        // them into the black start) repeats the previous row, which is not evaluated again.
        let mut row_of = Vec::with_capacity(group.len() * 2 * points);
        let mut count = 0;
        for i in group.clone() {
            let image = &x.as_slice()[i * item..(i + 1) * item];
            let order = &rankings[i];
            for (start, from_image) in [(image.to_vec(), false), (vec![INSERTION_START; item], true)] {
                let mut row = start;
                let mut done = 0;
                for (k, &m) in counts.iter().enumerate() {
                    let mut changed = k == 0;
                    for &p in &order[done..m] {
                        for ch in 0..c {
                            let at = ch * pixels + p;
                            let v = if from_image { image[at] } else { DELETED_VALUE };
                            changed |= row[at] != v;
                            row[at] = v;
                        }
                    }
                    done = m;
                    if changed {
                        rows.extend_from_slice(&row);
                        count += 1;
                    }
                    row_of.push(count - 1);
                }
            }
        }
        let rows = Tensor::from_vec(&[count, c, h, w], rows)?;
        let logits = model.predict(&rows)?;
        let classes = model.classes();
        let prob = |point: usize, target: usize| {
            let r = row_of[point];
            f64::from(softmax(&logits.as_slice()[r * classes..(r + 1) * classes])[target])
        };
        for (g, i) in group.enumerate() {
            let base = g * 2 * points;
            curves.deletion.push((0..points).map(|k| prob(base + k, targets[i])).collect());
            curves.insertion.push((0..points).map(|k| prob(base + points + k, targets[i])).collect());
        }
    }
    Ok(curves)
}
