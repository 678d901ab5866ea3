//! `atrous learn-dilation`: learns each layer's dilation by gradient descent over a softmax
//! mixture of candidate dilations (see `atrous_autograd::dilation_search`), for several seeds, and
//! reports whether the seeds agree on what they learn.

use crate::data::DataArgs;
use crate::files::write_atomic;
use crate::progress::Progress;
use anyhow::{Context, Result, ensure};
use atrous_autograd::dilation_search::DilationSearchNet;
use atrous_autograd::nn::DilNetConfig;
use atrous_autograd::optim::{Adam, Optimizer, Sgd};
use atrous_autograd::train::{EVAL_BATCH, epoch_order, images_to_tensor, labels_of};
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `atrous learn-dilation`.
#[derive(Clone, Debug, clap::Args)]
pub struct LearnArgs {
    /// Candidate dilations mixed in every conv layer.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 3, 4])]
    pub candidates: Vec<usize>,
    /// Seeds (0..N): does every seed learn the same dilations?
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Training epochs per seed.
    #[arg(long, default_value_t = 1)]
    pub epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Learning rate of the kernels (SGD, momentum 0.9).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f32,
    /// Learning rate of the mixing logits (Adam).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub arch_lr: f32,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Where MNIST is, and which part of it to use.
    #[command(flatten)]
    pub data: DataArgs,
    /// Output folder: one `seed-S.json` per seed and `LEARNED.md`.
    #[arg(long, default_value = "runs/learn")]
    pub out: PathBuf,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

impl LearnArgs {
    /// Checks every value before any work.
    pub fn validate(&self) -> Result<()> {
        ensure!(!self.candidates.is_empty(), "--candidates needs at least one dilation");
        let mut c = self.candidates.clone();
        c.sort_unstable();
        c.dedup();
        ensure!(c.len() == self.candidates.len(), "--candidates lists a dilation twice");
        for &d in &self.candidates {
            DilNetConfig::reference(d).validate().map_err(|e| {
                anyhow::anyhow!("candidate {d}: {}", e.to_string().trim_start_matches("config: "))
            })?;
        }
        ensure!(self.seeds > 0, "--seeds must be at least 1");
        ensure!(self.epochs > 0, "--epochs must be at least 1");
        ensure!(self.batch_size > 0, "--batch-size must be at least 1");
        ensure!(self.lr.is_finite() && self.lr > 0.0, "--lr must be a positive number, got {}", self.lr);
        ensure!(
            self.arch_lr.is_finite() && self.arch_lr > 0.0,
            "--arch-lr must be a positive number, got {}",
            self.arch_lr
        );
        self.data.validate()?;
        Ok(())
    }
}

fn seed_file(out: &Path, seed: u64) -> PathBuf {
    out.join(format!("seed-{seed}.json"))
}

/// Trains one seed's search network and returns its record (also written to `seed-S.json`).
/// A seed whose record already exists with the same settings is not trained again.
pub fn search_seed(args: &LearnArgs, seed: u64, train: &MnistSplit, test: &MnistSplit) -> Result<Value> {
    let settings = json!({
        "candidates": args.candidates, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "arch_lr": args.arch_lr, "train_limit": args.data.train_limit, "test_limit": args.data.test_limit, "seed": seed,
    });
    let path = seed_file(&args.out, seed);
    if let Some(done) = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
        if done["settings"] == settings {
            return Ok(done);
        }
    }
    let mut net = DilationSearchNet::new(&args.candidates, &mut Rng::seed_from(seed))?;
    let mut w_opt = Optimizer::Sgd(Sgd::new(args.lr, 0.9, 0.0));
    let mut a_opt = Optimizer::Adam(Adam::new(args.arch_lr, 0.0));
    let steps = train.n.div_ceil(args.batch_size);
    let mut trajectory = vec![json!({"step": 0, "weights": net.weights()})];
    let mut step_count = 0;
    let start = Instant::now();
    for epoch in 0..args.epochs {
        let progress =
            Progress::new(args.quiet, steps, format!("seed {seed} epoch {}/{}", epoch + 1, args.epochs));
        let epoch_start = Instant::now();
        let mut seen = 0;
        for batch in epoch_order(seed, epoch, train.n).chunks(args.batch_size) {
            let stats = net
                .train_step(&mut w_opt, &mut a_opt, images_to_tensor(train, batch), &labels_of(train, batch))
                .with_context(|| format!("seed {seed}, epoch {}, step {}", epoch + 1, step_count + 1))?;
            step_count += 1;
            seen += stats.count;
            progress.step(stats.loss, seen, epoch_start.elapsed().as_secs_f64());
            if step_count % 50 == 0 {
                trajectory.push(json!({"step": step_count, "weights": net.weights()}));
            }
        }
        progress.finish();
    }
    let all: Vec<usize> = (0..test.n).collect();
    let mut correct = 0;
    for chunk in all.chunks(EVAL_BATCH) {
        let logits = net.predict(&images_to_tensor(test, chunk))?;
        correct +=
            logits.argmax_last()?.iter().zip(labels_of(test, chunk)).filter(|(p, y)| **p == *y).count();
    }
    let record = json!({
        "settings": settings,
        "weights": net.weights(),
        "chosen": net.chosen(),
        "test_accuracy": correct as f64 / test.n.max(1) as f64,
        "seconds": start.elapsed().as_secs_f64(),
        "trajectory": trajectory,
    });
    write_atomic(&path, serde_json::to_string_pretty(&record)?.as_bytes())?;
    Ok(record)
}

