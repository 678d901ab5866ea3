//! Channels-last layouts of one image: plain transposes between `[C, P]` and `[P, C]`, and
//! `im2row`, the transposed column matrix gathered from a channels-last image. The weight
//! gradient uses them so that its long reduction axis (taps × channels) is the vector axis.

use crate::ConvGeometry;
use crate::simd::{LANES, Vector, copy_short, store};
use crate::taps::{tap_offset, valid_range};

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
            store(&mut row[ld - LANES..], Vector::ZERO);
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
