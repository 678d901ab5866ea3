//! Recycled tensor buffers: a dropped tensor's buffer is kept for the next tensor of the same
//! length instead of going back to the allocator.
//!
//! A training step or a saliency batch allocates the same few dozen buffers (activations,
//! gradients, megabytes each) every time round. Handed back to the allocator, they were returned
//! to the kernel and faulted in again as fresh zeroed pages on the next step: page clearing and
//! `memset` cost ≈10% of a step. Kept here, the next step reuses them while they are still in
//! cache, and an operation that writes every element ([`crate::Tensor::for_overwrite`]) skips
//! the zero fill as well.
//!
//! Only buffers of at least [`MIN_LEN`] elements are kept (the allocator serves small ones
//! well), and the pool never holds more than [`CAP_BYTES`]: a buffer that does not fit empties
//! the pool first, so a phase with other sizes (evaluation after training) replaces the old
//! sizes instead of stacking up beside them.
//!
//! Recycled contents are whatever the last owner left; they never reach a result because every
//! user either fills the buffer or writes each element. [`set_poison`] makes that checkable: it
//! fills every recycled buffer with NaN first, so an element left unwritten shows up as NaN in
//! the results of the tests that turn it on.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Smallest buffer kept, in elements (16 KiB).
pub const MIN_LEN: usize = 4096;
/// Most bytes the pool holds.
pub const CAP_BYTES: usize = 256 << 20;

struct Pool {
    /// Free buffers per length, each stack newest last.
    free: Vec<(usize, Vec<Vec<f32>>)>,
    bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { free: Vec::new(), bytes: 0 });
static POISON: AtomicBool = AtomicBool::new(false);

/// Fill recycled buffers with NaN before handing them out (`true`), so tests can check that no
/// operation reads an element it did not write. Off by default; it costs a pass over each buffer.
pub fn set_poison(on: bool) {
    POISON.store(on, Ordering::Relaxed);
}

fn lock() -> std::sync::MutexGuard<'static, Pool> {
    // A panic while holding the lock leaves the pool consistent (each change is one push or
    // pop), so a poisoned lock is still usable.
    POOL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A kept buffer of exactly `len` elements with unspecified contents (NaN under
/// [`set_poison`]), if the pool has one.
pub(crate) fn take(len: usize) -> Option<Vec<f32>> {
    if len < MIN_LEN {
        return None;
    }
    let mut buf = {
        let mut pool = lock();
        let stack = pool.free.iter_mut().find(|(l, _)| *l == len)?;
        let buf = stack.1.pop()?;
        pool.bytes -= len * size_of::<f32>();
        buf
    };
    if POISON.load(Ordering::Relaxed) {
        buf.fill(f32::NAN);
    }
    Some(buf)
}

/// Keeps `buf` for a later [`take`] of its length, or frees it (too small, or no room).
pub(crate) fn give(buf: Vec<f32>) {
    let len = buf.len();
    // Only exact-capacity buffers (every tensor the workspace builds), so the byte count is what
    // the pool holds.
    if len < MIN_LEN || buf.capacity() != len || len * size_of::<f32>() > CAP_BYTES {
        return;
    }
    let mut pool = lock();
    if pool.bytes + len * size_of::<f32>() > CAP_BYTES {
        pool.free.clear();
        pool.bytes = 0;
    }
    pool.bytes += len * size_of::<f32>();
    match pool.free.iter_mut().find(|(l, _)| *l == len) {
        Some((_, stack)) => stack.push(buf),
        None => pool.free.push((len, vec![buf])),
    }
}

/// Bytes currently kept.
pub fn kept_bytes() -> usize {
    lock().bytes
}
