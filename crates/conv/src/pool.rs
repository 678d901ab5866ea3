//! Max pooling (any window and stride, no padding) and global average pooling, with backward passes.
//!
//! Max pooling remembers, for each output, the index of the winning input inside its `H × W`
//! plane; the backward pass routes each output gradient to that one input (the first maximum on
//! ties, scanning the window row by row, as PyTorch does). A NaN in a window wins it, so a
//! diverging run shows NaN instead of hiding it.

use crate::{ConvError, Pool2dParams};
use atrous_tensor::Tensor;
use rayon::prelude::*;

fn nchw(what: &'static str, x: &Tensor) -> Result<[usize; 4], ConvError> {
    match *x.dims() {
        [n, c, h, w] => Ok([n, c, h, w]),
        _ => Err(ConvError::Rank { what, expected: "[N, C, H, W]", shape: x.shape().clone() }),
    }
}

/// The output of [`max_pool2d_forward`]: pooled values and where each came from.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxPoolOutput {
    /// `[N, C, H_out, W_out]`.
    pub y: Tensor,
    /// For each output, the index of its input inside the `H × W` plane.
    pub argmax: Vec<u32>,
}

/// Max pooling of `x [N, C, H, W]`.
pub fn max_pool2d_forward(x: &Tensor, params: &Pool2dParams) -> Result<MaxPoolOutput, ConvError> {
    let [n, c, h, w] = nchw("max_pool2d input", x)?;
    let (h_out, w_out) = params.output_size(h, w)?;
    // Every output is written by its window.
    let mut y = Tensor::for_overwrite(&[n, c, h_out, w_out]);
    // Every index is written by its window, like `y`.
    let mut argmax = atrous_tensor::recycle::take_indices(n * c * h_out * w_out);
    if y.is_empty() {
        return Ok(MaxPoolOutput { y, argmax });
    }
    // One task per image (all its channels): per-plane tasks of a few hundred pixels cost more
    // in scheduling than in work.
    let (in_plane, out_plane) = (h * w, h_out * w_out);
    y.as_mut_slice()
        .par_chunks_mut(c * out_plane)
        .zip(argmax.par_chunks_mut(c * out_plane))
        .zip(x.as_slice().par_chunks(c * in_plane))
        .for_each(|((y_img, arg_img), x_img)| {
            for ((y_p, arg_p), x_p) in y_img
                .chunks_exact_mut(out_plane)
                .zip(arg_img.chunks_exact_mut(out_plane))
                .zip(x_img.chunks_exact(in_plane))
            {
                max_pool_plane(x_p, w, params, y_p, arg_p, w_out);
            }
        });
    Ok(MaxPoolOutput { y, argmax })
}

/// Pools one `H × W` plane into `y_p` (`H_out × W_out`), recording each winner's index.
fn max_pool_plane(
    x_p: &[f32],
    w: usize,
    params: &Pool2dParams,
    y_p: &mut [f32],
    arg_p: &mut [u32],
    w_out: usize,
) {
    let (k_h, k_w) = params.kernel;
    let (s_h, s_w) = params.stride;
    if (k_h, k_w, s_h, s_w) == (2, 2, 2, 2) {
        return max_pool_plane_2x2(x_p, w, y_p, arg_p, w_out);
    }
    for (oh, (y_row, arg_row)) in y_p.chunks_exact_mut(w_out).zip(arg_p.chunks_exact_mut(w_out)).enumerate() {
        // The k_h input rows this output row reads.
        let rows = &x_p[oh * s_h * w..(oh * s_h + k_h - 1) * w + w];
        for (ow, (y, arg)) in y_row.iter_mut().zip(arg_row.iter_mut()).enumerate() {
            let left = ow * s_w;
            let (mut best_at, mut best) = (left, rows[left]);
            // Sum of the window: NaN exactly when the window holds a NaN (or ±∞ of both signs).
            let mut sum = 0.0f32;
            for i in 0..k_h {
                for (j, &v) in rows[i * w + left..i * w + left + k_w].iter().enumerate() {
                    // Branch-free select (the winner of random data is unpredictable); `>` keeps
                    // the first maximum on ties.
                    let better = v > best;
                    best = if better { v } else { best };
                    best_at = if better { i * w + left + j } else { best_at };
                    sum += v;
                }
            }
            if sum.is_nan() && !best.is_nan() {
                // Rare: a NaN in the window wins (the first one), so a diverging run shows.
                if let Some(at) = (0..k_h)
                    .flat_map(|i| (0..k_w).map(move |j| i * w + left + j))
                    .find(|&at| rows[at].is_nan())
                {
                    (best_at, best) = (at, rows[at]);
                }
            }
            *y = best;
            *arg = (oh * s_h * w + best_at) as u32;
        }
    }
}

