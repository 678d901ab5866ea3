//! `col2im` is the exact adjoint of `im2col`: ⟨im2col x, y⟩ = ⟨x, col2im y⟩ for every geometry.

use atrous_conv::im2col::{col2im_add, im2col};
use atrous_conv::{Conv2dParams, ConvGeometry};
use atrous_tensor::rng::Rng;
use proptest::prelude::*;

fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn col2im_is_adjoint_of_im2col(
        c in 1usize..=3, h in 1usize..=12, w in 1usize..=12,
        k in (1usize..=5, 1usize..=5), s in (1usize..=3, 1usize..=3),
        p in (0usize..=4, 0usize..=4), d in (1usize..=5, 1usize..=5), seed: u64,
    ) {
        let params = Conv2dParams::new(k, s, p, d).unwrap();
        let geo = ConvGeometry::new(params, &[1, c, h, w], &[1, c, k.0, k.1]);
        prop_assume!(geo.is_ok());
        let geo = geo.unwrap();
        let mut rng = Rng::seed_from(seed);
        let x: Vec<f32> = (0..geo.input_item()).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let y: Vec<f32> = (0..geo.col_rows() * geo.col_cols()).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let mut cols = vec![f32::NAN; y.len()];
        im2col(&geo, &x, &mut cols);
        let mut back = vec![0.0; x.len()];
        col2im_add(&geo, &y, &mut back);
        let (lhs, rhs) = (dot64(&cols, &y), dot64(&x, &back));
        prop_assert!((lhs - rhs).abs() <= 1e-4 * (1.0 + lhs.abs()), "{lhs} vs {rhs}");
        prop_assert!(cols.iter().all(|v| v.is_finite()), "im2col left a slot unwritten");
    }
}

#[test]
fn im2col_lays_out_dilated_taps() {
    // 1×4×4 ramp, 2×2 kernel, dilation 2, no padding → 2×2 output; row (i,j) reads x[oh+2i, ow+2j].
    let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
    let params = Conv2dParams::square(2, 1, 0, 2).unwrap();
    let geo = ConvGeometry::new(params, &[1, 1, 4, 4], &[1, 1, 2, 2]).unwrap();
    let mut cols = vec![0.0; 4 * 4];
    im2col(&geo, &x, &mut cols);
    #[rustfmt::skip]
    let want = [
        0.0, 1.0, 4.0, 5.0,      // tap (0,0)
        2.0, 3.0, 6.0, 7.0,      // tap (0,1): +2 columns
        8.0, 9.0, 12.0, 13.0,    // tap (1,0): +2 rows
        10.0, 11.0, 14.0, 15.0,  // tap (1,1)
    ];
    assert_eq!(cols, want);
}
