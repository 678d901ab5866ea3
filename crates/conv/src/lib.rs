//! Dilated ("atrous") 2-D convolution for NCHW `f32` data: forward and backward passes built on
//! `im2col` + GEMM, max and global-average pooling, and a naive oracle to test them against.
//!
//! Shapes: input `x [N, C_in, H, W]`, weight `w [C_out, C_in, k_h, k_w]`, bias `b [C_out]`,
//! output `y [N, C_out, H_out, W_out]`, all contiguous row-major. A [`Conv2dParams`] holds kernel,
//! stride, zero padding and dilation per axis; a [`ConvGeometry`] checks them against the operand
//! shapes once and owns the output-size arithmetic (`H_out = (H + 2p − d·(k−1) − 1)/s + 1`).
//!
//! Dilation enters only in [`im2col`](im2col::im2col), the gather that lays each kernel tap's
//! input pixels out as a row of a matrix; the GEMM after it is the same for every dilation, so a
//! dilated layer costs what an undilated one does.
//!
//! How it runs fast: every product is the crate's own register-tiled micro-kernel (`kernel`,
//! vector accumulators sized to the target's registers: AVX-512 or AVX2 with `target-cpu=native`), with the long pixel axis as the
//! vector axis. For stride 1 with `W_out = W` (e.g. "same" padding) the column matrix is never
//! written: each of its rows is an input plane read at one shifted offset from a few padded,
//! column-masked plane copies, so the kernel reads it in place; the input gradient is run as a
//! forward convolution of `dY` with the flipped weight the same way, and the weight gradient
//! reads channels-last planes. Other settings take the plain `im2col`/`col2im` path. The oracle
//! tests cover both.
//!
//! [`continuous_conv2d_forward`] takes a real-valued dilation, read by bilinear interpolation, and
//! its backward pass gives `∂L/∂d` too, so a dilation can be learned.
//!
//! Use it without autograd, on tensors or on your own slices (`*_into` functions):
//!
//! ```
//! use atrous_conv::{Conv2dParams, GradsWanted, conv2d_backward, conv2d_forward};
//! use atrous_tensor::{Tensor, rng::Rng};
//!
//! let mut rng = Rng::seed_from(0);
//! let x = Tensor::uniform(&[2, 3, 28, 28], 0.0, 1.0, &mut rng);
//! let w = Tensor::kaiming_uniform(&[8, 3, 3, 3], 27, &mut rng);
//! let b = Tensor::zeros(&[8]);
//! let params = Conv2dParams::same(3, 2)?; // 3×3, dilation 2, padding 2: size kept
//! let y = conv2d_forward(&x, &w, Some(&b), &params)?;
//! assert_eq!(y.dims(), &[2, 8, 28, 28]);
//!
//! // dL/dy = y, i.e. L = ½‖y‖²
//! let grads = conv2d_backward(&x, &w, &y, &params, GradsWanted::ALL)?;
//! assert_eq!(grads.dw.unwrap().dims(), w.dims());
//! assert_eq!(grads.dx.unwrap().dims(), x.dims());
//!
//! // A saliency map needs only the input gradient: no weight-gradient work is done.
//! let saliency = conv2d_backward(&x, &w, &y, &params, GradsWanted::INPUT_ONLY)?;
//! assert!(saliency.dw.is_none() && saliency.db.is_none());
//! # Ok::<(), atrous_conv::ConvError>(())
//! ```
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod backward;
mod continuous;
mod error;
mod forward;
pub mod im2col;
mod kernel;
mod layout;
pub mod naive;
mod params;
mod planes;
mod pool;
mod scratch;
mod simd;
mod taps;

pub use backward::{ConvGrads, GROUP as BACKWARD_GROUP, GradsWanted, conv2d_backward, conv2d_backward_into};
pub use continuous::{ContinuousGrads, continuous_conv2d_backward, continuous_conv2d_forward};
pub use error::ConvError;
pub use forward::{conv2d_forward, conv2d_forward_into};
pub use params::{Conv2dParams, ConvGeometry, Pool2dParams};
pub use pool::{
    MaxPoolOutput, global_avg_pool_backward, global_avg_pool_forward, max_pool2d_backward, max_pool2d_forward,
};
