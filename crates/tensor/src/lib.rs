//! Dense `f32` tensors and the numerical ground floor of atrous.
//!
//! A [`Tensor`] is a [`Shape`] (a list of axis lengths, outermost first) plus one contiguous,
//! row-major `Vec<f32>`: element `[i0, i1, …, i_{r-1}]` lives at
//! `((i0 · n1 + i1) · n2 + …) + i_{r-1}`. Images travel as `[N, C, H, W]` (NCHW). There are no
//! strides and no views with gaps: kernels downstream (im2col, GEMM) want plain slices, and the
//! batch axis is sliced by borrowing a contiguous range of the buffer.
//!
//! What lives here, each with a test oracle beside it:
//! - [`simd`]: elementwise kernels on `wide` vectors, each with a scalar twin;
//! - [`reduce`]: sums, maxima, row-wise arg-max and a numerically stable log-softmax;
//! - [`gemm`]: the only caller of `matrixmultiply`, with a deterministic parallel split;
//! - [`rng`]: a small seeded generator, shuffles and initialisers;
//! - [`idx`] and [`mnist`]: reading the MNIST IDX files, gzipped or raw, into [`mnist::Batch`]es;
//! - [`parallel`]: the thread policy; [`files`]: atomic writes.
//!
//! ```
//! use atrous_tensor::{Tensor, rng::Rng};
//!
//! let mut rng = Rng::seed_from(7);
//! let x = Tensor::uniform(&[2, 3], -1.0, 1.0, &mut rng);
//! let y = x.reshape(&[3, 2]).unwrap();
//! assert_eq!(y.shape().dims(), &[3, 2]);
//! assert_eq!(x.as_slice(), y.as_slice());
//! ```
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod error;
pub mod files;
pub mod gemm;
pub mod idx;
pub mod mnist;
pub mod parallel;
pub mod recycle;
pub mod reduce;
pub mod rng;
mod shape;
pub mod simd;
mod tensor;

pub use error::{Error, Result};
pub use shape::Shape;
pub use tensor::Tensor;
