//! Loads the shipped MNIST copy and prints what it holds: counts, label histogram, pixel mean/std.
//!
//! `cargo run --release -p atrous-tensor --example mnist_summary [DATA_DIR]`

use atrous_tensor::mnist::{Mnist, default_data_dir};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let dir = std::env::args().nth(1).map(PathBuf::from).or_else(default_data_dir);
    let Some(dir) = dir else {
        eprintln!("error: no MNIST folder found; pass DATA_DIR or set ATROUS_DATA");
        return ExitCode::FAILURE;
    };
    let start = Instant::now();
    let mnist = match Mnist::load(&dir) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("loaded {} in {:.3} s", dir.display(), start.elapsed().as_secs_f64());
    for (name, split) in [("train", &mnist.train), ("test", &mnist.test)] {
        let pixels = split.images.len() as f64;
        let mean = split.images.iter().map(|&p| f64::from(p) / 255.0).sum::<f64>() / pixels;
        let var = split.images.iter().map(|&p| (f64::from(p) / 255.0 - mean).powi(2)).sum::<f64>() / pixels;
        println!(
            "{name:>5}: {} images 28x28, pixel mean {mean:.4} std {:.4}, label counts {:?}",
            split.n,
            var.sqrt(),
            split.label_counts()
        );
    }
    ExitCode::SUCCESS
}
