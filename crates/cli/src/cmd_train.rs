//! `atrous train`: trains a DilNet on MNIST into a run folder (see `atrous_study::train_run`).
//! Every recipe field has a flag, so `atrous study --plan` can spell out each run it needs as one
//! `atrous train` command whose folder the study then reuses.

use crate::data::DataArgs;
use crate::progress::Progress;
use anyhow::{Result, bail, ensure};
use atrous_autograd::nn::DilNetConfig;
use atrous_autograd::optim::OptimizerKind;
use atrous_study::data::RunData;
use atrous_study::{RunDir, RunOptions, RunOutcome, StudyError, TrainRecipe, memory, train_run};
use std::path::PathBuf;

/// Optimiser choice on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OptimizerArg {
    /// SGD with momentum (PyTorch semantics).
    Sgd,
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8).
    Adam,
}

impl From<OptimizerArg> for OptimizerKind {
    fn from(o: OptimizerArg) -> Self {
        match o {
            OptimizerArg::Sgd => OptimizerKind::Sgd,
            OptimizerArg::Adam => OptimizerKind::Adam,
        }
    }
}

/// Arguments of `atrous train`. Defaults are the reference recipe.
#[derive(Clone, Debug, clap::Args)]
pub struct TrainArgs {
    /// Dilation of every conv layer (overridden by --dilations).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub dilation: usize,
    /// Per-layer dilations, e.g. 1,2,4.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub dilations: Option<Vec<usize>>,
    /// Per-layer kernel sides (odd), e.g. 5,5,5; padding d·(k−1)/2 keeps the size.
    #[arg(long, value_delimiter = ',', default_value = "3,3,3", allow_negative_numbers = true)]
    pub kernels: Vec<usize>,
    /// Output channels of the three conv layers.
    #[arg(long, value_delimiter = ',', default_value = "16,32,64", allow_negative_numbers = true)]
    pub channels: Vec<usize>,
    /// Passes over the training set.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub epochs: usize,
    /// Seed of initialisation and shuffling.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
    /// Images per step.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f32,
    /// Momentum (SGD only).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    pub momentum: f32,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub weight_decay: f32,
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Sgd)]
    pub optimizer: OptimizerArg,
    /// Training images held out as a validation split (a fixed permutation of the training
    /// file, the same for every seed); every epoch is then evaluated on it and the test set once,
    /// at the end. 0: no split, the test set is evaluated after every epoch.
    #[arg(long, default_value_t = 0)]
    pub validation: usize,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub threads: usize,
    /// Where MNIST is, and which part of it to use.
    #[command(flatten)]
    pub data: DataArgs,
    /// Run folder: model.safetensors, metrics.json, checkpoint.safetensors.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint; with a larger --epochs than it was
    /// trained for, extend a finished run (to the bytes of a run trained that long straight).
    #[arg(long)]
    pub resume: bool,
    /// Delete the run in --out (model, metrics, checkpoint) and train it afresh.
    #[arg(long, conflicts_with = "resume")]
    pub retrain: bool,
    /// Stop after this many epochs of this invocation (testing interrupted runs).
    #[arg(long, hide = true)]
    pub stop_after: Option<usize>,
    /// No progress bar or per-epoch lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The recipe the flags describe, every value checked (and named by its flag) before any data is
/// read.
pub fn recipe(a: &TrainArgs) -> Result<TrainRecipe> {
    let dilations: [usize; 3] = match &a.dilations {
        Some(d) => d.clone().try_into().map_err(|_| anyhow::anyhow!("--dilations takes three values"))?,
        None => [a.dilation; 3],
    };
    let channels: [usize; 3] =
        a.channels.clone().try_into().map_err(|_| anyhow::anyhow!("--channels takes three values"))?;
    let kernels: [usize; 3] =
        a.kernels.clone().try_into().map_err(|_| anyhow::anyhow!("--kernels takes three values"))?;
    ensure!(kernels.iter().all(|k| k % 2 == 1), "--kernels must be odd, got {:?}", a.kernels);
    ensure!(a.epochs > 0, "--epochs must be at least 1");
    ensure!(a.batch_size > 0, "--batch-size must be at least 1");
    ensure!(a.lr.is_finite() && a.lr > 0.0, "--lr must be a positive number, got {}", a.lr);
    ensure!((0.0..1.0).contains(&a.momentum), "--momentum must be in [0, 1), got {}", a.momentum);
    ensure!(
        a.weight_decay.is_finite() && a.weight_decay >= 0.0,
        "--weight-decay must be a non-negative number, got {}",
        a.weight_decay
    );
    a.data.validate()?;
    crate::check_threads(a.threads)?;
    let recipe = TrainRecipe {
        net: DilNetConfig { channels, dilations, kernels, ..DilNetConfig::reference(1) },
        epochs: a.epochs,
        seed: a.seed,
        batch_size: a.batch_size,
        lr: a.lr,
        momentum: a.momentum,
        weight_decay: a.weight_decay,
        optimizer: a.optimizer.into(),
        validation: a.validation,
        train_limit: a.data.train_limit,
        test_limit: a.data.test_limit,
    };
    recipe.validate().map_err(|e| architecture_flag(e, &recipe))?;
    Ok(recipe)
}

