//! Optimisers with PyTorch's update rules: SGD with momentum, and Adam.
//!
//! Both keep one state tensor (or two) per parameter, in the order the parameters are given; the
//! state is public so a checkpoint can save and restore it exactly.

use crate::{AutogradError, Result};
use atrous_tensor::{Tensor, simd};

/// SGD with momentum and L2 weight decay, as `torch.optim.SGD` (dampening 0, no Nesterov):
/// `g ← g + wd·p; v ← μ·v + g (v = g on the first step); p ← p − lr·v`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f32,
    /// Momentum μ.
    pub momentum: f32,
    /// L2 weight decay.
    pub weight_decay: f32,
    /// Momentum buffers, one per parameter once the first step has run.
    pub velocity: Vec<Tensor>,
}

/// Adam, as `torch.optim.Adam` (L2 weight decay added to the gradient, bias-corrected moments).
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub lr: f32,
    /// First-moment decay β₁.
    pub beta1: f32,
    /// Second-moment decay β₂.
    pub beta2: f32,
    /// Denominator guard ε.
    pub eps: f32,
    /// L2 weight decay.
    pub weight_decay: f32,
    /// Steps taken.
    pub steps: u64,
    /// First moments.
    pub m: Vec<Tensor>,
    /// Second moments.
    pub v: Vec<Tensor>,
}

/// Either optimiser.
#[derive(Clone, Debug, PartialEq)]
pub enum Optimizer {
    /// SGD with momentum.
    Sgd(Sgd),
    /// Adam.
    Adam(Adam),
}

/// Which optimiser a recipe uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    /// SGD with momentum (PyTorch semantics).
    Sgd,
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8).
    Adam,
}

impl OptimizerKind {
    /// The lower-case name used in files (`"sgd"`, `"adam"`).
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
        }
    }

    /// A fresh optimiser of this kind; `momentum` is ignored by Adam.
    pub fn build(self, lr: f32, momentum: f32, weight_decay: f32) -> Optimizer {
        match self {
            OptimizerKind::Sgd => Optimizer::Sgd(Sgd::new(lr, momentum, weight_decay)),
            OptimizerKind::Adam => Optimizer::Adam(Adam::new(lr, weight_decay)),
        }
    }
}

/// How a training step turns gradients into new parameter values: one optimiser for every
/// parameter, or several for disjoint groups ([`SplitOptimizer`]).
pub trait ParamUpdate {
    /// Updates `params` from `grads` (same order and shapes every call).
    fn update(&mut self, params: &mut [&mut Tensor], grads: &[&Tensor]) -> Result<()>;
}

impl ParamUpdate for Optimizer {
    fn update(&mut self, params: &mut [&mut Tensor], grads: &[&Tensor]) -> Result<()> {
        self.step(params, grads)
    }
}

/// Two optimisers over one parameter list: the first `split` parameters follow `head`, the rest
/// `tail` (e.g. a search network's weights by SGD and its architecture logits by Adam).
#[derive(Clone, Debug, PartialEq)]
pub struct SplitOptimizer {
    /// Number of parameters `head` updates.
    pub split: usize,
    /// Optimiser of `params[..split]`.
    pub head: Optimizer,
    /// Optimiser of `params[split..]`.
    pub tail: Optimizer,
}

impl ParamUpdate for SplitOptimizer {
    fn update(&mut self, params: &mut [&mut Tensor], grads: &[&Tensor]) -> Result<()> {
        check_pairs(params, grads)?;
        if self.split > params.len() {
            return Err(AutogradError::Optimizer(format!(
                "split at {} of {} parameters",
                self.split,
                params.len()
            )));
        }
        let (p_head, p_tail) = params.split_at_mut(self.split);
        let (g_head, g_tail) = grads.split_at(self.split);
        self.head.step(p_head, g_head)?;
        self.tail.step(p_tail, g_tail)
    }
}

impl Sgd {
    /// SGD with the given learning rate, momentum and weight decay.
    pub fn new(lr: f32, momentum: f32, weight_decay: f32) -> Self {
        Sgd { lr, momentum, weight_decay, velocity: Vec::new() }
    }
}

impl Adam {
    /// Adam with PyTorch's defaults for β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    pub fn new(lr: f32, weight_decay: f32) -> Self {
        Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, steps: 0, m: Vec::new(), v: Vec::new() }
    }
}

fn check_pairs(params: &[&mut Tensor], grads: &[&Tensor]) -> Result<()> {
    if params.len() != grads.len() {
        return Err(AutogradError::Optimizer(format!(
            "{} parameters and {} gradients",
            params.len(),
            grads.len()
        )));
    }
    for (p, g) in params.iter().zip(grads) {
        if p.dims() != g.dims() {
            return Err(AutogradError::Optimizer(format!(
                "parameter {} has gradient of shape {}",
                p.shape(),
                g.shape()
            )));
        }
    }
    Ok(())
}

/// `g + wd·p`, or `g` itself when there is no decay.
fn decayed(g: &Tensor, p: &Tensor, wd: f32) -> Tensor {
    let mut g = g.clone();
    if wd != 0.0 {
        simd::axpy(wd, p.as_slice(), g.as_mut_slice());
    }
    g
}

impl Optimizer {
    /// One update of `params` from `grads` (same order and shapes every call).
    pub fn step(&mut self, params: &mut [&mut Tensor], grads: &[&Tensor]) -> Result<()> {
        check_pairs(params, grads)?;
        match self {
            Optimizer::Sgd(s) => {
                let first = s.velocity.is_empty();
                for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
                    let g = decayed(g, p, s.weight_decay);
                    if first {
                        s.velocity.push(g);
                    } else {
                        let v = s.velocity[i].as_mut_slice();
                        simd::scale(s.momentum, v);
                        simd::add_assign(v, g.as_slice());
                    }
                    simd::axpy(-s.lr, s.velocity[i].as_slice(), p.as_mut_slice());
                }
            }
            Optimizer::Adam(a) => {
                if a.m.is_empty() {
                    a.m = params.iter().map(|p| Tensor::zeros(p.dims())).collect();
                    a.v = params.iter().map(|p| Tensor::zeros(p.dims())).collect();
                }
                a.steps += 1;
                let bc1 = 1.0 - f64::from(a.beta1).powi(a.steps as i32);
                let bc2 = 1.0 - f64::from(a.beta2).powi(a.steps as i32);
                let step_size = (f64::from(a.lr) / bc1) as f32;
                let bc2_sqrt = bc2.sqrt() as f32;
                for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
                    let g = decayed(g, p, a.weight_decay);
                    let (m, v) = (a.m[i].as_mut_slice(), a.v[i].as_mut_slice());
                    for (((pv, &gv), mv), vv) in p.as_mut_slice().iter_mut().zip(g.as_slice()).zip(m).zip(v) {
                        *mv = a.beta1 * *mv + (1.0 - a.beta1) * gv;
                        *vv = a.beta2 * *vv + (1.0 - a.beta2) * gv * gv;
                        *pv -= step_size * *mv / (vv.sqrt() / bc2_sqrt + a.eps);
                    }
                }
            }
        }
        Ok(())
    }
}