/// The markdown section on learned dilations, comparing seeds (and, if known, the best fixed
/// dilation of a study).
pub fn learned_section(args: &LearnArgs, records: &[Value], best_fixed: Option<usize>) -> String {
    let mut md = format!(
        "Each conv layer mixes the same 3×3 kernel at dilations {:?} with softmax weights learned jointly with the kernels ({} epoch(s), kernels SGD lr {}, mixing logits Adam lr {}). Final weights per layer (conv1 / conv2 / conv3), the learned (largest-weight) dilation, and the test accuracy of the mixed network:\n\n| seed | conv1 weights | conv2 weights | conv3 weights | learned dilations | test accuracy |\n| --- | --- | --- | --- | --- | --- |\n",
        args.candidates, args.epochs, args.lr, args.arch_lr
    );
    let fmt_w = |w: &Value| {
        w.as_array().map_or(String::new(), |v| {
            v.iter().map(|x| format!("{:.2}", x.as_f64().unwrap_or(f64::NAN))).collect::<Vec<_>>().join(" ")
        })
    };
    let mut chosen_by_seed = Vec::new();
    for (seed, r) in records.iter().enumerate() {
        let chosen: Vec<u64> =
            r["chosen"].as_array().map(|v| v.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
        md.push_str(&format!(
            "| {seed} | {} | {} | {} | {:?} | {:.2}% |\n",
            fmt_w(&r["weights"][0]),
            fmt_w(&r["weights"][1]),
            fmt_w(&r["weights"][2]),
            chosen,
            100.0 * r["test_accuracy"].as_f64().unwrap_or(f64::NAN)
        ));
        chosen_by_seed.push(chosen);
    }
    let agree = chosen_by_seed.windows(2).all(|w| w[0] == w[1]);
    md.push_str(&format!(
        "\nSeeds {} on the learned dilations{}.",
        if agree { "agree" } else { "disagree" },
        if records.len() < 2 { " (one seed: agreement untested)" } else { "" }
    ));
    if let (Some(best), Some(first)) = (best_fixed, chosen_by_seed.first()) {
        let all_best = chosen_by_seed.iter().all(|c| c.iter().all(|&d| d as usize == best));
        md.push_str(&format!(
            " The best fixed dilation in the study (highest mean test accuracy) is d={best}; the learned dilations {} it (seed 0 learned {:?}).",
            if all_best { "match" } else { "do not all match" },
            first
        ));
    }
    md.push('\n');
    md
}

/// Runs `atrous learn-dilation`.
pub fn run(args: &LearnArgs) -> Result<()> {
    args.validate()?;
    crate::set_threads(args.threads)?;
    let (train, test) = args.data.load()?;
    let records = (0..args.seeds).map(|s| search_seed(args, s, &train, &test)).collect::<Result<Vec<_>>>()?;
    let md = format!("# Learned dilations\n\n{}", learned_section(args, &records, None));
    write_atomic(&args.out.join("LEARNED.md"), md.as_bytes())?;
    if !args.quiet {
        eprint!("{md}");
    }
    Ok(())
}