/// `1,2,3`, as the list flags are written.
fn list(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// An architecture the library refuses, retold with the flag that set it.
fn architecture_flag(e: StudyError, recipe: &TrainRecipe) -> anyhow::Error {
    use atrous_autograd::{ArchitectureError as A, AutogradError};
    let net = &recipe.net;
    let flag = match &e {
        StudyError::Autograd(AutogradError::Architecture(a)) => match a {
            A::TooLarge { what, .. } if what.contains("kernel") => {
                format!("--kernels {}", list(&net.kernels))
            }
            A::ZeroDilation { .. } | A::DilationTooLarge { .. } => {
                format!("--dilations {}", list(&net.dilations))
            }
            _ => format!("--channels {}", list(&net.channels)),
        },
        _ => return e.into(),
    };
    anyhow::Error::new(e).context(flag)
}

/// Refuses work whose estimated memory (`needed` bytes) exceeds what this machine has
/// available, before anything is allocated: `subject` names the flags that ask for it,
/// `advice` what to lower.
pub(crate) fn check_memory(needed: u64, subject: impl FnOnce() -> String, advice: &str) -> Result<()> {
    memory::check(needed, memory::available_bytes())
        .map_err(|short| anyhow::anyhow!("{} {short}; {advice}", subject()))
}

/// Refuses a recipe whose training step cannot fit in memory, naming its flags.
pub(crate) fn check_training_memory(recipe: &TrainRecipe) -> Result<()> {
    let subject = || {
        format!(
            "one training step at --batch-size {} with --channels {}",
            recipe.batch_size,
            list(&recipe.net.channels)
        )
    };
    check_memory(memory::training_bytes(recipe), subject, "lower --batch-size or --channels")
}

/// Runs `atrous train`.
pub fn run(args: &TrainArgs) -> Result<()> {
    let recipe = recipe(args)?;
    check_training_memory(&recipe)?;
    let dir = RunDir::new(&args.out);
    if args.retrain {
        dir.clear()?;
    }
    if !args.resume && dir.holds_run() {
        bail!(
            "{} already holds a run; pass --resume to continue it, or choose another --out",
            args.out.display()
        );
    }
    crate::set_threads(args.threads)?;
    let data_dir = args.data.dir()?;
    let data = RunData::load(&data_dir, &recipe)?;
    let progress =
        Progress::new(args.quiet).evaluating(if recipe.validation > 0 { "validation" } else { "test" });
    let options = RunOptions { resume: args.resume, stop_after: args.stop_after };
    match train_run(&recipe, &dir, &data, options, &progress) {
        Ok(RunOutcome::AlreadyComplete) => {
            if !args.quiet {
                eprintln!("run in {} already has all {} epochs", args.out.display(), recipe.epochs);
            }
            Ok(())
        }
        Ok(RunOutcome::Repaired { model, metrics }) => {
            if !args.quiet {
                let what = match (model, metrics) {
                    (true, true) => "model.safetensors and metrics.json",
                    (true, false) => "model.safetensors",
                    _ => "metrics.json",
                };
                eprintln!(
                    "run in {} already has all {} epochs; its last save had been interrupted: rewrote {what} from the checkpoint",
                    args.out.display(),
                    recipe.epochs
                );
            }
            Ok(())
        }
        Ok(RunOutcome::Trained { epochs_done }) => {
            if !args.quiet
                && recipe.validation > 0
                && epochs_done == recipe.epochs
                && let Some(m) = dir.read_metrics()?
                && let Some(acc) = m.test_accuracy
            {
                eprintln!("test accuracy {acc:.4} (evaluated once, after the last epoch)");
            }
            Ok(())
        }
        Err(
            e @ (StudyError::RecipeMismatch { .. }
            | StudyError::Read { .. }
            | StudyError::BadCheckpoint { .. }
            | StudyError::CannotContinue { .. }),
        ) if args.resume => Err(anyhow::Error::new(e).context("--resume")),
        Err(e) => Err(e.into()),
    }
}
