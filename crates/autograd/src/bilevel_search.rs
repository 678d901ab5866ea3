//! The bilevel dilation search (research question 1): first-order DARTS (Liu et al. 2019) over
//! the dilation of each of DilNet's three convolutions.
//!
//! Each convolution becomes `y = Σ_d softmax(a)_d · N(conv_d(x; W_d, b_d))`, where `N` is the
//! per-channel, affine-free batch normalisation ([`Tape::channel_norm`]) that DARTS puts on every
//! candidate, so no candidate wins by the size of its output. By default every candidate dilation
//! has its own kernel (`W_d`, `b_d`); with a shared kernel, every candidate reads the same `W`, `b`
//! (the ablation that makes the mixture one tied kernel). The bias is kept so a shared-kernel
//! candidate equals DilNet's layer before normalisation, though `N` removes it (its gradient is 0).
//!
//! Training alternates two steps ([`partial_step`]): the weights take a step on a batch of the
//! training part with the logits held fixed, then the logits take a step on a batch of the
//! validation part with the weights held fixed (the first-order approximation: no look-ahead
//! through the weight step). Each step binds only its own group as tracked, so the other group
//! costs no gradient.
//!
//! With Gumbel-softmax ([`BilevelSearchNet::sample_gumbel`], SNAS/GDAS-style relaxation), the
//! mixing weights of a step are a sample `softmax((a + g)/τ)` with Gumbel noise `g`, so the
//! network trains on nearly one-hot mixtures as τ falls; [`BilevelSearchNet::weights`] and
//! [`BilevelSearchNet::chosen`] stay the noiseless `softmax(a)`.
//!
//! Because `N` uses batch statistics, this network's outputs depend on the batch they are
//! computed in: it is not a per-image function and must not be explained by attribution methods.

use crate::classifier::Classifier;
use crate::error::ArchitectureError;
use crate::nn::{Conv2d, DilNet, DilNetConfig};
use crate::optim::Optimizer;
use crate::train::BatchStats;
use crate::{AutogradError, Result, Tape, Var};
use atrous_conv::Conv2dParams;
use atrous_tensor::Tensor;
use atrous_tensor::mnist::Batch;
use atrous_tensor::reduce::softmax;
use atrous_tensor::rng::Rng;
use std::ops::Range;

/// A DilNet whose three convolutions are normalised mixtures of candidate dilations.
///
/// Parameter order (as a [`Classifier`]): DilNet's ten (whose conv kernels are candidate 0's, or
/// the shared ones), then, without a shared kernel, weight and bias of candidates 1.. of conv1,
/// then of conv2, then of conv3, then the three mixing-logit vectors. [`Self::weight_range`] and
/// [`Self::logit_range`] give the two groups.
#[derive(Clone, Debug, PartialEq)]
pub struct BilevelSearchNet {
    /// DilNet's weights: the fully connected layers, and candidate 0's (or the shared) kernels.
    pub net: DilNet,
    /// Candidate dilations, shared by all three layers.
    pub candidates: Vec<usize>,
    /// Whether every candidate reads DilNet's kernel (the ablation) instead of its own.
    pub shared_kernel: bool,
    /// Kernels of candidates 1.. per layer (`extra[layer][k − 1]`); empty with a shared kernel.
    pub extra: [Vec<Conv2d>; 3],
    /// Mixing logits of conv1, conv2, conv3, each `[candidates]`.
    pub logits: [Tensor; 3],
    /// The Gumbel sample the next forward passes mix with; `None`: plain `softmax(a)`.
    pub gumbel: Option<GumbelSample>,
}

/// One draw of Gumbel-softmax mixing: noise per layer and the temperature.
#[derive(Clone, Debug, PartialEq)]
pub struct GumbelSample {
    /// Gumbel(0, 1) noise of conv1, conv2, conv3, each `[candidates]`.
    pub noise: [Tensor; 3],
    /// Temperature τ > 0.
    pub tau: f32,
}

/// A standard Gumbel draw `−ln(−ln u)`, u uniform in (0, 1) (0 is redrawn: it has no logarithm).
pub fn gumbel_noise(len: usize, rng: &mut Rng) -> Vec<f32> {
    (0..len)
        .map(|_| {
            let mut u = rng.next_f64();
            while u <= 0.0 {
                u = rng.next_f64();
            }
            (-(-u.ln()).ln()) as f32
        })
        .collect()
}

