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
//! contiguous range, computed once (`valid_range`); outside it the row is padding. With stride
//! 1 the range reads a contiguous run of input, so `im2col` copies it as one block and `col2im`
//! adds it with the SIMD kernel `simd::add_assign`. Other strides take a scalar gather.
//! `col2im` is the exact adjoint: ⟨im2col x, y⟩ = ⟨x, col2im y⟩ (tested).

use crate::ConvGeometry;
use crate::simd::{LANES, copy_short, load, store};
use atrous_tensor::simd;
use wide::f32x16;

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

/// Which output pixels read inside the image horizontally, per kernel column, for the fast path
/// of stride 1 and `W_out = W` (e.g. "same" padding): there, one tap row of the column matrix
/// is the input plane shifted by a single offset, except the few padding columns at each row
/// end, which these masks zero. Built once per call (`k_w · H_out·W_out` lanes).
pub(crate) struct ColumnMasks {
    /// All-ones bits for a valid lane, zero bits for padding; empty when the fast path is off.
    bits: Vec<f32>,
    hw_out: usize,
}

impl ColumnMasks {
    /// The masks of `geo`, or none when its stride or widths rule the fast path out.
    pub(crate) fn new(geo: &ConvGeometry) -> Self {
        let hw_out = geo.col_cols();
        if geo.params.stride != (1, 1) || geo.w_out != geo.w {
            return ColumnMasks { bits: Vec::new(), hw_out };
        }
        let (k_w, p_w, d_w) = (geo.params.kernel.1, geo.params.padding.1, geo.params.dilation.1);
        let mut bits = vec![0.0f32; k_w * hw_out];
        for (j, mask) in bits.chunks_exact_mut(hw_out).enumerate() {
            let cols_in = valid_range(geo.w_out, geo.w, 1, tap_offset(j, d_w, p_w));
            for (p, lane) in mask.iter_mut().enumerate() {
                if cols_in.contains(&(p % geo.w_out)) {
                    *lane = f32::from_bits(u32::MAX);
                }
            }
        }
        ColumnMasks { bits, hw_out }
    }

    /// The mask of kernel column `j`, or `None` off the fast path.
    fn column(&self, j: usize) -> Option<&[f32]> {
        self.bits.get(j * self.hw_out..(j + 1) * self.hw_out)
    }
}

/// The forward pass's column matrix without writing it, for stride 1 and `W_out = W`: every
/// row of the column matrix is then one input plane read at a single shifted offset, except at
/// the padding, which must read zeros. So each plane is copied once per kernel column `j`, with
/// zero rows above and below and with the columns that tap column `j` never reads validly set
/// to zero; a padding tap's shifted read always lands on such a zero (its column, taken modulo
/// `W`, is one no valid read uses, or its row is a margin row). [`ShiftedPlanes::rows`] gives
/// where each column-matrix row starts in that buffer, for [`crate::kernel::gemm_rows`].
///
/// The buffer is `k_w · C_in` padded planes, a third to a half of the column matrix for a 3×3
/// kernel, and dilation only moves the offsets.
pub(crate) struct ShiftedPlanes {
    /// Start of column-matrix row `(c·k_h + i)·k_w + j` in the buffer.
    pub rows: Vec<usize>,
    /// The output pixels where that row can be non-zero: the output rows whose tap row `i`
    /// falls inside the image (outside them it reads only padding).
    pub nonzero: Vec<std::ops::Range<usize>>,
    /// Buffer length.
    pub len: usize,
    /// Elements per padded plane: `(top + H + bottom)·W`.
    plane_stride: usize,
    /// Zero rows above each plane.
    top: usize,
    /// The columns tap column `j` reads validly, per `j`.
    keep: Vec<std::ops::Range<usize>>,
}

