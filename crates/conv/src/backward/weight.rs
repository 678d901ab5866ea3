//! The weight gradient `dW = Σ_n dY_n · cols_nᵀ` of one image at a time, in the layout a
//! [`WeightGradPath`] chose once per call. Every path reduces over the image's pixels in the same
//! order; they differ in which side is the vector axis and whether the column matrix is written.

use crate::ConvGeometry;
use crate::kernel::{self, GatheredColumns, GatheredRows, Init, RowMajor, Strided};
use crate::layout::{im2row, to_channels_last, transpose_into};
use crate::planes::ShiftedPlanes;
use crate::simd::LANES;

/// How the weight gradient is computed, if at all. Write `K = C_in·k_h·k_w`.
pub(super) enum WeightGradPath {
    /// The weight gradient is not wanted: no work, no scratch.
    None,
    /// The general path: the image goes channels-last and [`im2row`] writes its transposed
    /// column matrix `rows_n [H_out·W_out, K]` (taps outer, channels inner, so each tap is one
    /// contiguous copy of `C_in` channels); `dW' [C_out, K] += dY_n · rows_n` runs with the long
    /// taps × channels axis as the vector axis and `dY_n` read in place, row-wise.
    Im2row,
    /// The same product for whole vectors of channels, stride 1 and `W_out = W`: the vectors of
    /// `rows_n` are read in place from shifted, column-masked channels-last plane copies, so the
    /// matrix is never written.
    ChannelsLastPlanes {
        /// The plane layout.
        planes: ShiftedPlanes,
        /// Where each vector column of `rows_n` starts in it.
        cols: Vec<usize>,
    },
    /// Few channels (a first layer), stride 1 and `W_out = W`: `dWᵀ [K, C_out] += cols_n · dY_nᵀ`
    /// with the rows of `cols_n` read from shifted plane copies (never written) and `dY_n`
    /// transposed so that the output channels are the vector axis.
    ShiftedPlanes(ShiftedPlanes),
}

impl WeightGradPath {
    /// The path for `geo`, or [`WeightGradPath::None`] when the weight gradient is not wanted.
    pub(super) fn new(geo: &ConvGeometry, wanted: bool) -> Self {
        if !wanted {
            return WeightGradPath::None;
        }
        // Shifted planes only pay with few channels: measured faster for the first layer (conv1
        // 0.71 -> 0.54 ms single-thread) and slower with 32 channels, where whole vectors of
        // channels make the im2row gather a run of vector copies.
        if geo.c_in % LANES != 0 {
            return ShiftedPlanes::new(geo).map_or(WeightGradPath::Im2row, WeightGradPath::ShiftedPlanes);
        }
        match ShiftedPlanes::new(geo) {
            Some(planes) => {
                let cols = planes.channels_last_columns(geo);
                WeightGradPath::ChannelsLastPlanes { planes, cols }
            }
            None => WeightGradPath::Im2row,
        }
    }

    /// Lengths of the two per-thread scratch buffers one image needs (input copy, rows).
    pub(super) fn scratch_lens(&self, geo: &ConvGeometry) -> [usize; 2] {
        let hw = geo.col_cols();
        match self {
            WeightGradPath::None => [0, 0],
            WeightGradPath::Im2row => [geo.input_item(), hw * geo.col_rows().next_multiple_of(LANES)],
            WeightGradPath::ChannelsLastPlanes { planes, .. } => [planes.channels_last_len(geo), 0],
            WeightGradPath::ShiftedPlanes(planes) => [planes.len, hw * geo.c_out.next_multiple_of(LANES)],
        }
    }

    /// Writes (`Init::Zero`) or adds (`Init::Accumulate`) image `x_n`'s contribution into
    /// `dw_part`, in this path's layout; `xbuf` and `rows` are [`Self::scratch_lens`] long.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn accumulate(
        &self,
        geo: &ConvGeometry,
        x_n: &[f32],
        dy_n: &[f32],
        xbuf: &mut [f32],
        rows: &mut [f32],
        dw_part: &mut [f32],
        init: Init<'_>,
    ) {
        let (k, hw, c_out) = (geo.col_rows(), geo.col_cols(), geo.c_out);
        let dy_rows = Strided { data: dy_n, rs: hw, cs: 1 };
        match self {
            WeightGradPath::None => {}
            WeightGradPath::Im2row => {
                let ld = k.next_multiple_of(LANES);
                to_channels_last(geo.c_in, geo.h * geo.w, x_n, xbuf);
                im2row(geo, xbuf, rows, ld);
                kernel::gemm(c_out, k, hw, dy_rows, RowMajor { data: rows, ld }, dw_part, k, init);
            }
            WeightGradPath::ChannelsLastPlanes { planes, cols } => {
                planes.fill_channels_last(geo, x_n, xbuf);
                let b = GatheredColumns { data: xbuf, cols, ld: geo.c_in };
                kernel::gemm(c_out, k, hw, dy_rows, b, dw_part, k, init);
            }
            WeightGradPath::ShiftedPlanes(planes) => {
                let ldt = c_out.next_multiple_of(LANES);
                planes.fill(geo, x_n, xbuf);
                transpose_into(c_out, hw, dy_n, rows, ldt);
                let a = GatheredRows { data: xbuf, rows: &planes.rows };
                kernel::gemm(k, c_out, hw, a, RowMajor { data: rows, ld: ldt }, dw_part, c_out, init);
            }
        }
    }

    /// Writes the batch sum `dw_perm` (this path's layout) into `dw [C_out, C_in, k_h, k_w]`.
    pub(super) fn unpermute(&self, geo: &ConvGeometry, dw_perm: &[f32], dw: &mut [f32]) {
        let (k, c_out, c_in) = (geo.col_rows(), geo.c_out, geo.c_in);
        let (k_h, k_w) = geo.params.kernel;
        match self {
            WeightGradPath::None => {}
            WeightGradPath::ShiftedPlanes(_) => {
                // dWᵀ [K, C_out] → [C_out, K].
                for (kk, src) in dw_perm.chunks_exact(c_out).enumerate() {
                    for (o, &v) in src.iter().enumerate() {
                        dw[o * k + kk] = v;
                    }
                }
            }
            WeightGradPath::Im2row | WeightGradPath::ChannelsLastPlanes { .. } => {
                // Column (i·k_w + j)·C_in + c of dW' (taps outer, channels inner) is column
                // (c·k_h + i)·k_w + j of dW.
                let reorder = |tap_major: usize| {
                    let (tap, c) = (tap_major / c_in, tap_major % c_in);
                    c * k_h * k_w + tap
                };
                for (dst, src) in dw.chunks_exact_mut(k).zip(dw_perm.chunks_exact(k)) {
                    for (col, &v) in src.iter().enumerate() {
                        dst[reorder(col)] = v;
                    }
                }
            }
        }
    }
}
