//! The input gradient `dX_n` of one image at a time, in the layout an [`InputGradPath`] chose once
//! per call. Each image's `dX_n` depends only on `W` and `dY_n`, never on which other gradients
//! the call computes.

use crate::im2col::col2im_add_masked;
use crate::kernel::{self, Init, RowMajor, ShiftedRows, Strided};
use crate::planes::{ColumnMasks, ShiftedPlanes};
use crate::simd::LANES;
use crate::{Conv2dParams, ConvGeometry};

/// How the input gradient is computed, if at all.
pub(super) enum InputGradPath {
    /// The input gradient is not wanted (a first layer, whose input is data).
    None,
    /// Stride 1, `W_out = W` and padding at most `d·(k − 1)`: `dX_n` is the forward convolution
    /// of `dY_n` with the flipped weight, read from shifted planes of `dY_n` and written once (no
    /// column matrix, no col2im).
    Transposed(TransposedConv),
    /// Every other setting: `dcols = Wᵀ·dY_n` with the pixels as the vector axis (`dY_n` read in
    /// place), then `dX_n = col2im(dcols)`, with the column-masked fast path of the masks when
    /// stride 1 and `W_out = W`.
    Col2im(ColumnMasks),
}

impl InputGradPath {
    /// The path for `geo`, or [`InputGradPath::None`] when the input gradient is not wanted.
    pub(super) fn new(geo: &ConvGeometry, wanted: bool) -> Self {
        if !wanted {
            return InputGradPath::None;
        }
        match TransposedConv::new(geo) {
            Some(t) => InputGradPath::Transposed(t),
            None => InputGradPath::Col2im(ColumnMasks::new(geo)),
        }
    }

    /// Length of the flipped weight this path reads ([`Self::flip_weight`]), shared by all images.
    pub(super) fn flipped_weight_len(&self, geo: &ConvGeometry) -> usize {
        match self {
            InputGradPath::Transposed(_) => geo.c_out * geo.col_rows(),
            InputGradPath::None | InputGradPath::Col2im(_) => 0,
        }
    }

    /// Writes `W_flip [C_in, C_out·k_h·k_w]`, `W_flip[c, o, i, j] = W[o, c, k_h−1−i, k_w−1−j]`,
    /// into `w_flip` on the transposed path; nothing otherwise.
    pub(super) fn flip_weight(&self, geo: &ConvGeometry, w: &[f32], w_flip: &mut [f32]) {
        let InputGradPath::Transposed(t) = self else { return };
        let (c_in, c_out, taps) = (geo.c_in, geo.c_out, t.taps);
        for c in 0..c_in {
            for o in 0..c_out {
                for tap in 0..taps {
                    w_flip[(c * c_out + o) * taps + tap] = w[(o * c_in + c) * taps + (taps - 1 - tap)];
                }
            }
        }
    }

    /// Lengths of the two per-thread scratch buffers one image needs (`dY_n` planes or `dcols`,
    /// padded `dY_n`).
    pub(super) fn scratch_lens(&self, geo: &ConvGeometry) -> [usize; 2] {
        let hw = geo.col_cols();
        match self {
            InputGradPath::None => [0, 0],
            InputGradPath::Transposed(t) => [t.planes.len, 0],
            InputGradPath::Col2im(_) => [geo.col_rows() * hw, geo.c_out * hw.next_multiple_of(LANES)],
        }
    }

    /// Overwrites `dx_n` with the input gradient of one image. `dy_rest` is that image's output
    /// gradient followed by the rest of the batch's (read past the image when that saves a copy);
    /// `w_flip` is [`Self::flip_weight`]'s output; `dcols` and `dy_pad` are
    /// [`Self::scratch_lens`] long.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn image(
        &self,
        geo: &ConvGeometry,
        w: &[f32],
        w_flip: &[f32],
        dy_rest: &[f32],
        dcols: &mut [f32],
        dy_pad: &mut [f32],
        dx_n: &mut [f32],
    ) {
        let (k, hw, c_out) = (geo.col_rows(), geo.col_cols(), geo.c_out);
        let dy_n = &dy_rest[..geo.output_item()];
        match self {
            InputGradPath::None => {}
            InputGradPath::Transposed(t) => {
                // dX_n = conv(dY_n, W_flip), read from shifted planes of dY_n.
                t.planes.fill(&t.geo, dy_n, dcols);
                let a = Strided { data: w_flip, rs: c_out * t.taps, cs: 1 };
                let b = ShiftedRows { data: dcols, rows: &t.planes.rows, nonzero: &t.planes.nonzero };
                let hw_in = geo.h * geo.w;
                kernel::gemm(geo.c_in, hw_in, c_out * t.taps, a, b, dx_n, hw_in, Init::Zero);
            }
            InputGradPath::Col2im(masks) => {
                // dcols = Wᵀ·dY_n with pixels as the vector axis. The kernel reads dY_n's rows in
                // whole vectors: in place when the buffer extends far enough past this image's
                // last row, else (the batch's last image) from a padded copy.
                let hw_pad = hw.next_multiple_of(LANES);
                let (dy_b, ldb): (&[f32], usize) = if (c_out - 1) * hw + hw_pad <= dy_rest.len() {
                    (dy_rest, hw)
                } else {
                    for (dst, src) in dy_pad.chunks_exact_mut(hw_pad).zip(dy_n.chunks_exact(hw)) {
                        dst[..hw].copy_from_slice(src);
                        dst[hw..].fill(0.0);
                    }
                    (dy_pad, hw_pad)
                };
                let w_t = Strided { data: w, rs: 1, cs: k };
                kernel::gemm(k, hw, c_out, w_t, RowMajor { data: dy_b, ld: ldb }, dcols, hw, Init::Zero);
                dx_n.fill(0.0);
                col2im_add_masked(geo, dcols, dx_n, masks);
            }
        }
    }
}

/// The input gradient as a forward convolution, for stride 1 and `W_out = W`:
/// `dX = conv(dY, W_flip)` with the same dilation and padding `d·(k−1) − p`, so it runs on
/// [`ShiftedPlanes`] of `dY`.
pub(super) struct TransposedConv {
    /// Geometry of the convolution `dY → dX` for one image.
    geo: ConvGeometry,
    /// Its plane layout.
    planes: ShiftedPlanes,
    /// `k_h·k_w`.
    taps: usize,
}

impl TransposedConv {
    /// The layout for `geo`, or `None` when the stride, widths or a padding larger than
    /// `d·(k−1)` rule it out.
    fn new(geo: &ConvGeometry) -> Option<Self> {
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
        Some(TransposedConv { geo: t_geo, planes, taps: k_h * k_w })
    }
}
