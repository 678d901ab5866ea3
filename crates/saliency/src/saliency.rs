//! Image-specific class saliency (Simonyan et al. 2014, §3).
//!
//! For an image `x` (pixels in `[0, 1]`) and a class `c`, the saliency map is `M = |∂S_c/∂x|`,
//! the magnitude of the derivative of the *unnormalised* class score `S_c` (the logit: the softmax
//! could be raised by lowering the other classes), maximised over channels. One backward pass
//! serves a whole batch: the seed is one-hot per item and no layer mixes items.

use crate::grad::Forward;
use crate::{Result, SaliencyError};
use atrous_autograd::nn::DilNet;
use atrous_tensor::Tensor;

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
            n => n.parse().map(Target::Class).map_err(|_| {
                SaliencyError::Config(format!(
                    "target {n:?} is not \"predicted\", \"label\" or a class number"
                ))
            }),
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
                let labels =
                    labels.ok_or_else(|| SaliencyError::Config("target \"label\" needs labels".into()))?;
                if labels.len() != predictions.len() {
                    return Err(SaliencyError::Config(format!(
                        "{} labels for {} images",
                        labels.len(),
                        predictions.len()
                    )));
                }
                labels.to_vec()
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
        return Err(SaliencyError::Config(format!("gradient must be [N, C, H, W], got {}", w.shape())));
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

/// Saliency maps of images `x [N, 1, side, side]` (pixels in `[0, 1]`) for the chosen target;
/// `labels` is needed only for [`Target::Label`].
pub fn saliency_maps(
    model: &DilNet,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
) -> Result<SaliencyMaps> {
    let fwd = Forward::run(model, x)?;
    let logits = fwd.logits();
    let predictions = logits.argmax_last()?;
    let classes = model.config.classes;
    let targets = target.resolve(&predictions, labels, classes)?;
    let gradient = fwd.class_gradient(&targets)?;
    let scores = targets.iter().enumerate().map(|(i, &c)| logits.as_slice()[i * classes + c]).collect();
    Ok(SaliencyMaps { maps: abs_max_channels(&gradient)?, gradient, targets, scores, predictions })
}