impl ShiftedPlanes {
    /// The layout for `geo`, or `None` off the fast path (stride ≠ 1 or `W_out ≠ W`).
    pub(crate) fn new(geo: &ConvGeometry) -> Option<Self> {
        if geo.params.stride != (1, 1) || geo.w_out != geo.w {
            return None;
        }
        let (k_h, k_w) = geo.params.kernel;
        let (p_h, p_w) = geo.params.padding;
        let (d_h, d_w) = geo.params.dilation;
        let (h, w, c_in) = (geo.h, geo.w, geo.c_in);
        let n_pad = geo.col_cols().next_multiple_of(LANES);
        // Reach of a read relative to the plane's first element, over all taps and every
        // computed lane (including the dropped lanes up to a whole vector).
        let first = -((p_h * w + p_w) as isize);
        let last =
            (n_pad - 1) as isize + tap_offset(k_h - 1, d_h, p_h) * w as isize + tap_offset(k_w - 1, d_w, p_w);
        let top = (-first).max(0) as usize;
        let top = top.div_ceil(w);
        let rows_needed = if last < 0 { 0 } else { last as usize / w + 1 };
        let bottom = rows_needed.saturating_sub(h);
        let plane_stride = (top + h + bottom) * w;
        let len = k_w * c_in * plane_stride;
        let mut rows = Vec::with_capacity(geo.col_rows());
        let mut nonzero = Vec::with_capacity(geo.col_rows());
        for c in 0..c_in {
            for i in 0..k_h {
                let rows_in = valid_range(geo.h_out, h, 1, tap_offset(i, d_h, p_h));
                for j in 0..k_w {
                    let start = (j * c_in + c) * plane_stride + top * w;
                    let shift = tap_offset(i, d_h, p_h) * w as isize + tap_offset(j, d_w, p_w);
                    rows.push((start as isize + shift) as usize);
                    nonzero.push(rows_in.start * geo.w_out..rows_in.end * geo.w_out);
                }
            }
        }
        let keep = (0..k_w)
            .map(|j| {
                // Input columns read by valid output columns: the valid range, shifted.
                let off_w = tap_offset(j, d_w, p_w);
                let out = valid_range(w, w, 1, off_w);
                if out.is_empty() {
                    0..0
                } else {
                    (out.start as isize + off_w) as usize..(out.end as isize + off_w) as usize
                }
            })
            .collect();
        Some(ShiftedPlanes { rows, nonzero, len, plane_stride, top, keep })
    }

    /// Buffer length of the channels-last layout ([`Self::fill_channels_last`]).
    pub(crate) fn channels_last_len(&self, geo: &ConvGeometry) -> usize {
        self.keep.len() * self.plane_stride * geo.c_in
    }

    /// The channels-last layout's vector columns for `kernel::gemm_cols`: the transposed column
    /// matrix `rows[pixel, tap·C_in + c]` is read at `buf[cols[g] + pixel·C_in + l]` for column
    /// `g·LANES + l`. Needs `C_in` to be a multiple of `LANES`.
    pub(crate) fn channels_last_columns(&self, geo: &ConvGeometry) -> Vec<usize> {
        let (k_h, k_w) = geo.params.kernel;
        let (p_h, p_w) = geo.params.padding;
        let (d_h, d_w) = geo.params.dilation;
        let (c_in, w) = (geo.c_in, geo.w);
        assert!(c_in % LANES == 0, "channels-last columns need whole vectors of channels");
        (0..k_h * k_w * c_in / LANES)
            .map(|g| {
                let (tap, c0) = (g * LANES / c_in, g * LANES % c_in);
                let (i, j) = (tap / k_w, tap % k_w);
                let shift = tap_offset(i, d_h, p_h) * w as isize + tap_offset(j, d_w, p_w);
                let pixel = ((self.top * w) as isize + shift) as usize;
                (j * self.plane_stride + pixel) * c_in + c0
            })
            .collect()
    }

    /// Writes the channels-last, padded, column-masked copies of one image `x` into `buf`
    /// ([`Self::channels_last_len`] long): per kernel column, `[(top + H + bottom)·W, C_in]`.
    ///
    /// # Panics
    /// If the slice lengths do not match.
    pub(crate) fn fill_channels_last(&self, geo: &ConvGeometry, x: &[f32], buf: &mut [f32]) {
        let (c, w, hw) = (geo.c_in, geo.w, geo.h * geo.w);
        assert_eq!(x.len(), geo.input_item(), "ShiftedPlanes: input length");
        assert_eq!(buf.len(), self.channels_last_len(geo), "ShiftedPlanes: buffer length");
        let copy_len = self.plane_stride * c;
        let data = self.top * w * c..(self.top * w + hw) * c;
        // Transpose once into the first copy, then duplicate.
        to_channels_last(c, hw, x, &mut buf[data.clone()]);
        let (first, others) = buf.split_at_mut(copy_len);
        for copy in others.chunks_exact_mut(copy_len) {
            copy[data.clone()].copy_from_slice(&first[data.clone()]);
        }
        for (keep, copy) in self.keep.iter().zip(buf.chunks_exact_mut(copy_len)) {
            copy[..data.start].fill(0.0);
            copy[data.end..].fill(0.0);
            if keep.start > 0 || keep.end < w {
                for row in copy[data.clone()].chunks_exact_mut(w * c) {
                    row[..keep.start * c].fill(0.0);
                    row[keep.end * c..].fill(0.0);
                }
            }
        }
    }

