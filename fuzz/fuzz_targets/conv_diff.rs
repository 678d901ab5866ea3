//! Differential: small random convolutions (shape, stride, padding, dilation, values), the fast
//! path (`conv2d_forward`, `conv2d_backward`) against the naive f64 oracle, forward, dX, dW and
//! db, within a tolerance scaled by the size of the sums.
#![no_main]

use arbitrary::Arbitrary;
use atrous_conv::naive::{conv2d_naive, conv2d_naive_backward};
use atrous_conv::{Conv2dParams, GradsWanted, conv2d_backward, conv2d_forward};
use atrous_tensor::Tensor;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Problem {
    n: u8,
    c_in: u8,
    c_out: u8,
    h: u8,
    w: u8,
    k_h: u8,
    k_w: u8,
    stride: (u8, u8),
    padding: (u8, u8),
    dilation: (u8, u8),
    seed: u64,
}

/// Values in [-1, 1) from a small LCG, so the problem needs only a seed.
fn values(len: usize, seed: &mut u64) -> Vec<f32> {
    (0..len)
        .map(|_| {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn close(fast: &Tensor, oracle: &Tensor, terms: usize, what: &str, p: &Problem) {
    assert_eq!(fast.dims(), oracle.dims(), "{what} {p:?}");
    let tol = 1e-5 * (terms as f32).max(1.0);
    for (i, (a, b)) in fast.as_slice().iter().zip(oracle.as_slice()).enumerate() {
        assert!((a - b).abs() <= tol, "{what}[{i}]: fast {a} oracle {b} (tol {tol}) {p:?}");
    }
}

fuzz_target!(|p: Problem| {
    let small = |v: u8, m: u8| usize::from(v % m);
    let (n, c_in, c_out) = (1 + small(p.n, 3), 1 + small(p.c_in, 4), 1 + small(p.c_out, 4));
    let (h, w) = (1 + small(p.h, 12), 1 + small(p.w, 12));
    let (k_h, k_w) = (1 + small(p.k_h, 5), 1 + small(p.k_w, 5));
    let stride = (1 + small(p.stride.0, 3), 1 + small(p.stride.1, 3));
    let padding = (small(p.padding.0, 4), small(p.padding.1, 4));
    let dilation = (1 + small(p.dilation.0, 4), 1 + small(p.dilation.1, 4));
    let Ok(params) = Conv2dParams::new((k_h, k_w), stride, padding, dilation) else { return };
    let mut seed = p.seed;
    let x = Tensor::from_vec(&[n, c_in, h, w], values(n * c_in * h * w, &mut seed)).unwrap();
    let wt = Tensor::from_vec(&[c_out, c_in, k_h, k_w], values(c_out * c_in * k_h * k_w, &mut seed)).unwrap();
    let b = Tensor::from_vec(&[c_out], values(c_out, &mut seed)).unwrap();
    let fast = conv2d_forward(&x, &wt, Some(&b), &params);
    let oracle = conv2d_naive(&x, &wt, Some(&b), &params);
    let (fast, oracle) = match (fast, oracle) {
        (Ok(f), Ok(o)) => (f, o),
        (Err(_), Err(_)) => return,
        (f, o) => panic!("fast {:?} vs oracle {:?} disagree on validity {p:?}", f.err(), o.err()),
    };
    close(&fast, &oracle, c_in * k_h * k_w, "forward", &p);
    let dy = Tensor::from_vec(fast.dims(), values(fast.len(), &mut seed)).unwrap();
    let g = conv2d_backward(&x, &wt, &dy, &params, GradsWanted::ALL).unwrap();
    let (dx, dw, db) = conv2d_naive_backward(&x, &wt, &dy, &params).unwrap();
    let out_hw = fast.dims()[2] * fast.dims()[3];
    close(g.dx.as_ref().unwrap(), &dx, c_out * k_h * k_w, "dX", &p);
    close(g.dw.as_ref().unwrap(), &dw, n * out_hw, "dW", &p);
    close(g.db.as_ref().unwrap(), &db, n * out_hw, "db", &p);
});
