//! Max pooling and global average pooling against direct definitions.

use atrous_conv::{
    Pool2dParams, global_avg_pool_backward, global_avg_pool_forward, max_pool2d_backward, max_pool2d_forward,
};
use atrous_tensor::{Tensor, rng::Rng};
use proptest::prelude::*;

#[test]
fn max_pool_two_by_two_by_hand() {
    #[rustfmt::skip]
    let x = Tensor::from_vec(&[1, 1, 4, 4], vec![
        1.0, 5.0, 2.0, 0.0,
        3.0, 4.0, 9.0, 9.0,
        0.0, 0.0, -1.0, -2.0,
        0.0, 7.0, -3.0, -4.0,
    ]).unwrap();
    let out = max_pool2d_forward(&x, &Pool2dParams::new((2, 2), (2, 2)).unwrap()).unwrap();
    assert_eq!(out.y.as_slice(), &[5.0, 9.0, 7.0, -1.0]);
    // Ties go to the first maximum in row-major window order: the 9 at (1,2), not (1,3).
    assert_eq!(out.argmax, vec![1, 6, 13, 10]);
    let dy = Tensor::from_vec(&[1, 1, 2, 2], vec![10.0, 20.0, 30.0, 40.0]).unwrap();
    let dx = max_pool2d_backward(&dy, &out.argmax, x.dims()).unwrap();
    let mut want = [0.0; 16];
    (want[1], want[6], want[13], want[10]) = (10.0, 20.0, 30.0, 40.0);
    assert_eq!(dx.as_slice(), &want);
}

#[test]
fn max_pool_lets_nan_through() {
    let x = Tensor::from_vec(&[1, 1, 2, 2], vec![1.0, f32::NAN, 3.0, 2.0]).unwrap();
    let out = max_pool2d_forward(&x, &Pool2dParams::new((2, 2), (2, 2)).unwrap()).unwrap();
    assert!(out.y.as_slice()[0].is_nan());
}

proptest! {
    #[test]
    fn max_pool_matches_direct_definition(
        n in 1usize..3, c in 1usize..3, h in 1usize..9, w in 1usize..9,
        k in (1usize..4, 1usize..4), s in (1usize..4, 1usize..4), seed: u64,
    ) {
        let params = Pool2dParams::new(k, s).unwrap();
        prop_assume!(params.output_size(h, w).is_ok());
        let mut rng = Rng::seed_from(seed);
        let x = Tensor::uniform(&[n, c, h, w], -1.0, 1.0, &mut rng);
        let out = max_pool2d_forward(&x, &params).unwrap();
        let (h_out, w_out) = params.output_size(h, w).unwrap();
        let xs = x.as_slice();
        let mut dx_want = vec![0.0f32; xs.len()];
        let dy = Tensor::uniform(out.y.dims(), -1.0, 1.0, &mut rng);
        for plane in 0..n * c {
            for oh in 0..h_out {
                for ow in 0..w_out {
                    let idx = (0..k.0).flat_map(|i| (0..k.1).map(move |j| (oh * s.0 + i) * w + ow * s.1 + j));
                    let best = idx.fold(None, |b: Option<usize>, at| match b {
                        Some(b) if xs[plane * h * w + b] >= xs[plane * h * w + at] => Some(b),
                        _ => Some(at),
                    }).unwrap();
                    let o = (plane * h_out + oh) * w_out + ow;
                    prop_assert_eq!(out.y.as_slice()[o], xs[plane * h * w + best]);
                    dx_want[plane * h * w + best] += dy.as_slice()[o];
                }
            }
        }
        let dx = max_pool2d_backward(&dy, &out.argmax, x.dims()).unwrap();
        prop_assert_eq!(dx.as_slice(), &dx_want[..]);
    }
}

#[test]
fn global_average_pool_and_its_gradient() {
    let x = Tensor::from_vec(&[1, 2, 1, 2], vec![1.0, 3.0, -2.0, 6.0]).unwrap();
    let y = global_avg_pool_forward(&x).unwrap();
    assert_eq!(y.as_slice(), &[2.0, 2.0]);
    let dx =
        global_avg_pool_backward(&Tensor::from_vec(&[1, 2], vec![4.0, -8.0]).unwrap(), x.dims()).unwrap();
    assert_eq!(dx.as_slice(), &[2.0, 2.0, -4.0, -4.0]);
}

/// The 2×2, stride-2 fast path (DilNet's pooling) on values with many ties and some NaNs: the
/// first maximum in window order wins, a NaN wins over numbers, and the argmax says where.
#[test]
fn two_by_two_pooling_with_ties_and_nans_follows_the_definition() {
    let mut rng = Rng::seed_from(3);
    let (h, w) = (7, 9);
    let vals: Vec<f32> = (0..2 * h * w)
        .map(|_| match (rng.uniform(0.0, 1.0) * 5.0) as u32 {
            0 => f32::NAN,
            v => v as f32 - 2.0,
        })
        .collect();
    let x = Tensor::from_vec(&[1, 2, h, w], vals).unwrap();
    let out = max_pool2d_forward(&x, &Pool2dParams::new((2, 2), (2, 2)).unwrap()).unwrap();
    let (h_out, w_out) = (h / 2, w / 2);
    for plane in 0..2 {
        let xs = &x.as_slice()[plane * h * w..(plane + 1) * h * w];
        for oh in 0..h_out {
            for ow in 0..w_out {
                let order = [
                    2 * oh * w + 2 * ow,
                    2 * oh * w + 2 * ow + 1,
                    (2 * oh + 1) * w + 2 * ow,
                    (2 * oh + 1) * w + 2 * ow + 1,
                ];
                let want = order.iter().copied().find(|&at| xs[at].is_nan()).unwrap_or_else(|| {
                    order.iter().copied().fold(order[0], |b, at| if xs[at] > xs[b] { at } else { b })
                });
                let o = (plane * h_out + oh) * w_out + ow;
                assert_eq!(out.argmax[o] as usize, want, "plane {plane} ({oh}, {ow})");
                assert_eq!(out.y.as_slice()[o].to_bits(), xs[want].to_bits());
            }
        }
    }
}

/// The scatter itself finds an index outside its plane (no scan beforehand), in any image.
#[test]
fn max_pool_backward_refuses_an_index_outside_its_plane_in_a_later_image() {
    let dy = Tensor::from_vec(&[2, 1, 1, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    assert!(max_pool2d_backward(&dy, &[0, 3, 1, 4], &[2, 1, 2, 2]).is_err());
    let dx = max_pool2d_backward(&dy, &[0, 3, 1, 1], &[2, 1, 2, 2]).unwrap();
    // Both outputs of the second image route to index 1: the gradients add.
    assert_eq!(dx.as_slice(), &[1.0, 0.0, 0.0, 2.0, 0.0, 7.0, 0.0, 0.0]);
}
