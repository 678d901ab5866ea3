//! Recycled tensor buffers: a dropped tensor's buffer is kept for the next tensor of the same
//! length instead of going back to the allocator.
//!
//! A training step or a saliency batch allocates the same few dozen buffers (activations,
//! gradients, megabytes each) every time round. Handed back to the allocator, they were returned
//! to the kernel and faulted in again as fresh zeroed pages on the next step: page clearing and
//! `memset` cost ≈10% of a step. Kept here, the next step reuses them while they are still in
//! cache, and an operation that writes every element ([`crate::Tensor::for_overwrite`]) skips
//! the zero fill as well. Max pooling's winner indices (`u32`) have a pool of their own
//! ([`take_indices`], [`give_indices`]).
//!
//! Only buffers of at least [`MIN_LEN`] elements are kept (the allocator serves small ones
//! well). A length nobody has taken or given back in the last [`STALE_AFTER`] pool operations is
//! freed: a training step touches every one of its lengths every ~30 operations, so its buffers
//! stay, while a finished phase's (the training buffers during an evaluation, the evaluation's
//! after it) go within a few batches instead of sitting beside the new phase's working set. A
//! length keeps at most [`MAX_PER_LENGTH`] free buffers, and a pool never holds more than its
//! cap ([`CAP_BYTES`] for values, a quarter of it for indices): a buffer that does not fit
//! empties it first.
//!
//! Recycled contents are whatever the last owner left; they never reach a result because every
//! user either fills the buffer or writes each element. [`set_poison`] makes that checkable: it
//! fills every recycled buffer with NaN first, so an element left unwritten shows up as NaN in
//! the results of the tests that turn it on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Smallest buffer kept, in elements (16 KiB).
pub const MIN_LEN: usize = 4096;
/// Most bytes the value pool holds.
pub const CAP_BYTES: usize = 256 << 20;

/// Pool operations (takes and gives) after which a length not used since is freed.
pub const STALE_AFTER: u64 = 256;

/// Most free buffers kept of one length (a training step holds at most a handful of tensors of
/// one shape at once).
pub const MAX_PER_LENGTH: usize = 16;

/// Free buffers per length, and the bytes they hold.
struct Pool<T> {
    classes: Vec<Class<T>>,
    bytes: usize,
    /// Operations so far: the pool's clock for [`STALE_AFTER`].
    clock: u64,
}

/// The free buffers of one length (newest last) and when that length was last taken or given.
struct Class<T> {
    len: usize,
    free: Vec<Vec<T>>,
    last_use: u64,
}

impl<T> Pool<T> {
    /// Advances the clock and frees the lengths that have gone stale.
    fn tick(&mut self) {
        self.clock += 1;
        let clock = self.clock;
        let mut freed = 0;
        self.classes.retain(|c| {
            let keep = clock - c.last_use <= STALE_AFTER;
            if !keep {
                freed += c.len * size_of::<T>() * c.free.len();
            }
            keep
        });
        self.bytes -= freed;
    }

    /// The class of `len`, made if missing, marked as used now.
    fn class(&mut self, len: usize) -> &mut Class<T> {
        let clock = self.clock;
        let at = match self.classes.iter().position(|c| c.len == len) {
            Some(at) => at,
            None => {
                self.classes.push(Class { len, free: Vec::new(), last_use: clock });
                self.classes.len() - 1
            }
        };
        let class = &mut self.classes[at];
        class.last_use = clock;
        class
    }
}

/// What a pool needs of its element type.
trait Element: Copy + 'static {
    /// What [`set_poison`] fills recycled buffers with.
    const POISON: Self;
    /// Most bytes its pool holds.
    const CAP: usize;
    /// Its pool.
    fn pool() -> &'static Mutex<Pool<Self>>;
}

static VALUES: Mutex<Pool<f32>> = Mutex::new(Pool { classes: Vec::new(), bytes: 0, clock: 0 });
static INDICES: Mutex<Pool<u32>> = Mutex::new(Pool { classes: Vec::new(), bytes: 0, clock: 0 });
static HITS: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);
static POISON: AtomicBool = AtomicBool::new(false);

