//! Learning the dilation factor by gradient descent (research question 1).
//!
//! Each convolution of a DilNet becomes a softmax-weighted mixture of the same 3×3 kernel applied
//! at every candidate dilation, `y = Σ_d softmax(a)_d · conv_d(x; W, b)`, with one vector of
//! mixing logits `a` per layer — the continuous relaxation of differentiable architecture search
//! (DARTS), with the kernel shared across candidates so the choice is about the dilation alone,
//! not about extra weights. The logits are learned jointly with the weights on the training set
//! (the single-level variant), by their own optimiser. The learned dilation of a layer is the
//! candidate with the largest weight; whether different seeds agree on it, and whether it agrees
//! with the best fixed dilation of the study, tells whether the procedure is consistent.

use crate::classifier::Classifier;
use crate::error::ArchitectureError;
use crate::nn::{DilNet, DilNetConfig};
use crate::{AutogradError, Result, Tape, Var};
use atrous_conv::Conv2dParams;
use atrous_tensor::Tensor;
use atrous_tensor::reduce::softmax;
use atrous_tensor::rng::Rng;

/// A DilNet whose three convolutions mix several dilations with learnable weights. As a
/// [`Classifier`] its parameters are DilNet's ten, then the three mixing-logit vectors; train it
/// with a [`SplitOptimizer`](crate::optim::SplitOptimizer) split at [`Self::WEIGHTS`].
#[derive(Clone, Debug, PartialEq)]
pub struct DilationSearchNet {
    /// The shared weights; its own per-layer dilations are not used.
    pub net: DilNet,
    /// Candidate dilations, shared by all three layers.
    pub candidates: Vec<usize>,
    /// Mixing logits of conv1, conv2, conv3, each `[candidates]`.
    pub logits: [Tensor; 3],
}

impl DilationSearchNet {
    /// Number of weight tensors before the mixing logits in the parameter list.
    pub const WEIGHTS: usize = 10;

    /// A network with DilNet's initialisation (the same weights a DilNet of this seed gets) and
    /// uniform mixing weights.
    pub fn new(candidates: &[usize], rng: &mut Rng) -> Result<Self> {
        if candidates.is_empty() {
            return Err(ArchitectureError::NoCandidate.into());
        }
        // Every candidate must be a valid dilation on its own.
        for &d in candidates {
            DilNetConfig::reference(d).validate()?;
        }
        let net = DilNet::new(DilNetConfig::reference(candidates[0]), rng)?;
        let k = candidates.len();
        Ok(DilationSearchNet {
            net,
            candidates: candidates.to_vec(),
            logits: std::array::from_fn(|_| Tensor::zeros(&[k])),
        })
    }

    /// Current mixing weights `softmax(a)` of each layer.
    pub fn weights(&self) -> [Vec<f32>; 3] {
        self.logits.clone().map(|a| softmax(a.as_slice()))
    }

    /// The learned dilation of each layer: the candidate with the largest weight.
    pub fn chosen(&self) -> [usize; 3] {
        self.weights().map(|w| {
            let best = w.iter().enumerate().fold(0, |b, (i, &v)| if v > w[b] { i } else { b });
            self.candidates[best]
        })
    }

    fn mixed_conv(&self, tape: &mut Tape, x: Var, w: Var, b: Var, logits: Var) -> Result<Var> {
        let parts = self
            .candidates
            .iter()
            .map(|&d| tape.conv2d(x, w, Some(b), Conv2dParams::same(3, d)?))
            .collect::<Result<Vec<_>>>()?;
        tape.mix(&parts, logits)
    }
}

impl Classifier for DilationSearchNet {
    fn parameters(&self) -> Vec<&Tensor> {
        self.net.parameters().into_iter().chain(&self.logits).collect()
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.net.parameters_mut().into_iter().chain(&mut self.logits).collect()
    }

    fn forward(&self, tape: &mut Tape, params: &[Var], x: Var) -> Result<Var> {
        if params.len() != Self::WEIGHTS + 3 {
            return Err(AutogradError::Shape {
                op: "DilationSearchNet::forward",
                why: "needs DilNet's ten parameters and three mixing-logit vectors",
                shapes: format!("{} variables", params.len()),
            });
        }
        let (weights, a) = params.split_at(Self::WEIGHTS);
        self.net
            .forward_with(tape, weights, x, |tape, layer, h, w, b| self.mixed_conv(tape, h, w, b, a[layer]))
    }

    fn input_dims(&self) -> [usize; 3] {
        self.net.input_dims()
    }

    fn classes(&self) -> usize {
        self.net.classes()
    }
}
