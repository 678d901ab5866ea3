//! `Tensor`: a shape plus one contiguous row-major `f32` buffer.

use crate::rng::Rng;
use crate::{Error, Result, Shape, recycle, simd};
use rayon::prelude::*;
use std::ops::Range;

/// A dense row-major `f32` tensor that owns its buffer.
///
/// A dropped tensor's buffer goes to the [`recycle`] pool, and new tensors take their buffer from
/// it when one of their length is kept there.
#[derive(Debug, PartialEq)]
pub struct Tensor {
    shape: Shape,
    data: Vec<f32>,
}

impl Drop for Tensor {
    fn drop(&mut self) {
        recycle::give(std::mem::take(&mut self.data));
    }
}

impl Clone for Tensor {
    fn clone(&self) -> Self {
        let mut out = Tensor::for_overwrite(self.dims());
        out.data.copy_from_slice(&self.data);
        out
    }
}

/// Elements per parallel piece of an elementwise pass: big enough that scheduling is noise,
/// small enough that a batch's activation splits over the cores.
const ELEMENTWISE_PIECE: usize = 1 << 15;

impl Tensor {
    /// A tensor of zeros.
    pub fn zeros(dims: &[usize]) -> Self {
        Self::full(dims, 0.0)
    }

    /// A tensor filled with `value`.
    pub fn full(dims: &[usize], value: f32) -> Self {
        let shape = Shape::new(dims);
        let data = match recycle::take(shape.len()) {
            Some(mut data) => {
                data.fill(value);
                data
            }
            None => vec![value; shape.len()],
        };
        Tensor { data, shape }
    }

    /// A tensor whose elements are unspecified (a recycled buffer's old values, or zeros): for an
    /// operation that writes every element, so it pays for no fill it would overwrite.
    pub fn for_overwrite(dims: &[usize]) -> Self {
        let shape = Shape::new(dims);
        let data = recycle::take(shape.len()).unwrap_or_else(|| vec![0.0; shape.len()]);
        Tensor { data, shape }
    }

    /// Wraps `data` as a tensor of shape `dims`; the length must match.
    pub fn from_vec(dims: &[usize], data: Vec<f32>) -> Result<Self> {
        let shape = Shape::new(dims);
        match shape.checked_len() {
            Some(n) if n == data.len() => Ok(Tensor { shape, data }),
            expected => Err(Error::LengthMismatch {
                op: "Tensor::from_vec",
                shape,
                expected: expected.unwrap_or(usize::MAX),
                found: data.len(),
            }),
        }
    }

    /// Uniform draws in `[low, high)`, in row-major order from `rng`.
    pub fn uniform(dims: &[usize], low: f32, high: f32, rng: &mut Rng) -> Self {
        let shape = Shape::new(dims);
        let data = (0..shape.len()).map(|_| rng.uniform(low, high)).collect();
        Tensor { shape, data }
    }

    /// Standard-normal draws scaled by `std`.
    pub fn normal(dims: &[usize], std: f32, rng: &mut Rng) -> Self {
        let shape = Shape::new(dims);
        let data = (0..shape.len()).map(|_| std * rng.normal()).collect();
        Tensor { shape, data }
    }