/// A Gumbel-softmax temperature must be a positive finite number: τ = 0 divides by zero and a
/// negative τ turns the softmax's preference around.
fn check_temperature(tau: f32) -> Result<()> {
    if tau.is_finite() && tau > 0.0 { Ok(()) } else { Err(ArchitectureError::Temperature(tau).into()) }
}

/// `Σ_k softmax((a + g)/τ)_k · parts_k` on the tape: the Gumbel-softmax mixture, with `noise` a
/// constant. With zero noise and τ = 1 it is [`Tape::mix`] (the same value and gradient).
pub fn gumbel_mix(tape: &mut Tape, parts: &[Var], logits: Var, noise: &Tensor, tau: f32) -> Result<Var> {
    check_temperature(tau)?;
    let g = tape.constant(noise.clone());
    let perturbed = tape.add(logits, g)?;
    let scaled = tape.affine(perturbed, 1.0 / tau, 0.0);
    tape.mix(parts, scaled)
}

impl BilevelSearchNet {
    /// A network with uniform mixing weights. DilNet's ten parameters are drawn first, exactly as
    /// a DilNet of this seed draws them; the other candidates' kernels follow, conv1's first, each
    /// with PyTorch's default initialisation.
    pub fn new(candidates: &[usize], shared_kernel: bool, rng: &mut Rng) -> Result<Self> {
        if candidates.is_empty() {
            return Err(ArchitectureError::NoCandidate.into());
        }
        for &d in candidates {
            DilNetConfig::reference(d).validate()?;
        }
        let net = DilNet::new(DilNetConfig::reference(candidates[0]), rng)?;
        let [c1, c2, c3] = net.config.channels;
        let inputs = [(1, c1), (c1, c2), (c2, c3)];
        let mut extra: [Vec<Conv2d>; 3] = Default::default();
        if !shared_kernel {
            for (layer, &(c_in, c_out)) in inputs.iter().enumerate() {
                for &d in &candidates[1..] {
                    extra[layer].push(Conv2d::new(c_in, c_out, Conv2dParams::same(3, d)?, rng));
                }
            }
        }
        let k = candidates.len();
        Ok(BilevelSearchNet {
            net,
            candidates: candidates.to_vec(),
            shared_kernel,
            extra,
            logits: std::array::from_fn(|_| Tensor::zeros(&[k])),
            gumbel: None,
        })
    }

    /// Positions of the weights (DilNet's and the extra kernels) in the parameter list.
    pub fn weight_range(&self) -> Range<usize> {
        0..10 + 2 * self.extra.iter().map(Vec::len).sum::<usize>()
    }

    /// Positions of the three mixing-logit vectors in the parameter list.
    pub fn logit_range(&self) -> Range<usize> {
        let end = self.weight_range().end;
        end..end + 3
    }

    /// Current mixing weights `softmax(a)` of each layer.
    pub fn weights(&self) -> [Vec<f32>; 3] {
        self.logits.clone().map(|a| softmax(a.as_slice()))
    }

    /// Draws fresh Gumbel noise for every layer from `rng` and mixes with it at temperature
    /// `tau` until the next draw or [`Self::clear_gumbel`].
    pub fn sample_gumbel(&mut self, tau: f32, rng: &mut Rng) -> Result<()> {
        check_temperature(tau)?;
        let k = self.candidates.len();
        let mut draw = || Tensor::from_vec(&[k], gumbel_noise(k, rng));
        // conv1's noise first, then conv2's, then conv3's.
        let noise = [draw()?, draw()?, draw()?];
        self.gumbel = Some(GumbelSample { noise, tau });
        Ok(())
    }

    /// Back to plain `softmax(a)` mixing.
    pub fn clear_gumbel(&mut self) {
        self.gumbel = None;
    }

    /// The mixing weights the forward pass uses now: the Gumbel sample `softmax((a + g)/τ)`
    /// when one is drawn, else [`Self::weights`].
    pub fn mixing_weights(&self) -> [Vec<f32>; 3] {
        match &self.gumbel {
            None => self.weights(),
            Some(g) => std::array::from_fn(|l| {
                let z: Vec<f32> = self.logits[l]
                    .as_slice()
                    .iter()
                    .zip(g.noise[l].as_slice())
                    .map(|(a, n)| (a + n) / g.tau)
                    .collect();
                softmax(&z)
            }),
        }
    }

    /// The chosen dilation of each layer: the candidate with the largest weight (the first one
    /// on a tie).
    pub fn chosen(&self) -> [usize; 3] {
        self.weights().map(|w| {
            let best = w.iter().enumerate().fold(0, |b, (i, &v)| if v > w[b] { i } else { b });
            self.candidates[best]
        })
    }

