//! `atrous eval`: test accuracy and loss of a model file.

use crate::read_model;
use anyhow::{Result, ensure};
use atrous_autograd::train::{EVAL_BATCH, evaluate};
use atrous_study::data::load_test;
use serde_json::json;
use std::path::PathBuf;

/// Arguments of `atrous eval`.
#[derive(Clone, Debug, clap::Args)]
pub struct EvalArgs {
    /// Model file written by `atrous train`.
    #[arg(long)]
    pub model: PathBuf,
    /// MNIST folder (default: $ATROUS_DATA, else the repository's data/mnist).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Evaluate only the first N test images.
    #[arg(long, allow_negative_numbers = true)]
    pub test_limit: Option<usize>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub threads: usize,
}

/// Runs `atrous eval`.
pub fn run(args: &EvalArgs) -> Result<()> {
    ensure!(args.test_limit != Some(0), "--test-limit must be at least 1");
    crate::set_threads(args.threads)?;
    let model = read_model(&args.model)?;
    let test = load_test(&crate::data::data_dir(args.data.as_deref())?, args.test_limit)?;
    let stats = evaluate(&model, &test, EVAL_BATCH)?;
    ensure!(
        stats.loss.is_finite(),
        "{}: the test loss is {}, not a finite number: the model's class scores overflow f32",
        args.model.display(),
        stats.loss
    );
    if args.json {
        let out = json!({
            "model": args.model,
            "dilations": model.config.dilations,
            "test_images": stats.count,
            "test_accuracy": stats.accuracy,
            "test_loss": stats.loss,
        });
        println!("{out}");
    } else {
        println!(
            "{}: test accuracy {:.4} ({} images), loss {:.4}",
            args.model.display(),
            stats.accuracy,
            stats.count,
            stats.loss
        );
    }
    Ok(())
}
