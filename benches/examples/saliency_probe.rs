//! A fixed amount of saliency work for profilers: vanilla saliency maps (predicted class) of
//! `BATCHES` batches of 100 synthetic MNIST-shaped images (about 80% of pixels 0, as on digits;
//! no data files, so it also runs under valgrind) through the model file `MODEL`, on `THREADS`
//! threads. Prints the time per batch and a hash of every bit of the maps, so a change that must
//! keep the maps bit-identical is checked in the same run, whatever the machine's load.
//!
//! `cargo run --release -p atrous-benches --example saliency_probe -- MODEL [BATCHES] [THREADS]`

use atrous_autograd::io::load_dilnet;
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_tensor::Tensor;
use atrous_tensor::parallel::with_threads;
use atrous_tensor::rng::Rng;
use std::time::Instant;

// The allocator of the `atrous` binary, so the probe measures what saliency there costs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: saliency_probe MODEL [BATCHES] [THREADS]")?;
    let batches: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let (model, _) = load_dilnet(&std::fs::read(&path)?)?;
    let mut rng = Rng::seed_from(11);
    let xs = (0..batches)
        .map(|_| {
            let x = (0..100 * 784).map(|_| (rng.next_f32() * 5.0 - 4.0).max(0.0)).collect();
            Tensor::from_vec(&[100, 1, 28, 28], x)
        })
        .collect::<Result<Vec<_>, atrous_tensor::Error>>()?;
    let start = Instant::now();
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    with_threads(threads, || -> Result<(), atrous_saliency::SaliencyError> {
        for x in &xs {
            let s = saliency_maps(&model, x, Target::Predicted, None)?;
            hash = s
                .maps
                .as_slice()
                .iter()
                .fold(hash, |h, v| (h ^ u64::from(v.to_bits())).wrapping_mul(0x100_0000_01b3));
        }
        Ok(())
    })??;
    let per_batch = start.elapsed().as_secs_f64() / batches.max(1) as f64;
    println!("threads={threads}: {:.2} ms/batch of 100, maps hash {hash:016x}", per_batch * 1e3);
    Ok(())
}
