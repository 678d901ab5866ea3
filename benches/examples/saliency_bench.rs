//! The work of `bench/saliency_ref.py`, timed the same way, for the atrous/PyTorch ratio:
//! saliency maps of the 10,000 test images in batches of 100 (predicted class; median of
//! `REPEATS` passes after a 1,000-image warm-up), and the 10 class models, 200 steps each, as one
//! batch of 10 (median of 3 runs after a 5-step warm-up). Prints one JSON line.
//!
//! `cargo run --release -p atrous-benches --example saliency_bench -- MODEL [REPEATS]`
//!
//! Built with the allocator the `atrous` binary uses (mimalloc), so the timing is the CLI's.

use atrous_autograd::io::load_dilnet;
use atrous_saliency::class_model::{ClassModelConfig, class_models, mean_image};
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_tensor::mnist::Mnist;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: saliency_bench MODEL [REPEATS]")?;
    let repeats: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let (model, _) = load_dilnet(&std::fs::read(&path)?)?;
    let mnist = Mnist::load_default()?;
    let batches: Vec<_> =
        (0..mnist.test.n).collect::<Vec<_>>().chunks(100).map(|c| mnist.test.batch(c).x).collect();

    let pass = |batches: &[atrous_tensor::Tensor]| -> Result<f64, atrous_saliency::SaliencyError> {
        let mut checksum = 0.0f64;
        for x in batches {
            let s = saliency_maps(&model, x, Target::Predicted, None)?;
            checksum += s.maps.as_slice().iter().map(|&v| f64::from(v)).sum::<f64>();
        }
        Ok(checksum)
    };
    pass(&batches[..10])?;
    let mut times = Vec::new();
    let mut checksum = 0.0;
    for _ in 0..repeats {
        let t = Instant::now();
        checksum = pass(&batches)?;
        times.push(t.elapsed().as_secs_f64());
    }
    let saliency_s = median(times.clone());

    let mean = mean_image(&mnist.train)?;
    let classes: Vec<usize> = (0..10).collect();
    class_models(&model, &mean, &classes, &ClassModelConfig { steps: 5, ..ClassModelConfig::default() })?;
    let mut cm_times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        class_models(&model, &mean, &classes, &ClassModelConfig::default())?;
        cm_times.push(t.elapsed().as_secs_f64());
    }
    let cm_s = median(cm_times.clone());
    println!(
        "{{\"bench\": \"atrous_saliency\", \"threads\": {}, \"saliency_median_s\": {saliency_s:.4}, \"saliency_times\": {times:?}, \"images_per_s\": {:.0}, \"checksum_mean_map\": {:.6e}, \"class_model_batched10_median_s\": {cm_s:.4}, \"class_model_times\": {cm_times:?}}}",
        atrous_tensor::parallel::current_threads(),
        10_000.0 / saliency_s,
        checksum / (10_000.0 * 784.0)
    );
    Ok(())
}
