//! A fixed amount of training work for profilers: `STEPS` SGD steps of the reference DilNet at
//! dilation `D`, batch 64, on synthetic MNIST-shaped batches (about 80% of pixels 0, as on
//! digits; no data files, so it also runs under valgrind, which cannot decode the gzip CRC's
//! vector instructions), printing the time per
//! step and a checksum of the trained parameters (so a change that must keep every bit can be
//! checked in the same run). Deterministic: `perf stat -e instructions,page-faults` and
//! `valgrind --tool=callgrind` compare a change's cost whatever the machine's load.
//!
//! `cargo run --release -p atrous-benches --example step_probe -- [STEPS] [D] [THREADS]`

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::OptimizerKind;
use atrous_autograd::train::train_step;
use atrous_tensor::Tensor;
use atrous_tensor::mnist::Batch;
use atrous_tensor::parallel::with_threads;
use atrous_tensor::rng::Rng;
use std::time::Instant;

// The allocator of the `atrous` binary, so the probe measures what training there costs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let steps: usize = args.next().map_or(Ok(50), |a| a.parse())?;
    let d: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let mut data_rng = Rng::seed_from(7);
    let mut net = DilNet::new(DilNetConfig::reference(d), &mut Rng::seed_from(0))?;
    let mut sgd = OptimizerKind::Sgd.build(0.05, 0.9, 0.0);
    let batches = (0..steps)
        .map(|_| {
            let x = (0..64 * 784).map(|_| (data_rng.next_f32() * 5.0 - 4.0).max(0.0)).collect();
            let labels = (0..64).map(|_| data_rng.below(10) as usize).collect();
            Ok(Batch { x: Tensor::from_vec(&[64, 1, 28, 28], x)?, labels })
        })
        .collect::<Result<Vec<_>, atrous_tensor::Error>>()?;
    let start = Instant::now();
    let mut last_loss = 0.0;
    with_threads(threads, || -> Result<(), atrous_autograd::AutogradError> {
        for batch in &batches {
            last_loss = train_step(&mut net, &mut sgd, batch)?.loss;
        }
        Ok(())
    })??;
    let per_step = start.elapsed().as_secs_f64() / steps.max(1) as f64;
    let checksum = net
        .parameters()
        .iter()
        .flat_map(|p| p.as_slice())
        .fold(0u64, |h, v| (h ^ u64::from(v.to_bits())).wrapping_mul(0x100_0000_01b3));
    println!(
        "d={d} threads={threads}: {:.2} ms/step, last loss {last_loss}, parameter checksum {checksum:016x}",
        per_step * 1e3
    );
    Ok(())
}