/// [`max_pool_plane`] for DilNet's 2×2 windows at stride 2, with the window unrolled: the same
/// comparisons in the same order (top-left, top-right, bottom-left, bottom-right; `>` keeps the
/// first maximum), the same NaN rule, hence the same winners.
fn max_pool_plane_2x2(x_p: &[f32], w: usize, y_p: &mut [f32], arg_p: &mut [u32], w_out: usize) {
    for (oh, (y_row, arg_row)) in y_p.chunks_exact_mut(w_out).zip(arg_p.chunks_exact_mut(w_out)).enumerate() {
        let top = &x_p[2 * oh * w..2 * oh * w + w];
        let bottom = &x_p[(2 * oh + 1) * w..(2 * oh + 1) * w + w];
        for (ow, (y, arg)) in y_row.iter_mut().zip(arg_row.iter_mut()).enumerate() {
            let left = 2 * ow;
            let window = [top[left], top[left + 1], bottom[left], bottom[left + 1]];
            let offsets = [left, left + 1, w + left, w + left + 1];
            let (mut best_at, mut best) = (offsets[0], window[0]);
            let mut sum = 0.0f32;
            for (&v, &at) in window.iter().zip(&offsets) {
                let better = v > best;
                best = if better { v } else { best };
                best_at = if better { at } else { best_at };
                sum += v;
            }
            if sum.is_nan() && !best.is_nan() {
                if let Some(i) = window.iter().position(|v| v.is_nan()) {
                    (best_at, best) = (offsets[i], window[i]);
                }
            }
            *y = best;
            *arg = (2 * oh * w + best_at) as u32;
        }
    }
}

/// Routes `dy [N, C, H_out, W_out]` back to an input of shape `input_dims` through `argmax`.
pub fn max_pool2d_backward(dy: &Tensor, argmax: &[u32], input_dims: &[usize]) -> Result<Tensor, ConvError> {
    let &[n, c, h, w] = input_dims else {
        return Err(ConvError::Rank {
            what: "max_pool2d input",
            expected: "[N, C, H, W]",
            shape: input_dims.into(),
        });
    };
    let [dn, dc, h_out, w_out] = nchw("max_pool2d output gradient", dy)?;
    let bad_operand = || ConvError::Operand {
        op: "max_pool2d_backward",
        what: "output gradient / argmax",
        expected: [n, c, h_out, w_out].into(),
        found: dy.shape().clone(),
    };
    if (dn, dc) != (n, c) || argmax.len() != dy.len() {
        return Err(bad_operand());
    }
    // Each image's planes are zeroed and scattered into by the task that owns them, while they
    // are in cache: a separate zero fill of the whole batch first was a serial pass over
    // megabytes (saliency's and training's largest gradient). An index outside its plane is
    // found by the scatter itself instead of by a serial scan beforehand.
    let mut dx = Tensor::for_overwrite(input_dims);
    let (in_plane, out_plane) = (h * w, h_out * w_out);
    if dx.is_empty() || dy.is_empty() {
        dx.as_mut_slice().fill(0.0);
        return Ok(dx);
    }
    dx.as_mut_slice()
        .par_chunks_mut(c * in_plane)
        .zip(dy.as_slice().par_chunks(c * out_plane))
        .zip(argmax.par_chunks(c * out_plane))
        .try_for_each(|((dx_img, dy_img), arg_img)| {
            dx_img.fill(0.0);
            for ((dx_p, dy_p), arg_p) in dx_img
                .chunks_exact_mut(in_plane)
                .zip(dy_img.chunks_exact(out_plane))
                .zip(arg_img.chunks_exact(out_plane))
            {
                for (&g, &a) in dy_p.iter().zip(arg_p) {
                    *dx_p.get_mut(a as usize).ok_or(())? += g;
                }
            }
            Ok(())
        })
        .map_err(|()| bad_operand())?;
    Ok(dx)
}

/// Global average pooling: `[N, C, H, W] → [N, C]`, each output the mean of its plane.
pub fn global_avg_pool_forward(x: &Tensor) -> Result<Tensor, ConvError> {
    let [n, c, h, w] = nchw("global_avg_pool input", x)?;
    let mut y = Tensor::zeros(&[n, c]);
    if h * w > 0 {
        let inv = 1.0 / (h * w) as f32;
        for (out, plane) in y.as_mut_slice().iter_mut().zip(x.as_slice().chunks_exact(h * w)) {
            *out = atrous_tensor::simd::sum(plane) * inv;
        }
    }
    Ok(y)
}

/// Backward of [`global_avg_pool_forward`]: each input pixel gets `dy / (H·W)`.
pub fn global_avg_pool_backward(dy: &Tensor, input_dims: &[usize]) -> Result<Tensor, ConvError> {
    let &[n, c, h, w] = input_dims else {
        return Err(ConvError::Rank {
            what: "global_avg_pool input",
            expected: "[N, C, H, W]",
            shape: input_dims.into(),
        });
    };
    if dy.dims() != [n, c] {
        return Err(ConvError::Operand {
            op: "global_avg_pool_backward",
            what: "output gradient",
            expected: [n, c].into(),
            found: dy.shape().clone(),
        });
    }
    let mut dx = Tensor::zeros(input_dims);
    if h * w > 0 {
        let inv = 1.0 / (h * w) as f32;
        for (plane, &g) in dx.as_mut_slice().chunks_exact_mut(h * w).zip(dy.as_slice()) {
            plane.fill(g * inv);
        }
    }
    Ok(dx)
}
