//! GEMM against a naive f64 triple loop: every small shape, random larger ones, every transpose
//! combination, strided operands, and bit-identical results at 1 and 2 threads.

use atrous_tensor::gemm::{MatMut, MatRef, gemm, gemm_naive, par_gemm};
use atrous_tensor::parallel::with_threads;
use atrous_tensor::rng::Rng;
use proptest::prelude::*;

/// Stores an `r × c` matrix as itself or as its transpose, returning (buffer, view maker).
fn stored(rng: &mut Rng, r: usize, c: usize, transposed: bool) -> (Vec<f32>, bool) {
    let v = (0..r * c).map(|_| rng.uniform(-1.0, 1.0)).collect();
    (v, transposed)
}

fn view(buf: &[f32], r: usize, c: usize, transposed: bool) -> MatRef<'_> {
    if transposed { MatRef::row_major(buf, c, r).unwrap().t() } else { MatRef::row_major(buf, r, c).unwrap() }
}

#[allow(clippy::too_many_arguments)]
/// Checks `gemm` and `par_gemm` against the naive product, relative to the size of the terms.
fn check(m: usize, n: usize, k: usize, ta: bool, tb: bool, alpha: f32, beta: f32, seed: u64) {
    let mut rng = Rng::seed_from(seed);
    let (a, ta) = stored(&mut rng, m, k, ta);
    let (b, tb) = stored(&mut rng, k, n, tb);
    let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let mut want = c0.clone();
    gemm_naive(
        alpha,
        view(&a, m, k, ta),
        view(&b, k, n, tb),
        beta,
        &mut MatMut::row_major(&mut want, m, n).unwrap(),
    );
    let mut got = c0.clone();
    gemm(alpha, view(&a, m, k, ta), view(&b, k, n, tb), beta, MatMut::row_major(&mut got, m, n).unwrap());
    let mut got_par = c0;
    par_gemm(
        alpha,
        view(&a, m, k, ta),
        view(&b, k, n, tb),
        beta,
        MatMut::row_major(&mut got_par, m, n).unwrap(),
    );
    // Each term is at most 1 in magnitude; f32 accumulation error grows at most like k·eps.
    let tol = 1e-6 * (k as f32 + 2.0) * (alpha.abs() + beta.abs() + 1.0);
    for i in 0..m * n {
        assert!(
            (got[i] - want[i]).abs() <= tol,
            "m{m} n{n} k{k} ta{ta} tb{tb}: [{i}] {} vs {}",
            got[i],
            want[i]
        );
        assert_eq!(got[i].to_bits(), got_par[i].to_bits(), "par_gemm differs from gemm at [{i}]");
    }
}

#[test]
fn every_small_shape_and_transpose_matches_naive() {
    let mut seed = 0;
    for m in 0..=12 {
        for n in 0..=12 {
            for k in 0..=12 {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 1;
                    check(m, n, k, ta, tb, 1.0, 0.0, seed);
                }
            }
        }
    }
}

#[test]
fn beta_zero_ignores_nan_in_output() {
    let a = [1.0, 2.0];
    let b = [3.0, 4.0];
    let mut c = [f32::NAN];
    gemm(
        1.0,
        MatRef::row_major(&a, 1, 2).unwrap(),
        MatRef::row_major(&b, 2, 1).unwrap(),
        0.0,
        MatMut::row_major(&mut c, 1, 1).unwrap(),
    );
    assert_eq!(c, [11.0]);
}

#[test]
fn strided_operands_and_output() {
    // A is the left 3×2 block of a 3×5 buffer; C is a column-major 3×4 block inside a larger buffer.
    let mut rng = Rng::seed_from(5);
    let abuf: Vec<f32> = (0..15).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let b: Vec<f32> = (0..8).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let a = MatRef::new(&abuf, 3, 2, 5, 1).unwrap();
    let bm = MatRef::row_major(&b, 2, 4).unwrap();
    let mut cbuf = vec![0.0; 20];
    gemm(1.0, a, bm, 0.0, MatMut::new(&mut cbuf, 3, 4, 1, 5).unwrap());
    for i in 0..3 {
        for j in 0..4 {
            let want = abuf[i * 5] * b[j] + abuf[i * 5 + 1] * b[4 + j];
            assert!((cbuf[i + j * 5] - want).abs() < 1e-6);
        }
    }
    assert!(cbuf[3..5].iter().all(|&v| v == 0.0), "wrote outside the 3-row column");
}

#[test]
fn views_reject_bad_extents_and_overlapping_strides() {
    let buf = vec![0.0f32; 10];
    assert!(MatRef::row_major(&buf, 3, 4).is_err());
    assert!(MatRef::new(&buf, 2, 2, usize::MAX, 1).is_err());
    let mut out = vec![0.0f32; 10];
    assert!(MatMut::new(&mut out, 2, 3, 2, 1).is_err(), "row stride 2 < 3 columns overlaps");
    assert!(MatMut::row_major(&mut out, 2, 5).is_ok());
}

#[test]
fn parallel_split_is_bit_identical_at_one_and_two_threads() {
    // Big enough that par_gemm cuts it into several blocks, on both the row and the column side.
    for (m, n, k) in [(1000, 32, 144), (16, 2000, 300), (257, 255, 129)] {
        let mut rng = Rng::seed_from(m as u64);
        let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let run = |threads| {
            with_threads(threads, || {
                let mut c = vec![0.0; m * n];
                par_gemm(
                    1.0,
                    MatRef::row_major(&a, m, k).unwrap(),
                    MatRef::row_major(&b, k, n).unwrap(),
                    0.0,
                    MatMut::row_major(&mut c, m, n).unwrap(),
                );
                c
            })
            .unwrap()
        };
        let one: Vec<u32> = run(1).iter().map(|v| v.to_bits()).collect();
        let two: Vec<u32> = run(2).iter().map(|v| v.to_bits()).collect();
        assert_eq!(one, two, "{m}×{n}×{k}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_shapes_match_naive(m in 1usize..80, n in 1usize..80, k in 1usize..300,
                                 ta: bool, tb: bool, alpha in -2.0f32..2.0, beta in -1.0f32..1.0, seed: u64) {
        check(m, n, k, ta, tb, alpha, beta, seed);
    }
}
