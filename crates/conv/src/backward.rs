//! Convolution backward pass: weight, bias and (optionally) input gradients.
//!
//! For image `n`, write its input channels-last and gather the transposed column matrix
//! `rows_n [H_out·W_out, k_h·k_w·C_in]` ([`im2row`]: one row per output pixel, taps outer and
//! channels inner, so each tap is one contiguous copy of `C_in` channels). With the output
//! gradient `dY_n [C_out, H_out·W_out]` and the weight reordered to `W' [C_out, k_h·k_w·C_in]`:
//! - `dW' = Σ_n dY_n · rows_n` (reduction over pixels, kept in registers) and `db = Σ_n Σ_pixels dY_n`;
//! - `drows_n = dY_nᵀ · W'`, then `dX_n = row2im(drows_n)` (the adjoint of the gather).
//!
//! Both products run on the crate's micro-kernel ([`crate::kernel`]) with the long, contiguous
//! axis (`k_h·k_w·C_in`) as the vector axis; `dY_n` is read in place, row-wise for `dW` and
//! column-wise for `dX`, with no transposed copy. `dW'` goes back to `[C_out, C_in, k_h, k_w]` at
//! the end.
//!
//! The batch sum is cut into fixed groups of [`GROUP`] images. Each group accumulates its images
//! in order into its own partial sums (in parallel across groups), then the partials are added in
//! group order. The grouping depends on the batch size only, so `dW` and `db` are bit-identical
//! for any thread count.

