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
//! contiguous range, computed once ([`valid_range`]); outside it the row is padding. With stride
//! 1 the range reads a contiguous run of input, so `im2col` copies it as one block and `col2im`
//! adds it with the SIMD kernel `simd::add_assign`. Other strides take a scalar gather.
//! `col2im` is the exact adjoint: ⟨im2col x, y⟩ = ⟨x, col2im y⟩ (tested).

use crate::ConvGeometry;
use atrous_tensor::simd;

/// Output positions `o` in `0..n_out` whose input index `o·stride + offset` lies in `0..n_in`.
fn valid_range(n_out: usize, n_in: usize, stride: usize, offset: isize) -> std::ops::Range<usize> {
    // o·s + offset ≥ 0  ⇔  o ≥ ceil(−offset / s)
    let lo = if offset >= 0 { 0 } else { (-offset) as usize }.div_ceil(stride);
    // o·s + offset < n_in  ⇔  o < ceil((n_in − offset) / s)
    let limit = n_in as isize - offset;
    let hi = if limit <= 0 { 0 } else { (limit as usize).div_ceil(stride) };
    let hi = hi.min(n_out);
    lo.min(hi)..hi
}

/// The per-tap offsets `(i·d − p)` along one axis.
fn tap_offset(tap: usize, dilation: usize, padding: usize) -> isize {
    (tap * dilation) as isize - padding as isize
}

/// Fills `cols` (`col_rows × col_cols`, row-major) from one image `x` (`C_in × H × W`).
///
/// # Panics
/// If the slice lengths do not match `geo`.
pub fn im2col(geo: &ConvGeometry, x: &[f32], cols: &mut [f32]) {
    let (k_h, k_w) = geo.params.kernel;
    let (s_h, s_w) = geo.params.stride;
    let (p_h, p_w) = geo.params.padding;
    let (d_h, d_w) = geo.params.dilation;
    let (h, w, h_out, w_out) = (geo.h, geo.w, geo.h_out, geo.w_out);
    assert_eq!(x.len(), geo.input_item(), "im2col: input length");
    assert_eq!(cols.len(), geo.col_rows() * geo.col_cols(), "im2col: column buffer length");

    for (row, col_row) in cols.chunks_exact_mut(h_out * w_out).enumerate() {
        let (c, i, j) = (row / (k_h * k_w), row / k_w % k_h, row % k_w);
        let plane = &x[c * h * w..(c + 1) * h * w];
        let off_h = tap_offset(i, d_h, p_h);
        let off_w = tap_offset(j, d_w, p_w);
        let rows_in = valid_range(h_out, h, s_h, off_h);
        let cols_in = valid_range(w_out, w, s_w, off_w);
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

#[cfg(test)]
mod tests {
    use super::valid_range;

    #[test]
    fn valid_range_matches_brute_force() {
        for n_out in 0..6 {
            for n_in in 0..6 {
                for stride in 1..4 {
                    for offset in -7isize..7 {
                        let brute: Vec<usize> = (0..n_out)
                            .filter(|&o| {
                                (0..n_in as isize).contains(&(o as isize * stride as isize + offset))
                            })
                            .collect();
                        let r = valid_range(n_out, n_in, stride, offset);
                        assert_eq!(r.clone().collect::<Vec<_>>(), brute, "{n_out} {n_in} {stride} {offset}");
                    }
                }
            }
        }
    }
}
