//! A softmax-weighted mixture of equally shaped tensors, `y = Σ_k softmax(a)_k · x_k`, with
//! learnable mixing logits `a`: the relaxation that lets a network learn which of several
//! candidate operations (here, dilation factors) to use, as in differentiable architecture search.

use crate::Result;
use crate::error::shape_error;
use crate::tape::{Op, Tape, Var};
use atrous_tensor::reduce::softmax;
use atrous_tensor::{Tensor, simd};

#[derive(Debug)]
pub(crate) struct MixOp {
    parts: Vec<Var>,
    logits: Var,
    /// `softmax(a)`, kept from the forward pass.
    weights: Vec<f32>,
}

impl Tape {
    /// `Σ_k softmax(logits)_k · parts[k]` for `parts` of one shape and `logits` of shape `[K]`.
    pub fn mix(&mut self, parts: &[Var], logits: Var) -> Result<Var> {
        let a = self.value(logits);
        if a.dims() != [parts.len()] || parts.is_empty() {
            return Err(shape_error("mix", "logits must be [K] for K ≥ 1 parts", &[a.shape()]));
        }
        let weights = softmax(a.as_slice());
        let first = self.value(parts[0]).shape().clone();
        let mut y = Tensor::zeros(first.dims());
        for (&p, &w) in parts.iter().zip(&weights) {
            let v = self.value(p);
            if v.shape() != &first {
                return Err(shape_error("mix", "all parts must share one shape", &[&first, v.shape()]));
            }
            simd::axpy(w, v.as_slice(), y.as_mut_slice());
        }
        let inputs: Vec<Var> = parts.iter().copied().chain([logits]).collect();
        let parts = parts.to_vec();
        Ok(self.push(y, &inputs, || Op::Mix(MixOp { parts, logits, weights })))
    }
}

impl MixOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let mut out = Vec::with_capacity(self.parts.len() + 1);
        // ∂y/∂x_k = p_k.
        for (&p, &w) in self.parts.iter().zip(&self.weights) {
            if tape.requires_grad(p) {
                out.push((p, grad.scale(w)));
            }
        }
        // ∂L/∂a_k = p_k (g_k − Σ_j p_j g_j) with g_k = ⟨x_k, ∂L/∂y⟩.
        let g: Vec<f64> = self
            .parts
            .iter()
            .map(|&p| {
                tape.value(p)
                    .as_slice()
                    .iter()
                    .zip(grad.as_slice())
                    .map(|(&x, &d)| f64::from(x) * f64::from(d))
                    .sum()
            })
            .collect();
        let mean: f64 = g.iter().zip(&self.weights).map(|(gk, &pk)| gk * f64::from(pk)).sum();
        let da = g.iter().zip(&self.weights).map(|(gk, &pk)| (f64::from(pk) * (gk - mean)) as f32).collect();
        out.push((self.logits, Tensor::from_vec(&[self.parts.len()], da)?));
        Ok(out)
    }
}
