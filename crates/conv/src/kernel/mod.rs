//! The register-tiled matrix-multiply micro-kernel that every convolution pass runs on.
//!
//! [`gemm`] computes `C = A·B` (optionally plus a per-row bias, or added into `C`) with the
//! output's columns as the vector axis: a tile of [`MR`] rows × up to [`NV`] vectors of
//! `C` lives in registers for the whole reduction. Each reduction step loads `NV` vectors of one
//! row of `B` and broadcasts one element of `A` per tile row, so neither operand is packed: each
//! is read in place from wherever the convolution keeps it, described by an operand source
//! ([`ASource`], [`BSource`]: strided weights, a column matrix read from shifted planes, …). The
//! sources only say where a row or vector starts; the tile loop is the same for all of them.
//!
//! Why not `matrixmultiply`: it has no AVX-512 kernel and packs both operands on every call; the
//! convolution shapes are skinny (`C_out` of 16–64 rows, thousands of pixel columns), so an
//! unpacked broadcast kernel whose `B` rows are already laid out by the im2col gather is both
//! simpler and about twice as fast here. `wide` picks instructions at compile time; the vector width and
//! the tile shape follow the target's register file (8×3 `zmm` accumulators with AVX-512, 4×3
//! `ymm` with AVX2; see [`crate::simd`]).
//!
//! Every element of `C` is `init + Σ_p a[i,p]·b[p,j]`, accumulated in `p` order with one fused
//! multiply-add per step, whatever the tile it falls in: results do not depend on threads.
//!
//! This is a leaf module: the convolution crate's `unsafe` lives here (and in the vector helpers
//! of [`crate::simd`]), behind checked entry points.

mod source;
#[cfg(test)]
mod tests;

pub(crate) use source::{ASource, BSource, GatheredColumns, GatheredRows, RowMajor, ShiftedRows, Strided};

use crate::simd::{LANES, Vector, load_ptr, store_ptr};

/// Rows of `C` per register tile. With AVX-512's 32 registers a tile is 8 × 3 accumulators, with
/// AVX2's 16 it is 4 × 3: twelve accumulators, three `B` vectors and a broadcast fill the
/// register file without spilling.
#[cfg(target_feature = "avx512f")]
const MR: usize = 8;
/// Rows of `C` per register tile (see the AVX-512 twin).
#[cfg(not(target_feature = "avx512f"))]
const MR: usize = 4;
/// Vectors of `C` per tile row.
const NV: usize = 3;
/// Columns of `C` per full tile.
const NR: usize = NV * LANES;

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

