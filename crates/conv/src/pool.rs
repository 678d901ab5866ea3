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
    let (k_h, k_w) = params.kernel;
    let (s_h, s_w) = params.stride;
    let mut y = Tensor::zeros(&[n, c, h_out, w_out]);
    let mut argmax = vec![0u32; n * c * h_out * w_out];
    if y.is_empty() {
        return Ok(MaxPoolOutput { y, argmax });
    }
    y.as_mut_slice()
        .par_chunks_mut(h_out * w_out)
        .zip(argmax.par_chunks_mut(h_out * w_out))
        .zip(x.as_slice().par_chunks(h * w))
        .for_each(|((y_p, arg_p), x_p)| {
            for oh in 0..h_out {
                for ow in 0..w_out {
                    let mut best = oh * s_h * w + ow * s_w;
                    for i in 0..k_h {
                        for j in 0..k_w {
                            let at = (oh * s_h + i) * w + ow * s_w + j;
                            if x_p[at] > x_p[best] || (x_p[at].is_nan() && !x_p[best].is_nan()) {
                                best = at;
                            }
                        }
                    }
                    y_p[oh * w_out + ow] = x_p[best];
                    arg_p[oh * w_out + ow] = best as u32;
                }
            }
        });
    Ok(MaxPoolOutput { y, argmax })
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
    if (dn, dc) != (n, c) || argmax.len() != dy.len() || argmax.iter().any(|&a| a as usize >= h * w) {
        return Err(ConvError::Operand {
            op: "max_pool2d_backward",
            what: "output gradient / argmax",
            expected: [n, c, h_out, w_out].into(),
            found: dy.shape().clone(),
        });
    }
    let mut dx = Tensor::zeros(input_dims);
    if dx.is_empty() || dy.is_empty() {
        return Ok(dx);
    }
    dx.as_mut_slice()
        .par_chunks_mut(h * w)
        .zip(dy.as_slice().par_chunks(h_out * w_out))
        .zip(argmax.par_chunks(h_out * w_out))
        .for_each(|((dx_p, dy_p), arg_p)| {
            for (&g, &a) in dy_p.iter().zip(arg_p) {
                dx_p[a as usize] += g;
            }
        });
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
