//! `atrous evaluate`: the standard checks of attribution methods on test images: deletion and
//! insertion against random-order and pixel-intensity baselines, the cascading model-parameter
//! and label randomisation tests, max-sensitivity; `evaluation.json`, CSVs and PNG figures.

use crate::read_model;
use anyhow::{Context, Result, ensure};
use atrous_saliency::attribution::Method;
use atrous_saliency::evaluation::randomisation::LabelRandomisation;
use atrous_saliency::evaluation::report::write_evaluation;
use atrous_saliency::evaluation::sensitivity::Sensitivity;
use atrous_saliency::evaluation::suite::{EvaluationPlan, evaluate};
use atrous_saliency::images::ImageRange;
use atrous_saliency::outputs::Source;
use atrous_study::data::{load_test, load_train};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `atrous evaluate`.
#[derive(Clone, Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Model file written by `atrous train`.
    #[arg(long)]
    pub model: PathBuf,
    /// MNIST folder (default: $ATROUS_DATA, else the repository's data/mnist).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Attribution methods, comma-separated (default settings of `atrous saliency`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "vanilla,grad-x-input,integrated-gradients,guided-backprop,deconvnet,occlusion,grad-cam,smoothgrad"
    )]
    pub method: Vec<Method>,
    /// Test images for deletion and insertion, START..END (half-open) or one index.
    #[arg(long, default_value = "0..500", allow_hyphen_values = true)]
    pub images: ImageRange,
    /// Seed of the random-order baseline, the re-initialisation, the label permutation and the
    /// max-sensitivity perturbations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Deletion/insertion steps (1% of the pixels per step at 100, rounded up).
    #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
    pub steps: usize,
    /// Images of the randomisation tests (the first ones of --images).
    #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
    pub randomisation_images: usize,
    /// Training images of the label randomisation test (0: skip it).
    #[arg(long, default_value_t = 5000, allow_negative_numbers = true)]
    pub label_images: usize,
    /// Epochs of the label-randomised model (Adam, lr 1e-3, batch 64).
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    pub label_epochs: usize,
    /// Images of max-sensitivity (the first ones of --images; 0: skip it).
    #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
    pub sensitivity_images: usize,
    /// Max-sensitivity: radius of the L∞ ball of perturbations, in pixel units.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub radius: f32,
    /// Max-sensitivity: perturbations per image.
    #[arg(long, default_value_t = 50, allow_negative_numbers = true)]
    pub sensitivity_samples: usize,
    /// Mean Spearman of |map| after randomisation below which a method passes.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub pass_threshold: f64,
    /// Rows per forward/backward pass.
    #[arg(long, alias = "batch", default_value_t = 256, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Images (rows) in methods.png.
    #[arg(long, default_value_t = 8, allow_negative_numbers = true)]
    pub show: usize,
    /// Worker threads (0: one per core), at most 1024.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub threads: usize,
    /// Print nothing but the summary line.
    #[arg(long)]
    pub quiet: bool,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

impl EvaluateArgs {
    /// Refuses nonsense before any file is read.
    fn check(&self) -> Result<()> {
        ensure!(
            self.radius > 0.0 && self.radius.is_finite(),
            "--radius {} is out of range: the max-sensitivity radius must be a positive finite number",
            self.radius
        );
        ensure!(
            (1..=10_000).contains(&self.sensitivity_samples),
            "--sensitivity-samples {} is out of range: it must be in 1..=10000",
            self.sensitivity_samples
        );
        ensure!(self.steps >= 1, "--steps must be at least 1");
        ensure!(self.batch_size >= 1, "--batch-size must be at least 1");
        ensure!(self.randomisation_images >= 1, "--randomisation-images must be at least 1");
        ensure!(
            self.label_images == 0 || self.label_epochs >= 1,
            "--label-epochs must be at least 1 (or --label-images 0 to skip the label test)"
        );
        ensure!(
            self.pass_threshold.is_finite() && (-1.0..=1.0).contains(&self.pass_threshold),
            "--pass-threshold {} is out of range: a correlation threshold must be in [-1, 1]",
            self.pass_threshold
        );
        ensure!(self.show <= 64, "--show {} is out of range: at most 64 rows", self.show);
        crate::check_threads(self.threads)
    }
}

/// Runs `atrous evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<()> {
    args.check()?;
    let data = crate::data::data_dir(args.data.as_deref())?;
    crate::set_threads(args.threads)?;
    let model = read_model(&args.model)?;
    let test = load_test(&data, None)?;
    let images = args.images.indices(test.n)?;
    let train = if args.label_images > 0 { Some(load_train(&data)?) } else { None };

    let mut plan = EvaluationPlan::new(args.method.clone(), images);
    plan.steps = args.steps;
    plan.baseline_seed = args.seed;
    plan.randomisation_seed = args.seed;
    plan.randomisation_images = args.randomisation_images;
    plan.label = (args.label_images > 0).then_some(LabelRandomisation {
        images: args.label_images,
        epochs: args.label_epochs,
        seed: args.seed,
        ..LabelRandomisation::default()
    });
    plan.sensitivity_images = args.sensitivity_images;
    plan.sensitivity =
        Sensitivity { radius: args.radius, samples: args.sensitivity_samples, seed: args.seed };
    plan.batch = args.batch_size;
    plan.pass_threshold = args.pass_threshold;
    plan.show = args.show;

    let start = Instant::now();
    let quiet = args.quiet;
    let mut progress = |what: &str| {
        if !quiet {
            eprintln!("[{:7.1} s] {what}", start.elapsed().as_secs_f64());
        }
    };
    let e = evaluate(&model, &test, train.as_ref(), &plan, &mut progress)?;
    let seconds = start.elapsed().as_secs_f64();
    let source = Source { model: &args.model, dilations: &model.config.dilations, seconds };
    write_evaluation(&args.out, &e, &source)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let passing: Vec<&str> = (0..e.methods.len())
        .filter(|&i| atrous_saliency::evaluation::report::passes(&e, i))
        .map(|i| e.methods[i].method.name())
        .collect();
    println!(
        "evaluated {} on {} in {seconds:.1} s; pass the randomisation checks: {}; wrote {}",
        crate::count(e.methods.len(), "method"),
        crate::count(e.targets.len(), "image"),
        if passing.is_empty() { "none".to_string() } else { passing.join(", ") },
        args.out.display()
    );
    Ok(())
}
