//! Padded, column-masked copies of the input planes, from which the column matrix of a stride-1,
//! `W_out = W` convolution is read in place instead of being written.
//!
//! With stride 1 and output rows as long as input rows (e.g. "same" padding), every row of the
//! column matrix is one input plane read at a single shifted offset, except at the padding.
//! [`ColumnMasks`] says which lanes of such a shifted read are padding (for the gathers that
//! still write or scatter the matrix); [`ShiftedPlanes`] lays out plane copies in which every
//! padding read lands on a zero, channels-first for the forward pass and the first layer's weight
//! gradient, channels-last for the weight gradient of layers with whole vectors of channels.

use crate::ConvGeometry;
use crate::layout::to_channels_last;
use crate::simd::LANES;
use crate::taps::{tap_offset, valid_range};

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
    pub(crate) fn column(&self, j: usize) -> Option<&[f32]> {
        self.bits.get(j * self.hw_out..(j + 1) * self.hw_out)
    }
}

/// The forward pass's column matrix without writing it, for stride 1 and `W_out = W`: every
/// row of the column matrix is then one input plane read at a single shifted offset, except at
/// the padding, which must read zeros. So each plane is copied once per kernel column `j`, with
/// zero rows above and below and with the columns that tap column `j` never reads validly set
/// to zero; a padding tap's shifted read always lands on such a zero (its column, taken modulo
/// `W`, is one no valid read uses, or its row is a margin row). [`ShiftedPlanes::rows`] gives
/// where each column-matrix row starts in that buffer, for [`crate::kernel::ShiftedRows`].
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

    /// The channels-last layout's vector columns for [`crate::kernel::GatheredColumns`]: the transposed column
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
