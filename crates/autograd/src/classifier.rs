//! What every network atrous trains or explains is: parameters it can bind to a tape, and a
//! forward pass from pixels to class scores. The training loop ([`crate::train`]) and the
//! attribution methods of `atrous-saliency` are written against this trait, so DilNet, the
//! dilation-search network and any later architecture share them instead of repeating them.

use crate::{AutogradError, Result, Tape, Var};
use atrous_tensor::Tensor;

/// An image classifier on the tape.
///
/// The contract: [`forward`](Classifier::forward) maps pixels `x [N, C, H, W]` in `[0, 1]`
/// (normalisation is part of the model) to unnormalised class scores `[N, classes]`, reading its
/// parameters from the variables [`bind`](Classifier::bind) put on the tape, in the order of
/// [`parameters`](Classifier::parameters). No layer mixes batch items, so one backward pass of a
/// sum of per-item scores gives each item its own input gradient.
pub trait Classifier: Sync {
    /// The learnable tensors, in a fixed order (the order of optimiser state and of `bind`).
    fn parameters(&self) -> Vec<&Tensor>;

    /// The learnable tensors, writable, in the order of [`parameters`](Classifier::parameters).
    fn parameters_mut(&mut self) -> Vec<&mut Tensor>;

    /// Class scores `[N, classes]` for `x`, with `params` from [`bind`](Classifier::bind).
    fn forward(&self, tape: &mut Tape, params: &[Var], x: Var) -> Result<Var>;

    /// `[C, H, W]` of one input image.
    fn input_dims(&self) -> [usize; 3];

    /// Number of classes.
    fn classes(&self) -> usize;

    /// Puts the parameters on `tape`: tracked leaves when `trainable` (training), constants
    /// otherwise (inference, input gradients: then no weight gradient is computed).
    fn bind(&self, tape: &mut Tape, trainable: bool) -> Vec<Var> {
        self.parameters().into_iter().map(|p| tape.leaf(p.clone(), trainable)).collect()
    }

    /// Refuses images that are not `[N ≥ 1, C, H, W]` for this classifier.
    fn check_input(&self, x: &Tensor) -> Result<()> {
        let expected = self.input_dims();
        match *x.dims() {
            [n, c, h, w] if n > 0 && [c, h, w] == expected => Ok(()),
            _ => Err(AutogradError::Input { expected, found: x.shape().clone() }),
        }
    }

    /// Class scores for a batch, without recording anything for backward.
    fn predict(&self, x: &Tensor) -> Result<Tensor> {
        self.check_input(x)?;
        let mut tape = Tape::new();
        let params = self.bind(&mut tape, false);
        let xv = tape.constant(x.clone());
        let logits = self.forward(&mut tape, &params, xv)?;
        Ok(tape.value(logits).clone())
    }
}
