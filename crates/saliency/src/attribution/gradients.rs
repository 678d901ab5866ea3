//! Methods read from one backward pass at the image itself: Grad×Input, and the ReLU backward
//! rules of guided backpropagation and the deconvnet (Simonyan et al. §4 relate the deconvnet
//! to the gradient; the two differ only in how a ReLU passes a signal back).

use super::{Attribution, Explained, sum_channels};
use crate::Result;
use crate::gradient::score_gradient;
use crate::saliency::Target;
use atrous_autograd::{BackwardRules, Classifier, ReluBackward};
use atrous_tensor::Tensor;

/// The target of each image and what flows back to it from its score under `rules`.
fn backward_at<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
    rules: BackwardRules,
) -> Result<(Explained, Tensor)> {
    let choose = |logits: &Tensor| Ok(Explained::resolve(logits, target, labels)?.targets);
    let g = score_gradient(model, x, choose, rules)?;
    // Resolving again from the returned scores is a cheap argmax and gives the same classes.
    Ok((Explained::resolve(&g.logits, target, labels)?, g.gradient))
}

/// `x ⊙ ∂S_c/∂x`, summed over channels: the first-order share of each pixel in `S_c(x) −
/// S_c(0)`, exact for a model linear in `x` with `S_c(0) = 0`.
pub fn gradient_times_input<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
) -> Result<Attribution> {
    let (e, g) = backward_at(model, x, target, labels, BackwardRules::default())?;
    Ok(e.with_maps(sum_channels(&g.mul(x)?)?))
}

/// Guided backpropagation: the backward pass with every ReLU passing `max(dy, 0) · [y > 0]`.
pub fn guided_backprop<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
) -> Result<Attribution> {
    let (e, g) = backward_at(model, x, target, labels, BackwardRules::with_relu(ReluBackward::Guided))?;
    Ok(e.with_maps(sum_channels(&g)?))
}

/// The deconvnet: the backward pass with every ReLU passing `max(dy, 0)`, whatever its input.
pub fn deconvnet<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
) -> Result<Attribution> {
    let (e, g) = backward_at(model, x, target, labels, BackwardRules::with_relu(ReluBackward::Deconvnet))?;
    Ok(e.with_maps(sum_channels(&g)?))
}
