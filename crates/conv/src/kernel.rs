//! The register-tiled matrix-multiply micro-kernel that every convolution pass runs on.
//!
//! [`gemm`] computes `C = A·B` (optionally plus a per-row bias, or added into `C`) with the
//! output's columns as the vector axis: a tile of [`MR`] rows × up to [`NV`] `f32x16` vectors of
//! `C` lives in registers for the whole reduction. Each reduction step loads `NV` vectors of one
//! row of `B` and broadcasts one element of `A` per tile row, so `A` needs no packing and may be
//! strided either way (row-major weights, or a transposed output gradient read column-wise).
//!
//! Why not `matrixmultiply`: it has no AVX-512 kernel and packs both operands on every call; the
//! convolution shapes are skinny (`C_out` of 16–64 rows, thousands of pixel columns), so an
//! unpacked broadcast kernel whose `B` rows are already laid out by the im2col gather is both
//! simpler and about twice as fast here. `wide` picks instructions at compile time: with
//! `target-cpu=native` on an AVX-512 machine a tile is 8×3 `zmm` accumulators; a portable build
//! runs the same code on narrower registers.
//!
//! Every element of `C` is `init + Σ_p a[i,p]·b[p,j]`, accumulated in `p` order with one fused
//! multiply-add per step, whatever the tile it falls in: results do not depend on threads.
//!
//! This is a leaf module: the convolution crate's `unsafe` lives here (and in the vector helpers
//! of [`crate::simd`]), behind checked entry points.

use crate::simd::{LANES, load_ptr, store_ptr};
use wide::f32x16;
/// Rows of `C` per register tile.
const MR: usize = 8;
/// Vectors of `C` per tile row.
const NV: usize = 3;
/// Columns of `C` per full tile.
const NR: usize = NV * LANES;

/// A read-only matrix operand whose element `(i, p)` sits at `data[i·rs + p·cs]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strided<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

/// What `C` starts from before the product is added.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Init<'a> {
    /// `C = A·B`.
    Zero,
    /// `C[i, j] = bias[i] + (A·B)[i, j]`.
    Bias(&'a [f32]),
    /// `C += A·B`.
    Accumulate,
}

/// `C (m×n, row stride ldc) = init + A (m×k) · B (k×n, row stride ldb)`.
///
/// Every row of `B` must be readable up to `n` rounded up to [`LANES`] (pad the buffer); the
/// extra lanes are computed and dropped.
///
/// # Panics
/// If an operand is too short for the sizes (a bug in the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_>,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    init: Init<'_>,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k > 0 {
        assert!((m - 1) * a.rs + (k - 1) * a.cs < a.data.len(), "kernel::gemm: A too short");
        assert!((k - 1) * ldb + n.next_multiple_of(LANES) <= b.len(), "kernel::gemm: B too short");
    }
    let (a_ptr, b_ptr) = (a.data.as_ptr(), b.as_ptr());
    // SAFETY: A's and B's extents are checked above.
    unsafe {
        gemm_impl(
            m,
            n,
            k,
            |i| a_ptr.wrapping_add(i * a.rs),
            a.cs,
            c,
            ldc,
            init,
            |p, g| b_ptr.wrapping_add(p * ldb + g * LANES),
            |_, _, v| (1u32 << v) - 1,
        )
    }
}