/// `C (m×n, row stride ldc) = init + A (m×k) · B (k×n)`, with `A` and `B` read from their sources.
///
/// # Panics
/// If an operand is too short for the sizes (a bug in the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<B: BSource>(
    m: usize,
    n: usize,
    k: usize,
    a: impl ASource,
    b: B,
    c: &mut [f32],
    ldc: usize,
    init: Init<'_>,
) {
    if m == 0 || n == 0 {
        return;
    }
    a.check(m, k);
    b.check(k, n);
    assert!(ldc >= n && (m - 1) * ldc + n <= c.len(), "kernel::gemm: C too short");
    if let Init::Bias(bias) = init {
        assert!(bias.len() >= m, "kernel::gemm: bias too short");
    }
    let c_ptr = c.as_mut_ptr();
    let accumulate = matches!(init, Init::Accumulate);
    STRIP.with_borrow_mut(|(strip, interior)| {
        // A contiguous source's strips that lie where every row may be non-zero (all of `B` for
        // most sources; away from the rows a dilated tap reads from the padding for shifted
        // planes) share one table: row p's first vector at column 0, offset by the strip's first
        // column in the tile. Only the other strips build their own. In an interior strip every
        // vector meets every row's non-zero range, so the tile multiplies exactly the vectors a
        // strip's own table would mark live: the same sums.
        // Sources whose rows are a fixed stride apart need no table at all: each strip starts
        // from row 0's vectors and steps down by the stride.
        let stride = b.row_stride();
        let inside = if B::CONTIGUOUS && stride.is_none() { b.live_columns(k, n) } else { 0..0 };
        if !inside.is_empty() {
            interior.fill(k, 1, |p| StripRow { b: [b.vector(p, 0); NV], mask: 1 });
        }
        // Column strips outer: each strip of B (k × NR) is read by every row panel in turn, while
        // it is still in cache. (Blocking the reduction into L1-sized pieces measured slower: the
        // extra passes over C cost more than the L2 reads they save.)
        for j0 in (0..n).step_by(NR) {
            let cols = NR.min(n - j0);
            let vectors = cols.div_ceil(LANES);
            let g0 = j0 / LANES;
            let strip_rows = if let Some(stride) = stride {
                StripRows::Strided {
                    first: std::array::from_fn(|v| b.vector(0, g0 + v.min(vectors - 1))),
                    stride,
                    k,
                }
            } else if inside.start <= j0 && j0 + vectors * LANES <= inside.end {
                StripRows::Table { strip: &*interior, shift: j0 }
            } else {
                // Where each row of the strip's B vectors starts and which of them may be
                // non-zero, worked out once per strip instead of once per row panel: the sources'
                // table lookups and range tests then stay out of the multiply-add loop.
                strip.fill(k, vectors, |p| StripRow {
                    b: std::array::from_fn(|v| b.vector(p, g0 + v.min(vectors - 1))),
                    mask: b.live(p, j0, vectors),
                });
                StripRows::Table { strip: &*strip, shift: 0 }
            };
            for i0 in (0..m).step_by(MR) {
                let rows = MR.min(m - i0);
                // Rows past `m` re-read the last row (inside A when k > 0, checked above); their
                // results are not stored. With k = 0 nothing is read.
                let a_rows: [*const f32; MR] = std::array::from_fn(|r| a.row((i0 + r).min(m - 1)));
                let mut bias = [0.0f32; MR];
                if let Init::Bias(values) = init {
                    bias[..rows].copy_from_slice(&values[i0..i0 + rows]);
                }
                let t = Tile { a_rows, cs: a.col_stride(), ldc, rows, cols, bias, accumulate };
                // SAFETY: the tile reads A rows i0.. (clamped, see above) at p·cs for p < k and the
                // B vectors of rows p < k at columns j0..j0 + cols rounded up to LANES ≤ n rounded
                // up (through the strip's table, offset by `shift` for the interior table, or
                // `stride` apart from row 0's), all inside the operands (`a.check` and `b.check`
                // passed: the sources' promise), and writes C rows i0..i0 + rows, columns
                // j0..j0 + cols, all inside C (checked).
                // A panel of one row (the input gradient of a one-channel first layer, whose
                // `C` is a single row) runs a one-row tile: the full tile would spend three
                // quarters (seven eighths with AVX-512) of its multiply-adds on the clamped
                // copies of that row. Each element is still the same sum in the same order.
                unsafe {
                    let c_at = c_ptr.add(i0 * ldc + j0);
                    match (rows, vectors) {
                        (1, 1) => t.run::<1, 1, B>(&strip_rows, c_at),
                        (1, 2) => t.run::<2, 1, B>(&strip_rows, c_at),
                        (1, _) => t.run::<NV, 1, B>(&strip_rows, c_at),
                        (_, 1) => t.run::<1, MR, B>(&strip_rows, c_at),
                        (_, 2) => t.run::<2, MR, B>(&strip_rows, c_at),
                        _ => t.run::<NV, MR, B>(&strip_rows, c_at),
                    }
                }
            }
        }
    });
}

/// Where a column strip's `B` rows are: in a table, or a fixed stride apart.
enum StripRows<'t> {
    /// Row `p` from `strip.rows[p]`, its vectors moved by `shift` elements.
    Table { strip: &'t Strip, shift: usize },
    /// Row `p`'s vector `v` at `first[v] + p·stride`, all live, for `p < k`.
    Strided { first: [*const f32; NV], stride: usize, k: usize },
}

/// The `B` side of one reduction step of a column strip: where its vectors start and which of
/// them may be non-zero (bit `v`).
#[derive(Clone, Copy)]
struct StripRow {
    b: [*const f32; NV],
    mask: u32,
}

/// The reduction steps of one column strip, and the same steps cut into runs whose rows are all
/// live in every vector (`full`) or not. Every row panel of the strip walks the runs: a full run's
/// loop has no mask test, and most steps are in full runs (only taps of a dilated kernel that
/// reach into the padding make partial rows), so the test is paid once per strip instead of once
/// per row panel.
struct Strip {
    rows: Vec<StripRow>,
    runs: Vec<(std::ops::Range<usize>, bool)>,
}

impl Strip {
    /// Refills the table with `k` rows of a strip of `vectors` vectors.
    fn fill(&mut self, k: usize, vectors: usize, row: impl Fn(usize) -> StripRow) {
        let all = (1u32 << vectors) - 1;
        self.rows.clear();
        self.rows.extend((0..k).map(row));
        self.runs.clear();
        for (p, r) in self.rows.iter().enumerate() {
            let full = r.mask & all == all;
            match self.runs.last_mut() {
                Some((range, run_full)) if *run_full == full => range.end = p + 1,
                _ => self.runs.push((p..p + 1, full)),
            }
        }
    }
}

thread_local! {
    /// The per-strip table and the interior table (see [`gemm`]), kept per thread so the kernel
    /// does not allocate once they have grown.
    static STRIP: std::cell::RefCell<(Strip, Strip)> = const {
        std::cell::RefCell::new((Strip { rows: Vec::new(), runs: Vec::new() }, Strip { rows: Vec::new(), runs: Vec::new() }))
    };
}

/// One register tile's sizes and operands.
struct Tile {
    a_rows: [*const f32; MR],
    cs: usize,
    ldc: usize,
    rows: usize,
    cols: usize,
    bias: [f32; MR],
    accumulate: bool,
}

