//! Each operand source against a naive triple loop, bit for bit: the reference runs the kernel's
//! own arithmetic (start from the initialisation, one multiply-add per `p` in order, done with
//! the same vector instruction), so any change of summation order or a misread element shows.
//! Sizes sweep the tile edges (`MR` rows, 1–3 vectors of columns, partial vectors, `k = 0`) and
//! add random ones.

use super::{GatheredColumns, GatheredRows, Init, MR, NR, RowMajor, ShiftedRows, Strided, gemm};
use crate::simd::LANES;
use crate::simd::Vector;
use atrous_tensor::rng::Rng;

/// One reduction step of the kernel, on one lane.
fn step(acc: f32, a: f32, b: f32) -> f32 {
    Vector::splat(a).mul_add(Vector::splat(b), Vector::splat(acc)).to_array()[0]
}

fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

/// `below(bound)` as a `usize`.
fn below(rng: &mut Rng, bound: usize) -> usize {
    rng.below(bound as u64) as usize
}

/// `(m, n, k)` around every tile edge, then random sizes; `n` is always a multiple of
/// `n_step`.
fn sizes(rng: &mut Rng, n_step: usize) -> Vec<(usize, usize, usize)> {
    let ms = [1, 3, MR - 1, MR, MR + 1, 2 * MR + 1];
    let ns = [1, 5, LANES, LANES + 1, 2 * LANES + 1, NR - 1, NR, NR + 1, 2 * NR + 1];
    let ks = [0, 1, 2, 9, 31];
    let mut out = Vec::new();
    for m in ms {
        for n in ns {
            for k in ks {
                out.push((m, n.next_multiple_of(n_step), k));
            }
        }
    }
    for _ in 0..40 {
        let n = (1 + below(rng, 130)).next_multiple_of(n_step);
        out.push((1 + below(rng, 20), n, below(rng, 40)));
    }
    out
}

