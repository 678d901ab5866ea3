//! Per-channel normalisation with batch statistics and no affine parameters: for `x [N, C, H, W]`,
//! `y[n, c, h, w] = (x[n, c, h, w] − μ_c) / √(σ²_c + ε)`, with `μ_c` and the biased `σ²_c` taken
//! over `(n, h, w)`. It is batch normalisation as DARTS uses it on every candidate operation
//! (`affine = False`, batch statistics in training and evaluation alike): it puts the candidates'
//! outputs on one scale before they are mixed, so a mixing weight cannot be traded against the
//! size of a kernel.
//!
//! Unlike every other op, it mixes the items of a batch (through `μ_c` and `σ²_c`): a network that
//! uses it is not a per-image function, and its outputs depend on the batch it is run in.

use crate::Result;
use crate::error::shape_error;
use crate::tape::{Op, Tape, Var};
use atrous_tensor::Tensor;

/// ε added to the variance, PyTorch's default for batch normalisation.
pub(crate) const CHANNEL_NORM_EPS: f64 = 1e-5;

#[derive(Debug)]
pub(crate) struct ChannelNormOp {
    x: Var,
    /// `μ_c`, from the forward pass.
    mean: Vec<f64>,
    /// `1 / √(σ²_c + ε)`, from the forward pass.
    inv_std: Vec<f64>,
}

/// `(n, c, h·w)` of a `[N, C, H, W]` tensor.
fn layout(x: &Tensor) -> Result<(usize, usize, usize)> {
    match *x.dims() {
        [n, c, h, w] if n * h * w > 0 => Ok((n, c, h * w)),
        _ => Err(shape_error("channel_norm", "input must be [N, C, H, W] with N·H·W ≥ 1", &[x.shape()])),
    }
}

/// The values of channel `c`, one `h·w` block per batch item.
fn blocks(v: &[f32], n: usize, c: usize, channels: usize, hw: usize) -> impl Iterator<Item = &[f32]> {
    (0..n).map(move |i| &v[(i * channels + c) * hw..(i * channels + c + 1) * hw])
}

impl Tape {
    /// Normalises each channel of `x [N, C, H, W]` to mean 0 and variance 1 over `(N, H, W)`
    /// (up to ε = [`CHANNEL_NORM_EPS`]), with no learnable scale or shift.
    pub fn channel_norm(&mut self, x: Var) -> Result<Var> {
        let v = self.value(x);
        let (n, channels, hw) = layout(v)?;
        let count = (n * hw) as f64;
        let xs = v.as_slice();
        let mut mean = Vec::with_capacity(channels);
        let mut inv_std = Vec::with_capacity(channels);
        let mut y = Tensor::zeros(v.dims());
        for c in 0..channels {
            // Two passes in f64: the mean first, then squared deviations from it, which stays
            // accurate when the mean is large against the spread.
            let mu = blocks(xs, n, c, channels, hw).flatten().map(|&a| f64::from(a)).sum::<f64>() / count;
            let var =
                blocks(xs, n, c, channels, hw).flatten().map(|&a| (f64::from(a) - mu).powi(2)).sum::<f64>()
                    / count;
            let s = 1.0 / (var + CHANNEL_NORM_EPS).sqrt();
            let ys = y.as_mut_slice();
            for i in 0..n {
                let at = (i * channels + c) * hw;
                for (o, &a) in ys[at..at + hw].iter_mut().zip(&xs[at..at + hw]) {
                    *o = ((f64::from(a) - mu) * s) as f32;
                }
            }
            mean.push(mu);
            inv_std.push(s);
        }
        Ok(self.push(y, &[x], || Op::ChannelNorm(ChannelNormOp { x, mean, inv_std })))
    }
}

impl ChannelNormOp {
    /// With `x̂ = (x − μ)·s` and `s = 1/√(σ² + ε)`, per channel over its `M = N·H·W` values:
    /// `∂L/∂x = s · (g − mean(g) − x̂ · mean(g ⊙ x̂))`, where the two means are the gradient through
    /// `μ` and through `σ²` (`∂σ²/∂x = 2(x − μ)/M`, `∂s/∂σ² = −s³/2`).
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let x = tape.value(self.x);
        let (n, channels, hw) = layout(x)?;
        let count = (n * hw) as f64;
        let (xs, gs) = (x.as_slice(), grad.as_slice());
        let mut dx = Tensor::zeros(x.dims());
        for c in 0..channels {
            let (mu, s) = (self.mean[c], self.inv_std[c]);
            let (mut g_sum, mut gx_sum) = (0.0f64, 0.0f64);
            for (xb, gb) in blocks(xs, n, c, channels, hw).zip(blocks(gs, n, c, channels, hw)) {
                for (&a, &g) in xb.iter().zip(gb) {
                    g_sum += f64::from(g);
                    gx_sum += f64::from(g) * (f64::from(a) - mu) * s;
                }
            }
            let (g_mean, gx_mean) = (g_sum / count, gx_sum / count);
            let ds = dx.as_mut_slice();
            for i in 0..n {
                let at = (i * channels + c) * hw;
                for ((o, &a), &g) in ds[at..at + hw].iter_mut().zip(&xs[at..at + hw]).zip(&gs[at..at + hw]) {
                    let x_hat = (f64::from(a) - mu) * s;
                    *o = (s * (f64::from(g) - g_mean - x_hat * gx_mean)) as f32;
                }
            }
        }
        Ok(vec![(self.x, dx)])
    }
}
