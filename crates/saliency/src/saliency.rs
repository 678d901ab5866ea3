//! Image-specific class saliency (Simonyan et al. 2014, §3).
//!
//! For an image `x` (pixels in `[0, 1]`) and a class `c`, the saliency map is `M = |∂S_c/∂x|`,
//! the magnitude of the derivative of the *unnormalised* class score `S_c` (the logit: the softmax
//! could be raised by lowering the other classes), maximised over channels. One backward pass
//! serves a whole batch: the seed is one-hot per item and no layer mixes items.

use crate::error::check_finite;
use crate::gradient::score_gradient;
use crate::{Result, SaliencyError};
use atrous_autograd::{BackwardRules, Classifier};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::MnistSplit;

/// Which class score a saliency map explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The class the model predicts (the paper's choice; the default).
    Predicted,
    /// The image's true label.
    Label,
    /// One given class for every image.
    Class(usize),
}

impl std::str::FromStr for Target {
    type Err = SaliencyError;

    /// `predicted`, `label`, or a class number.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "predicted" => Ok(Target::Predicted),
            "label" => Ok(Target::Label),
            n => n.parse().map(Target::Class).map_err(|_| SaliencyError::UnknownTarget(n.into())),
        }
    }
}

impl Target {
    /// The class of each item, given the predictions and (for [`Target::Label`]) the labels.
    pub fn resolve(
        &self,
        predictions: &[usize],
        labels: Option<&[usize]>,
        classes: usize,
    ) -> Result<Vec<usize>> {
        let chosen = match *self {
            Target::Predicted => predictions.to_vec(),
            Target::Label => {
                let images = predictions.len();
                match labels {
                    Some(labels) if labels.len() == images => labels.to_vec(),
                    _ => {
                        return Err(SaliencyError::Labels {
                            labels: labels.map_or(0, <[usize]>::len),
                            images,
                        });
                    }
                }
            }
            Target::Class(c) => vec![c; predictions.len()],
        };
        match chosen.iter().find(|&&c| c >= classes) {
            Some(&class) => Err(SaliencyError::Class { class, classes }),
            None => Ok(chosen),
        }
    }
}

/// Saliency maps of a batch and what they explain.
#[derive(Clone, Debug, PartialEq)]
pub struct SaliencyMaps {
    /// `|∂S_c/∂x|` maximised over channels, `[N, H, W]`.
    pub maps: Tensor,
    /// The signed gradient `∂S_c/∂x`, `[N, C, H, W]`.
    pub gradient: Tensor,
    /// The class explained for each image.
    pub targets: Vec<usize>,
    /// `S_c` of the explained class for each image.
    pub scores: Vec<f32>,
    /// The predicted class of each image.
    pub predictions: Vec<usize>,
}

/// `|w|` maximised over the channel axis of `w [N, C, H, W]`, giving `[N, H, W]`.
pub fn abs_max_channels(w: &Tensor) -> Result<Tensor> {
    let &[n, c, h, wd] = w.dims() else {
        return Err(SaliencyError::Shape {
            what: "a gradient",
            expected: "[N, C, H, W]".into(),
            found: w.shape().clone(),
        });
    };
    let plane = h * wd;
    let mut out = vec![0.0f32; n * plane];
    for (item, dst) in w.as_slice().chunks_exact(c * plane).zip(out.chunks_exact_mut(plane)) {
        for channel in item.chunks_exact(plane) {
            for (m, &g) in dst.iter_mut().zip(channel) {
                *m = m.max(g.abs());
            }
        }
    }
    Ok(Tensor::from_vec(&[n, h, wd], out)?)
}

/// Saliency maps of images `x [N, C, H, W]` (pixels in `[0, 1]`) for the chosen target;
/// `labels` is needed only for [`Target::Label`].
pub fn saliency_maps<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
) -> Result<SaliencyMaps> {
    let classes = model.classes();
    let mut predictions = Vec::new();
    let g = score_gradient(
        model,
        x,
        |logits| {
            predictions = logits.argmax_last()?;
            target.resolve(&predictions, labels, classes)
        },
        BackwardRules::default(),
    )?;
    let scores = g.classes.iter().enumerate().map(|(i, &c)| g.logits.as_slice()[i * classes + c]).collect();
    Ok(SaliencyMaps {
        maps: abs_max_channels(&g.gradient)?,
        gradient: g.gradient,
        targets: g.classes,
        scores,
        predictions,
    })
}

/// Saliency maps of the images `indices` of `data`, `batch` images per forward/backward pass,
/// concatenated in the order of `indices`.
pub fn saliency_of_split<M: Classifier + ?Sized>(
    model: &M,
    data: &MnistSplit,
    indices: &[usize],
    target: Target,
    batch: usize,
) -> Result<SaliencyMaps> {
    if indices.is_empty() {
        return Err(SaliencyError::NoImage);
    }
    let (mut maps, mut gradient) = (Vec::new(), Vec::new());
    let (mut targets, mut scores, mut predictions) = (Vec::new(), Vec::new(), Vec::new());
    for chunk in indices.chunks(batch.max(1)) {
        let b = data.batch(chunk);
        let s = saliency_maps(model, &b.x, target, Some(&b.labels))?;
        maps.extend_from_slice(s.maps.as_slice());
        gradient.extend_from_slice(s.gradient.as_slice());
        targets.extend(s.targets);
        scores.extend(s.scores);
        predictions.extend(s.predictions);
    }
    let [c, h, w] = model.input_dims();
    check_finite("the class score of test image", &scores, 1, |i| indices[i])?;
    check_finite("the saliency map of test image", &maps, h * w, |i| indices[i])?;
    let n = indices.len();
    Ok(SaliencyMaps {
        maps: Tensor::from_vec(&[n, h, w], maps)?,
        gradient: Tensor::from_vec(&[n, c, h, w], gradient)?,
        targets,
        scores,
        predictions,
    })
}
