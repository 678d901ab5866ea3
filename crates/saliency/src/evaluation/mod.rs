//! Does a map explain the model? The standard checks of attribution methods, for any method of
//! [`crate::attribution`]:
//!
//! | check | question | module |
//! | --- | --- | --- |
//! | deletion / insertion (Petsiuk et al. 2018) | do the pixels ranked first carry the class? | [`perturbation`] |
//! | cascading model-parameter and label randomisation (Adebayo et al. 2018) | does the map change when the model is destroyed? | [`randomisation`] |
//! | max-sensitivity (Yeh et al. 2019) | does the map stay put when the image barely moves? | [`sensitivity`] |
//!
//! [`metrics`] holds the arithmetic they share (trapezoid, Spearman with average ranks, SSIM,
//! means with Student-t intervals); [`suite`] runs every check for a list of methods on test
//! images (what `atrous evaluate` and the study call); [`report`] and [`figures`] write its
//! JSON, CSVs and pictures.
//!
//! ```
//! use atrous_saliency::evaluation::metrics::{spearman, trapezoid};
//!
//! // Ties get their average rank: [1, 2, 2, 3] ranks as [1, 2.5, 2.5, 4].
//! let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
//! assert!((rho - 4.5 / 22.5f64.sqrt()).abs() < 1e-12);
//! assert_eq!(trapezoid(&[0.0, 0.5, 1.0], &[1.0, 0.5, 0.0]), 0.5);
//! ```

pub mod figures;
pub mod metrics;
pub mod perturbation;
pub mod randomisation;
pub mod report;
pub mod sensitivity;
pub mod suite;

use crate::Result;
use crate::attribution::{Method, attribute, items};
use crate::saliency::Target;
use atrous_autograd::Classifier;
use atrous_tensor::Tensor;

/// Maps `[N, H, W]` of images `x [N, C, H, W]` by `method` for the given class of each image
/// (not re-decided at `x`: perturbed and randomised inputs keep the class of the original).
/// Each pass holds about `batch` rows (whole images, at least one).
pub fn maps_for<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    classes: &[usize],
    method: &Method,
    batch: usize,
) -> Result<Tensor> {
    let (n, [c, h, w]) = items(x)?;
    let item = c * h * w;
    let per_pass = (batch / method.rows_per_image()).max(1);
    let mut maps = Vec::with_capacity(n * h * w);
    for first in (0..n).step_by(per_pass) {
        let last = (first + per_pass).min(n);
        let chunk =
            Tensor::from_vec(&[last - first, c, h, w], x.as_slice()[first * item..last * item].to_vec())?;
        let a = attribute(model, &chunk, Target::Label, Some(&classes[first..last]), method)?;
        maps.extend_from_slice(a.maps.as_slice());
    }
    Ok(Tensor::from_vec(&[n, h, w], maps)?)
}
