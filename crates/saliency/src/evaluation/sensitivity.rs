//! Max-sensitivity (Yeh et al. 2019, "On the (In)fidelity and Sensitivity of Explanations"):
//! how much a map moves when the image moves a little,
//!
//! `SENS_max(Φ, x) = max_j ‖Φ(x + δ_j) − Φ(x)‖_F / ‖Φ(x)‖_F`,
//!
//! over `samples` perturbations `δ_j` drawn uniformly from the L∞ ball of radius `r`
//! (each pixel independently from `U(−r, r)`, not clipped to `[0, 1]`), from
//! `Rng::seed_from(seed).fork(image)` for image `image` of its split. Φ is always the map of
//! the class explained at `x` itself. The norm is divided by `‖Φ(x)‖_F` so methods with
//! different units compare; an image whose map is all zero has no defined value (`NaN`).

use super::maps_for;
use crate::attribution::{Method, items};
use crate::{Result, SaliencyError};
use atrous_autograd::Classifier;
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// Largest number of perturbations accepted (a typo must not ask for millions of maps).
pub const MAX_SAMPLES: usize = 10_000;

/// The perturbations of max-sensitivity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sensitivity {
    /// Radius of the L∞ ball, pixel units (default 0.05).
    pub radius: f32,
    /// Perturbations per image (default 50).
    pub samples: usize,
    /// Seed of the perturbations (default 0).
    pub seed: u64,
}

impl Default for Sensitivity {
    fn default() -> Self {
        Sensitivity { radius: 0.05, samples: 50, seed: 0 }
    }
}

impl Sensitivity {
    /// Refuses a radius that is not a positive finite number and a sample count outside
    /// `1..=MAX_SAMPLES`.
    pub fn validate(&self) -> Result<()> {
        if !(self.radius > 0.0 && self.radius.is_finite()) {
            return Err(SaliencyError::Setting {
                setting: "max-sensitivity radius",
                value: f64::from(self.radius),
                rule: "must be a positive finite number",
            });
        }
        if !(1..=MAX_SAMPLES).contains(&self.samples) {
            return Err(SaliencyError::Setting {
                setting: "max-sensitivity samples",
                value: self.samples as f64,
                rule: "must be in 1..=10000",
            });
        }
        Ok(())
    }
}

/// The images max-sensitivity is measured at, with their maps.
#[derive(Clone, Copy, Debug)]
pub struct Explained<'a> {
    /// Images `[N, C, H, W]`, pixels in `[0, 1]`.
    pub x: &'a Tensor,
    /// Their maps `[N, H, W]` by the method measured.
    pub maps: &'a Tensor,
    /// The class each map explains.
    pub classes: &'a [usize],
    /// The images' indices in their split (they seed the perturbations).
    pub ids: &'a [usize],
}

/// Max-sensitivity of `method` at each image of `e`, about `batch` rows per
/// forward/backward pass.
pub fn max_sensitivity<M: Classifier + ?Sized>(
    model: &M,
    e: &Explained<'_>,
    method: &Method,
    config: &Sensitivity,
    batch: usize,
) -> Result<Vec<f64>> {
    let Explained { x, maps, classes, ids } = *e;
    config.validate()?;
    let (n, [c, h, w]) = items(x)?;
    let (item, plane, s) = (c * h * w, h * w, config.samples);
    if ids.len() != n || classes.len() != n || maps.len() != n * plane {
        return Err(SaliencyError::Length {
            what: "max-sensitivity inputs",
            dims: vec![n, h, w],
            expected: n,
            found: ids.len(),
        });
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let image = &x.as_slice()[i * item..(i + 1) * item];
        let mut rng = Rng::seed_from(config.seed).fork(ids[i] as u64);
        let mut rows = Vec::with_capacity(s * item);
        for _ in 0..s {
            rows.extend(image.iter().map(|&p| p + rng.uniform(-config.radius, config.radius)));
        }
        let rows = Tensor::from_vec(&[s, c, h, w], rows)?;
        let moved = maps_for(model, &rows, &vec![classes[i]; s], method, batch)?;
        let phi = &maps.as_slice()[i * plane..(i + 1) * plane];
        let norm = phi.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
        let worst = moved
            .as_slice()
            .chunks_exact(plane)
            .map(|m| {
                m.iter().zip(phi).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum::<f64>().sqrt()
            })
            .fold(0.0f64, f64::max);
        out.push(if norm > 0.0 { worst / norm } else { f64::NAN });
    }
    Ok(out)
}