    /// One layer's normalised mixture; `w`, `b` are DilNet's kernel of the layer, `extra` the
    /// bound kernels of candidates 1.. (weight, bias pairs).
    fn mixed_conv(
        &self,
        tape: &mut Tape,
        layer: usize,
        (x, w, b): (Var, Var, Var),
        extra: &[Var],
        logits: Var,
    ) -> Result<Var> {
        let mut parts = Vec::with_capacity(self.candidates.len());
        for (k, &d) in self.candidates.iter().enumerate() {
            let (wk, bk) =
                if self.shared_kernel || k == 0 { (w, b) } else { (extra[2 * k - 2], extra[2 * k - 1]) };
            let y = tape.conv2d(x, wk, Some(bk), Conv2dParams::same(3, d)?)?;
            parts.push(tape.channel_norm(y)?);
        }
        match &self.gumbel {
            None => tape.mix(&parts, logits),
            Some(g) => gumbel_mix(tape, &parts, logits, &g.noise[layer], g.tau),
        }
    }
}

impl Classifier for BilevelSearchNet {
    fn parameters(&self) -> Vec<&Tensor> {
        let extra = self.extra.iter().flatten().flat_map(|c| [&c.weight, &c.bias]);
        self.net.parameters().into_iter().chain(extra).chain(&self.logits).collect()
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        let extra = self.extra.iter_mut().flatten().flat_map(|c| [&mut c.weight, &mut c.bias]);
        self.net.parameters_mut().into_iter().chain(extra).chain(&mut self.logits).collect()
    }

    fn forward(&self, tape: &mut Tape, params: &[Var], x: Var) -> Result<Var> {
        if params.len() != self.logit_range().end {
            return Err(AutogradError::Shape {
                op: "BilevelSearchNet::forward",
                why: "needs DilNet's ten parameters, the extra kernels and three mixing-logit vectors",
                shapes: format!("{} variables for {}", params.len(), self.logit_range().end),
            });
        }
        let per_layer = 2 * (self.candidates.len() - 1) * usize::from(!self.shared_kernel);
        let (dilnet, rest) = params.split_at(10);
        let (extra, a) = rest.split_at(3 * per_layer);
        self.net.forward_with(tape, dilnet, x, |tape, layer, h, w, b| {
            let mine = &extra[layer * per_layer..(layer + 1) * per_layer];
            self.mixed_conv(tape, layer, (h, w, b), mine, a[layer])
        })
    }

    fn input_dims(&self) -> [usize; 3] {
        self.net.input_dims()
    }

    fn classes(&self) -> usize {
        self.net.classes()
    }
}

/// One optimisation step of only the parameters at `group` (the rest are bound as constants, so
/// they get no gradient and do not move). A non-finite loss is an error raised before any
/// parameter is touched.
pub fn partial_step<M>(
    model: &mut M,
    opt: &mut Optimizer,
    batch: &Batch,
    group: Range<usize>,
) -> Result<BatchStats>
where
    M: Classifier + ?Sized,
{
    model.check_input(&batch.x)?;
    let mut tape = Tape::new();
    let params: Vec<Var> = model
        .parameters()
        .into_iter()
        .enumerate()
        .map(|(i, p)| tape.leaf(p.clone(), group.contains(&i)))
        .collect();
    let xv = tape.constant(batch.x.clone());
    let logits = model.forward(&mut tape, &params, xv)?;
    let loss = tape.cross_entropy(logits, &batch.labels)?;
    let loss_value = tape.value(loss).as_slice()[0];
    if !loss_value.is_finite() {
        return Err(AutogradError::NonFiniteLoss(loss_value));
    }
    let predicted = tape.value(logits).argmax_last()?;
    let correct = predicted.iter().zip(&batch.labels).filter(|(p, y)| p == y).count();
    let mut grads = tape.backward(loss)?;
    let grads = params[group.clone()]
        .iter()
        .enumerate()
        .map(|(i, &v)| grads.take(v).ok_or(AutogradError::MissingGradient { index: group.start + i }))
        .collect::<Result<Vec<Tensor>>>()?;
    let grad_refs: Vec<&Tensor> = grads.iter().collect();
    let mut all = model.parameters_mut();
    opt.step(&mut all[group], &grad_refs)?;
    Ok(BatchStats { loss: loss_value, correct, count: batch.labels.len() })
}