impl Tile {
    /// Computes the tile with `V` vectors per row and its first `R` rows (`R = MR`, or `1` for a
    /// one-row panel), over the reduction steps of `rows`.
    ///
    /// # Safety
    /// For each reduction step `p` (`p < strip.rows.len()` or `p < k`): `a_rows[r] + p·cs`
    /// readable; with a table, `strip.rows[p].b[v] .. + LANES` readable for `v < V` (with a
    /// contiguous source, `strip.rows[p].b[0] + shift + v·LANES ..`; `shift` is 0 unless every row
    /// of the strip is fully live); strided, `first[v] + p·stride .. + LANES` readable for `v < V`
    /// (contiguous: `first[0] + p·stride + v·LANES ..`). `c + r·ldc + j` writable (and readable
    /// when accumulating) for `r < rows`, `j < cols`, with `cols ≤ V·LANES`; `rows ≤ R ≤ MR`.
    #[inline(always)]
    unsafe fn run<const V: usize, const R: usize, B: BSource>(&self, rows: &StripRows<'_>, c: *mut f32) {
        let mut acc: [[Vector; V]; R] = std::array::from_fn(|r| [Vector::splat(self.bias[r]); V]);
        let (strip, shift) = match *rows {
            StripRows::Table { strip, shift } => (strip, shift),
            StripRows::Strided { first, stride, k } => {
                let (mut off, mut row_off) = (0, 0);
                for _ in 0..k {
                    // SAFETY: row p's vectors, `p·stride` past row 0's (caller's promise).
                    let bv: [Vector; V] = std::array::from_fn(|v| unsafe {
                        load_ptr(if B::CONTIGUOUS {
                            first[0].wrapping_add(row_off + v * LANES)
                        } else {
                            first[v].wrapping_add(row_off)
                        })
                    });
                    for (acc_r, &a_r) in acc.iter_mut().zip(&self.a_rows) {
                        // SAFETY: element p of this A row (caller's promise).
                        let av = Vector::splat(unsafe { *a_r.add(off) });
                        for (acc_v, &b_v) in acc_r.iter_mut().zip(&bv) {
                            *acc_v = av.mul_add(b_v, *acc_v);
                        }
                    }
                    off += self.cs;
                    row_off += stride;
                }
                // SAFETY: the caller's promise about `c`, passed on.
                unsafe { self.store(acc, c) };
                return;
            }
        };
        let all = (1u32 << V) - 1;
        for (range, full) in &strip.runs {
            let rows = &strip.rows[range.clone()];
            if *full {
                let mut off = range.start * self.cs;
                for row in rows {
                    // SAFETY: row p of B, V vectors from the tile's first column (caller's promise);
                    // with a contiguous source they follow the first one.
                    let bv: [Vector; V] = std::array::from_fn(|v| unsafe {
                        load_ptr(if B::CONTIGUOUS { row.b[0].add(shift + v * LANES) } else { row.b[v] })
                    });
                    for (acc_r, &a_r) in acc.iter_mut().zip(&self.a_rows) {
                        // SAFETY: element p of this A row (caller's promise).
                        let av = Vector::splat(unsafe { *a_r.add(off) });
                        for (acc_v, &b_v) in acc_r.iter_mut().zip(&bv) {
                            *acc_v = av.mul_add(b_v, *acc_v);
                        }
                    }
                    off += self.cs;
                }
                continue;
            }
            for (p, row) in (range.start..).zip(rows) {
                let off = p * self.cs;
                let mask = row.mask & all;
                if mask != 0 {
                    // Some vectors of row p are zero for this tile (a dilated tap reading only
                    // padding there): skip their multiply-adds. `v` is a constant in each unrolled
                    // copy, so the accumulators stay in registers.
                    for v in 0..V {
                        if mask & (1 << v) == 0 {
                            continue;
                        }
                        // SAFETY: as above, one vector.
                        let b_v = unsafe { load_ptr(row.b[v]) };
                        for (acc_r, &a_r) in acc.iter_mut().zip(&self.a_rows) {
                            // SAFETY: as above.
                            let av = Vector::splat(unsafe { *a_r.add(off) });
                            acc_r[v] = av.mul_add(b_v, acc_r[v]);
                        }
                    }
                }
            }
        }
        // SAFETY: the caller's promise about `c`, passed on.
        unsafe { self.store(acc, c) };
    }

    /// Writes (or adds) the accumulators to the tile of `C` at `c`.
    ///
    /// # Safety
    /// `c + r·ldc + j` writable (and readable when accumulating) for `r < rows`, `j < cols`, with
    /// `cols ≤ V·LANES`, `rows ≤ R`.
    #[inline(always)]
    unsafe fn store<const V: usize, const R: usize>(&self, acc: [[Vector; V]; R], c: *mut f32) {
        // Values, not references, from here on: a borrow of `acc` would make LLVM keep it in
        // memory and spill every accumulator on every reduction step.
        if self.rows == R && self.cols == V * LANES {
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
