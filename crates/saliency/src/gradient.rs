//! Input gradients of any [`Classifier`] through the autograd tape: the one place the saliency
//! crate differentiates a network.
//!
//! The parameters are bound as constants, so the tape computes no weight gradient (convolution
//! and linear layers skip dW and db for untracked parameters) and the convolutions' fast
//! transposed dX path does all the work. The gradient is taken of `Σ_n S_{c_n}(x_n)`, the sum of
//! one chosen class score per image; no layer mixes batch items, so each image gets its own
//! `∂S_c/∂x` from one backward pass. Modified backward rules (guided backpropagation,
//! deconvnet) ride along as [`BackwardRules`]; layer outputs and their gradients (Grad-CAM) are
//! read by [`score_gradient_at`], or by [`tapped_score_gradient`] when the input gradient is not
//! needed.

use crate::Result;
use atrous_autograd::{BackwardRules, Classifier, Tape, Var};
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

/// An intermediate value of the forward pass and the gradient of the chosen scores with
/// respect to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Tapped {
    /// The value, as the forward pass computed it.
    pub value: Tensor,
    /// `∂(Σ_n S_{c_n})/∂value`, shaped like the value (zeros if the scores do not depend on it).
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
    score_gradient_at(model, x, choose, rules, |_| Ok(Vec::new())).map(|(g, _)| g)
}

/// [`score_gradient`] that also returns the values `taps` picks from the recorded tape (after
/// the forward pass, e.g. a layer's output) with the gradients of the chosen scores with respect
/// to them.
pub fn score_gradient_at<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    choose: impl FnOnce(&Tensor) -> Result<Vec<usize>>,
    rules: BackwardRules,
    taps: impl FnOnce(&Tape) -> Result<Vec<Var>>,
) -> Result<(ScoreGradient, Vec<Tapped>)> {
    let pass = differentiate(model, x, choose, rules, taps, true)?;
    // A network whose output does not depend on its input has a zero gradient.
    let gradient = pass.input.unwrap_or_else(|| Tensor::zeros(x.dims()));
    Ok((ScoreGradient { logits: pass.logits, classes: pass.classes, gradient }, pass.tapped))
}

/// The chosen scores' gradients at the values `taps` picks, without the input gradient: the
/// backward pass stops once the tapped values' gradients are complete, so no layer below the
/// oldest of them is differentiated (Grad-CAM needs only the last feature maps). Returns the
/// class scores `[N, classes]`, the chosen classes and the tapped values with their gradients.
pub fn tapped_score_gradient<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    choose: impl FnOnce(&Tensor) -> Result<Vec<usize>>,
    rules: BackwardRules,
    taps: impl FnOnce(&Tape) -> Result<Vec<Var>>,
) -> Result<(Tensor, Vec<usize>, Vec<Tapped>)> {
    let pass = differentiate(model, x, choose, rules, taps, false)?;
    Ok((pass.logits, pass.classes, pass.tapped))
}

/// What one forward and backward pass gives.
struct Pass {
    logits: Tensor,
    classes: Vec<usize>,
    input: Option<Tensor>,
    tapped: Vec<Tapped>,
}

fn differentiate<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    choose: impl FnOnce(&Tensor) -> Result<Vec<usize>>,
    rules: BackwardRules,
    taps: impl FnOnce(&Tape) -> Result<Vec<Var>>,
    input_gradient: bool,
) -> Result<Pass> {
    model.check_input(x)?;
    let mut tape = Tape::new();
    let params = model.bind(&mut tape, false);
    // The input is tracked either way: it is what makes the layers above it differentiable.
    let xv = tape.leaf(x.clone(), true);
    let logits = model.forward(&mut tape, &params, xv)?;
    if let Some((node, value)) = tape.first_non_finite() {
        return Err(crate::SaliencyError::Overflow { node, value });
    }
    let tapped = taps(&tape)?;
    let classes = choose(tape.value(logits))?;
    let picked = tape.pick_class(logits, &classes)?;
    let total = tape.sum(picked);
    let seed = Tensor::full(&[1], 1.0);
    let mut grads = if input_gradient {
        tape.backward_keeping(total, seed, rules, &tapped)?
    } else {
        tape.backward_until(total, seed, rules, &tapped)?
    };
    let input = if input_gradient { grads.take(xv) } else { None };
    let tapped = tapped
        .into_iter()
        .map(|v| {
            let value = tape.value(v).clone();
            let gradient = grads.take(v).unwrap_or_else(|| Tensor::zeros(value.dims()));
            Tapped { value, gradient }
        })
        .collect();
    Ok(Pass { logits: tape.value(logits).clone(), classes, input, tapped })
}
