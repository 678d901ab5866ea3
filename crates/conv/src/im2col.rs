//! `im2col` and its adjoint `col2im` for one NCHW image, with stride, zero padding and dilation.
//!
//! The column matrix of an image `x [C, H, W]` has one row per kernel tap `(c, i, j)` (row
//! `(c·k_h + i)·k_w + j`) and one column per output pixel `(oh, ow)` (column `oh·W_out + ow`):
//!
//! `cols[(c,i,j), (oh,ow)] = x[c, oh·s_h − p_h + i·d_h, ow·s_w − p_w + j·d_w]`, or 0 outside the
//! image. Dilation only moves where each tap reads; every other part of the convolution is the
//! same GEMM for every dilation.
//!
//! For each tap and output row, the output columns that read inside the image form one
//! contiguous range, computed once (`taps::valid_range`); outside it the row is padding. With stride
//! 1 the range reads a contiguous run of input, so `im2col` copies it as one block and `col2im`
//! adds it with the SIMD kernel `simd::add_assign`. Other strides take a scalar gather.
//! `col2im` is the exact adjoint: ⟨im2col x, y⟩ = ⟨x, col2im y⟩ (tested).
//!
//! The column-masked variants for stride 1 and `W_out = W` (`im2col_strided`,
//! `col2im_add_masked`) read whole vectors and zero the padding lanes with the column masks of
//! the `planes` module.

use crate::ConvGeometry;
use crate::planes::ColumnMasks;
use crate::simd::{LANES, load, store};
use crate::taps::{tap_offset, valid_range};
use atrous_tensor::simd;

/// Fills `cols` (`col_rows × col_cols`, row-major) from one image `x` (`C_in × H × W`).
///
/// # Panics
/// If the slice lengths do not match `geo`.
pub fn im2col(geo: &ConvGeometry, x: &[f32], cols: &mut [f32]) {
    assert_eq!(cols.len(), geo.col_rows() * geo.col_cols(), "im2col: column buffer length");
    im2col_strided(geo, x, cols, geo.col_cols(), &ColumnMasks::new(geo));
}

/// [`im2col`] into rows `ld ≥ H_out·W_out` apart; each row's tail `H_out·W_out..ld` is zeroed
/// (the micro-kernel reads whole vectors). `masks` must be [`ColumnMasks::new`] of `geo`.
///
/// # Panics
/// If the slice lengths do not match `geo`.
pub(crate) fn im2col_strided(
    geo: &ConvGeometry,
    x: &[f32],
    cols: &mut [f32],
    ld: usize,
    masks: &ColumnMasks,
) {
    let (k_h, k_w) = geo.params.kernel;
    let (s_h, s_w) = geo.params.stride;
    let (p_h, p_w) = geo.params.padding;
    let (d_h, d_w) = geo.params.dilation;
    let (h, w, h_out, w_out) = (geo.h, geo.w, geo.h_out, geo.w_out);
    let hw_out = h_out * w_out;
    assert_eq!(x.len(), geo.input_item(), "im2col: input length");
    assert!(ld >= hw_out && cols.len() >= geo.col_rows() * ld, "im2col: column buffer length");

    for (row, padded_row) in cols.chunks_exact_mut(ld).take(geo.col_rows()).enumerate() {
        let (col_row, tail) = padded_row.split_at_mut(hw_out);
        tail.fill(0.0);
        let (c, i, j) = (row / (k_h * k_w), row / k_w % k_h, row % k_w);
        let plane = &x[c * h * w..(c + 1) * h * w];
        let off_h = tap_offset(i, d_h, p_h);
        let off_w = tap_offset(j, d_w, p_w);
        let rows_in = valid_range(h_out, h, s_h, off_h);
        let cols_in = valid_range(w_out, w, s_w, off_w);
        if let Some(mask) = masks.column(j) {
            // Output rows are as long as input rows, so the tap row is the plane shifted by one
            // offset, with the horizontal padding masked to zero: whole vectors, no calls.
            let (lo, hi) = (rows_in.start * w, rows_in.end * w);
            if lo >= hi {
                col_row.fill(0.0);
                continue;
            }
            col_row[..lo].fill(0.0);
            col_row[hi..].fill(0.0);
            let shift = off_h * w as isize + off_w;
            let plane_len = (h * w) as isize;
            let scalar =
                |p: usize| if mask[p].to_bits() != 0 { plane[(p as isize + shift) as usize] } else { 0.0 };
            let mut p = lo;
            while p < hi && (p as isize + shift < 0) {
                col_row[p] = scalar(p);
                p += 1;
            }
            while p + LANES <= hi && p as isize + shift + LANES as isize <= plane_len {
                let src = (p as isize + shift) as usize;
                store(&mut col_row[p..p + LANES], load(&plane[src..src + LANES]) & load(&mask[p..p + LANES]));
                p += LANES;
            }
            while p < hi {
                col_row[p] = scalar(p);
                p += 1;
            }
            continue;
        }
        for (oh, out) in col_row.chunks_exact_mut(w_out).enumerate() {
            if !rows_in.contains(&oh) || cols_in.is_empty() {
                out.fill(0.0);
                continue;
            }
            let ih = (oh * s_h) as isize + off_h;
            let src = &plane[ih as usize * w..(ih as usize + 1) * w];
            out[..cols_in.start].fill(0.0);
            out[cols_in.end..].fill(0.0);
            let first = (cols_in.start * s_w) as isize + off_w;
            let dst = &mut out[cols_in.clone()];
            if s_w == 1 {
                // A contiguous run: one block copy (memcpy is already vectorised).
                dst.copy_from_slice(&src[first as usize..first as usize + dst.len()]);
            } else {
                for (t, v) in dst.iter_mut().enumerate() {
                    *v = src[first as usize + t * s_w];
                }
            }
        }
    }
}

