//! Matrix multiply: the one module that calls `matrixmultiply::sgemm`.
//!
//! A matrix here is a borrowed buffer plus `rows`, `cols` and two element strides
//! (`row_stride`, `col_stride`), as in `matrixmultiply` itself: element `(i, j)` sits at
//! `i · row_stride + j · col_stride`. Transposing is swapping the two (see [`MatRef::t`]), so
//! every combination of transposed operands costs nothing extra.
//!
//! [`gemm`] computes `C ← α·A·B + β·C` on one thread. [`par_gemm`] is its parallel twin: it
//! cuts `C` into blocks along its longer side, the number of blocks fixed by the problem size
//! alone, never by the thread count. The reduction over `k` is never split, so each element of
//! `C` sees the same operations in the same order whatever runs it: results are bit-identical
//! for any number of threads.
//!
//! ```
//! use atrous_tensor::gemm::{gemm, MatMut, MatRef};
//!
//! let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3
//! let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3×2
//! let mut c = [0.0; 4];
//! gemm(1.0, MatRef::row_major(&a, 2, 3)?, MatRef::row_major(&b, 3, 2)?, 0.0,
//!      MatMut::row_major(&mut c, 2, 2)?);
//! assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
//! # Ok::<(), atrous_tensor::Error>(())
//! ```

use crate::{Error, Result, Shape};
use rayon::prelude::*;

/// A read-only strided matrix.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// A writable strided matrix whose elements occupy distinct positions.
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// Index one past the last element a `rows × cols` matrix with these strides touches.
fn extent(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return Some(0);
    }
    (rows - 1).checked_mul(row_stride)?.checked_add((cols - 1).checked_mul(col_stride)?)?.checked_add(1)
}

fn check_extent(op: &'static str, len: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> Result<()> {
    match extent(rows, cols, rs, cs) {
        Some(end) if end <= len => Ok(()),
        _ => Err(Error::LengthMismatch {
            op,
            shape: Shape::new(&[rows, cols]),
            expected: extent(rows, cols, rs, cs).unwrap_or(usize::MAX),
            found: len,
        }),
    }
}