/// [`gemm`] with the rows of `B` gathered: row `p` starts at `b[rows[p]]` (any order, any gaps,
/// rows may overlap). Every row must be readable up to `n` rounded up to [`LANES`]. This lets a
/// convolution read its column matrix straight from (shifted) input planes without writing it.
/// Row `p` must be zero outside columns `nonzero[p]`: a tile skips the vectors of the row that
/// miss that range (a dilated tap that reads only padding for those pixels), as a direct
/// convolution would.
///
/// # Panics
/// If an operand is too short for the sizes (a bug in the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_rows(
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_>,
    b: &[f32],
    rows: &[usize],
    nonzero: &[std::ops::Range<usize>],
    c: &mut [f32],
    ldc: usize,
    init: Init<'_>,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(rows.len() >= k && nonzero.len() >= k, "kernel::gemm_rows: row table too short");
    let need = n.next_multiple_of(LANES);
    assert!(rows[..k].iter().all(|&r| r + need <= b.len()), "kernel::gemm_rows: B too short");
    if k > 0 {
        assert!((m - 1) * a.rs + (k - 1) * a.cs < a.data.len(), "kernel::gemm_rows: A too short");
    }
    let (a_ptr, b_ptr) = (a.data.as_ptr(), b.as_ptr());
    // SAFETY: A's extent and every row of B are checked above.
    unsafe {
        gemm_impl(
            m,
            n,
            k,
            |i| a_ptr.wrapping_add(i * a.rs),
            a.cs,
            c,
            ldc,
            init,
            |p, g| b_ptr.wrapping_add(rows[p] + g * LANES),
            |p, j0, v| {
                // Vectors of the tile (columns j0 + LANES·v ..) that meet row p's non-zero range.
                let nz = &nonzero[p];
                (0..v)
                    .filter(|&v| nz.start < j0 + (v + 1) * LANES && j0 + v * LANES < nz.end)
                    .fold(0, |m, v| m | 1 << v)
            },
        )
    }
}

/// [`gemm`] with the rows of `A` gathered: `A[i, p] = a[a_rows[i] + p]`, each row readable for
/// `k` elements. Used for the weight gradient, whose `A` is the column matrix read from
/// shifted input planes.
///
/// # Panics
/// If an operand is too short for the sizes (a bug in the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_gather_a(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_rows: &[usize],
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    init: Init<'_>,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(a_rows.len() >= m, "kernel::gemm_gather_a: row table too short");
    if k > 0 {
        assert!(a_rows[..m].iter().all(|&r| r + k <= a.len()), "kernel::gemm_gather_a: A too short");
        assert!((k - 1) * ldb + n.next_multiple_of(LANES) <= b.len(), "kernel::gemm_gather_a: B too short");
    }
    let (a_ptr, b_ptr) = (a.as_ptr(), b.as_ptr());
    // SAFETY: every row of A and B's extent are checked above.
    unsafe {
        gemm_impl(
            m,
            n,
            k,
            |i| a_ptr.wrapping_add(a_rows[i]),
            1,
            c,
            ldc,
            init,
            |p, g| b_ptr.wrapping_add(p * ldb + g * LANES),
            |_, _, v| (1u32 << v) - 1,
        )
    }
}

/// [`gemm`] with `B`'s columns gathered in vectors: `B[p, g·LANES + l] = b[cols[g] + p·ldb + l]`
/// (`n` a multiple of [`LANES`]). Used for the weight gradient, whose `B` is the transposed
/// column matrix read from shifted channels-last planes: each vector is `LANES` channels of one
/// tap, and consecutive pixels are `ldb = C_in` apart.
///
/// # Panics
/// If an operand is too short for the sizes (a bug in the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_cols(
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_>,
    b: &[f32],
    cols: &[usize],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    init: Init<'_>,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(n % LANES == 0 && cols.len() >= n / LANES, "kernel::gemm_cols: column table");
    if k > 0 {
        assert!((m - 1) * a.rs + (k - 1) * a.cs < a.data.len(), "kernel::gemm_cols: A too short");
        let end = (k - 1) * ldb + LANES;
        assert!(cols[..n / LANES].iter().all(|&g| g + end <= b.len()), "kernel::gemm_cols: B too short");
    }
    let (a_ptr, b_ptr) = (a.data.as_ptr(), b.as_ptr());
    // SAFETY: A's extent and every vector column of B are checked above.
    unsafe {
        gemm_impl(
            m,
            n,
            k,
            |i| a_ptr.wrapping_add(i * a.rs),
            a.cs,
            c,
            ldc,
            init,
            |p, g| b_ptr.wrapping_add(cols[g] + p * ldb),
            |_, _, v| (1u32 << v) - 1,
        )
    }
}

