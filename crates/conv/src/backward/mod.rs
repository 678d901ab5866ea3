//! Convolution backward pass: input, weight and bias gradients, each computed only when wanted
//! ([`GradsWanted`]).
//!
//! For image `n` with input `x_n`, output gradient `dY_n [C_out, H_out·W_out]` and column matrix
//! `cols_n [K, H_out·W_out]` (`K = C_in·k_h·k_w`, see [`crate::im2col`]):
//! - `db = Σ_n Σ_pixels dY_n`;
//! - `dW = Σ_n dY_n · cols_nᵀ`, a reduction over pixels;
//! - `dX_n = col2im(Wᵀ · dY_n)`, the adjoint of the im2col gather, per image.
//!
//! Every product runs on the crate's micro-kernel ([`crate::kernel`]). How each is laid out for
//! it depends on the geometry, so a [`BackwardPlan`] chooses once per call a weight-gradient path
//! ([`weight::WeightGradPath`]: im2row, channels-last shifted planes, or shifted planes) and an
//! input-gradient path ([`input::InputGradPath`]: a transposed forward convolution of `dY` on
//! shifted planes, or `Wᵀ·dY` then col2im); the per-image code of each path sits with its enum.
//! A gradient that is not wanted gets the path `None`: no products, no scratch.
//!
//! The batch sum is cut into fixed groups of [`GROUP`] images. Each group accumulates its images
//! in order into its own partial sums (in parallel across groups), then the partials are added in
//! group order. The grouping depends on the batch size only, so `dW` and `db` are bit-identical
//! for any thread count. `dX` is computed per image and does not depend on the grouping either.

mod input;
mod weight;

use crate::kernel::Init;
use crate::scratch::{give_back, take_zeroed, with_scratch};
use crate::{Conv2dParams, ConvError, ConvGeometry};
use atrous_tensor::Tensor;
use atrous_tensor::simd;
use input::InputGradPath;
use rayon::prelude::*;
use std::ops::Range;
use weight::WeightGradPath;

/// Images per partial sum of the weight gradient.
pub const GROUP: usize = 4;

/// Which gradients a backward pass computes.
///
/// A gradient that is not wanted costs nothing: with [`GradsWanted::INPUT_ONLY`] (saliency maps,
/// where the weights are constants) no weight-gradient work or scratch happens at all. Each
/// gradient that is computed is bit-identical whatever else is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GradsWanted {
    /// `∂L/∂x`.
    pub dx: bool,
    /// `∂L/∂w`.
    pub dw: bool,
    /// `∂L/∂b`.
    pub db: bool,
}

impl GradsWanted {
    /// All three gradients.
    pub const ALL: Self = GradsWanted { dx: true, dw: true, db: true };
    /// Only the input gradient: attribution with the weights held constant.
    pub const INPUT_ONLY: Self = GradsWanted { dx: true, dw: false, db: false };
    /// Only the parameter gradients: a first layer, whose input is data.
    pub const PARAMS_ONLY: Self = GradsWanted { dx: false, dw: true, db: true };
}

/// Gradients of a convolution with respect to its input, weight and bias; each is present
/// exactly when it was wanted.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvGrads {
    /// `∂L/∂x`, shaped like the input.
    pub dx: Option<Tensor>,
    /// `∂L/∂w`, shaped like the weight.
    pub dw: Option<Tensor>,
    /// `∂L/∂b`, `[C_out]`.
    pub db: Option<Tensor>,
}

/// The `wanted` gradients of `y = conv2d(x, w) + b` given `dy = ∂L/∂y`.
pub fn conv2d_backward(
    x: &Tensor,
    w: &Tensor,
    dy: &Tensor,
    params: &Conv2dParams,
    wanted: GradsWanted,
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
    // Every path writes each element of dX, and dW and db are zeroed before they accumulate.
    let mut dx = wanted.dx.then(|| Tensor::for_overwrite(x.dims()));
    let mut dw = wanted.dw.then(|| Tensor::for_overwrite(w.dims()));
    let mut db = wanted.db.then(|| Tensor::for_overwrite(&[geo.c_out]));
    conv2d_backward_into(
        &geo,
        x.as_slice(),
        w.as_slice(),
        dy.as_slice(),
        dx.as_mut().map(Tensor::as_mut_slice),
        dw.as_mut().map(Tensor::as_mut_slice),
        db.as_mut().map(Tensor::as_mut_slice),
    );
    Ok(ConvGrads { dx, dw, db })
}