    /// Writes the padded, column-masked copies of one image `x` into `buf` (`len` long).
    ///
    /// # Panics
    /// If the slice lengths do not match.
    pub(crate) fn fill(&self, geo: &ConvGeometry, x: &[f32], buf: &mut [f32]) {
        let (w, hw) = (geo.w, geo.h * geo.w);
        assert_eq!(x.len(), geo.input_item(), "ShiftedPlanes: input length");
        assert_eq!(buf.len(), self.len, "ShiftedPlanes: buffer length");
        let copies = buf.chunks_exact_mut(geo.c_in * self.plane_stride);
        for (keep, copy) in self.keep.iter().zip(copies) {
            for (plane, x_c) in copy.chunks_exact_mut(self.plane_stride).zip(x.chunks_exact(hw)) {
                let (above, rest) = plane.split_at_mut(self.top * w);
                let (data, below) = rest.split_at_mut(hw);
                above.fill(0.0);
                below.fill(0.0);
                data.copy_from_slice(x_c);
                if keep.start > 0 || keep.end < w {
                    for row in data.chunks_exact_mut(w) {
                        row[..keep.start].iter_mut().for_each(|v| *v = 0.0);
                        row[keep.end..].iter_mut().for_each(|v| *v = 0.0);
                    }
                }
            }
        }
    }
}

/// Transposes `x [C, P]` into `xt [P, ld]` (`ld ≥ C`; lanes `C..ld` of each row are left as
/// they are), in blocks of 16 pixels so both sides stay in a few cache lines.
pub(crate) fn transpose_into(c: usize, p: usize, x: &[f32], xt: &mut [f32], ld: usize) {
    assert!(x.len() == c * p && ld >= c && xt.len() >= p * ld, "transpose_into: lengths");
    for p0 in (0..p).step_by(LANES) {
        let p1 = (p0 + LANES).min(p);
        for (ch, x_row) in x.chunks_exact(p).enumerate() {
            for (pix, &v) in x_row[p0..p1].iter().enumerate() {
                xt[(p0 + pix) * ld + ch] = v;
            }
        }
    }
}

/// Transposes one image `x [C, P]` (channels first) into `xt [P, C]` (channels last).
pub(crate) fn to_channels_last(c: usize, p: usize, x: &[f32], xt: &mut [f32]) {
    assert!(x.len() == c * p && xt.len() == c * p, "to_channels_last: lengths");
    for (pix, out) in xt.chunks_exact_mut(c).enumerate() {
        for (ch, v) in out.iter_mut().enumerate() {
            *v = x[ch * p + pix];
        }
    }
}

/// The transposed column matrix ("im2row") of one channels-last image `xt [H·W, C_in]`: one row
/// per output pixel, `rows[pixel, tap·C_in + c] = x[c, ih, iw]` (0 for padding taps), rows `ld ≥
/// C_in·k_h·k_w` apart with zeroed tails. Each tap copies `C_in` contiguous channels at once.
///
/// # Panics
/// If the slice lengths do not match `geo`.
pub(crate) fn im2row(geo: &ConvGeometry, xt: &[f32], rows: &mut [f32], ld: usize) {
    let (c_in, k) = (geo.c_in, geo.col_rows());
    assert_eq!(xt.len(), geo.input_item(), "im2row: input length");
    assert!(ld >= k && rows.len() >= geo.col_cols() * ld, "im2row: row buffer length");
    if ld > k {
        // Zero each row's tail with one vector store over its last LANES lanes (`ld` is a
        // multiple of LANES): the taps written below overwrite whatever part of it is theirs.
        // A `fill` here would be a `memset` call per pixel.
        assert!(ld % LANES == 0, "im2row: padded row length");
        for row in rows.chunks_exact_mut(ld).take(geo.col_cols()) {
            store(&mut row[ld - LANES..], f32x16::ZERO);
        }
    }
    let (k_h, k_w) = geo.params.kernel;
    let (s_h, s_w) = geo.params.stride;
    let (p_h, p_w) = geo.params.padding;
    let (d_h, d_w) = geo.params.dilation;
    let (w, h_out, w_out) = (geo.w, geo.h_out, geo.w_out);
    // Taps outer, so each tap's valid output range is computed once and the inner loop is a
    // plain strided copy with no per-pixel bounds logic.
    for i in 0..k_h {
        let off_h = tap_offset(i, d_h, p_h);
        let rows_in = valid_range(h_out, geo.h, s_h, off_h);
        for j in 0..k_w {
            let tap = i * k_w + j;
            let off_w = tap_offset(j, d_w, p_w);
            let cols_in = valid_range(w_out, w, s_w, off_w);
            for oh in 0..h_out {
                let at = |ow: usize| (oh * w_out + ow) * ld + tap * c_in;
                let valid = if rows_in.contains(&oh) { cols_in.clone() } else { 0..0 };
                for ow in (0..w_out).filter(|ow| !valid.contains(ow)) {
                    rows[at(ow)..at(ow) + c_in].fill(0.0);
                }
                if valid.is_empty() {
                    continue;
                }
                let ih = ((oh * s_h) as isize + off_h) as usize;
                for ow in valid {
                    let src = (ih * w + ((ow * s_w) as isize + off_w) as usize) * c_in;
                    let dst = at(ow);
                    if c_in == 1 {
                        rows[dst] = xt[src];
                    } else {
                        copy_short(&mut rows[dst..dst + c_in], &xt[src..src + c_in]);
                    }
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