/// The shared tile loop. Checks C and the bias; A and B are the caller's promise.
///
/// # Safety
/// For every `i < m`, `a_row(i) + p·cs` must be readable for `p < k`; for every `p < k`,
/// `b_vec(p, g)` must point to `LANES` readable elements: row `p`, columns `g·LANES..`, for
/// every `p < k` and `g < n / LANES` rounded up.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn gemm_impl(
    m: usize,
    n: usize,
    k: usize,
    a_row: impl Fn(usize) -> *const f32,
    cs: usize,
    c: &mut [f32],
    ldc: usize,
    init: Init<'_>,
    b_vec: impl Fn(usize, usize) -> *const f32,
    live: impl Fn(usize, usize, usize) -> u32,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(ldc >= n && (m - 1) * ldc + n <= c.len(), "kernel::gemm: C too short");
    if let Init::Bias(bias) = init {
        assert!(bias.len() >= m, "kernel::gemm: bias too short");
    }
    let c_ptr = c.as_mut_ptr();
    let accumulate = matches!(init, Init::Accumulate);
    // Column strips outer: each strip of B (k × NR) is read by every row panel in turn, while it
    // is still in cache. (Blocking the reduction into L1-sized pieces measured slower: the extra
    // passes over C cost more than the L2 reads they save.)
    for j0 in (0..n).step_by(NR) {
        let cols = NR.min(n - j0);
        for i0 in (0..m).step_by(MR) {
            let rows = MR.min(m - i0);
            // Rows past `m` re-read the last row (inside A when k > 0, checked above); their
            // results are not stored. With k = 0 nothing is read.
            let a_rows: [*const f32; MR] = std::array::from_fn(|r| a_row((i0 + r).min(m - 1)));
            let mut bias = [0.0f32; MR];
            if let Init::Bias(b) = init {
                bias[..rows].copy_from_slice(&b[i0..i0 + rows]);
            }
            let t = Tile { k, a_rows, cs, ldc, rows, cols, bias, accumulate };
            let g0 = j0 / LANES;
            let b_at = |p: usize, v: usize| b_vec(p, g0 + v);
            // SAFETY: the tile reads A rows i0.. (clamped, see above) at p·cs for p < k, B rows
            // p < k at columns j0..j0 + cols rounded up to LANES ≤ n rounded up (the caller's
            // promise), and writes C rows i0..i0 + rows, columns j0..j0 + cols, all inside C
            // (checked).
            unsafe {
                let c_at = c_ptr.add(i0 * ldc + j0);
                match cols.div_ceil(LANES) {
                    1 => t.run::<1>(b_at, c_at, |p| live(p, j0, 1)),
                    2 => t.run::<2>(b_at, c_at, |p| live(p, j0, 2)),
                    _ => t.run::<NV>(b_at, c_at, |p| live(p, j0, NV)),
                }
            }
        }
    }
}

/// One register tile's sizes and operands.
struct Tile {
    k: usize,
    a_rows: [*const f32; MR],
    cs: usize,
    ldc: usize,
    rows: usize,
    cols: usize,
    bias: [f32; MR],
    accumulate: bool,
}

