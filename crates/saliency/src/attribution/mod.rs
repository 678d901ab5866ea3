//! Attribution methods: which pixels a class score rests on, by the paper's gradient and the
//! methods that followed it, each on any [`Classifier`] and for the class [`Target`] picks.
//!
//! Every method maps images `x [N, C, H, W]` (pixels in `[0, 1]`) to maps `[N, H, W]` for the
//! logit `S_c` of one class per image, chosen at `x` itself (perturbed inputs keep that class):
//!
//! | method | map | module |
//! | --- | --- | --- |
//! | `vanilla` | `\|∂S_c/∂x\|`, the paper's (maximised over channels) | [`crate::saliency`] |
//! | `grad-x-input` | `x ⊙ ∂S_c/∂x` (signed) | [`gradients`] |
//! | `guided-backprop` | `∂S_c/∂x` with ReLUs passing `max(dy, 0)` where active (signed) | [`gradients`] |
//! | `deconvnet` | `∂S_c/∂x` with ReLUs passing `max(dy, 0)` (signed) | [`gradients`] |
//! | `integrated-gradients` | `(x − b) ⊙ ∫₀¹ ∂S_c/∂x (b + α(x − b)) dα`, trapezoid rule (signed) | [`integrated`] |
//! | `smoothgrad`, `smoothgrad-sq`, `vargrad` | mean `\|g\|`, mean `g²`, variance of `g` over `x + N(0, σ²)` | [`smooth`] |
//! | `occlusion` | mean drop of `S_c` over the zeroed windows covering a pixel | [`occlusion`] |
//! | `grad-cam` | `ReLU(Σ_k α_k A_k)` of the last rectified feature maps, upsampled | [`grad_cam`] |
//!
//! Signed maps are summed over channels, the others maximised over channels (MNIST has one).
//! Methods that evaluate many inputs per image (integrated gradients, SmoothGrad, occlusion)
//! stack them into one batch, so each image costs one forward/backward pass of many rows;
//! [`attribute_split`] sizes its passes accordingly.
//!
//! ```
//! use atrous_autograd::nn::{DilNet, DilNetConfig};
//! use atrous_saliency::attribution::{Method, attribute};
//! use atrous_saliency::saliency::Target;
//! use atrous_tensor::{Tensor, rng::Rng};
//!
//! let model = DilNet::new(DilNetConfig::reference(1), &mut Rng::seed_from(0))?;
//! let x = Tensor::uniform(&[2, 1, 28, 28], 0.0, 1.0, &mut Rng::seed_from(1));
//! let method: Method = "integrated-gradients".parse()?;
//! let a = attribute(&model, &x, Target::Predicted, None, &method)?;
//! assert_eq!(a.maps.dims(), &[2, 28, 28]);
//! // Completeness: the map sums to S_c(x) − S_c(0), up to the quadrature error.
//! assert!(a.completeness_gap.unwrap().iter().all(|g| g.is_finite()));
//! # Ok::<(), atrous_saliency::SaliencyError>(())
//! ```

pub mod grad_cam;
pub mod gradients;
pub mod integrated;
pub mod occlusion;
pub mod smooth;

mod method;

pub use integrated::{Baseline, IntegratedGradients};
pub use method::{METHOD_NAMES, Method};
pub use occlusion::Occlusion;
pub use smooth::{Noise, Statistic};

use crate::error::check_finite;
use crate::gradient::score_gradient;
use crate::saliency::{SaliencyMaps, Target, saliency_maps};
use crate::{Result, SaliencyError};
use atrous_autograd::{BackwardRules, Classifier};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::MnistSplit;
use smooth::smooth_grad;

/// Attribution maps of a batch and what they explain.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    /// One map per image, `[N, H, W]`.
    pub maps: Tensor,
    /// The class explained for each image.
    pub targets: Vec<usize>,
    /// `S_c(x)` of the explained class for each image.
    pub scores: Vec<f32>,
    /// The predicted class of each image.
    pub predictions: Vec<usize>,
    /// Integrated gradients only: `|Σ map − (S_c(x) − S_c(b))|` per image, how far the
    /// quadrature is from the completeness the exact integral has.
    pub completeness_gap: Option<Vec<f32>>,
}

impl From<SaliencyMaps> for Attribution {
    fn from(s: SaliencyMaps) -> Self {
        Attribution {
            maps: s.maps,
            targets: s.targets,
            scores: s.scores,
            predictions: s.predictions,
            completeness_gap: None,
        }
    }
}

/// The class each image is explained for, decided from the scores at the image itself.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Explained {
    pub targets: Vec<usize>,
    pub scores: Vec<f32>,
    pub predictions: Vec<usize>,
}

impl Explained {
    /// Resolves `target` against `logits [N, classes]` as [`saliency_maps`] does.
    pub fn resolve(logits: &Tensor, target: Target, labels: Option<&[usize]>) -> Result<Self> {
        let classes = logits.dims().last().copied().unwrap_or(0);
        let predictions = logits.argmax_last()?;
        let targets = target.resolve(&predictions, labels, classes)?;
        let scores = picked(logits, &targets);
        Ok(Explained { targets, scores, predictions })
    }

    /// Runs the model forward on `x` (nothing recorded) and resolves `target`.
    pub fn at<M: Classifier + ?Sized>(
        model: &M,
        x: &Tensor,
        target: Target,
        labels: Option<&[usize]>,
    ) -> Result<Self> {
        Explained::resolve(&model.predict(x)?, target, labels)
    }