/// Which products a backward call runs and how, chosen once from the geometry and the wanted
/// gradients.
struct BackwardPlan {
    weight: WeightGradPath,
    input: InputGradPath,
    bias: bool,
}

impl BackwardPlan {
    fn new(geo: &ConvGeometry, wanted: GradsWanted) -> Self {
        BackwardPlan {
            weight: WeightGradPath::new(geo, wanted.dw),
            input: InputGradPath::new(geo, wanted.dx),
            bias: wanted.db,
        }
    }
}

/// The slice-level backward pass into caller-owned gradients: each one given (`Some`) is computed
/// and overwritten, each one absent costs nothing.
///
/// # Panics
/// If a slice length does not match `geo`.
pub fn conv2d_backward_into(
    geo: &ConvGeometry,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    mut dw: Option<&mut [f32]>,
    mut db: Option<&mut [f32]>,
) {
    let (k, hw, c_out) = (geo.col_rows(), geo.col_cols(), geo.c_out);
    let (in_item, out_item) = (geo.input_item(), geo.output_item());
    assert_eq!(x.len(), geo.n * in_item, "conv2d_backward: input length");
    assert_eq!(dy.len(), geo.n * out_item, "conv2d_backward: output gradient length");
    assert_eq!(w.len(), c_out * k, "conv2d_backward: weight length");
    if let Some(dx) = dx.as_deref() {
        assert_eq!(dx.len(), geo.n * in_item, "conv2d_backward: input gradient length");
    }
    if let Some(dw) = dw.as_deref_mut() {
        assert_eq!(dw.len(), c_out * k, "conv2d_backward: weight gradient length");
        dw.fill(0.0);
    }
    if let Some(db) = db.as_deref_mut() {
        assert_eq!(db.len(), c_out, "conv2d_backward: bias gradient length");
        db.fill(0.0);
    }
    if geo.n == 0 {
        return;
    }
    let wanted = GradsWanted { dx: dx.is_some(), dw: dw.is_some(), db: db.is_some() };
    let plan = BackwardPlan::new(geo, wanted);

    // One partial (dW in the path's layout, then db) per group of images, and the flipped weight
    // of the transposed input-gradient path; each part empty when not wanted.
    let dw_len = if matches!(plan.weight, WeightGradPath::None) { 0 } else { c_out * k };
    let partial_len = dw_len + if plan.bias { c_out } else { 0 };
    let flip_len = plan.input.flipped_weight_len(geo);
    let mut scratch = take_zeroed(dw_len + flip_len + geo.n.div_ceil(GROUP) * partial_len);
    let (dw_perm, rest) = scratch.split_at_mut(dw_len);
    let (w_flip, partials) = rest.split_at_mut(flip_len);
    plan.input.flip_weight(geo, w, w_flip);
    let w_flip: &[f32] = w_flip;

    let [x_len, rows_len] = plan.weight.scratch_lens(geo);
    let [dcols_len, dy_pad_len] = plan.input.scratch_lens(geo);
    // Images `images` in order: their summed dW/db into `partial` (if any), and their dX into
    // `dx_images` (if any).
    let work = |images: Range<usize>, mut partial: Option<&mut [f32]>, mut dx_images: Option<&mut [f32]>| {
        with_scratch([x_len, rows_len, dcols_len, dy_pad_len], |[xbuf, rows, dcols, dy_pad]| {
            for (slot, n) in images.enumerate() {
                let x_n = &x[n * in_item..(n + 1) * in_item];
                let dy_n = &dy[n * out_item..(n + 1) * out_item];
                if let Some(partial) = partial.as_deref_mut() {
                    let (dw_part, db_part) = partial.split_at_mut(dw_len);
                    let init = if slot == 0 { Init::Zero } else { Init::Accumulate };
                    plan.weight.accumulate(geo, x_n, dy_n, xbuf, rows, dw_part, init);
                    for (acc, row) in db_part.iter_mut().zip(dy_n.chunks_exact(hw)) {
                        *acc += simd::sum(row);
                    }
                }
                if let Some(dx_images) = dx_images.as_deref_mut() {
                    let dx_n = &mut dx_images[slot * in_item..(slot + 1) * in_item];
                    plan.input.image(geo, w, w_flip, &dy[n * out_item..], dcols, dy_pad, dx_n);
                }
            }
        });
    };
    let group = |g: usize| g * GROUP..((g + 1) * GROUP).min(geo.n);
    match (partial_len > 0, dx) {
        (true, Some(dx)) => partials
            .par_chunks_mut(partial_len)
            .zip(dx.par_chunks_mut(GROUP * in_item))
            .enumerate()
            .for_each(|(g, (partial, dx_group))| work(group(g), Some(partial), Some(dx_group))),
        (true, None) => partials
            .par_chunks_mut(partial_len)
            .enumerate()
            .for_each(|(g, partial)| work(group(g), Some(partial), None)),
        // Only dX: no partial sums to group, so the images run in parallel one by one.
        (false, Some(dx)) => {
            dx.par_chunks_mut(in_item).enumerate().for_each(|(n, dx_n)| work(n..n + 1, None, Some(dx_n)))
        }
        (false, None) => {}
    }

    if partial_len > 0 {
        for partial in partials.chunks_exact(partial_len) {
            let (dw_part, db_part) = partial.split_at(dw_len);
            simd::add_assign(dw_perm, dw_part);
            if let Some(db) = db.as_deref_mut() {
                simd::add_assign(db, db_part);
            }
        }
    }
    if let Some(dw) = dw {
        plan.weight.unpermute(geo, dw_perm, dw);
    }
    give_back(scratch);
}