/// Adds the adjoint of [`im2col`] of `cols` into one image `dx` (`C_in × H × W`): every column
/// entry goes back to the pixel it was read from; padding taps are dropped. `dx` is accumulated
/// into, not overwritten.
///
/// # Panics
/// If the slice lengths do not match `geo`.
pub fn col2im_add(geo: &ConvGeometry, cols: &[f32], dx: &mut [f32]) {
    let (k_h, k_w) = geo.params.kernel;
    let (s_h, s_w) = geo.params.stride;
    let (p_h, p_w) = geo.params.padding;
    let (d_h, d_w) = geo.params.dilation;
    let (h, w, h_out, w_out) = (geo.h, geo.w, geo.h_out, geo.w_out);
    assert_eq!(dx.len(), geo.input_item(), "col2im: image length");
    assert_eq!(cols.len(), geo.col_rows() * geo.col_cols(), "col2im: column buffer length");

    for (row, col_row) in cols.chunks_exact(h_out * w_out).enumerate() {
        let (c, i, j) = (row / (k_h * k_w), row / k_w % k_h, row % k_w);
        let plane = &mut dx[c * h * w..(c + 1) * h * w];
        let off_h = tap_offset(i, d_h, p_h);
        let off_w = tap_offset(j, d_w, p_w);
        let cols_in = valid_range(w_out, w, s_w, off_w);
        if cols_in.is_empty() {
            continue;
        }
        let first = (cols_in.start * s_w) as isize + off_w;
        for oh in valid_range(h_out, h, s_h, off_h) {
            let ih = ((oh * s_h) as isize + off_h) as usize;
            let src = &col_row[oh * w_out..(oh + 1) * w_out][cols_in.clone()];
            let dst = &mut plane[ih * w..(ih + 1) * w];
            if s_w == 1 {
                simd::add_assign(&mut dst[first as usize..first as usize + src.len()], src);
            } else {
                for (t, &v) in src.iter().enumerate() {
                    dst[first as usize + t * s_w] += v;
                }
            }
        }
    }
}

/// [`col2im_add`] with the stride-1, `W_out = W` fast path: each tap row goes back as a
/// shifted run of whole-vector adds with its horizontal padding masked out. `masks` must be
/// [`ColumnMasks::new`] of `geo`.
///
/// # Panics
/// If the slice lengths do not match `geo`.
pub(crate) fn col2im_add_masked(geo: &ConvGeometry, cols: &[f32], dx: &mut [f32], masks: &ColumnMasks) {
    let (h, w, h_out, w_out) = (geo.h, geo.w, geo.h_out, geo.w_out);
    let hw_out = h_out * w_out;
    assert_eq!(dx.len(), geo.input_item(), "col2im: image length");
    assert_eq!(cols.len(), geo.col_rows() * hw_out, "col2im: column buffer length");
    if masks.column(0).is_none() {
        return col2im_add(geo, cols, dx);
    }
    let (k_h, k_w) = geo.params.kernel;
    let (p_h, p_w) = geo.params.padding;
    let (d_h, d_w) = geo.params.dilation;
    let plane_len = (h * w) as isize;
    for (row, col_row) in cols.chunks_exact(hw_out).enumerate() {
        let (c, i, j) = (row / (k_h * k_w), row / k_w % k_h, row % k_w);
        let Some(mask) = masks.column(j) else { unreachable!("masks cover every kernel column") };
        let plane = &mut dx[c * h * w..(c + 1) * h * w];
        let (off_h, off_w) = (tap_offset(i, d_h, p_h), tap_offset(j, d_w, p_w));
        let rows_in = valid_range(h_out, h, 1, off_h);
        let (lo, hi) = (rows_in.start * w, rows_in.end * w);
        let shift = off_h * w as isize + off_w;
        let scalar = |plane: &mut [f32], p: usize| {
            if mask[p].to_bits() != 0 {
                plane[(p as isize + shift) as usize] += col_row[p];
            }
        };
        let mut p = lo;
        while p < hi && (p as isize + shift < 0) {
            scalar(plane, p);
            p += 1;
        }
        while p + LANES <= hi && p as isize + shift + LANES as isize <= plane_len {
            // Masked lanes add +0 to a neighbouring pixel: no change.
            let dst = &mut plane[(p as isize + shift) as usize..][..LANES];
            store(dst, load(dst) + (load(&col_row[p..p + LANES]) & load(&mask[p..p + LANES])));
            p += LANES;
        }
        while p < hi {
            scalar(plane, p);
            p += 1;
        }
    }
}
