//! Per-thread scratch buffers, grown once and reused, so no image in the hot loop allocates.
//!
//! Each rayon worker keeps its own buffers in a thread-local. A kernel borrows them for one
//! image (or one group of images) and must not call back into rayon while it holds them (work
//! stealing could run another task on the same thread); the conv kernels only run serial code
//! inside.

use std::cell::RefCell;

/// How many separate buffers one borrow hands out.
pub(crate) const BUFFERS: usize = 4;

thread_local! {
    static SCRATCH: RefCell<[Vec<f32>; BUFFERS]> = RefCell::new(Default::default());
}

/// Runs `f` with this thread's scratch buffers, buffer `i` exactly `lens[i]` long (contents
/// unspecified).
pub(crate) fn with_scratch<R>(lens: [usize; BUFFERS], f: impl FnOnce([&mut [f32]; BUFFERS]) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut bufs = cell.borrow_mut();
        for (buf, &len) in bufs.iter_mut().zip(&lens) {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
        }
        let [a, b, c, d] = &mut *bufs;
        f([&mut a[..lens[0]], &mut b[..lens[1]], &mut c[..lens[2]], &mut d[..lens[3]]])
    })
}

thread_local! {
    static REUSED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` zeros for the calling thread's own use while it hands work to rayon: it is
/// taken out of the thread-local (not borrowed), so tasks running on this thread meanwhile
/// cannot conflict with it. Give it back with [`give_back`] to reuse its memory next call.
pub(crate) fn take_zeroed(len: usize) -> Vec<f32> {
    let mut v = REUSED.with(|cell| std::mem::take(&mut *cell.borrow_mut()));
    v.clear();
    v.resize(len, 0.0);
    v
}

/// Returns a buffer from [`take_zeroed`] for the next call on this thread.
pub(crate) fn give_back(v: Vec<f32>) {
    REUSED.with(|cell| {
        let mut slot = cell.borrow_mut();
        if v.capacity() > slot.capacity() {
            *slot = v;
        }
    });
}