#[cfg(test)]
mod tests {
    use super::{BackwardPlan, GradsWanted, InputGradPath, WeightGradPath};
    use crate::{Conv2dParams, ConvGeometry};

    fn plan(params: Conv2dParams, c_in: usize, wanted: GradsWanted) -> BackwardPlan {
        let (k_h, k_w) = params.kernel;
        let geo = ConvGeometry::new(params, &[2, c_in, 28, 28], &[8, c_in, k_h, k_w]).unwrap();
        BackwardPlan::new(&geo, wanted)
    }

    #[test]
    fn input_only_plans_no_weight_gradient_and_the_transposed_dx_where_it_applies() {
        for d in 1..=4 {
            for c_in in [1, 16] {
                let p = plan(Conv2dParams::same(3, d).unwrap(), c_in, GradsWanted::INPUT_ONLY);
                assert!(matches!(p.weight, WeightGradPath::None) && !p.bias);
                assert!(matches!(p.input, InputGradPath::Transposed(_)), "d = {d}, C_in = {c_in}");
            }
        }
        let strided = plan(Conv2dParams::square(3, 2, 1, 1).unwrap(), 16, GradsWanted::INPUT_ONLY);
        assert!(matches!(strided.weight, WeightGradPath::None));
        assert!(matches!(strided.input, InputGradPath::Col2im(_)));
    }

    #[test]
    fn weight_path_follows_channels_and_geometry() {
        let same = Conv2dParams::same(3, 2).unwrap();
        let strided = Conv2dParams::square(3, 2, 1, 1).unwrap();
        let wanted = GradsWanted::PARAMS_ONLY;
        assert!(matches!(plan(same, 1, wanted).weight, WeightGradPath::ShiftedPlanes(_)));
        assert!(matches!(plan(same, 16, wanted).weight, WeightGradPath::ChannelsLastPlanes { .. }));
        assert!(matches!(plan(strided, 1, wanted).weight, WeightGradPath::Im2row));
        assert!(matches!(plan(strided, 32, wanted).weight, WeightGradPath::Im2row));
        let p = plan(same, 16, wanted);
        assert!(matches!(p.input, InputGradPath::None) && p.bias);
    }
}