impl<'a> MatRef<'a> {
    /// A strided view; fails if any element would fall outside `data`.
    pub fn new(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self> {
        check_extent("MatRef::new", data.len(), rows, cols, row_stride, col_stride)?;
        Ok(MatRef { data, rows, cols, row_stride, col_stride })
    }

    /// A dense row-major `rows × cols` view (`data.len()` must be at least `rows · cols`).
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Result<Self> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transpose, by swapping strides.
    pub fn t(self) -> Self {
        MatRef {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Element `(i, j)`.
    pub fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

impl<'a> MatMut<'a> {
    /// A writable strided view. The strides must keep elements distinct: one of them is 1 and the
    /// other spans at least a full row or column.
    pub fn new(
        data: &'a mut [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self> {
        let distinct = rows <= 1
            || cols <= 1
            || (col_stride == 1 && row_stride >= cols)
            || (row_stride == 1 && col_stride >= rows);
        if !distinct {
            return Err(Error::BadShape {
                op: "MatMut::new",
                shape: Shape::new(&[rows, cols]),
                why: "strides would make two elements share a position",
            });
        }
        check_extent("MatMut::new", data.len(), rows, cols, row_stride, col_stride)?;
        Ok(MatMut { data, rows, cols, row_stride, col_stride })
    }

    /// A dense row-major `rows × cols` view.
    pub fn row_major(data: &'a mut [f32], rows: usize, cols: usize) -> Result<Self> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
}

fn check_dims(a: &MatRef<'_>, b: &MatRef<'_>, c: &MatMut<'_>) {
    assert!(
        a.rows == c.rows && b.cols == c.cols && a.cols == b.rows,
        "gemm: [{}, {}] · [{}, {}] does not fit C [{}, {}]",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        c.rows,
        c.cols
    );
}

/// `C ← α·A·B + β·C` on the calling thread. With `β = 0`, `C` is only written, never read
/// (NaNs already in `C` do not leak through).
///
/// # Panics
/// If the dimensions do not chain (`A: m×k`, `B: k×n`, `C: m×n`).
pub fn gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    check_dims(&a, &b, &c);
    // SAFETY: the constructors checked that every element of each view lies inside its slice,
    // `MatMut::new` that C's elements are distinct, and C borrows its slice mutably, so it
    // cannot alias A or B. A zero-sized product touches nothing.
    unsafe { raw_sgemm(alpha, &a, &b, beta, c.data.as_mut_ptr(), c.row_stride, c.col_stride, c.rows, c.cols) }
}

/// Runs `matrixmultiply::sgemm` for A (m×k), B (k×n) and C given as a raw pointer.
///
/// # Safety
/// `c` must point to an `m × n` matrix with strides `rsc`, `csc` whose elements are distinct,
/// valid for writes (and reads when `beta ≠ 0`), and not aliased by A or B.
#[allow(clippy::too_many_arguments)]
unsafe fn raw_sgemm(
    alpha: f32,
    a: &MatRef<'_>,
    b: &MatRef<'_>,
    beta: f32,
    c: *mut f32,
    rsc: usize,
    csc: usize,
    m: usize,
    n: usize,
) {
    let k = a.cols;
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: A and B lie inside their slices (checked at construction); C is the caller's promise.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            beta,
            c,
            rsc as isize,
            csc as isize,
        );
    }
}

/// How many blocks a product is cut into: a function of its size only, so the split (and hence
/// every bit of the result) is the same on any machine and any thread count.
fn block_count(m: usize, n: usize, k: usize) -> usize {
    const FLOPS_PER_BLOCK: usize = 1 << 22;
    const MAX_BLOCKS: usize = 8;
    let flops = 2usize.saturating_mul(m).saturating_mul(n).saturating_mul(k);
    (flops / FLOPS_PER_BLOCK).clamp(1, MAX_BLOCKS)
}

/// A pointer to C that may cross threads: each task writes its own disjoint block.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: tasks built by `par_gemm` write disjoint element sets of C; the pointer is only used
// while the `&mut` borrow of C in `par_gemm` is alive.
unsafe impl Send for SharedOut {}
// SAFETY: as above.
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// The pointer; a method call makes closures capture the whole `Send` wrapper, not its field.
    fn ptr(self) -> *mut f32 {
        self.0
    }
}

/// Parallel twin of [`gemm`] (rayon). Bit-identical to [`gemm`] on any thread count.
///
/// # Panics
/// If the dimensions do not chain.
pub fn par_gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    check_dims(&a, &b, &c);
    let (m, n, k) = (c.rows, c.cols, a.cols);
    let blocks = block_count(m, n, k);
    if blocks == 1 {
        return gemm(alpha, a, b, beta, c);
    }
    let split_rows = m >= n;
    let long = if split_rows { m } else { n };
    // Multiples of 16 keep whole micro-kernel tiles inside a block.
    let step = long.div_ceil(blocks).next_multiple_of(16);
    let out = SharedOut(c.data.as_mut_ptr());
    let (rsc, csc) = (c.row_stride, c.col_stride);
    (0..long.div_ceil(step)).into_par_iter().for_each(|block| {
        let start = block * step;
        let len = step.min(long - start);
        if split_rows {
            let a_rows = MatRef { data: &a.data[start * a.row_stride..], rows: len, ..a };
            // SAFETY: rows start..start+len of C are written by this task alone; the offset stays
            // inside C's slice because `start < m`.
            unsafe { raw_sgemm(alpha, &a_rows, &b, beta, out.ptr().add(start * rsc), rsc, csc, len, n) }
        } else {
            let b_cols = MatRef { data: &b.data[start * b.col_stride..], cols: len, ..b };
            // SAFETY: columns start..start+len of C are written by this task alone.
            unsafe { raw_sgemm(alpha, &a, &b_cols, beta, out.ptr().add(start * csc), rsc, csc, m, len) }
        }
    });
}

/// The obviously-correct reference: a triple loop accumulating in f64, rounded once.
pub fn gemm_naive(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut MatMut<'_>) {
    check_dims(&a, &b, c);
    for i in 0..c.rows {
        for j in 0..c.cols {
            let dot: f64 = (0..a.cols).map(|p| f64::from(a.at(i, p)) * f64::from(b.at(p, j))).sum();
            let slot = &mut c.data[i * c.row_stride + j * c.col_stride];
            let prior = if beta == 0.0 { 0.0 } else { f64::from(beta) * f64::from(*slot) };
            *slot = (f64::from(alpha) * dot + prior) as f32;
        }
    }
}
