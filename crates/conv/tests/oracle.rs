//! The fast convolution against the naive nested-loop oracle on random shapes, strides,
//! paddings and dilations, forward and all three gradients, for every combination of wanted
//! gradients.

use atrous_conv::naive::{conv2d_naive, conv2d_naive_backward};
use atrous_conv::{Conv2dParams, ConvError, ConvGeometry, GradsWanted, conv2d_backward, conv2d_forward};
use atrous_tensor::{Tensor, rng::Rng};
use proptest::prelude::*;

/// Asserts `got ≈ want` elementwise, relative to the largest magnitude in `want`.
fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    let scale = want.as_slice().iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (&g, &w)) in got.as_slice().iter().zip(want.as_slice()).enumerate() {
        assert!((g - w).abs() <= 1e-4 * scale, "{what}[{i}]: fast {g} vs naive {w} (scale {scale})");
    }
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.as_slice().iter().map(|v| v.to_bits()).collect()
}

/// The eight combinations of wanted gradients.
fn every_wanted() -> impl Iterator<Item = GradsWanted> {
    (0..8u8).map(|set| GradsWanted { dx: set & 1 != 0, dw: set & 2 != 0, db: set & 4 != 0 })
}

#[derive(Debug, Clone)]
struct Case {
    n: usize,
    c_in: usize,
    c_out: usize,
    h: usize,
    w: usize,
    params: Conv2dParams,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..=3, 1usize..=4, 1usize..=4, 1usize..=13, 1usize..=13),
        (
            (1usize..=5, 1usize..=5),
            (1usize..=3, 1usize..=3),
            (0usize..=4, 0usize..=4),
            (1usize..=5, 1usize..=5),
        ),
        any::<u64>(),
    )
        .prop_map(|((n, c_in, c_out, h, w), (kernel, stride, padding, dilation), seed)| Case {
            n,
            c_in,
            c_out,
            h,
            w,
            params: Conv2dParams::new(kernel, stride, padding, dilation).unwrap(),
            seed,
        })
}

