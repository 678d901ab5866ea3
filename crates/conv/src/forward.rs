//! Convolution forward pass: `im2col` of each image, then one GEMM `Y_n = W · cols_n`, plus bias.
//!
//! Images run in parallel (one rayon task each); each task reuses its thread's scratch buffer.

use crate::scratch::with_scratch;
use crate::{Conv2dParams, ConvError, ConvGeometry, im2col::im2col};
use atrous_tensor::Tensor;
use atrous_tensor::gemm::{MatMut, MatRef, gemm};
use rayon::prelude::*;

/// True when the column matrix of an image is the image itself (1×1 kernel, stride 1, no
/// padding), so `im2col` can be skipped.
pub(crate) fn cols_are_input(geo: &ConvGeometry) -> bool {
    let p = geo.params;
    p.kernel == (1, 1) && p.stride == (1, 1) && p.padding == (0, 0)
}

/// Checks that a bias, if any, is `[C_out]`.
pub(crate) fn check_bias(
    op: &'static str,
    geo: &ConvGeometry,
    bias: Option<&[usize]>,
) -> Result<(), ConvError> {
    match bias {
        Some(dims) if dims != [geo.c_out] => {
            Err(ConvError::Operand { op, what: "bias", expected: [geo.c_out].into(), found: dims.into() })
        }
        _ => Ok(()),
    }
}

/// `y = conv2d(x, w) + b` for `x [N, C_in, H, W]`, `w [C_out, C_in, k_h, k_w]`, `b [C_out]`.
pub fn conv2d_forward(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    params: &Conv2dParams,
) -> Result<Tensor, ConvError> {
    let geo = ConvGeometry::new(*params, x.dims(), w.dims())?;
    check_bias("conv2d_forward", &geo, b.map(Tensor::dims))?;
    let mut y = Tensor::zeros(&geo.output_dims());
    conv2d_forward_into(&geo, x.as_slice(), w.as_slice(), b.map(Tensor::as_slice), y.as_mut_slice());
    Ok(y)
}

/// The slice-level forward pass into a caller-owned output (for use without tensors).
///
/// # Panics
/// If a slice length does not match `geo` (`w`: `C_out·C_in·k_h·k_w`, `b`: `C_out`).
pub fn conv2d_forward_into(geo: &ConvGeometry, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    assert_eq!(x.len(), geo.n * geo.input_item(), "conv2d_forward: input length");
    assert_eq!(y.len(), geo.n * geo.output_item(), "conv2d_forward: output length");
    assert_eq!(w.len(), geo.c_out * geo.col_rows(), "conv2d_forward: weight length");
    if let Some(b) = b {
        assert_eq!(b.len(), geo.c_out, "conv2d_forward: bias length");
    }
    if geo.n == 0 || geo.output_item() == 0 {
        return;
    }
    let (k, hw) = (geo.col_rows(), geo.col_cols());
    let w_mat = MatRef::row_major(w, geo.c_out, k).expect("weight length checked above");
    y.par_chunks_mut(geo.output_item()).zip(x.par_chunks(geo.input_item())).for_each(|(y_n, x_n)| {
        let out = MatMut::row_major(y_n, geo.c_out, hw).expect("output item length");
        if cols_are_input(geo) {
            gemm(1.0, w_mat, MatRef::row_major(x_n, k, hw).expect("input item length"), 0.0, out);
        } else {
            with_scratch(k * hw, |cols, _| {
                im2col(geo, x_n, cols);
                gemm(1.0, w_mat, MatRef::row_major(cols, k, hw).expect("scratch length"), 0.0, out);
            });
        }
        if let Some(b) = b {
            for (row, &bias) in y_n.chunks_exact_mut(hw).zip(b) {
                row.iter_mut().for_each(|v| *v += bias);
            }
        }
    });
}
