//! Every SIMD kernel equals its scalar twin bit for bit, over lengths 0..=33 at unaligned offsets.

use atrous_tensor::rng::Rng;
use atrous_tensor::simd::{self, scalar};

const MAX_LEN: usize = 33;
const OFFSETS: [usize; 4] = [0, 1, 3, 7];

/// Random data with a sprinkle of zeros, negatives and a NaN, so masks and signs are exercised.
fn data(len: usize, rng: &mut Rng) -> Vec<f32> {
    (0..len)
        .map(|i| match rng.below(10) {
            0 => 0.0,
            1 if i % 5 == 0 => f32::NAN,
            _ => rng.uniform(-4.0, 4.0),
        })
        .collect()
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Calls `check(len, a, b)` with `a`, `b` slices of `len` starting at each unaligned offset.
fn sweep(mut check: impl FnMut(usize, &[f32], &[f32])) {
    let mut rng = Rng::seed_from(11);
    for len in 0..=MAX_LEN {
        for &off in &OFFSETS {
            let a = data(len + off, &mut rng);
            let b = data(len + off, &mut rng);
            check(len, &a[off..], &b[off..]);
        }
    }
}

#[test]
fn binary_kernels_equal_scalar_twins() {
    type Kernel = fn(&[f32], &[f32], &mut [f32]);
    let pairs: [(&str, Kernel, Kernel); 4] = [
        ("add", simd::add, scalar::add),
        ("sub", simd::sub, scalar::sub),
        ("mul", simd::mul, scalar::mul),
        ("relu_backward", simd::relu_backward, scalar::relu_backward),
    ];
    sweep(|len, a, b| {
        for (name, fast, slow) in pairs {
            let (mut x, mut y) = (vec![9.0; len + 1], vec![9.0; len + 1]);
            fast(a, b, &mut x[1..]);
            slow(a, b, &mut y[1..]);
            assert_eq!(bits(&x), bits(&y), "{name} at len {len}");
        }
    });
}

#[test]
fn in_place_kernels_equal_scalar_twins() {
    sweep(|len, a, b| {
        let (mut x, mut y) = (b.to_vec(), b.to_vec());
        simd::add_assign(&mut x, a);
        scalar::add_assign(&mut y, a);
        assert_eq!(bits(&x), bits(&y), "add_assign at len {len}");

        let (mut x, mut y) = (b.to_vec(), b.to_vec());
        simd::axpy(-0.37, a, &mut x);
        scalar::axpy(-0.37, a, &mut y);
        assert_eq!(bits(&x), bits(&y), "axpy at len {len}");

        let (mut x, mut y) = (a.to_vec(), a.to_vec());
        simd::scale(1.7, &mut x);
        scalar::scale(1.7, &mut y);
        assert_eq!(bits(&x), bits(&y), "scale at len {len}");

        let (mut x, mut y) = (vec![0.0; len], vec![0.0; len]);
        simd::relu(a, &mut x);
        scalar::relu(a, &mut y);
        assert_eq!(bits(&x), bits(&y), "relu at len {len}");
        assert!(x.iter().all(|v| *v >= 0.0), "relu output has a negative or NaN at len {len}");
    });
}

#[test]
fn reductions_equal_scalar_twins() {
    sweep(|len, a, b| {
        let clean = |v: &[f32]| v.iter().map(|x| if x.is_nan() { 0.5 } else { *x }).collect::<Vec<_>>();
        let (a, b) = (clean(a), clean(b));
        assert_eq!(simd::sum(&a).to_bits(), scalar::sum(&a).to_bits(), "sum at len {len}");
        assert_eq!(simd::dot(&a, &b).to_bits(), scalar::dot(&a, &b).to_bits(), "dot at len {len}");
        let exact: f64 = a.iter().map(|&v| f64::from(v)).sum();
        assert!(
            (f64::from(simd::sum(&a)) - exact).abs() < 1e-4 * (1.0 + exact.abs()),
            "sum value at len {len}"
        );
    });
}

#[test]
fn finiteness_scan_finds_each_non_finite_value_at_every_position() {
    for len in 0..=40 {
        let clean: Vec<f32> = (0..len).map(|i| (i as f32 - 7.5) * 1e30).collect();
        assert!(simd::all_finite(&clean) && scalar::all_finite(&clean), "len {len}");
        for at in 0..len {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut x = clean.clone();
                x[at] = bad;
                assert!(!simd::all_finite(&x), "{bad} at {at} of {len}");
                assert!(!scalar::all_finite(&x), "{bad} at {at} of {len}");
            }
        }
    }
    // Finite values whose differences would overflow are still finite.
    assert!(simd::all_finite(&[f32::MAX; 33]) && simd::all_finite(&[f32::MIN; 33]));
}

#[test]
fn kernels_compute_the_stated_values() {
    let a = [1.0, -2.0, 3.0];
    let b = [0.5, 4.0, -1.0];
    let mut out = [0.0; 3];
    simd::add(&a, &b, &mut out);
    assert_eq!(out, [1.5, 2.0, 2.0]);
    simd::mul(&a, &b, &mut out);
    assert_eq!(out, [0.5, -8.0, -3.0]);
    simd::relu_backward(&a, &b, &mut out);
    assert_eq!(out, [0.5, 0.0, -1.0]);
    assert_eq!(simd::dot(&a, &b), 0.5 - 8.0 - 3.0);
}

#[test]
fn tensor_relu_and_its_backward_equal_the_simd_kernels_bit_for_bit() {
    use atrous_tensor::Tensor;
    let vals: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 0.37).chain([f32::NAN, -0.0, 0.0]).collect();
    let x = Tensor::from_vec(&[vals.len()], vals.clone()).unwrap();
    let mut want = vec![1.0f32; vals.len()];
    atrous_tensor::simd::relu(&vals, &mut want);
    let got = x.relu();
    assert_eq!(
        got.as_slice().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    let dy: Vec<f32> = (0..vals.len()).map(|i| i as f32 - 5.5).collect();
    let dyt = Tensor::from_vec(&[vals.len()], dy.clone()).unwrap();
    let mut want = vec![1.0f32; vals.len()];
    atrous_tensor::simd::relu_backward(&vals, &dy, &mut want);
    assert_eq!(x.relu_backward(&dyt).unwrap().as_slice(), want.as_slice());
    assert!(x.relu_backward(&Tensor::zeros(&[3])).is_err());
}