use crate::im2col::col2im_add_masked;
use crate::kernel::{self, GatheredColumns, GatheredRows, Init, RowMajor, ShiftedRows, Strided};
use crate::layout::{im2row, to_channels_last, transpose_into};
use crate::planes::{ColumnMasks, ShiftedPlanes};
use crate::scratch::{give_back, take_zeroed, with_scratch};
use crate::simd::LANES;
use crate::{Conv2dParams, ConvError, ConvGeometry};
use atrous_tensor::Tensor;
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

    // Taps outer, channels inner: column (i·k_w + j)·C_in + c of W' and of the rows matrix.
    let (k_h, k_w) = geo.params.kernel;
    let c_in = geo.c_in;
    let reorder = |tap_major: usize| {
        let (tap, c) = (tap_major / c_in, tap_major % c_in);
        c * k_h * k_w + tap
    };
    let ld = k.next_multiple_of(LANES);
    let mut scratch = take_zeroed(2 * c_out * k + geo.n.div_ceil(GROUP) * (c_out * k + c_out));
    let (dw_perm, rest) = scratch.split_at_mut(c_out * k);
    let (w_flip, partials) = rest.split_at_mut(c_out * k);
    let transposed = TransposedConv::new(geo, w, w_flip);
    let w_flip: &[f32] = w_flip;

    let masks = ColumnMasks::new(geo);
    // The weight gradient's column matrix comes from im2row (accumulating dW' [C_out, K]) when
    // the channels fill whole vectors, which makes the gather a run of vector copies. With few
    // channels (a first layer) and stride 1, W_out = W, it is read from shifted input planes
    // instead, accumulating dWᵀ [K, C_out]; measured faster there (conv1 0.71 -> 0.54 ms
    // single-thread) and slower with 32 channels.
    let planes = if c_in % LANES == 0 { None } else { ShiftedPlanes::new(geo) };
    // With whole vectors of channels and stride 1, W_out = W, the im2row matrix is not written
    // either: its vectors are read from shifted channels-last planes (kernel::gemm_cols).
    let nhwc = if c_in % LANES == 0 {
        ShiftedPlanes::new(geo).map(|p| {
            let cols = p.channels_last_columns(geo);
            (p, cols)
        })
    } else {
        None
    };
    let ldt = c_out.next_multiple_of(LANES);

    // One partial (dW' then db) per group of images.
    let partial_len = c_out * k + c_out;
    let group_work = |(g, partial): (usize, &mut [f32]), mut dx_group: Option<&mut [f32]>| {
        let (dw_part, db_part) = partial.split_at_mut(c_out * k);
        let first = g * GROUP;
        let last = (first + GROUP).min(geo.n);
        let need_dx = dx_group.is_some();
        let hw_pad = hw.next_multiple_of(LANES);
        let (dcols_len, dy_pad_len) = match &transposed {
            _ if !need_dx => (0, 0),
            Some(t) => (t.planes.len, 0),
            None => (k * hw, c_out * hw_pad),
        };
        let lens = match (&planes, &nhwc) {
            (Some(planes), _) => [planes.len, hw * ldt, dcols_len, dy_pad_len],
            (None, Some((p, _))) => [p.channels_last_len(geo), 0, dcols_len, dy_pad_len],
            (None, None) => [in_item, hw * ld, dcols_len, dy_pad_len],
        };
        with_scratch(lens, |[xbuf, rows, dcols, dy_pad]| {
            for (slot, n) in (first..last).enumerate() {
                let x_n = &x[n * in_item..(n + 1) * in_item];
                let dy_n = &dy[n * out_item..(n + 1) * out_item];
                let init = if slot == 0 { Init::Zero } else { Init::Accumulate };
                match (&planes, &nhwc) {
                    (None, Some((p, cols))) => {
                        p.fill_channels_last(geo, x_n, xbuf);
                        let dy_rows = Strided { data: dy_n, rs: hw, cs: 1 };
                        let b = GatheredColumns { data: xbuf, cols, ld: c_in };
                        kernel::gemm(c_out, k, hw, dy_rows, b, dw_part, k, init);
                    }
                    (Some(planes), _) => {
                        // dWᵀ += cols_n · dY_nᵀ: cols_n read from shifted planes (never
                        // written), dY_n transposed so output channels are the vector axis.
                        planes.fill(geo, x_n, xbuf);
                        transpose_into(c_out, hw, dy_n, rows, ldt);
                        let a = GatheredRows { data: xbuf, rows: &planes.rows };
                        let b = RowMajor { data: rows, ld: ldt };
                        kernel::gemm(k, c_out, hw, a, b, dw_part, c_out, init);
                    }
                    (None, None) => {
                        to_channels_last(c_in, geo.h * geo.w, x_n, xbuf);
                        im2row(geo, xbuf, rows, ld);
                        let dy_rows = Strided { data: dy_n, rs: hw, cs: 1 };
                        kernel::gemm(c_out, k, hw, dy_rows, RowMajor { data: rows, ld }, dw_part, k, init);
                    }
                }
                for (acc, row) in db_part.iter_mut().zip(dy_n.chunks_exact(hw)) {
                    *acc += simd::sum(row);
                }
                if let (Some(dx_group), Some(t)) = (dx_group.as_deref_mut(), &transposed) {
                    // dX_n = conv(dY_n, flipped Wᵀ), read from shifted planes of dY_n: written
                    // once, no column matrix, no col2im.
                    t.planes.fill(&t.geo, dy_n, dcols);
                    let dx_n = &mut dx_group[slot * in_item..(slot + 1) * in_item];
                    let a = Strided { data: w_flip, rs: c_out * t.taps, cs: 1 };
                    let hw_in = geo.h * geo.w;
                    let b = ShiftedRows { data: dcols, rows: &t.planes.rows, nonzero: &t.planes.nonzero };
                    kernel::gemm(c_in, hw_in, c_out * t.taps, a, b, dx_n, hw_in, Init::Zero);
                } else if let Some(dx_group) = dx_group.as_deref_mut() {
                    // dcols = Wᵀ·dY_n with pixels as the vector axis. The kernel reads dY_n's rows
                    // in whole vectors: in place when the buffer extends far enough past this
                    // image's last row, else (the batch's last image) from a padded copy.
                    let (dy_b, ldb): (&[f32], usize) = if (c_out - 1) * hw + hw_pad <= dy.len() - n * out_item
                    {
                        (&dy[n * out_item..], hw)
                    } else {
                        for (dst, src) in dy_pad.chunks_exact_mut(hw_pad).zip(dy_n.chunks_exact(hw)) {
                            dst[..hw].copy_from_slice(src);
                            dst[hw..].fill(0.0);
                        }
                        (dy_pad, hw_pad)
                    };
                    let w_t = Strided { data: w, rs: 1, cs: k };
                    kernel::gemm(k, hw, c_out, w_t, RowMajor { data: dy_b, ld: ldb }, dcols, hw, Init::Zero);
                    let dx_n = &mut dx_group[slot * in_item..(slot + 1) * in_item];
                    dx_n.fill(0.0);
                    col2im_add_masked(geo, dcols, dx_n, &masks);
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
        simd::add_assign(dw_perm, &partial[..c_out * k]);
        simd::add_assign(db, &partial[c_out * k..]);
    }
    if planes.is_some() {
        for (kk, src) in dw_perm.chunks_exact(c_out).enumerate() {
            for (o, &v) in src.iter().enumerate() {
                dw[o * k + kk] = v;
            }
        }
    } else {
        for (dst, src) in dw.chunks_exact_mut(k).zip(dw_perm.chunks_exact(k)) {
            for (col, &v) in src.iter().enumerate() {
                dst[reorder(col)] = v;
            }
        }
    }
    give_back(scratch);
}

/// The input gradient as a forward convolution, for stride 1 and `W_out = W`:
/// `dX = conv(dY, W_flip)` with `W_flip[c, o, i, j] = W[o, c, k_h−1−i, k_w−1−j]`, the same
/// dilation and padding `d·(k−1) − p`, so it runs on [`ShiftedPlanes`] of `dY` and writes `dX`
/// once (no column matrix, no col2im). `None` when the stride, widths or a padding larger than
/// `d·(k−1)` rule it out.
struct TransposedConv {
    /// Geometry of the convolution `dY → dX` for one image.
    geo: ConvGeometry,
    /// Its plane layout.
    planes: ShiftedPlanes,
    /// `k_h·k_w`.
    taps: usize,
}

impl TransposedConv {
    /// Builds the layout and writes `W_flip` (`[C_in, C_out·k_h·k_w]`) into `w_flip`.
    fn new(geo: &ConvGeometry, w: &[f32], w_flip: &mut [f32]) -> Option<Self> {
        let p = geo.params;
        let (k_h, k_w) = p.kernel;
        if p.stride != (1, 1) || geo.w_out != geo.w {
            return None;
        }
        let pad_h = (p.dilation.0 * (k_h - 1)).checked_sub(p.padding.0)?;
        let pad_w = (p.dilation.1 * (k_w - 1)).checked_sub(p.padding.1)?;
        let params = Conv2dParams::new(p.kernel, (1, 1), (pad_h, pad_w), p.dilation).ok()?;
        let t_geo = ConvGeometry::new(
            params,
            &[1, geo.c_out, geo.h_out, geo.w_out],
            &[geo.c_in, geo.c_out, k_h, k_w],
        )
        .ok()?;
        if (t_geo.h_out, t_geo.w_out) != (geo.h, geo.w) {
            return None;
        }
        let planes = ShiftedPlanes::new(&t_geo)?;
        let taps = k_h * k_w;
        let (c_in, c_out) = (geo.c_in, geo.c_out);
        for c in 0..c_in {
            for o in 0..c_out {
                for t in 0..taps {
                    w_flip[(c * c_out + o) * taps + t] = w[(o * c_in + c) * taps + (taps - 1 - t)];
                }
            }
        }
        Some(TransposedConv { geo: t_geo, planes, taps })
    }
}
