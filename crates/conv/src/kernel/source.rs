//! Where the micro-kernel reads its operands: the traits [`ASource`] (the broadcast operand,
//! read one element at a time along a row) and [`BSource`] (the vector operand, read `LANES`
//! columns at a time along a row), and the layouts the convolution passes need.
//!
//! | source | operand | element | used by |
//! | --- | --- | --- | --- |
//! | [`Strided`] | A | `data[i·rs + p·cs]` | weights, `dY` (row- or column-wise) |
//! | [`GatheredRows`] | A | `data[rows[i] + p]` | first-layer `dW`: column matrix from shifted planes |
//! | [`RowMajor`] | B | `data[p·ld + j]` | a written column matrix, `dY`, `im2row` rows |
//! | [`ShiftedRows`] | B | `data[rows[p] + j]`, zero outside `nonzero[p]` | forward and transposed `dX` from shifted planes |
//! | [`GatheredColumns`] | B | `data[cols[j / LANES] + p·ld + j % LANES]` | `dW` from channels-last planes |
//!
//! `RowMajor` and `GatheredColumns` rows are a fixed stride apart ([`BSource::row_stride`]), so the
//! kernel walks them by pointer steps; the other sources give each row's start through a table.
//!
//! A source's `check` asserts, once per product, that every element the kernel will read is
//! inside its buffer; the kernel then reads through raw pointers without further checks. That
//! promise is what makes the traits `unsafe` to implement.

use crate::simd::LANES;
use std::ops::Range;

/// The kernel's `A (m×k)` operand, broadcast one element at a time.
///
/// # Safety
/// Once `check(m, k)` has returned, `row(i).wrapping_add(p·col_stride())` must point to a
/// readable `f32` for every `i < m` and `p < k`.
pub(crate) unsafe trait ASource {
    /// Panics unless every element of the `m × k` operand is inside the buffer.
    fn check(&self, m: usize, k: usize);
    /// Where row `i` starts (computed with `wrapping_add`; only dereferenced after `check`).
    fn row(&self, i: usize) -> *const f32;
    /// Elements between consecutive `p` of one row.
    fn col_stride(&self) -> usize;
}

/// The kernel's `B (k×n)` operand, read `LANES` columns at a time.
///
/// # Safety
/// Once `check(k, n)` has returned, `vector(p, g)` must point to `LANES` readable `f32`s for every
/// `p < k` and `g < n.div_ceil(LANES)` (lanes past `n` are computed and dropped).
pub(crate) unsafe trait BSource {
    /// Panics unless every vector of the `k × n` operand is inside the buffer.
    fn check(&self, k: usize, n: usize);
    /// Where columns `g·LANES..(g + 1)·LANES` of row `p` start.
    fn vector(&self, p: usize, g: usize) -> *const f32;
    /// Columns `j` (a range) where every row `p < k` may be non-zero: a tile of vectors inside
    /// it has every vector live. All of `B` by default.
    fn live_columns(&self, _k: usize, n: usize) -> Range<usize> {
        0..n.next_multiple_of(LANES)
    }
    /// Whether a row's vectors follow each other in memory (`vector(p, g + 1)` is
    /// `vector(p, g) + LANES`), so the kernel can find them all from the first one.
    const CONTIGUOUS: bool;
    /// Bit `v` is set when vector `v` of the `vectors` vectors of row `p` from column `j0` on may
    /// be non-zero; the kernel skips the multiply-adds of the others. All set by default.
    #[inline(always)]
    fn live(&self, _p: usize, _j0: usize, vectors: usize) -> u32 {
        (1u32 << vectors) - 1
    }
    /// `Some(s)` when each row is the one before moved by `s` elements (`vector(p, g)` is
    /// `vector(0, g) + p·s`) and every vector is live (`live` all set): the kernel then walks the
    /// rows by pointer steps and builds no table. `None` by default.
    fn row_stride(&self) -> Option<usize> {
        None
    }
}

/// A matrix whose element `(i, p)` sits at `data[i·rs + p·cs]` (row- or column-major).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strided<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

// SAFETY: `check` asserts the last element `(m − 1)·rs + (k − 1)·cs` is inside `data`; every other
// element `i·rs + p·cs` is smaller.
unsafe impl ASource for Strided<'_> {
    fn check(&self, m: usize, k: usize) {
        if m > 0 && k > 0 {
            assert!((m - 1) * self.rs + (k - 1) * self.cs < self.data.len(), "kernel::gemm: A too short");
        }
    }
    #[inline(always)]
    fn row(&self, i: usize) -> *const f32 {
        self.data.as_ptr().wrapping_add(i * self.rs)
    }
    #[inline(always)]
    fn col_stride(&self) -> usize {
        self.cs
    }
}

/// `A` with its rows gathered: `A[i, p] = data[rows[i] + p]` (any order, rows may overlap).
#[derive(Clone, Copy, Debug)]
pub(crate) struct GatheredRows<'a> {
    pub data: &'a [f32],
    pub rows: &'a [usize],
}