impl Element for f32 {
    const POISON: Self = f32::NAN;
    const CAP: usize = CAP_BYTES;
    fn pool() -> &'static Mutex<Pool<Self>> {
        &VALUES
    }
}

impl Element for u32 {
    const POISON: Self = u32::MAX;
    const CAP: usize = CAP_BYTES / 4;
    fn pool() -> &'static Mutex<Pool<Self>> {
        &INDICES
    }
}

/// Fill recycled buffers with NaN (indices with `u32::MAX`) before handing them out (`true`),
/// so tests can check that no operation reads an element it did not write. Off by default; it
/// costs a pass over each buffer.
pub fn set_poison(on: bool) {
    POISON.store(on, Ordering::Relaxed);
}

fn lock<T: Element>() -> MutexGuard<'static, Pool<T>> {
    // A panic while holding the lock leaves the pool consistent (each change is one push or
    // pop), so a poisoned lock is still usable.
    T::pool().lock().unwrap_or_else(PoisonError::into_inner)
}

fn take_kept<T: Element>(len: usize) -> Option<Vec<T>> {
    if len < MIN_LEN {
        return None;
    }
    let mut buf = {
        let mut pool = lock::<T>();
        pool.tick();
        let taken = pool.class(len).free.pop();
        match taken {
            Some(buf) => {
                pool.bytes -= len * size_of::<T>();
                HITS.fetch_add(1, Ordering::Relaxed);
                buf
            }
            None => {
                MISSES.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        }
    };
    if POISON.load(Ordering::Relaxed) {
        buf.fill(T::POISON);
    }
    Some(buf)
}

fn keep<T: Element>(buf: Vec<T>) {
    let len = buf.len();
    let bytes = len * size_of::<T>();
    // Only exact-capacity buffers (every one the workspace builds), so the byte count is what
    // the pool holds.
    if len < MIN_LEN || buf.capacity() != len || bytes > T::CAP {
        return;
    }
    let mut pool = lock::<T>();
    pool.tick();
    if pool.bytes + bytes > T::CAP {
        pool.classes.clear();
        pool.bytes = 0;
    }
    let class = pool.class(len);
    // More free buffers of one length than a step ever holds live means tensors of that length
    // are made elsewhere (`Tensor::from_vec`) and given back here: keeping them all would grow
    // the pool by one buffer per step.
    if class.free.len() >= MAX_PER_LENGTH {
        return;
    }
    class.free.push(buf);
    pool.bytes += bytes;
}

/// A kept value buffer of exactly `len` elements with unspecified contents (NaN under
/// [`set_poison`]), if the pool has one.
pub(crate) fn take(len: usize) -> Option<Vec<f32>> {
    take_kept(len)
}

/// Keeps `buf` for a later [`take`] of its length, or frees it (too small, or no room).
pub(crate) fn give(buf: Vec<f32>) {
    keep(buf);
}

/// An index buffer of `len` elements for an operation that writes every one: a kept buffer
/// (unspecified contents, `u32::MAX` under [`set_poison`]) or a fresh one of zeros.
pub fn take_indices(len: usize) -> Vec<u32> {
    take_kept(len).unwrap_or_else(|| vec![0; len])
}

/// Keeps an index buffer for a later [`take_indices`] of its length, or frees it.
pub fn give_indices(buf: Vec<u32>) {
    keep(buf);
}

/// Frees every kept buffer: for a phase boundary the caller knows of (an evaluation between
/// training epochs), where waiting for the old lengths to go stale would hold two working sets
/// at once.
pub fn release() {
    release_pool::<f32>();
    release_pool::<u32>();
}

fn release_pool<T: Element>() {
    let mut pool = lock::<T>();
    pool.classes.clear();
    pool.bytes = 0;
}

/// Requests of at least [`MIN_LEN`] elements so far, values and indices: (served from the pool,
/// not served). A steady loop adds only to the first.
pub fn requests() -> (u64, u64) {
    (HITS.load(Ordering::Relaxed), MISSES.load(Ordering::Relaxed))
}

/// Bytes currently kept, values and indices.
pub fn kept_bytes() -> usize {
    lock::<f32>().bytes + lock::<u32>().bytes
}
