//! Learns one real dilation per conv layer of DilNet (the continuous method of question 1) for a
//! few seeds on the study's fixed training/validation split, and prints one JSON line per seed:
//! final dilations, validation accuracy, seconds. Records go to `OUT/continuous-seed-S.json`
//! (a seed already there with the same settings is not trained again).
//!
//! `cargo run --release -p atrous-study --example continuous_dilation -- SEEDS EPOCHS TRAIN_LIMIT
//! [DILATION_LR] [START] [OUT]` — e.g. `3 1 10000 0.05 2.0 runs/continuous`; `START` is every
//! layer's starting dilation, the range is [1, 4].

use atrous_study::Silent;
use atrous_study::continuous_search::{ContinuousSettings, continuous_seed};
use atrous_study::data::{load_train, select, split_indices};
use atrous_tensor::mnist::default_data_dir;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let seeds: u64 = arg(0, "3").parse()?;
    let epochs: usize = arg(1, "1").parse()?;
    let train_limit: usize = arg(2, "10000").parse()?;
    let dilation_lr: f32 = arg(3, "0.05").parse()?;
    let start: f32 = arg(4, "2.0").parse()?;
    let out = PathBuf::from(arg(5, "runs/continuous"));
    let dir = default_data_dir().ok_or("no MNIST folder (set ATROUS_DATA)")?;
    let file = load_train(&dir)?;
    let (val_idx, train_idx) = split_indices(file.n, 10_000);
    let validation = select(&file, &val_idx);
    let train = select(&file, &train_idx[..train_limit.min(train_idx.len())]);
    let settings = ContinuousSettings {
        initial: [start; 3],
        range: (1.0, 4.0),
        epochs,
        batch_size: 64,
        lr: 0.05,
        momentum: 0.9,
        dilation_lr,
        train_images: train.n,
        validation_images: validation.n,
    };
    for seed in 0..seeds {
        let r = continuous_seed(&settings, seed, &train, &validation, &out, &Silent)?;
        println!(
            "{{\"seed\": {seed}, \"dilations\": {:?}, \"validation_accuracy\": {:.4}, \"seconds\": {:.1}}}",
            r.dilations, r.validation_accuracy, r.seconds
        );
    }
    Ok(())
}