// SAFETY: `check` asserts the table covers `i < m` and each of those rows holds `k` elements.
unsafe impl ASource for GatheredRows<'_> {
    fn check(&self, m: usize, k: usize) {
        assert!(self.rows.len() >= m, "kernel::gemm: A row table too short");
        if k > 0 {
            assert!(self.rows[..m].iter().all(|&r| r + k <= self.data.len()), "kernel::gemm: A too short");
        }
    }
    #[inline(always)]
    fn row(&self, i: usize) -> *const f32 {
        self.data.as_ptr().wrapping_add(self.rows[i])
    }
    #[inline(always)]
    fn col_stride(&self) -> usize {
        1
    }
}

/// `B` stored by rows `ld` apart: `B[p, j] = data[p·ld + j]`. Every row must be readable up to
/// `n` rounded up to `LANES` (pad the buffer).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowMajor<'a> {
    pub data: &'a [f32],
    pub ld: usize,
}

// SAFETY: `check` asserts the last row is readable up to `n` rounded up to whole vectors; earlier
// rows start lower.
unsafe impl BSource for RowMajor<'_> {
    const CONTIGUOUS: bool = true;
    fn check(&self, k: usize, n: usize) {
        if k > 0 {
            let end = (k - 1) * self.ld + n.next_multiple_of(LANES);
            assert!(end <= self.data.len(), "kernel::gemm: B too short");
        }
    }
    #[inline(always)]
    fn vector(&self, p: usize, g: usize) -> *const f32 {
        self.data.as_ptr().wrapping_add(p * self.ld + g * LANES)
    }
    fn row_stride(&self) -> Option<usize> {
        Some(self.ld)
    }
}

/// `B` with its rows gathered: row `p` starts at `data[rows[p]]` (any order, any gaps, rows may
/// overlap) and must be readable up to `n` rounded up to `LANES`. A convolution reads its column
/// matrix this way straight from shifted input planes without writing it. Row `p` must be zero
/// outside columns `nonzero[p]`: a tile skips the vectors of the row that miss that range (a
/// dilated tap that reads only padding for those pixels), as a direct convolution would.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShiftedRows<'a> {
    pub data: &'a [f32],
    pub rows: &'a [usize],
    pub nonzero: &'a [Range<usize>],
}

// SAFETY: `check` asserts the tables cover `p < k` and each of those rows is readable up to `n`
// rounded up to whole vectors.
unsafe impl BSource for ShiftedRows<'_> {
    const CONTIGUOUS: bool = true;
    fn check(&self, k: usize, n: usize) {
        assert!(self.rows.len() >= k && self.nonzero.len() >= k, "kernel::gemm: B row table too short");
        let need = n.next_multiple_of(LANES);
        assert!(self.rows[..k].iter().all(|&r| r + need <= self.data.len()), "kernel::gemm: B too short");
    }
    #[inline(always)]
    fn vector(&self, p: usize, g: usize) -> *const f32 {
        self.data.as_ptr().wrapping_add(self.rows[p] + g * LANES)
    }
    fn live_columns(&self, k: usize, _n: usize) -> Range<usize> {
        let start = self.nonzero[..k].iter().map(|r| r.start).max().unwrap_or(0);
        let end = self.nonzero[..k].iter().map(|r| r.end).min().unwrap_or(0);
        start..end.max(start)
    }
    #[inline(always)]
    fn live(&self, p: usize, j0: usize, vectors: usize) -> u32 {
        // Vectors of the tile (columns j0 + LANES·v ..) that meet row p's non-zero range: vector v
        // meets [start, end) when start < j0 + (v + 1)·LANES and j0 + v·LANES < end, i.e. for
        // first ≤ v < last below.
        let nz = &self.nonzero[p];
        let first = nz.start.saturating_sub(j0) / LANES;
        let last = nz.end.saturating_sub(j0).div_ceil(LANES).min(vectors);
        if first >= last { 0 } else { ((1u32 << last) - 1) & !((1u32 << first) - 1) }
    }
}

/// `B` with its columns gathered in vectors: `B[p, g·LANES + l] = data[cols[g] + p·ld + l]`
/// (`n` a multiple of `LANES`). The weight gradient reads the transposed column matrix this way
/// from shifted channels-last planes: each vector is `LANES` channels of one tap, and consecutive
/// pixels are `ld = C_in` apart.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GatheredColumns<'a> {
    pub data: &'a [f32],
    pub cols: &'a [usize],
    pub ld: usize,
}

// SAFETY: `check` asserts the table covers `g < n / LANES` and each of those vector columns is
// readable down to row `k − 1`.
unsafe impl BSource for GatheredColumns<'_> {
    const CONTIGUOUS: bool = false;
    fn check(&self, k: usize, n: usize) {
        assert!(n % LANES == 0 && self.cols.len() >= n / LANES, "kernel::gemm: B column table");
        if k > 0 {
            let end = (k - 1) * self.ld + LANES;
            let fits = self.cols[..n / LANES].iter().all(|&g| g + end <= self.data.len());
            assert!(fits, "kernel::gemm: B too short");
        }
    }
    #[inline(always)]
    fn vector(&self, p: usize, g: usize) -> *const f32 {
        self.data.as_ptr().wrapping_add(self.cols[g] + p * self.ld)
    }
    fn row_stride(&self) -> Option<usize> {
        Some(self.ld)
    }
}