    pub fn with_maps(self, maps: Tensor) -> Attribution {
        Attribution {
            maps,
            targets: self.targets,
            scores: self.scores,
            predictions: self.predictions,
            completeness_gap: None,
        }
    }
}

/// `logits[r, classes[r]]` for each row `r`.
pub(crate) fn picked(logits: &Tensor, classes: &[usize]) -> Vec<f32> {
    let width = logits.dims().last().copied().unwrap_or(0);
    classes.iter().enumerate().map(|(r, &c)| logits.as_slice()[r * width + c]).collect()
}

/// `S_{classes[r]}` and its input gradient at every row of `rows [R, C, H, W]`, in one pass.
pub(crate) fn gradients_at<M: Classifier + ?Sized>(
    model: &M,
    rows: &Tensor,
    classes: &[usize],
    rules: BackwardRules,
) -> Result<(Vec<f32>, Tensor)> {
    let g = score_gradient(model, rows, |_| Ok(classes.to_vec()), rules)?;
    Ok((picked(&g.logits, classes), g.gradient))
}

/// Splits `[N, C, H, W]` into `N` items of `C·H·W` values and their `[C, H, W]`.
pub(crate) fn items(x: &Tensor) -> Result<(usize, [usize; 3])> {
    match *x.dims() {
        [n, c, h, w] => Ok((n, [c, h, w])),
        _ => Err(SaliencyError::Shape {
            what: "images",
            expected: "[N, C, H, W]".into(),
            found: x.shape().clone(),
        }),
    }
}

/// `Σ_c t[n, c, ·, ·]`: a signed `[N, C, H, W]` attribution as one `[N, H, W]` map.
pub(crate) fn sum_channels(t: &Tensor) -> Result<Tensor> {
    let (n, [c, h, w]) = items(t)?;
    let plane = h * w;
    let mut out = vec![0.0f32; n * plane];
    for (item, dst) in t.as_slice().chunks_exact(c * plane).zip(out.chunks_exact_mut(plane)) {
        for channel in item.chunks_exact(plane) {
            dst.iter_mut().zip(channel).for_each(|(m, &v)| *m += v);
        }
    }
    Ok(Tensor::from_vec(&[n, h, w], out)?)
}

/// Attribution maps of images `x [N, C, H, W]` (pixels in `[0, 1]`) by `method`, for the
/// chosen target (`labels` is needed only for [`Target::Label`]). All of `x`'s rows go through
/// one pass: `N ·` [`Method::rows_per_image`] rows; [`attribute_split`] keeps passes small.
pub fn attribute<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
    method: &Method,
) -> Result<Attribution> {
    method.validate()?;
    match method {
        Method::Vanilla => saliency_maps(model, x, target, labels).map(Attribution::from),
        Method::GradientTimesInput => gradients::gradient_times_input(model, x, target, labels),
        Method::GuidedBackprop => gradients::guided_backprop(model, x, target, labels),
        Method::Deconvnet => gradients::deconvnet(model, x, target, labels),
        Method::IntegratedGradients(ig) => integrated::integrated_gradients(model, x, target, labels, ig),
        Method::SmoothGrad(noise) => smooth_grad(model, x, target, labels, noise, Statistic::MeanAbs),
        Method::SmoothGradSquared(noise) => {
            smooth_grad(model, x, target, labels, noise, Statistic::MeanSquare)
        }
        Method::VarGrad(noise) => smooth_grad(model, x, target, labels, noise, Statistic::Variance),
        Method::Occlusion(o) => occlusion::occlusion(model, x, target, labels, o),
        Method::GradCam => grad_cam::grad_cam(model, x, target, labels),
    }
}

/// Attribution maps of the images `indices` of `data` by `method`, concatenated in the order
/// of `indices`. Each pass holds about `batch` rows (whole images, at least one), so a method
/// with 51 rows per image explains one or two images per pass at the default batch of 100.
pub fn attribute_split<M: Classifier + ?Sized>(
    model: &M,
    data: &MnistSplit,
    indices: &[usize],
    target: Target,
    method: &Method,
    batch: usize,
) -> Result<Attribution> {
    if indices.is_empty() {
        return Err(SaliencyError::NoImage);
    }
    method.validate()?;
    let images_per_pass = (batch / method.rows_per_image()).max(1);
    let (mut maps, mut targets, mut scores, mut predictions) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut gaps: Option<Vec<f32>> = None;
    let mut plane = [0, 0];
    for chunk in indices.chunks(images_per_pass) {
        let b = data.batch(chunk);
        let a = attribute(model, &b.x, target, Some(&b.labels), method)?;
        if let &[_, h, w] = a.maps.dims() {
            plane = [h, w];
        }
        maps.extend_from_slice(a.maps.as_slice());
        targets.extend(a.targets);
        scores.extend(a.scores);
        predictions.extend(a.predictions);
        if let Some(g) = a.completeness_gap {
            gaps.get_or_insert_with(Vec::new).extend(g);
        }
    }
    check_finite("the class score of test image", &scores, 1, |i| indices[i])?;
    check_finite("the map of test image", &maps, plane[0] * plane[1], |i| indices[i])?;
    let maps = Tensor::from_vec(&[indices.len(), plane[0], plane[1]], maps)?;
    Ok(Attribution { maps, targets, scores, predictions, completeness_gap: gaps })
}