impl Tile {
    /// Computes the tile with `V` vectors per row.
    ///
    /// # Safety
    /// `a_rows[r] + p·cs` readable for `p < k`; `b_vec(p, v) .. + LANES` readable for `p < k`,
    /// `v < V`;
    /// `c + r·ldc + j` writable (and readable when accumulating) for `r < rows`, `j < cols`, with
    /// `cols ≤ V·LANES`.
    #[inline(always)]
    unsafe fn run<const V: usize>(
        &self,
        b_vec: impl Fn(usize, usize) -> *const f32,
        c: *mut f32,
        live: impl Fn(usize) -> u32,
    ) {
        let all = (1u32 << V) - 1;
        let mut acc: [[f32x16; V]; MR] = std::array::from_fn(|r| [f32x16::splat(self.bias[r]); V]);
        for p in 0..self.k {
            let off = p * self.cs;
            let mask = live(p);
            if mask == all {
                // SAFETY: row p of B, V vectors from the tile's first column (caller's promise).
                let bv: [f32x16; V] = std::array::from_fn(|v| unsafe { load_ptr(b_vec(p, v)) });
                for (acc_r, &a_r) in acc.iter_mut().zip(&self.a_rows) {
                    // SAFETY: element p of this A row (caller's promise).
                    let av = f32x16::splat(unsafe { *a_r.add(off) });
                    for (acc_v, &b_v) in acc_r.iter_mut().zip(&bv) {
                        *acc_v = av.mul_add(b_v, *acc_v);
                    }
                }
            } else if mask != 0 {
                // Some vectors of row p are zero for this tile (a dilated tap reading only
                // padding there): skip their multiply-adds. `v` is a constant in each unrolled
                // copy, so the accumulators stay in registers.
                for v in 0..V {
                    if mask & (1 << v) == 0 {
                        continue;
                    }
                    // SAFETY: as above, one vector.
                    let b_v = unsafe { load_ptr(b_vec(p, v)) };
                    for (acc_r, &a_r) in acc.iter_mut().zip(&self.a_rows) {
                        // SAFETY: as above.
                        let av = f32x16::splat(unsafe { *a_r.add(off) });
                        acc_r[v] = av.mul_add(b_v, acc_r[v]);
                    }
                }
            }
        }
        // Values, not references, from here on: a borrow of `acc` would make LLVM keep it in
        // memory and spill every accumulator on every reduction step.
        if self.rows == MR && self.cols == V * LANES {
            for (r, acc_r) in acc.into_iter().enumerate() {
                for (v, acc_v) in acc_r.into_iter().enumerate() {
                    // SAFETY: a full tile: row r < rows, columns v·LANES.. < cols (caller's promise).
                    unsafe {
                        let at = c.add(r * self.ldc + v * LANES);
                        let sum = if self.accumulate { load_ptr(at) + acc_v } else { acc_v };
                        store_ptr(at, sum);
                    }
                }
            }
        } else {
            for (r, acc_r) in acc.into_iter().enumerate().take(self.rows) {
                for (v, acc_v) in acc_r.into_iter().enumerate() {
                    let start = v * LANES;
                    if start >= self.cols {
                        break;
                    }
                    let lanes = LANES.min(self.cols - start);
                    // SAFETY: row r < rows, columns start..start + lanes ≤ cols (caller's promise);
                    // C does not overlap the vector being read.
                    let out = unsafe { std::slice::from_raw_parts_mut(c.add(r * self.ldc + start), lanes) };
                    let vals = acc_v.to_array();
                    if self.accumulate {
                        out.iter_mut().zip(vals).for_each(|(o, v)| *o += v);
                    } else {
                        out.copy_from_slice(&vals[..lanes]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Init, LANES, Strided, gemm};

    /// Every size around the tile edges, both A layouts, all three initialisations, against a
    /// plain triple loop.
    #[test]
    fn kernel_matches_triple_loop() {
        let mut seed = 1u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1 << 24) as f32 - 0.5
        };
        for m in [1usize, 3, 7, 8, 9, 17] {
            for n in [1usize, 5, 16, 17, 33, 47, 48, 49, 97] {
                for k in [0usize, 1, 2, 9, 31] {
                    for col_major in [false, true] {
                        let ldb = n.next_multiple_of(LANES) + 3;
                        let a: Vec<f32> = (0..m * k.max(1)).map(|_| next()).collect();
                        let b: Vec<f32> = (0..k.max(1) * ldb).map(|_| next()).collect();
                        let bias: Vec<f32> = (0..m).map(|_| next()).collect();
                        let a_view = if col_major {
                            Strided { data: &a, rs: 1, cs: m }
                        } else {
                            Strided { data: &a, rs: k.max(1), cs: 1 }
                        };
                        let ldc = n + 2;
                        let c0: Vec<f32> = (0..m * ldc).map(|_| next()).collect();
                        for init in [Init::Zero, Init::Bias(&bias), Init::Accumulate] {
                            let mut c = c0.clone();
                            gemm(m, n, k, a_view, &b, ldb, &mut c, ldc, init);
                            for i in 0..m {
                                for j in 0..ldc {
                                    let got = c[i * ldc + j];
                                    if j >= n {
                                        assert_eq!(got, c0[i * ldc + j], "wrote outside C");
                                        continue;
                                    }
                                    let dot: f32 = (0..k)
                                        .map(|p| a[i * a_view.rs + p * a_view.cs] * b[p * ldb + j])
                                        .sum();
                                    let want = match init {
                                        Init::Zero => dot,
                                        Init::Bias(bias) => bias[i] + dot,
                                        Init::Accumulate => c0[i * ldc + j] + dot,
                                    };
                                    assert!(
                                        (got - want).abs() < 1e-4,
                                        "{m}x{n}x{k} {init:?}: {got} vs {want}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
