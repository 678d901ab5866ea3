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

use crate::nn::{BoundParams, DilNet, DilNetConfig};
use crate::optim::Optimizer;
use crate::train::BatchStats;
use crate::{AutogradError, Result, Tape, Var};
use atrous_conv::Conv2dParams;
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// A DilNet whose three convolutions mix several dilations with learnable weights.
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
    /// A network with DilNet's initialisation (the same weights a DilNet of this seed gets) and
    /// uniform mixing weights.
    pub fn new(candidates: &[usize], rng: &mut Rng) -> Result<Self> {
        if candidates.is_empty() {
            return Err(AutogradError::Config("no candidate dilation".into()));
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
        self.logits.clone().map(|a| crate::ops::mix::softmax(a.as_slice()))
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

    /// Logits for pixels `x` with weights `p` (DilNet order) and mixing logits `a`.
    pub fn forward(&self, tape: &mut Tape, p: &BoundParams, a: &[Var; 3], x: Var) -> Result<Var> {
        self.net.forward_with(tape, p, x, |tape, layer, h, w, b| self.mixed_conv(tape, h, w, b, a[layer]))
    }

    /// Logits without recording a backward pass.
    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        let mut tape = Tape::new();
        let p = self.net.bind(&mut tape, false);
        let a = self.logits.clone().map(|t| tape.constant(t));
        let xv = tape.constant(x.clone());
        let out = self.forward(&mut tape, &p, &a, xv)?;
        Ok(tape.value(out).clone())
    }

    /// One joint step: `weights_opt` updates the kernels, `logits_opt` the mixing logits.
    pub fn train_step(
        &mut self,
        weights_opt: &mut Optimizer,
        logits_opt: &mut Optimizer,
        x: Tensor,
        labels: &[usize],
    ) -> Result<BatchStats> {
        let mut tape = Tape::new();
        let p = self.net.bind(&mut tape, true);
        let a = self.logits.clone().map(|t| tape.param(t));
        let xv = tape.constant(x);
        let logits = self.forward(&mut tape, &p, &a, xv)?;
        let loss = tape.cross_entropy(logits, labels)?;
        let loss_value = tape.value(loss).as_slice()[0];
        if !loss_value.is_finite() {
            return Err(AutogradError::NonFiniteLoss(loss_value));
        }
        let correct = tape.value(logits).argmax_last()?.iter().zip(labels).filter(|(p, y)| p == y).count();
        let mut grads = tape.backward(loss)?;
        let mut take = |v: Var| {
            grads.take(v).ok_or_else(|| AutogradError::Backward("a parameter got no gradient".into()))
        };
        let gw = p.0.iter().map(|&v| take(v)).collect::<Result<Vec<_>>>()?;
        let ga = a.iter().map(|&v| take(v)).collect::<Result<Vec<_>>>()?;
        weights_opt.step(&mut self.net.parameters_mut(), &gw.iter().collect::<Vec<_>>())?;
        let mut logit_refs: Vec<&mut Tensor> = self.logits.iter_mut().collect();
        logits_opt.step(&mut logit_refs, &ga.iter().collect::<Vec<_>>())?;
        Ok(BatchStats { loss: loss_value, correct, count: labels.len() })
    }
}
