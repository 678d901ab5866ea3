//! `atrous learn-dilation`: learns each layer's dilation by gradient descent over a softmax
//! mixture of candidate dilations (see `atrous_study::search`), for several seeds, and reports
//! whether the seeds agree.

use crate::data::DataArgs;
use crate::progress::Progress;
use anyhow::{Result, ensure};
use atrous_study::analysis::LearnedAnalysis;
use atrous_study::data::load_splits;
use atrous_study::report::render_learned;
use atrous_study::{SearchPlan, run_search};
use atrous_tensor::files::write_atomic;
use std::path::PathBuf;

/// Arguments of `atrous learn-dilation`.
#[derive(Clone, Debug, clap::Args)]
pub struct LearnArgs {
    /// Candidate dilations mixed in every conv layer.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4", allow_negative_numbers = true)]
    pub candidates: Vec<usize>,
    /// Seeds (0..N): does every seed learn the same dilations?
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub seeds: u64,
    /// Training epochs per seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Learning rate of the kernels (SGD, momentum 0.9).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f32,
    /// Learning rate of the mixing logits (Adam).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub arch_lr: f32,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
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

/// The search settings shared by `learn-dilation` and `study`.
pub struct LearnFlags {
    /// Candidate dilations.
    pub candidates: Vec<usize>,
    /// Seeds.
    pub seeds: u64,
    /// Epochs per seed.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Kernel learning rate.
    pub lr: f32,
    /// Mixing-logit learning rate.
    pub arch_lr: f32,
}

impl LearnFlags {
    /// The search plan (output folder to be set by the caller).
    pub fn plan(&self, data: &DataArgs) -> SearchPlan {
        SearchPlan {
            candidates: self.candidates.clone(),
            seeds: self.seeds,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            momentum: 0.9,
            arch_lr: self.arch_lr,
            train_limit: data.train_limit,
            test_limit: data.test_limit,
            out: PathBuf::new(),
        }
    }

    /// Checks a plan, naming the flags at fault.
    pub fn check(plan: &SearchPlan) -> Result<()> {
        ensure!(!plan.candidates.is_empty(), "--candidates needs at least one dilation");
        ensure!(plan.seeds > 0, "--seeds must be at least 1");
        ensure!(plan.epochs > 0, "--epochs must be at least 1");
        ensure!(plan.batch_size > 0, "--batch-size must be at least 1");
        ensure!(plan.lr.is_finite() && plan.lr > 0.0, "--lr must be a positive number, got {}", plan.lr);
        ensure!(
            plan.arch_lr.is_finite() && plan.arch_lr > 0.0,
            "--arch-lr must be a positive number, got {}",
            plan.arch_lr
        );
        plan.validate()?;
        // Every layer of the search network runs each candidate dilation: about that many
        // reference networks' worth of activations per image.
        let reference = atrous_study::TrainRecipe {
            batch_size: plan.batch_size,
            ..atrous_study::TrainRecipe::reference(1)
        };
        let per_candidate = atrous_study::memory::training_bytes(&reference);
        let subject = || {
            format!(
                "one search step at --batch-size {} over {} candidate dilations",
                plan.batch_size,
                plan.candidates.len()
            )
        };
        let needed = per_candidate.saturating_mul(plan.candidates.len() as u64);
        crate::cmd_train::check_memory(needed, subject, "lower --batch-size")?;
        Ok(())
    }
}

/// Runs `atrous learn-dilation`.
pub fn run(args: &LearnArgs) -> Result<()> {
    args.data.validate()?;
    crate::check_threads(args.threads)?;
    let flags = LearnFlags {
        candidates: args.candidates.clone(),
        seeds: args.seeds,
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        arch_lr: args.arch_lr,
    };
    let plan = SearchPlan { out: args.out.clone(), ..flags.plan(&args.data) };
    LearnFlags::check(&plan)?;
    crate::set_threads(args.threads)?;
    let (train, test) = load_splits(&args.data.dir()?, plan.train_limit, plan.test_limit)?;
    let records = run_search(&plan, &train, &test, &Progress::new(args.quiet))?;
    let md = format!("# Learned dilations\n\n{}", render_learned(&LearnedAnalysis::new(&plan, &records)));
    write_atomic(&args.out.join("LEARNED.md"), md.as_bytes())?;
    if !args.quiet {
        eprint!("{md}");
    }
    Ok(())
}