    /// PyTorch's default initialisation of conv and linear weights (`kaiming_uniform_` with
    /// `a = √5`), which reduces to `U(−1/√fan_in, 1/√fan_in)`; the same bound PyTorch uses for
    /// biases. `fan_in` is the product of all axes but the first.
    pub fn kaiming_uniform(dims: &[usize], fan_in: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
        Self::uniform(dims, -bound, bound, rng)
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The axis lengths.
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the tensor holds no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The buffer, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// The buffer, row-major, writable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the tensor, returning its buffer.
    pub fn into_vec(mut self) -> Vec<f32> {
        std::mem::take(&mut self.data)
    }

    /// A copy with another shape of the same element count.
    pub fn reshape(&self, dims: &[usize]) -> Result<Tensor> {
        self.clone().into_reshaped(dims)
    }

    /// The same buffer under another shape of the same element count.
    pub fn into_reshaped(mut self, dims: &[usize]) -> Result<Tensor> {
        let data = std::mem::take(&mut self.data);
        Tensor::from_vec(dims, data).map_err(|e| match e {
            Error::LengthMismatch { shape, .. } => Error::ShapeMismatch {
                op: "reshape",
                left: self.shape.clone(),
                right: shape,
                why: "element counts differ",
            },
            other => other,
        })
    }

    fn check_batch_range(&self, op: &'static str, range: &Range<usize>) -> Result<usize> {
        let Some(&n) = self.dims().first() else {
            return Err(Error::BadShape { op, shape: self.shape.clone(), why: "needs at least one axis" });
        };
        if range.start > range.end || range.end > n {
            return Err(Error::OutOfRange { op, start: range.start, end: range.end, len: n });
        }
        Ok(self.shape.item_len())
    }

    /// Borrows items `range` of the leading (batch) axis as one contiguous slice.
    pub fn batch_slice(&self, range: Range<usize>) -> Result<&[f32]> {
        let item = self.check_batch_range("batch_slice", &range)?;
        Ok(&self.data[range.start * item..range.end * item])
    }

    /// Copies items `range` of the leading axis into a new tensor.
    pub fn to_batch(&self, range: Range<usize>) -> Result<Tensor> {
        let slice = self.batch_slice(range.clone())?;
        let mut dims = self.dims().to_vec();
        dims[0] = range.len();
        Tensor::from_vec(&dims, slice.to_vec())
    }

    fn check_same_shape(&self, op: &'static str, other: &Tensor) -> Result<()> {
        if self.shape == other.shape {
            Ok(())
        } else {
            Err(Error::ShapeMismatch {
                op,
                left: self.shape.clone(),
                right: other.shape.clone(),
                why: "must be equal",
            })
        }
    }

    fn zip_with(
        &self,
        op: &'static str,
        other: &Tensor,
        kernel: fn(&[f32], &[f32], &mut [f32]),
    ) -> Result<Tensor> {
        self.check_same_shape(op, other)?;
        let mut out = Tensor::for_overwrite(self.dims());
        kernel(&self.data, &other.data, &mut out.data);
        Ok(out)
    }

    /// Elementwise `self + other` (equal shapes).
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        self.zip_with("add", other, simd::add)
    }

    /// Elementwise `self − other` (equal shapes).
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        self.zip_with("sub", other, simd::sub)
    }

    /// Elementwise `self · other` (equal shapes).
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        self.zip_with("mul", other, simd::mul)
    }

    /// `self += other` (equal shapes).
    pub fn add_assign(&mut self, other: &Tensor) -> Result<()> {
        self.check_same_shape("add_assign", other)?;
        simd::add_assign(&mut self.data, &other.data);
        Ok(())
    }

    /// `self += alpha · other` (equal shapes).
    pub fn axpy(&mut self, alpha: f32, other: &Tensor) -> Result<()> {
        self.check_same_shape("axpy", other)?;
        simd::axpy(alpha, &other.data, &mut self.data);
        Ok(())
    }

    /// `alpha · self`.
    pub fn scale(&self, alpha: f32) -> Tensor {
        let mut out = self.clone();
        simd::scale(alpha, &mut out.data);
        out
    }

    /// `max(self, 0)` elementwise (NaN gives 0, as [`simd::relu`]), in parallel pieces, never
    /// zero-filled first: an activation is megabytes per training step.
    pub fn relu(&self) -> Tensor {
        let mut out = Tensor::for_overwrite(self.dims());
        out.data
            .par_chunks_mut(ELEMENTWISE_PIECE)
            .zip(self.data.par_chunks(ELEMENTWISE_PIECE))
            .for_each(|(o, x)| simd::relu(x, o));
        out
    }

    /// ReLU's backward from its output: `dy` where `self > 0`, else 0 (as
    /// [`simd::relu_backward`]), in parallel pieces, without zero-filling first.
    ///
    /// # Errors
    /// If `dy` has another shape.
    pub fn relu_backward(&self, dy: &Tensor) -> Result<Tensor> {
        self.check_same_shape("relu_backward", dy)?;
        let mut out = Tensor::for_overwrite(self.dims());
        out.data
            .par_chunks_mut(ELEMENTWISE_PIECE)
            .zip(self.data.par_chunks(ELEMENTWISE_PIECE).zip(dy.data.par_chunks(ELEMENTWISE_PIECE)))
            .for_each(|(o, (y, g))| simd::relu_backward(y, g, o));
        Ok(out)
    }

    /// Sum of all elements (fixed-order SIMD sum).
    pub fn sum(&self) -> f32 {
        simd::sum(&self.data)
    }

    /// Index of the largest element along the last axis, for each leading index.
    pub fn argmax_last(&self) -> Result<Vec<usize>> {
        match self.dims().last() {
            Some(&cols) if cols > 0 => Ok(crate::reduce::argmax_rows(&self.data, cols)),
            _ => Err(Error::BadShape {
                op: "argmax_last",
                shape: self.shape.clone(),
                why: "last axis must be non-empty",
            }),
        }
    }
}
