//! Grad-CAM (Selvaraju et al. 2017): where in the last feature maps the class evidence is.
//! With `A_k` the rectified output of the network's last convolution (for DilNet, conv3 after
//! its ReLU: 64 maps of 14×14) and `α_k` the spatial mean of `∂S_c/∂A_k`, the map is
//! `ReLU(Σ_k α_k A_k)`, upsampled bilinearly to the input's size.
//!
//! "The last convolution's ReLU output" is found on the tape, for any [`Classifier`]: the newest
//! recorded ReLU whose value is `[N, C, H, W]`. Its gradient is the gradient arriving at the
//! ReLU's output, before the ReLU's own mask, as a hook on a PyTorch `nn.ReLU` module sees it.

use super::{Attribution, Explained, items};
use crate::gradient::{Tapped, tapped_score_gradient};
use crate::saliency::Target;
use crate::{Result, SaliencyError};
use atrous_autograd::{BackwardRules, Classifier, Tape, Var};
use atrous_tensor::Tensor;

/// The newest ReLU output on `tape` with a spatial layout `[N, C, H, W]`.
pub fn last_feature_map(tape: &Tape) -> Option<Var> {
    tape.relu_outputs().into_iter().rev().find(|&v| tape.value(v).dims().len() == 4)
}

/// Grad-CAM maps of images `x [N, C, H, W]` for the chosen target, `[N, H, W]` like `x`.
pub fn grad_cam<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
) -> Result<Attribution> {
    let choose = |logits: &Tensor| Ok(Explained::resolve(logits, target, labels)?.targets);
    let taps = |tape: &Tape| last_feature_map(tape).map(|v| vec![v]).ok_or(SaliencyError::NoFeatureMap);
    // Only the feature maps' gradient is needed: the layers below them are not differentiated.
    let (logits, _, tapped) = tapped_score_gradient(model, x, choose, BackwardRules::default(), taps)?;
    let explained = Explained::resolve(&logits, target, labels)?;
    let Some(features) = tapped.first() else { return Err(SaliencyError::NoFeatureMap) };
    let cam = class_activation(features)?;
    let (_, [_, h, w]) = items(x)?;
    Ok(explained.with_maps(upsample_bilinear(&cam, h, w)?))
}

/// `ReLU(Σ_k α_k A_k)` with `α_k` the spatial mean of the gradient, from feature maps `A` and
/// their gradient, both `[N, K, h, w]`; gives `[N, h, w]`.
pub fn class_activation(features: &Tapped) -> Result<Tensor> {
    let (a, g) = (&features.value, &features.gradient);
    let &[n, k, h, w] = a.dims() else {
        return Err(SaliencyError::Shape {
            what: "feature maps",
            expected: "[N, K, h, w]".into(),
            found: a.shape().clone(),
        });
    };
    if g.dims() != a.dims() {
        return Err(SaliencyError::Shape {
            what: "the gradient of the feature maps",
            expected: format!("{:?}, as the maps", a.dims()),
            found: g.shape().clone(),
        });
    }
    let plane = h * w;
    let mut cam = vec![0.0f32; n * plane];
    for ((dst, ai), gi) in cam
        .chunks_exact_mut(plane)
        .zip(a.as_slice().chunks_exact(k * plane))
        .zip(g.as_slice().chunks_exact(k * plane))
    {
        for (ak, gk) in ai.chunks_exact(plane).zip(gi.chunks_exact(plane)) {
            let alpha = gk.iter().sum::<f32>() / plane as f32;
            dst.iter_mut().zip(ak).for_each(|(d, &v)| *d += alpha * v);
        }
        dst.iter_mut().for_each(|d| *d = d.max(0.0));
    }
    Ok(Tensor::from_vec(&[n, h, w], cam)?)
}

/// Bilinear resampling of maps `[N, h, w]` to `[N, out_h, out_w]` with half-pixel centres:
/// output pixel `o` reads the input at `(o + ½)·(in/out) − ½`, clamped at 0 and at the last
/// pixel, as PyTorch's `interpolate(mode="bilinear", align_corners=False)` does.
pub fn upsample_bilinear(maps: &Tensor, out_h: usize, out_w: usize) -> Result<Tensor> {
    let &[n, h, w] = maps.dims() else {
        return Err(SaliencyError::Shape {
            what: "maps to upsample",
            expected: "[N, h, w]".into(),
            found: maps.shape().clone(),
        });
    };
    if h == 0 || w == 0 {
        return Err(SaliencyError::Shape {
            what: "maps to upsample",
            expected: "a non-empty plane".into(),
            found: maps.shape().clone(),
        });
    }
    let rows = taps(h, out_h);
    let cols = taps(w, out_w);
    let mut out = Vec::with_capacity(n * out_h * out_w);
    for map in maps.as_slice().chunks_exact(h * w) {
        for &(r0, r1, fr) in &rows {
            for &(c0, c1, fc) in &cols {
                let top = (1.0 - fc) * map[r0 * w + c0] + fc * map[r0 * w + c1];
                let bottom = (1.0 - fc) * map[r1 * w + c0] + fc * map[r1 * w + c1];
                out.push((1.0 - fr) * top + fr * bottom);
            }
        }
    }
    Ok(Tensor::from_vec(&[n, out_h, out_w], out)?)
}

/// For each of `out` output positions: the two input positions it lies between and the weight
/// of the second.
fn taps(input: usize, out: usize) -> Vec<(usize, usize, f32)> {
    let scale = input as f32 / out as f32;
    (0..out)
        .map(|o| {
            let src = (scale * (o as f32 + 0.5) - 0.5).max(0.0);
            let i0 = (src as usize).min(input - 1);
            let i1 = (i0 + 1).min(input - 1);
            (i0, i1, src - i0 as f32)
        })
        .collect()
}
