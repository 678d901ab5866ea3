//! Per-thread scratch buffers, grown once and reused, so no image in the hot loop allocates.
//!
//! Each rayon worker keeps its own buffers in a thread-local. A kernel borrows them for one
//! image and must not call back into rayon while it holds them (work stealing could run another
//! image's task on the same thread); the conv kernels only call the serial GEMM inside.

use std::cell::RefCell;

/// The two column-matrix buffers one image of a convolution needs.
#[derive(Default)]
pub(crate) struct Scratch {
    /// `im2col` of the current image.
    pub cols: Vec<f32>,
    /// Gradient with respect to the columns (backward only).
    pub dcols: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch, both buffers at least `len` long (contents unspecified).
pub(crate) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut s = cell.borrow_mut();
        if s.cols.len() < len {
            s.cols.resize(len, 0.0);
            s.dcols.resize(len, 0.0);
        }
        let Scratch { cols, dcols } = &mut *s;
        f(&mut cols[..len], &mut dcols[..len])
    })
}
