//! `atrous study`: trains DilNet at several dilations × seeds on MNIST and measures how the
//! dilation changes accuracy (with significance tests) and what the networks look at (saliency
//! statistics, localisation, class models). Writes a folder of runs plus `REPORT.md`, CSV tables
//! and PNG figures.
//!
//! Runs already complete in the folder are reused, and an interrupted run resumes from its last
//! checkpoint, so the study can be stopped and started again.

use crate::cmd_learn::{LearnArgs, learned_section, search_seed};
use crate::cmd_train::{self, OptimizerKind, TrainArgs};
use crate::data::DataArgs;
use crate::files::read_model;
use crate::study_report::{DilationSummary, RunResult, write_report};
use anyhow::{Context, Result, ensure};
use atrous_autograd::train::{EVAL_BATCH, images_to_tensor, labels_of};
use atrous_saliency::class_model::{ClassModelConfig, class_models, mean_image};
use atrous_saliency::localize::{LocalizeConfig, localize};
use atrous_saliency::picture::{class_model_grid, saliency_sheet};
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_saliency::writer::write_png;
use atrous_tensor::mnist::{IMAGE_SIDE, MnistSplit};
use std::path::PathBuf;

/// Arguments of `atrous study`. Training flags are the reference recipe.
#[derive(Clone, Debug, clap::Args)]
pub struct StudyArgs {
    /// Dilations to compare (every conv layer of a run uses the same one); the first is the baseline.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 3, 4])]
    pub dilations: Vec<usize>,
    /// Seeds per dilation (seeds 0..N); runs with the same seed share initial weights and data order.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Training epochs per run.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Learning rate (SGD with momentum 0.9).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f32,
    /// Epochs of the learned-dilation search per seed (question 1), mixing the study's dilations;
    /// 0 skips it. Each search epoch costs about as many convolutions as one epoch per dilation.
    #[arg(long, default_value_t = 1)]
    pub learn_epochs: usize,
    /// Learning rate of the mixing logits in the search (Adam).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub arch_lr: f32,
    /// Test images used for saliency statistics and localisation.
    #[arg(long, default_value_t = 1000)]
    pub saliency_images: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Where MNIST is, and which part of it to use.
    #[command(flatten)]
    pub data: DataArgs,
    /// Study folder.
    #[arg(long, default_value = "runs/study")]
    pub out: PathBuf,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

fn run_dir(args: &StudyArgs, d: usize, seed: u64) -> PathBuf {
    args.out.join(format!("d{d}-s{seed}"))
}

fn train_args(args: &StudyArgs, d: usize, seed: u64, resume: bool) -> TrainArgs {
    TrainArgs {
        dilation: d,
        dilations: None,
        channels: vec![16, 32, 64],
        epochs: args.epochs,
        seed,
        batch_size: args.batch_size,
        lr: args.lr,
        momentum: 0.9,
        weight_decay: 0.0,
        optimizer: OptimizerKind::Sgd,
        threads: 0,
        data: args.data.clone(),
        out: run_dir(args, d, seed),
        resume,
        stop_after: None,
        quiet: args.quiet,
    }
}

/// Trains (or finishes, or reuses) the run for `(d, seed)`.
fn ensure_trained(args: &StudyArgs, d: usize, seed: u64) -> Result<()> {
    let dir = run_dir(args, d, seed);
    let done = std::fs::read(dir.join("metrics.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|m| m["epochs_done"].as_u64())
        .is_some_and(|e| e as usize >= args.epochs);
    if done {
        if !args.quiet {
            eprintln!("study: reusing {}", dir.display());
        }
        return Ok(());
    }
    if !args.quiet {
        eprintln!("study: training d={d} seed={seed} → {}", dir.display());
    }
    let resume = dir.join("checkpoint.safetensors").exists();
    cmd_train::run(&train_args(args, d, seed, resume)).with_context(|| format!("run d={d} seed={seed}"))
}

/// Saliency concentration of one map: share of its mass on the digit's ink, and its
/// mass-weighted mean distance (pixels) from its own centroid.
fn map_statistics(image: &[f32], map: &[f32], ink_threshold: f32) -> (f64, f64) {
    let total: f64 = map.iter().map(|&v| f64::from(v)).sum();
    if total <= 0.0 {
        return (0.0, 0.0);
    }
    let on_ink: f64 =
        image.iter().zip(map).filter(|(p, _)| **p > ink_threshold).map(|(_, &v)| f64::from(v)).sum();
    let coords = |i: usize| ((i / IMAGE_SIDE) as f64, (i % IMAGE_SIDE) as f64);
    let (mut cy, mut cx) = (0.0, 0.0);
    for (i, &v) in map.iter().enumerate() {
        let (y, x) = coords(i);
        cy += y * f64::from(v) / total;
        cx += x * f64::from(v) / total;
    }
    let spread: f64 = map
        .iter()
        .enumerate()
        .map(|(i, &v)| f64::from(v) / total * ((coords(i).0 - cy).hypot(coords(i).1 - cx)))
        .sum();
    (on_ink / total, spread)
}

/// Evaluates one trained run: per-image correctness on the test set, and saliency statistics on
/// the first `saliency_images` test images.
fn measure_run(args: &StudyArgs, d: usize, seed: u64, test: &MnistSplit) -> Result<RunResult> {
    let dir = run_dir(args, d, seed);
    let (model, _) = read_model(&dir.join("model.safetensors"))?;
    let metrics: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("metrics.json"))?)?;
    let epoch_seconds: Vec<f64> = metrics["epochs"]
        .as_array()
        .map(|e| e.iter().filter_map(|r| r["seconds"].as_f64()).collect())
        .unwrap_or_default();
    let all: Vec<usize> = (0..test.n).collect();
    let mut correct = Vec::with_capacity(test.n);
    for chunk in all.chunks(EVAL_BATCH) {
        let logits = model.predict(&images_to_tensor(test, chunk))?;
        let labels = labels_of(test, chunk);
        correct.extend(logits.argmax_last()?.iter().zip(&labels).map(|(p, y)| p == y));
    }
    let k = args.saliency_images.min(test.n);
    let (mut ink_share, mut spread, mut box_iou, mut mask_iou) = (0.0, 0.0, 0.0, 0.0);
    let config = LocalizeConfig::default();
    let pixels = IMAGE_SIDE * IMAGE_SIDE;
    for chunk in all[..k].chunks(250) {
        let x = images_to_tensor(test, chunk);
        let s = saliency_maps(&model, &x, Target::Label, Some(&labels_of(test, chunk)))?;
        for (img, map) in x.as_slice().chunks_exact(pixels).zip(s.maps.as_slice().chunks_exact(pixels)) {
            let (share, sp) = map_statistics(img, map, config.ink_threshold);
            ink_share += share;
            spread += sp;
            let loc = localize(img, map, IMAGE_SIDE, &config)?;
            box_iou += loc.box_iou;
            mask_iou += loc.mask_iou;
        }
    }
    let k = k.max(1) as f64;
    Ok(RunResult {
        dilation: d,
        seed,
        accuracy: correct.iter().filter(|&&c| c).count() as f64 / test.n.max(1) as f64,
        correct,
        ink_share: ink_share / k,
        spread: spread / k,
        box_iou: box_iou / k,
        mask_iou: mask_iou / k,
        mean_epoch_seconds: epoch_seconds.iter().sum::<f64>() / epoch_seconds.len().max(1) as f64,
    })
}

/// Class models and a saliency sheet of the seed-0 model of each dilation.
fn figures(
    args: &StudyArgs,
    d: usize,
    train: &MnistSplit,
    test: &MnistSplit,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let (model, _) = read_model(&run_dir(args, d, 0).join("model.safetensors"))?;
    let mean = mean_image(train)?;
    let classes: Vec<usize> = (0..model.config.classes).collect();
    let cm = class_models(&model, &mean, &classes, &ClassModelConfig::default())?;
    let fig = args.out.join("figures");
    write_png(
        &fig.join(format!("class_models_d{d}.png")),
        &class_model_grid(cm.images.as_slice(), mean.as_slice(), IMAGE_SIDE, 3),
    )?;
    let shown: Vec<usize> = (0..16.min(test.n)).collect();
    let x = images_to_tensor(test, &shown);
    let s = saliency_maps(&model, &x, Target::Label, Some(&labels_of(test, &shown)))?;
    write_png(
        &fig.join(format!("saliency_d{d}.png")),
        &saliency_sheet(x.as_slice(), s.maps.as_slice(), IMAGE_SIDE, 8, 3),
    )?;
    Ok((cm.scores, cm.probabilities))
}

fn learn_args(args: &StudyArgs) -> LearnArgs {
    LearnArgs {
        candidates: args.dilations.clone(),
        seeds: args.seeds,
        epochs: args.learn_epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        arch_lr: args.arch_lr,
        threads: 0,
        data: args.data.clone(),
        out: args.out.join("learn"),
        quiet: args.quiet,
    }
}

/// The dilation with the highest mean test accuracy across seeds.
fn best_fixed_dilation(args: &StudyArgs, runs: &[RunResult]) -> Option<usize> {
    let mean = |d: usize| {
        let accs: Vec<f64> = runs.iter().filter(|r| r.dilation == d).map(|r| r.accuracy).collect();
        accs.iter().sum::<f64>() / accs.len().max(1) as f64
    };
    args.dilations.iter().copied().max_by(|&a, &b| mean(a).total_cmp(&mean(b)))
}

/// Runs `atrous study`.
pub fn run(args: &StudyArgs) -> Result<()> {
    ensure!(!args.dilations.is_empty(), "--dilations needs at least one value");
    ensure!(args.seeds > 0, "--seeds must be at least 1");
    ensure!(args.saliency_images > 0, "--saliency-images must be at least 1");
    let mut sorted = args.dilations.clone();
    sorted.sort_unstable();
    sorted.dedup();
    ensure!(sorted.len() == args.dilations.len(), "--dilations lists a value twice");
    // Check every run's configuration before training anything.
    for &d in &args.dilations {
        cmd_train::validate(&train_args(args, d, 0, false))?;
    }
    let learn = (args.learn_epochs > 0).then(|| learn_args(args));
    if let Some(learn) = &learn {
        learn.validate()?;
    }
    crate::set_threads(args.threads)?;
    for &d in &args.dilations {
        for seed in 0..args.seeds {
            ensure_trained(args, d, seed)?;
        }
    }
    let (train, test) = args.data.load()?;
    let mut runs = Vec::new();
    let mut summaries = Vec::new();
    for &d in &args.dilations {
        if !args.quiet {
            eprintln!("study: measuring d={d}");
        }
        let results: Vec<RunResult> =
            (0..args.seeds).map(|s| measure_run(args, d, s, &test)).collect::<Result<_>>()?;
        let (class_scores, class_probs) = figures(args, d, &train, &test)?;
        summaries.push(DilationSummary::new(d, &results, class_scores, class_probs));
        runs.extend(results);
    }
    let learned = match &learn {
        Some(learn) => {
            if !args.quiet {
                eprintln!("study: learning the dilation ({} seed(s))", learn.seeds);
            }
            let records =
                (0..learn.seeds).map(|s| search_seed(learn, s, &train, &test)).collect::<Result<Vec<_>>>()?;
            let best = best_fixed_dilation(args, &runs);
            Some(learned_section(learn, &records, best))
        }
        None => None,
    };
    write_report(args, &runs, &summaries, learned.as_deref())?;
    if !args.quiet {
        eprintln!("study: report in {}", args.out.join("REPORT.md").display());
    }
    Ok(())
}
