//! Convolution backward pass: weight, bias and (optionally) input gradients.
//!
//! For image `n` with columns `cols_n = im2col(x_n)` and output gradient `dY_n [C_out, H_out·W_out]`:
//! - `dW = Σ_n dY_n · cols_nᵀ` and `db = Σ_n Σ_pixels dY_n`;
//! - `dX_n = col2im(Wᵀ · dY_n)`.
//!
//! The batch sum is cut into fixed groups of [`GROUP`] images. Each group accumulates its images
//! in order into its own partial sums (in parallel across groups), then the partials are added in
//! group order. The grouping depends on the batch size only, so `dW` and `db` are bit-identical
//! for any thread count.

use crate::forward::cols_are_input;
use crate::im2col::{col2im_add, im2col};
use crate::scratch::with_scratch;
use crate::{Conv2dParams, ConvError, ConvGeometry};
use atrous_tensor::Tensor;
use atrous_tensor::gemm::{MatMut, MatRef, gemm};
use atrous_tensor::simd;
use rayon::prelude::*;

/// Images per partial sum of the weight gradient.
pub const GROUP: usize = 4;

/// Gradients of a convolution with respect to its input, weight and bias.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvGrads {
    /// `∂L/∂x`, absent when the caller said the input needs no gradient.
    pub dx: Option<Tensor>,
    /// `∂L/∂w`, shaped like the weight.
    pub dw: Tensor,
    /// `∂L/∂b`, `[C_out]`.
    pub db: Tensor,
}

/// Gradients of `y = conv2d(x, w) + b` given `dy = ∂L/∂y`. With `need_dx = false` (a first
/// layer, whose input is data) the input gradient is skipped.
pub fn conv2d_backward(
    x: &Tensor,
    w: &Tensor,
    dy: &Tensor,
    params: &Conv2dParams,
    need_dx: bool,
) -> Result<ConvGrads, ConvError> {
    let geo = ConvGeometry::new(*params, x.dims(), w.dims())?;
    if dy.dims() != geo.output_dims() {
        return Err(ConvError::Operand {
            op: "conv2d_backward",
            what: "output gradient",
            expected: geo.output_dims().into(),
            found: dy.shape().clone(),
        });
    }
    let mut dw = Tensor::zeros(w.dims());
    let mut db = Tensor::zeros(&[geo.c_out]);
    let mut dx = need_dx.then(|| Tensor::zeros(x.dims()));
    conv2d_backward_into(
        &geo,
        x.as_slice(),
        w.as_slice(),
        dy.as_slice(),
        dx.as_mut().map(Tensor::as_mut_slice),
        dw.as_mut_slice(),
        db.as_mut_slice(),
    );
    Ok(ConvGrads { dx, dw, db })
}

/// The slice-level backward pass into caller-owned gradients, which are overwritten.
///
/// # Panics
/// If a slice length does not match `geo`.
pub fn conv2d_backward_into(
    geo: &ConvGeometry,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: &mut [f32],
) {
    let (k, hw, c_out) = (geo.col_rows(), geo.col_cols(), geo.c_out);
    let (in_item, out_item) = (geo.input_item(), geo.output_item());
    assert_eq!(x.len(), geo.n * in_item, "conv2d_backward: input length");
    assert_eq!(dy.len(), geo.n * out_item, "conv2d_backward: output gradient length");
    assert_eq!(w.len(), c_out * k, "conv2d_backward: weight length");
    assert_eq!(dw.len(), c_out * k, "conv2d_backward: weight gradient length");
    assert_eq!(db.len(), c_out, "conv2d_backward: bias gradient length");
    dw.fill(0.0);
    db.fill(0.0);
    if geo.n == 0 {
        return;
    }

    // One partial (dW then db) per group of images.
    let partial_len = c_out * k + c_out;
    let groups = geo.n.div_ceil(GROUP);
    let mut partials = vec![0.0f32; groups * partial_len];
    let w_t = MatRef::row_major(w, c_out, k).expect("weight length checked").t();

    let group_work = |(g, partial): (usize, &mut [f32]), mut dx_group: Option<&mut [f32]>| {
        let (dw_part, db_part) = partial.split_at_mut(c_out * k);
        let first = g * GROUP;
        let last = (first + GROUP).min(geo.n);
        with_scratch(k * hw, |cols, dcols| {
            for (slot, n) in (first..last).enumerate() {
                let x_n = &x[n * in_item..(n + 1) * in_item];
                let dy_n = &dy[n * out_item..(n + 1) * out_item];
                let dy_mat = MatRef::row_major(dy_n, c_out, hw).expect("output item");
                let cols_n: &[f32] = if cols_are_input(geo) {
                    x_n
                } else {
                    im2col(geo, x_n, cols);
                    cols
                };
                let cols_t = MatRef::row_major(cols_n, k, hw).expect("columns").t();
                let beta = if slot == 0 { 0.0 } else { 1.0 };
                gemm(1.0, dy_mat, cols_t, beta, MatMut::row_major(dw_part, c_out, k).expect("dW partial"));
                for (acc, row) in db_part.iter_mut().zip(dy_n.chunks_exact(hw)) {
                    *acc += simd::sum(row);
                }
                if let Some(dx_group) = dx_group.as_deref_mut() {
                    let dx_n = &mut dx_group[slot * in_item..(slot + 1) * in_item];
                    dx_n.fill(0.0);
                    gemm(1.0, w_t, dy_mat, 0.0, MatMut::row_major(dcols, k, hw).expect("scratch"));
                    col2im_add(geo, dcols, dx_n);
                }
            }
        });
    };

    match dx {
        Some(dx) => {
            assert_eq!(dx.len(), geo.n * in_item, "conv2d_backward: input gradient length");
            partials
                .par_chunks_mut(partial_len)
                .enumerate()
                .zip(dx.par_chunks_mut(GROUP * in_item))
                .for_each(|(part, dx_group)| group_work(part, Some(dx_group)));
        }
        None => partials.par_chunks_mut(partial_len).enumerate().for_each(|part| group_work(part, None)),
    }

    for partial in partials.chunks_exact(partial_len) {
        simd::add_assign(dw, &partial[..c_out * k]);
        simd::add_assign(db, &partial[c_out * k..]);
    }
}
