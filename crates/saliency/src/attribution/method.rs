//! [`Method`]: an attribution method with its settings, as the command line names it and as
//! `index.json` records it.

use super::{Baseline, IntegratedGradients, Noise, Occlusion};
use crate::writer::json_f32;
use crate::{Result, SaliencyError};
use serde_json::{Value, json};

/// The names of the methods, as `--method` takes them.
pub const METHOD_NAMES: [&str; 10] = [
    "vanilla",
    "grad-x-input",
    "integrated-gradients",
    "smoothgrad",
    "smoothgrad-sq",
    "vargrad",
    "guided-backprop",
    "deconvnet",
    "occlusion",
    "grad-cam",
];

/// An attribution method and its settings; see the [module table](super).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Method {
    /// `|∂S_c/∂x|` (Simonyan et al. 2014).
    Vanilla,
    /// `x ⊙ ∂S_c/∂x` (Shrikumar et al. 2016).
    GradientTimesInput,
    /// Integrated gradients (Sundararajan et al. 2017).
    IntegratedGradients(IntegratedGradients),
    /// Mean `|∂S_c/∂x|` over noisy copies (Smilkov et al. 2017).
    SmoothGrad(Noise),
    /// Mean `(∂S_c/∂x)²` over noisy copies.
    SmoothGradSquared(Noise),
    /// Variance of `∂S_c/∂x` over noisy copies (Adebayo et al. 2018).
    VarGrad(Noise),
    /// Guided backpropagation (Springenberg et al. 2014).
    GuidedBackprop,
    /// The deconvnet (Zeiler & Fergus 2014).
    Deconvnet,
    /// Occlusion by zeroed windows (Zeiler & Fergus 2014).
    Occlusion(Occlusion),
    /// Grad-CAM on the last rectified feature maps (Selvaraju et al. 2017).
    GradCam,
}

impl std::str::FromStr for Method {
    type Err = SaliencyError;

    /// A name of [`METHOD_NAMES`], with the default settings.
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "vanilla" => Method::Vanilla,
            "grad-x-input" => Method::GradientTimesInput,
            "integrated-gradients" => Method::IntegratedGradients(IntegratedGradients::default()),
            "smoothgrad" => Method::SmoothGrad(Noise::default()),
            "smoothgrad-sq" => Method::SmoothGradSquared(Noise::default()),
            "vargrad" => Method::VarGrad(Noise::default()),
            "guided-backprop" => Method::GuidedBackprop,
            "deconvnet" => Method::Deconvnet,
            "occlusion" => Method::Occlusion(Occlusion::default()),
            "grad-cam" => Method::GradCam,
            other => return Err(SaliencyError::UnknownMethod(other.into())),
        })
    }
}

impl Method {
    /// The method's name in [`METHOD_NAMES`].
    pub fn name(&self) -> &'static str {
        match self {
            Method::Vanilla => "vanilla",
            Method::GradientTimesInput => "grad-x-input",
            Method::IntegratedGradients(_) => "integrated-gradients",
            Method::SmoothGrad(_) => "smoothgrad",
            Method::SmoothGradSquared(_) => "smoothgrad-sq",
            Method::VarGrad(_) => "vargrad",
            Method::GuidedBackprop => "guided-backprop",
            Method::Deconvnet => "deconvnet",
            Method::Occlusion(_) => "occlusion",
            Method::GradCam => "grad-cam",
        }
    }

    /// Inputs evaluated per image (rows of the batch a pass stacks), for a 28×28 image.
    pub fn rows_per_image(&self) -> usize {
        match self {
            Method::IntegratedGradients(ig) => ig.steps + 1,
            Method::SmoothGrad(n) | Method::SmoothGradSquared(n) | Method::VarGrad(n) => n.samples,
            Method::Occlusion(o) => o.windows(atrous_tensor::mnist::IMAGE_SIDE).max(1),
            _ => 1,
        }
        .max(1)
    }

    /// Whether maps take both signs (the others are `≥ 0`).
    pub fn is_signed(&self) -> bool {
        matches!(
            self,
            Method::GradientTimesInput
                | Method::IntegratedGradients(_)
                | Method::GuidedBackprop
                | Method::Deconvnet
                | Method::Occlusion(_)
        )
    }

    /// Refuses settings that cannot work, naming the setting.
    pub fn validate(&self) -> Result<()> {
        match self {
            Method::IntegratedGradients(ig) => ig.validate(),
            Method::SmoothGrad(n) | Method::SmoothGradSquared(n) | Method::VarGrad(n) => n.validate(),
            Method::Occlusion(o) => o.validate(),
            _ => Ok(()),
        }
    }

    /// What a map holds, in one line (`index.json`'s `map`).
    pub fn meaning(&self) -> &'static str {
        match self {
            Method::Vanilla => "|dS_c/dx|, x = pixels in [0, 1], S_c = logit of the target class",
            Method::GradientTimesInput => {
                "x * dS_c/dx (signed), x = pixels in [0, 1], S_c = logit of the target class"
            }
            Method::IntegratedGradients(_) => {
                "(x - b) * integral over a in [0, 1] of dS_c/dx at b + a (x - b), trapezoid rule (signed)"
            }
            Method::SmoothGrad(_) => "mean over noisy copies x + N(0, sigma^2) of |dS_c/dx|",
            Method::SmoothGradSquared(_) => "mean over noisy copies x + N(0, sigma^2) of (dS_c/dx)^2",
            Method::VarGrad(_) => "variance over noisy copies x + N(0, sigma^2) of dS_c/dx",
            Method::GuidedBackprop => {
                "dS_c/dx with guided-backpropagation ReLUs, max(dy, 0) where active (signed)"
            }
            Method::Deconvnet => "dS_c/dx with deconvnet ReLUs, max(dy, 0) (signed)",
            Method::Occlusion(_) => {
                "mean over the windows covering a pixel of S_c(x) - S_c(x with the window set to 0) (signed)"
            }
            Method::GradCam => {
                "ReLU(sum_k a_k A_k), A = last rectified conv feature maps, a_k = spatial mean of dS_c/dA_k; bilinear upsampling (half-pixel centres)"
            }
        }
    }

    /// The settings, as `index.json`'s `parameters` records them.
    pub fn parameters(&self) -> Value {
        match self {
            Method::IntegratedGradients(ig) => json!({
                "steps": ig.steps,
                "rule": "trapezoid",
                "baseline": match &ig.baseline {
                    Baseline::Zero => json!("zero"),
                    Baseline::Mean(_) => json!("mean"),
                    Baseline::Blur { sigma } => json!({"blur_sigma": json_f32(*sigma)}),
                },
            }),
            Method::SmoothGrad(n) | Method::SmoothGradSquared(n) | Method::VarGrad(n) => json!({
                "samples": n.samples,
                "sigma": json_f32(n.sigma),
                "seed": n.seed,
                "noise": "per image: Rng::seed_from(seed).fork(hash of the image's pixels)",
            }),
            Method::Occlusion(o) => json!({"window": o.window, "stride": o.stride, "baseline": 0}),
            Method::GradCam => json!({"layer": "last rectified [N, C, H, W] feature map"}),
            _ => json!({}),
        }
    }
}
