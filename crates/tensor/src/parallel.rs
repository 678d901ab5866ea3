//! The one parallel policy of atrous: rayon, with work split by problem size, never by thread count.
//!
//! Every parallel loop in the workspace cuts its work into pieces whose boundaries depend only on
//! the data (fixed chunk lengths, one image per task, fixed GEMM blocks) and combines partial
//! results in piece order. Which thread runs a piece then cannot change a single bit of the
//! answer, so the same seed gives the same model at `--threads 1` and `--threads 8`.

/// Builds a pool with `threads` workers (0 means rayon's default: one per core).
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build()
}

/// Runs `work` inside a pool of `threads` workers, so every rayon call it makes uses that pool.
pub fn with_threads<R: Send>(
    threads: usize,
    work: impl FnOnce() -> R + Send,
) -> Result<R, rayon::ThreadPoolBuildError> {
    Ok(thread_pool(threads)?.install(work))
}

/// Sizes rayon's global pool once per process: `threads` workers, or one per core for 0. Every
/// binary and example goes through this one function, so the thread count is set in one place.
pub fn set_global_threads(threads: usize) -> Result<(), rayon::ThreadPoolBuildError> {
    if threads == 0 {
        return Ok(());
    }
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global()
}

/// Worker threads of the pool the caller runs in (the global pool outside any `install`).
pub fn current_threads() -> usize {
    rayon::current_num_threads()
}