fn check_case(case: &Case) {
    let p = case.params;
    let x_dims = [case.n, case.c_in, case.h, case.w];
    let w_dims = [case.c_out, case.c_in, p.kernel.0, p.kernel.1];
    let mut rng = Rng::seed_from(case.seed);
    let x = Tensor::uniform(&x_dims, -1.0, 1.0, &mut rng);
    let w = Tensor::uniform(&w_dims, -1.0, 1.0, &mut rng);
    let b = Tensor::uniform(&[case.c_out], -1.0, 1.0, &mut rng);
    match ConvGeometry::new(p, &x_dims, &w_dims) {
        Err(ConvError::KernelTooLarge { .. }) => {
            // The padded input is smaller than the dilated kernel: both paths must refuse it.
            assert!(matches!(conv2d_forward(&x, &w, Some(&b), &p), Err(ConvError::KernelTooLarge { .. })));
            assert!(conv2d_naive(&x, &w, Some(&b), &p).is_err());
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(geo) => {
            let y = conv2d_forward(&x, &w, Some(&b), &p).unwrap();
            assert_close("forward", &y, &conv2d_naive(&x, &w, Some(&b), &p).unwrap());
            let dy = Tensor::uniform(&geo.output_dims(), -1.0, 1.0, &mut rng);
            let oracle = conv2d_naive_backward(&x, &w, &dy, &p).unwrap();
            let all = conv2d_backward(&x, &w, &dy, &p, GradsWanted::ALL).unwrap();
            for wanted in every_wanted() {
                let grads = conv2d_backward(&x, &w, &dy, &p, wanted).unwrap();
                let each = [
                    ("dx", wanted.dx, &grads.dx, &all.dx, &oracle.0),
                    ("dw", wanted.dw, &grads.dw, &all.dw, &oracle.1),
                    ("db", wanted.db, &grads.db, &all.db, &oracle.2),
                ];
                for (what, want, got, from_all, naive) in each {
                    assert_eq!(got.is_some(), want, "{what} present exactly when wanted ({wanted:?})");
                    if let Some(got) = got {
                        assert_close(what, got, naive);
                        // Asking for fewer gradients must not change the ones computed.
                        let from_all = from_all.as_ref().unwrap();
                        assert_eq!(bits(got), bits(from_all), "{what} with {wanted:?} differs from ALL");
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn fast_conv_matches_naive_oracle(case in case()) {
        check_case(&case);
    }
}

/// Stride 1 with `W_out = W` ("same" width: `p_w = d_w·(k_w − 1)/2`, odd `k_w`), where im2col
/// and col2im take their block-copy fast path; the height padding is free. Odd sizes, pixel
/// counts that are and are not whole vectors, more channels than one vector.
fn same_width_case() -> impl Strategy<Value = Case> {
    (
        (1usize..=3, 1usize..=20, 1usize..=5, 1usize..=16, 1usize..=17),
        (prop_oneof![Just(1usize), Just(3), Just(5)], 1usize..=5, 0usize..=4, 1usize..=4),
        any::<u64>(),
    )
        .prop_map(|((n, c_in, c_out, h, w), (k_w, d_w, p_h, d_h), seed)| {
            let k_h = 3;
            let params =
                Conv2dParams::new((k_h, k_w), (1, 1), (p_h, d_w * (k_w - 1) / 2), (d_h, d_w)).unwrap();
            Case { n, c_in, c_out, h, w, params, seed }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn same_width_fast_path_matches_naive_oracle(case in same_width_case()) {
        check_case(&case);
    }
}

#[test]
fn reference_network_layers_match_oracle_at_every_dilation() {
    // DilNet's three layers ("same" padding), small batch, dilations 1..=4.
    for d in 1..=4 {
        for (c_in, c_out, side) in [(1, 16, 28), (16, 32, 28), (32, 64, 14)] {
            let params = Conv2dParams::same(3, d).unwrap();
            check_case(&Case { n: 2, c_in, c_out, h: side, w: side, params, seed: d as u64 });
        }
    }
}

#[test]
fn one_by_one_kernel_fast_path_matches_oracle() {
    let params = Conv2dParams::square(1, 1, 0, 1).unwrap();
    check_case(&Case { n: 5, c_in: 3, c_out: 4, h: 7, w: 6, params, seed: 3 });
}

#[test]
fn hand_computed_dilated_value() {
    // 1×1×5×5 ramp x[i,j] = 5i + j, 3×3 kernel of ones, dilation 2, no padding: a single output
    // summing the taps at rows/cols {0, 2, 4}: Σ_i Σ_j (5i + j) = 3·5·(0+2+4) + 3·(0+2+4) = 108.
    let x = Tensor::from_vec(&[1, 1, 5, 5], (0..25).map(|v| v as f32).collect()).unwrap();
    let w = Tensor::full(&[1, 1, 3, 3], 1.0);
    let params = Conv2dParams::square(3, 1, 0, 2).unwrap();
    let y = conv2d_forward(&x, &w, None, &params).unwrap();
    assert_eq!(y.dims(), &[1, 1, 1, 1]);
    assert_eq!(y.as_slice(), &[108.0]);
}

/// Saliency maps ask for `∂L/∂x` only: it must be the very `dx` of a full backward pass, bit for
/// bit, on the transposed path ("same" padding), on col2im (stride 2, or padding past `d·(k−1)`)
/// and with a batch that is not a multiple of the backward group.
#[test]
fn input_only_dx_is_bit_identical_to_all() {
    let settings = [
        Conv2dParams::same(3, 1).unwrap(),
        Conv2dParams::same(3, 2).unwrap(),
        Conv2dParams::same(3, 4).unwrap(),
        Conv2dParams::square(3, 2, 1, 2).unwrap(),
        Conv2dParams::square(3, 1, 3, 1).unwrap(),
        Conv2dParams::new((3, 5), (1, 1), (0, 4), (2, 2)).unwrap(),
    ];
    for (seed, params) in settings.into_iter().enumerate() {
        for (n, c_in, c_out, side) in [(1, 1, 16, 28), (5, 16, 32, 14), (6, 32, 16, 9)] {
            let mut rng = Rng::seed_from(seed as u64);
            let x = Tensor::uniform(&[n, c_in, side, side], -1.0, 1.0, &mut rng);
            let w = Tensor::uniform(&[c_out, c_in, params.kernel.0, params.kernel.1], -1.0, 1.0, &mut rng);
            let y = conv2d_forward(&x, &w, None, &params).unwrap();
            let dy = Tensor::uniform(y.dims(), -1.0, 1.0, &mut rng);
            let all = conv2d_backward(&x, &w, &dy, &params, GradsWanted::ALL).unwrap();
            let only = conv2d_backward(&x, &w, &dy, &params, GradsWanted::INPUT_ONLY).unwrap();
            assert!(only.dw.is_none() && only.db.is_none());
            let what = format!("{params:?} on [{n}, {c_in}, {side}, {side}]");
            assert_eq!(bits(&only.dx.unwrap()), bits(&all.dx.unwrap()), "{what}");
        }
    }
}
