//! Convolution forward pass: `im2col` of each image, then one GEMM `Y_n = W · cols_n (+ b)`.
//!
//! Images run in parallel (one rayon task each); each task reuses its thread's scratch buffer.
//! The GEMM is the crate's own micro-kernel ([`crate::kernel`]) with the image's pixels as the
//! vector axis; the column matrix is laid out with rows padded to whole vectors, and the bias is
//! the accumulators' starting value, so the output is written exactly once.

use crate::im2col::im2col_strided;
use crate::kernel::{self, Init, RowMajor, ShiftedRows, Strided};
use crate::planes::{ColumnMasks, ShiftedPlanes};
use crate::scratch::with_scratch;
use crate::simd::LANES;
use crate::{Conv2dParams, ConvError, ConvGeometry};
use atrous_tensor::Tensor;
use rayon::prelude::*;
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
    // The kernel writes every element (bias or zero as its starting value).
    let mut y = Tensor::for_overwrite(&geo.output_dims());
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
    let ld = hw.next_multiple_of(LANES);
    let init = b.map_or(Init::Zero, Init::Bias);
    let a = Strided { data: w, rs: k, cs: 1 };
    if let Some(planes) = ShiftedPlanes::new(geo) {
        // Stride 1, W_out = W: read the column matrix from shifted plane copies, never write it.
        y.par_chunks_mut(geo.output_item()).zip(x.par_chunks(geo.input_item())).for_each(|(y_n, x_n)| {
            with_scratch([planes.len, 0, 0, 0], |[buf, ..]| {
                planes.fill(geo, x_n, buf);
                let b = ShiftedRows { data: buf, rows: &planes.rows, nonzero: &planes.nonzero };
                kernel::gemm(geo.c_out, hw, k, a, b, y_n, hw, init);
            });
        });
        return;
    }
    let masks = ColumnMasks::new(geo);
    y.par_chunks_mut(geo.output_item()).zip(x.par_chunks(geo.input_item())).for_each(|(y_n, x_n)| {
        with_scratch([k * ld, 0, 0, 0], |[cols, ..]| {
            im2col_strided(geo, x_n, cols, ld, &masks);
            kernel::gemm(geo.c_out, hw, k, a, RowMajor { data: cols, ld }, y_n, hw, init);
        });
    });
}