/// Runs `product` with each initialisation and checks every element of `C` (and that nothing
/// past column `n` was written) against the triple loop over `a_at(i, p)`, `b_at(p, j)`.
fn check(
    (m, n, k): (usize, usize, usize),
    rng: &mut Rng,
    a_at: impl Fn(usize, usize) -> f32,
    b_at: impl Fn(usize, usize) -> f32,
    product: impl Fn(&mut [f32], usize, Init<'_>),
) {
    let ldc = n + 2;
    let c0 = random(rng, m * ldc);
    let bias = random(rng, m);
    for init in [Init::Zero, Init::Bias(&bias), Init::Accumulate] {
        let mut c = c0.clone();
        product(&mut c, ldc, init);
        for i in 0..m {
            for j in 0..ldc {
                let got = c[i * ldc + j];
                if j >= n {
                    assert_eq!(got.to_bits(), c0[i * ldc + j].to_bits(), "wrote outside C");
                    continue;
                }
                let start = if let Init::Bias(bias) = init { bias[i] } else { 0.0 };
                let dot = (0..k).fold(start, |acc, p| step(acc, a_at(i, p), b_at(p, j)));
                let want = if let Init::Accumulate = init { c0[i * ldc + j] + dot } else { dot };
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{m}x{n}x{k} {init:?} at ({i}, {j}): {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn strided_a_matches_triple_loop() {
    let mut rng = Rng::seed_from(1);
    for mnk in sizes(&mut rng, 1) {
        let (m, n, k) = mnk;
        let ld = n.next_multiple_of(LANES);
        let b = random(&mut rng, k * ld);
        let a = random(&mut rng, m * k);
        for col_major in [false, true] {
            let a_src = if col_major {
                Strided { data: &a, rs: 1, cs: m }
            } else {
                Strided { data: &a, rs: k, cs: 1 }
            };
            let b_src = RowMajor { data: &b, ld };
            check(
                mnk,
                &mut rng,
                |i, p| a[i * a_src.rs + p * a_src.cs],
                |p, j| b[p * ld + j],
                |c, ldc, init| gemm(m, n, k, a_src, b_src, c, ldc, init),
            );
        }
    }
}

#[test]
fn gathered_rows_a_matches_triple_loop() {
    let mut rng = Rng::seed_from(2);
    for mnk in sizes(&mut rng, 1) {
        let (m, n, k) = mnk;
        // Rows at arbitrary, overlapping starts in one buffer, in any order.
        let a = random(&mut rng, m * k + 7);
        let rows: Vec<usize> = (0..m).map(|_| below(&mut rng, a.len() - k + 1)).collect();
        let ld = n.next_multiple_of(LANES);
        let b = random(&mut rng, k * ld);
        let a_src = GatheredRows { data: &a, rows: &rows };
        check(
            mnk,
            &mut rng,
            |i, p| a[rows[i] + p],
            |p, j| b[p * ld + j],
            |c, ldc, init| gemm(m, n, k, a_src, RowMajor { data: &b, ld }, c, ldc, init),
        );
    }
}

#[test]
fn row_major_b_matches_triple_loop() {
    let mut rng = Rng::seed_from(3);
    for mnk in sizes(&mut rng, 1) {
        let (m, n, k) = mnk;
        // Rows further apart than a vector-padded row, and a buffer exactly as long as the
        // kernel needs (the last row only up to whole vectors).
        let ld = n.next_multiple_of(LANES) + below(&mut rng, 5);
        let b = random(&mut rng, if k == 0 { 0 } else { (k - 1) * ld + n.next_multiple_of(LANES) });
        let a = random(&mut rng, m * k);
        let a_src = Strided { data: &a, rs: k, cs: 1 };
        check(
            mnk,
            &mut rng,
            |i, p| a[i * k + p],
            |p, j| b[p * ld + j],
            |c, ldc, init| gemm(m, n, k, a_src, RowMajor { data: &b, ld }, c, ldc, init),
        );
    }
}

#[test]
fn shifted_rows_b_matches_triple_loop() {
    let mut rng = Rng::seed_from(4);
    for mnk in sizes(&mut rng, 1) {
        let (m, n, k) = mnk;
        let n_pad = n.next_multiple_of(LANES);
        // Each row at its own start after a gap of garbage, zero outside a random non-zero
        // range (empty, partial or full: the kernel skips the vectors that miss it), garbage in
        // the dropped lanes past `n`.
        let mut b = Vec::new();
        let mut rows = Vec::new();
        let mut nonzero = Vec::new();
        for _ in 0..k {
            let gap = below(&mut rng, 20);
            b.extend(random(&mut rng, gap));
            let start = below(&mut rng, n + 1);
            let end = start + below(&mut rng, n - start + 1);
            rows.push(b.len());
            let row = random(&mut rng, n_pad);
            b.extend(
                row.iter()
                    .enumerate()
                    .map(|(j, &v)| if j < n && !(start..end).contains(&j) { 0.0 } else { v }),
            );
            nonzero.push(start..end);
        }
        let a = random(&mut rng, m * k);
        let a_src = Strided { data: &a, rs: k, cs: 1 };
        let b_src = ShiftedRows { data: &b, rows: &rows, nonzero: &nonzero };
        check(
            mnk,
            &mut rng,
            |i, p| a[i * k + p],
            |p, j| b[rows[p] + j],
            |c, ldc, init| gemm(m, n, k, a_src, b_src, c, ldc, init),
        );
    }
}

#[test]
fn gathered_columns_b_matches_triple_loop() {
    let mut rng = Rng::seed_from(5);
    for mnk in sizes(&mut rng, LANES) {
        let (m, n, k) = mnk;
        // Vector columns at arbitrary starts (any order, overlapping), rows `ld` apart.
        let ld = LANES + below(&mut rng, 2 * LANES);
        let b = random(&mut rng, k * ld + LANES + 9);
        let reach = if k == 0 { 0 } else { (k - 1) * ld + LANES };
        let cols: Vec<usize> = (0..n / LANES).map(|_| below(&mut rng, b.len() - reach + 1)).collect();
        let a = random(&mut rng, m * k);
        let a_src = Strided { data: &a, rs: k, cs: 1 };
        let b_src = GatheredColumns { data: &b, cols: &cols, ld };
        check(
            mnk,
            &mut rng,
            |i, p| a[i * k + p],
            |p, j| b[cols[j / LANES] + p * ld + j % LANES],
            |c, ldc, init| gemm(m, n, k, a_src, b_src, c, ldc, init),
        );
    }
}

#[test]
#[should_panic(expected = "B too short")]
fn shifted_row_past_the_buffer_is_refused() {
    // A row that starts inside the buffer but whose whole vectors end past it.
    let (a, b) = ([1.0f32; 2], [1.0f32; LANES + 4]);
    let mut c = [0.0f32; 2];
    let b_src = ShiftedRows { data: &b, rows: &[0, 5], nonzero: &[0..2, 0..2] };
    gemm(1, 2, 2, Strided { data: &a, rs: 2, cs: 1 }, b_src, &mut c, 2, Init::Zero);
}

#[test]
fn shifted_rows_live_mask_matches_its_definition() {
    use super::BSource;
    // Vector v of a tile starting at column j0 is live when it meets the row's non-zero range.
    let data = [0.0f32; 4];
    for start in 0..70 {
        for end in start..80 {
            let range = start..end;
            let src = ShiftedRows { data: &data, rows: &[0], nonzero: std::slice::from_ref(&range) };
            for j0 in (0..64).step_by(LANES) {
                for vectors in 1..=3 {
                    let want = (0..vectors)
                        .filter(|&v| start < j0 + (v + 1) * LANES && j0 + v * LANES < end)
                        .fold(0u32, |m, v| m | 1 << v);
                    assert_eq!(src.live(0, j0, vectors), want, "[{start}, {end}) j0 {j0} vectors {vectors}");
                }
            }
        }
    }
}
