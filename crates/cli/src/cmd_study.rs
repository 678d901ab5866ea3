//! `atrous study`: the dilation study (see `atrous_study::run_study`): trains DilNet at several
//! dilations × seeds, measures accuracy, significance and saliency, learns the dilation, and
//! writes `REPORT.md`, CSV tables and figures. Stopping and starting it again reuses finished
//! runs and resumes interrupted ones.

use crate::cmd_learn::LearnFlags;
use crate::data::DataArgs;
use crate::progress::Progress;
use anyhow::{Result, ensure};
use atrous_study::{SearchPlan, StudyPlan, TrainRecipe, run_study};
use std::path::PathBuf;

/// Arguments of `atrous study`. Training flags are the reference recipe.
#[derive(Clone, Debug, clap::Args)]
pub struct StudyArgs {
    /// Dilations to compare (every conv layer of a run uses the same one); the first is the baseline.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4", allow_negative_numbers = true)]
    pub dilations: Vec<usize>,
    /// Seeds per dilation (seeds 0..N); runs with the same seed share initial weights and data order.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub seeds: u64,
    /// Training epochs per run.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Learning rate (SGD with momentum 0.9).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f32,
    /// Epochs of the learned-dilation search per seed (question 1), mixing the study's dilations;
    /// 0 skips it. Each search epoch costs about as many convolutions as one epoch per dilation.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub learn_epochs: usize,
    /// Learning rate of the mixing logits in the search (Adam).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub arch_lr: f32,
    /// Test images used for saliency statistics and localisation.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    pub saliency_images: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
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

/// The study the flags describe, every value checked before anything is trained.
fn plan(a: &StudyArgs) -> Result<StudyPlan> {
    ensure!(!a.dilations.is_empty(), "--dilations needs at least one value");
    ensure!(a.seeds > 0, "--seeds must be at least 1");
    ensure!(a.saliency_images > 0, "--saliency-images must be at least 1");
    ensure!(a.epochs > 0, "--epochs must be at least 1");
    ensure!(a.batch_size > 0, "--batch-size must be at least 1");
    ensure!(a.lr.is_finite() && a.lr > 0.0, "--lr must be a positive number, got {}", a.lr);
    a.data.validate()?;
    crate::check_threads(a.threads)?;
    let mut sorted = a.dilations.clone();
    sorted.sort_unstable();
    sorted.dedup();
    ensure!(sorted.len() == a.dilations.len(), "--dilations lists a value twice");
    let mut plan = StudyPlan::reference(a.data.dir()?, a.out.clone());
    plan.dilations = a.dilations.clone();
    plan.seeds = a.seeds;
    plan.recipe = TrainRecipe {
        epochs: a.epochs,
        batch_size: a.batch_size,
        lr: a.lr,
        train_limit: a.data.train_limit,
        test_limit: a.data.test_limit,
        ..TrainRecipe::reference(1)
    };
    plan.saliency_images = a.saliency_images;
    plan.search = (a.learn_epochs > 0).then(|| {
        let flags = LearnFlags {
            candidates: a.dilations.clone(),
            seeds: a.seeds,
            epochs: a.learn_epochs,
            batch_size: a.batch_size,
            lr: a.lr,
            arch_lr: a.arch_lr,
        };
        SearchPlan { out: a.out.join("learn"), ..flags.plan(&a.data) }
    });
    if let Some(search) = &plan.search {
        LearnFlags::check(search)?;
    }
    plan.validate()?;
    Ok(plan)
}

/// Runs `atrous study`.
pub fn run(args: &StudyArgs) -> Result<()> {
    let plan = plan(args)?;
    crate::set_threads(args.threads)?;
    run_study(&plan, &Progress::new(args.quiet))?;
    Ok(())
}
