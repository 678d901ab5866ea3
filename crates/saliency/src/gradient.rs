//! Input gradients of any [`Classifier`] through the autograd tape: the one place the saliency
//! crate differentiates a network.
//!
//! The parameters are bound as constants, so the tape computes no weight gradient (convolution
//! and linear layers skip dW and db for untracked parameters) and the convolutions' fast
//! transposed dX path does all the work. The gradient is taken of `Σ_n S_{c_n}(x_n)`, the sum of
//! one chosen class score per image; no layer mixes batch items, so each image gets its own
//! `∂S_c/∂x` from one backward pass. Modified backward rules (guided backpropagation,
//! deconvnet) ride along as [`BackwardRules`].

use crate::Result;
use atrous_autograd::{BackwardRules, Classifier, Tape};
use atrous_tensor::Tensor;

/// Class scores of a batch and the input gradient of the chosen scores.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreGradient {
    /// Class scores `[N, classes]`.
    pub logits: Tensor,
    /// The class whose score was differentiated, per image.
    pub classes: Vec<usize>,
    /// `∂S_{c_n}/∂x_n`, shaped like the input.
    pub gradient: Tensor,
}

/// Runs `model` on `x`, lets `choose` pick one class per image from the scores, and returns
/// the gradient of each chosen score with respect to that image, under `rules`.
pub fn score_gradient<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    choose: impl FnOnce(&Tensor) -> Result<Vec<usize>>,
    rules: BackwardRules,
) -> Result<ScoreGradient> {
    model.check_input(x)?;
    let mut tape = Tape::new();
    let params = model.bind(&mut tape, false);
    let xv = tape.leaf(x.clone(), true);
    let logits = model.forward(&mut tape, &params, xv)?;
    let classes = choose(tape.value(logits))?;
    let picked = tape.pick_class(logits, &classes)?;
    let total = tape.sum(picked);
    let mut grads = tape.backward_with_rules(total, Tensor::full(&[1], 1.0), rules)?;
    // A network whose output does not depend on its input has a zero gradient.
    let gradient = grads.take(xv).unwrap_or_else(|| Tensor::zeros(x.dims()));
    Ok(ScoreGradient { logits: tape.value(logits).clone(), classes, gradient })
}
