//! The one parallel policy of atrous: rayon, with work split by problem size, never by thread count.
//!
//! Every parallel loop in the workspace cuts its work into pieces whose boundaries depend only on
//! the data (fixed chunk lengths, one image per task, fixed GEMM blocks) and combines partial
//! results in piece order. Which thread runs a piece then cannot change a single bit of the
//! answer, so the same seed gives the same model at `--threads 1` and `--threads 8`.

use rayon::prelude::*;

/// Elements per piece in parallel reductions.
pub const REDUCE_CHUNK: usize = 1 << 14;

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

/// Sum of `x` in fixed chunks of [`REDUCE_CHUNK`], chunk sums added in order: the same bits for
/// any thread count.
pub fn par_sum(x: &[f32]) -> f32 {
    let partial: Vec<f32> = x.par_chunks(REDUCE_CHUNK).map(crate::simd::sum).collect();
    partial.iter().fold(0.0, |s, &v| s + v)
}
