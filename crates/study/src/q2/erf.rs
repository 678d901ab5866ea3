//! Effective receptive field (Luo et al. 2016): `|∂(centre unit of conv3)/∂x|` averaged over
//! images, its radii and radial profile, and the theoretical field it is compared with.
//!
//! The "centre unit" is the pre-activation output of conv3 at the centre of its plane
//! (`(h/2, w/2)`, all channels summed: the backward pass starts from a seed that is 1 there and
//! 0 elsewhere). Gradients come from the autograd tape; the layer's value is caught while
//! DilNet's forward pass records it ([`DilNet::forward_with`]).

use crate::{Result, StudyError};
use atrous_autograd::nn::DilNet;
use atrous_autograd::{Classifier, Tape, Var};
use atrous_tensor::Tensor;

/// `|∂(Σ_k z[n, k, h/2, w/2])/∂x_n|` averaged over the images `n` of `x [N, C, H, W]` (summed
/// over input channels), where `z = layer(tape, x)` is `[N, K, h, w]`; gives `H·W` values.
pub fn unit_gradient(x: &Tensor, layer: impl FnOnce(&mut Tape, Var) -> Result<Var>) -> Result<Vec<f64>> {
    let &[n, c, h, w] = x.dims() else {
        return Err(StudyError::Invalid {
            field: "ERF input shape",
            value: format!("{:?}", x.dims()),
            rule: "must be [N, C, H, W]",
        });
    };
    let mut tape = Tape::new();
    let xv = tape.leaf(x.clone(), true);
    let z = layer(&mut tape, xv)?;
    let &[zn, k, zh, zw] = tape.value(z).dims() else {
        return Err(StudyError::Invalid {
            field: "ERF layer shape",
            value: format!("{:?}", tape.value(z).dims()),
            rule: "must be [N, K, h, w]",
        });
    };
    let mut seed = vec![0.0f32; zn * k * zh * zw];
    let centre = (zh / 2) * zw + zw / 2;
    for plane in seed.chunks_exact_mut(zh * zw) {
        plane[centre] = 1.0;
    }
    let grads = tape.backward_with(z, Tensor::from_vec(&[zn, k, zh, zw], seed).map_err(super::te)?)?;
    let g = grads.get(xv).cloned().unwrap_or_else(|| Tensor::zeros(x.dims()));
    let plane = h * w;
    let mut out = vec![0.0f64; plane];
    for item in g.as_slice().chunks_exact(c * plane) {
        for channel in item.chunks_exact(plane) {
            out.iter_mut().zip(channel).for_each(|(o, &v)| *o += f64::from(v.abs()));
        }
    }
    out.iter_mut().for_each(|o| *o /= n as f64);
    Ok(out)
}

/// The ERF of DilNet's conv3 (pre-activation) over images `x`.
pub fn conv3_erf(model: &DilNet, x: &Tensor) -> Result<Vec<f64>> {
    unit_gradient(x, |tape, xv| {
        let params = model.bind(tape, false);
        let layers = [&model.conv1, &model.conv2, &model.conv3];
        let mut caught = None;
        model.forward_with(tape, &params, xv, |tape, layer, h, w, b| {
            let v = tape.conv2d(h, w, Some(b), layers[layer].params)?;
            if layer == 2 {
                caught = Some(v);
            }
            Ok(v)
        })?;
        caught.ok_or(StudyError::Invalid {
            field: "ERF layer",
            value: "conv3".into(),
            rule: "must be recorded by the forward pass",
        })
    })
}

/// Side (pixels) of the theoretical receptive field of one conv3 unit of DilNet: each 3×3
/// layer of dilation `d_i` adds `(k_i − 1)·d_i` input steps, the 2×2 pool adds 1 step and
/// doubles the step: `1 + (k₁−1)d₁ + (k₂−1)d₂ + 1 + 2(k₃−1)d₃` (`8d + 2` for one d).
pub fn theoretical_side(model: &DilNet) -> usize {
    let c = &model.config;
    1 + (c.kernels[0] - 1) * c.dilations[0]
        + (c.kernels[1] - 1) * c.dilations[1]
        + 1
        + 2 * (c.kernels[2] - 1) * c.dilations[2]
}

/// Where an ERF's mass sits: centroid, radii holding 50% and 90% of it, radial profile.
#[derive(Clone, Debug, PartialEq)]
pub struct ErfShape {
    /// Radius (pixels, from the mass centroid) of the smallest disc holding 50% of the mass.
    pub r50: f64,
    /// The same for 90%.
    pub r90: f64,
    /// Share of the mass at distance `[r, r + 1)` from the centroid per pixel of that ring,
    /// `r = 0, 1, …` (a density: flat for a uniform map).
    pub profile: Vec<f64>,
}

/// [`ErfShape`] of a `side × side` map of non-negative values.
pub fn erf_shape(erf: &[f64], side: usize) -> ErfShape {
    let total: f64 = erf.iter().sum();
    let coord = |i: usize| ((i / side) as f64, (i % side) as f64);
    let (mut cy, mut cx) = (0.0, 0.0);
    for (i, &v) in erf.iter().enumerate() {
        cy += coord(i).0 * v / total;
        cx += coord(i).1 * v / total;
    }
    let dist = |i: usize| (coord(i).0 - cy).hypot(coord(i).1 - cx);
    let mut order: Vec<usize> = (0..erf.len()).collect();
    order.sort_by(|&a, &b| dist(a).total_cmp(&dist(b)));
    let radius = |q: f64| {
        let mut acc = 0.0;
        for &i in &order {
            acc += erf[i] / total;
            if acc >= q {
                return dist(i);
            }
        }
        f64::NAN
    };
    let rings = side;
    let (mut mass, mut count) = (vec![0.0; rings], vec![0usize; rings]);
    for (i, v) in erf.iter().enumerate() {
        let r = (dist(i).floor() as usize).min(rings - 1);
        mass[r] += v / total;
        count[r] += 1;
    }
    let profile = mass.iter().zip(&count).map(|(m, &c)| if c > 0 { m / c as f64 } else { 0.0 }).collect();
    ErfShape { r50: radius(0.5), r90: radius(0.9), profile }
}
