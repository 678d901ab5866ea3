//! `atrous train`: trains a DilNet on MNIST, writing `model.safetensors`, `metrics.json` and a
//! resumable `checkpoint.safetensors` after every epoch.

use crate::data::DataArgs;
use crate::files::write_atomic;
use crate::progress::Progress;
use anyhow::{Context, Result, bail, ensure};
use atrous_autograd::AutogradError;
use atrous_autograd::io::{dilnet_config, dilnet_metadata, from_safetensors, to_safetensors};
use atrous_autograd::nn::{DilNet, DilNetConfig, PARAM_NAMES};
use atrous_autograd::optim::{Adam, Optimizer, Sgd};
use atrous_autograd::train::{
    EVAL_BATCH, EvalStats, epoch_order, evaluate, images_to_tensor, labels_of, train_step,
};
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Optimiser choice on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OptimizerKind {
    /// SGD with momentum (PyTorch semantics).
    Sgd,
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8).
    Adam,
}

/// Arguments of `atrous train`. Defaults are the reference recipe.
#[derive(Clone, Debug, clap::Args)]
pub struct TrainArgs {
    /// Dilation of every conv layer (overridden by --dilations).
    #[arg(long, default_value_t = 1)]
    pub dilation: usize,
    /// Per-layer dilations, e.g. 1,2,4.
    #[arg(long, value_delimiter = ',')]
    pub dilations: Option<Vec<usize>>,
    /// Output channels of the three conv layers.
    #[arg(long, value_delimiter = ',', default_values_t = [16, 32, 64])]
    pub channels: Vec<usize>,
    /// Passes over the training set.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Seed of initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
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
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Where MNIST is, and which part of it to use.
    #[command(flatten)]
    pub data: DataArgs,
    /// Run folder: model.safetensors, metrics.json, checkpoint.safetensors.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Stop after this many epochs of this invocation (testing interrupted runs).
    #[arg(long, hide = true)]
    pub stop_after: Option<usize>,
    /// No progress bar or per-epoch lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The validated training configuration.
#[derive(Clone, Debug, PartialEq)]
struct TrainConfig {
    net: DilNetConfig,
    epochs: usize,
    seed: u64,
    batch_size: usize,
    lr: f32,
    momentum: f32,
    weight_decay: f32,
    optimizer: OptimizerKind,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
}

impl TrainConfig {
    /// Checks every value before any data is read.
    fn from_args(a: &TrainArgs) -> Result<Self> {
        let dilations: [usize; 3] = match &a.dilations {
            Some(d) => d.clone().try_into().map_err(|_| anyhow::anyhow!("--dilations takes three values"))?,
            None => [a.dilation; 3],
        };
        let channels: [usize; 3] =
            a.channels.clone().try_into().map_err(|_| anyhow::anyhow!("--channels takes three values"))?;
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
        ensure!(a.threads <= 1024, "--threads {} is not a sensible thread count", a.threads);
        let net = DilNetConfig { channels, dilations, ..DilNetConfig::reference(1) };
        net.validate().map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_start_matches("config: ")))?;
        Ok(TrainConfig {
            net,
            epochs: a.epochs,
            seed: a.seed,
            batch_size: a.batch_size,
            lr: a.lr,
            momentum: a.momentum,
            weight_decay: a.weight_decay,
            optimizer: a.optimizer,
            train_limit: a.data.train_limit,
            test_limit: a.data.test_limit,
        })
    }

    fn new_optimizer(&self) -> Optimizer {
        match self.optimizer {
            OptimizerKind::Sgd => Optimizer::Sgd(Sgd::new(self.lr, self.momentum, self.weight_decay)),
            OptimizerKind::Adam => Optimizer::Adam(Adam::new(self.lr, self.weight_decay)),
        }
    }

    /// The recipe as JSON, for metrics.json and for checking a resumed run is the same run.
    fn to_json(&self) -> Value {
        json!({
            "channels": self.net.channels,
            "dilations": self.net.dilations,
            "epochs": self.epochs,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "optimizer": format!("{:?}", self.optimizer).to_lowercase(),
            "train_limit": self.train_limit,
            "test_limit": self.test_limit,
        })
    }
}

/// Everything a run has done so far; saved in the checkpoint.
struct RunState {
    model: DilNet,
    optimizer: Optimizer,
    epochs_done: usize,
    history: Vec<Value>,
}

const CHECKPOINT: &str = "checkpoint.safetensors";
const MODEL: &str = "model.safetensors";
const METRICS: &str = "metrics.json";

/// Optimiser state as named tensors (PyTorch parameter names with a prefix).
fn optimizer_tensors(opt: &Optimizer) -> Vec<(String, &Tensor)> {
    match opt {
        Optimizer::Sgd(s) => {
            PARAM_NAMES.iter().zip(&s.velocity).map(|(n, t)| (format!("optim.velocity.{n}"), t)).collect()
        }
        Optimizer::Adam(a) => PARAM_NAMES
            .iter()
            .zip(&a.m)
            .map(|(n, t)| (format!("optim.m.{n}"), t))
            .chain(PARAM_NAMES.iter().zip(&a.v).map(|(n, t)| (format!("optim.v.{n}"), t)))
            .collect(),
    }
}

fn save_checkpoint(dir: &Path, config: &TrainConfig, state: &RunState) -> Result<()> {
    let mut meta = dilnet_metadata(&state.model.config);
    meta.insert("epochs_done".into(), state.epochs_done.to_string());
    meta.insert("train_config".into(), config.to_json().to_string());
    meta.insert("history".into(), Value::Array(state.history.clone()).to_string());
    if let Optimizer::Adam(a) = &state.optimizer {
        meta.insert("adam_steps".into(), a.steps.to_string());
    }
    let opt_named = optimizer_tensors(&state.optimizer);
    let mut named: Vec<(&str, &Tensor)> = PARAM_NAMES.iter().copied().zip(state.model.parameters()).collect();
    named.extend(opt_named.iter().map(|(n, t)| (n.as_str(), *t)));
    let bytes = to_safetensors(&named, meta)?;
    Ok(write_atomic(&dir.join(CHECKPOINT), &bytes)?)
}

fn load_checkpoint(dir: &Path, config: &TrainConfig) -> Result<RunState> {
    let path = dir.join(CHECKPOINT);
    let bytes = std::fs::read(&path).with_context(|| format!("--resume: cannot read {}", path.display()))?;
    let (mut tensors, meta) =
        from_safetensors(&bytes).with_context(|| format!("--resume: {}", path.display()))?;
    let saved: Value = meta
        .get("train_config")
        .and_then(|s| serde_json::from_str(s).ok())
        .with_context(|| format!("--resume: {} has no training configuration", path.display()))?;
    if saved != config.to_json() {
        bail!("--resume: the run in {} used {saved}, not {}", dir.display(), config.to_json());
    }
    let net = dilnet_config(&meta)?;
    let mut model = DilNet::new(net, &mut Rng::seed_from(0))?;
    let mut take = |name: &str, like: &Tensor| -> Result<Tensor> {
        let t = tensors.remove(name).with_context(|| format!("--resume: checkpoint lacks {name}"))?;
        ensure!(
            t.dims() == like.dims(),
            "--resume: {name} has shape {}, expected {}",
            t.shape(),
            like.shape()
        );
        Ok(t)
    };
    for (name, slot) in PARAM_NAMES.iter().zip(model.parameters_mut()) {
        *slot = take(name, slot)?;
    }
    let epochs_done: usize =
        meta.get("epochs_done").and_then(|s| s.parse().ok()).context("--resume: no epoch count")?;
    let mut optimizer = config.new_optimizer();
    let params = model.parameters();
    match &mut optimizer {
        Optimizer::Sgd(s) => {
            for (n, p) in PARAM_NAMES.iter().zip(params) {
                s.velocity.push(take(&format!("optim.velocity.{n}"), p)?);
            }
        }
        Optimizer::Adam(a) => {
            a.steps = meta
                .get("adam_steps")
                .and_then(|s| s.parse().ok())
                .context("--resume: no Adam step count")?;
            for (n, p) in PARAM_NAMES.iter().zip(params) {
                a.m.push(take(&format!("optim.m.{n}"), p)?);
                a.v.push(take(&format!("optim.v.{n}"), p)?);
            }
        }
    }
    let history = meta.get("history").and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    Ok(RunState { model, optimizer, epochs_done, history })
}

/// Peak resident memory of this process in MiB, where the OS reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Checks every value of `args` without reading data or writing anything.
pub fn validate(args: &TrainArgs) -> Result<()> {
    TrainConfig::from_args(args).map(|_| ())
}

/// Runs `atrous train`.
pub fn run(args: &TrainArgs) -> Result<()> {
    let config = TrainConfig::from_args(args)?;
    if !args.resume && (args.out.join(CHECKPOINT).exists() || args.out.join(MODEL).exists()) {
        bail!(
            "{} already holds a run; pass --resume to continue it, or choose another --out",
            args.out.display()
        );
    }
    crate::set_threads(args.threads)?;
    let (train, test) = args.data.load()?;

    let mut state = if args.resume {
        load_checkpoint(&args.out, &config)?
    } else {
        let mut rng = Rng::seed_from(config.seed);
        let model = DilNet::new(config.net.clone(), &mut rng)?;
        RunState { model, optimizer: config.new_optimizer(), epochs_done: 0, history: Vec::new() }
    };
    if state.epochs_done >= config.epochs {
        if !args.quiet {
            eprintln!("run in {} already has all {} epochs", args.out.display(), config.epochs);
        }
        return Ok(());
    }

    let steps_per_epoch = train.n.div_ceil(config.batch_size);
    let mut stopped_after = 0;
    for epoch in state.epochs_done..config.epochs {
        let progress =
            Progress::new(args.quiet, steps_per_epoch, format!("epoch {}/{}", epoch + 1, config.epochs));
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        let order = epoch_order(config.seed, epoch, train.n);
        for (step, batch) in order.chunks(config.batch_size).enumerate() {
            let x = images_to_tensor(&train, batch);
            let stats = match train_step(&mut state.model, &mut state.optimizer, x, &labels_of(&train, batch))
            {
                Err(AutogradError::NonFiniteLoss(loss)) => bail!(
                    "training diverged: loss is {loss} at epoch {} step {}; the last good checkpoint (after epoch {}) is kept in {}",
                    epoch + 1,
                    step + 1,
                    state.epochs_done,
                    args.out.display()
                ),
                other => other?,
            };
            loss_sum += f64::from(stats.loss) * stats.count as f64;
            correct += stats.correct;
            seen += stats.count;
            progress.step(stats.loss, seen, start.elapsed().as_secs_f64());
        }
        let seconds = start.elapsed().as_secs_f64();
        progress.finish();
        let EvalStats { loss: test_loss, accuracy: test_accuracy, .. } =
            evaluate(&state.model, &test, EVAL_BATCH)?;
        let record = json!({
            "epoch": epoch + 1,
            "train_loss": loss_sum / seen as f64,
            "train_accuracy": correct as f64 / seen as f64,
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
            "seconds": seconds,
            "images_per_second": seen as f64 / seconds,
        });
        if !args.quiet {
            eprintln!(
                "epoch {}: train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.1} s, {:.0} images/s",
                epoch + 1,
                loss_sum / seen as f64,
                correct as f64 / seen as f64,
                test_loss,
                test_accuracy,
                seconds,
                seen as f64 / seconds
            );
        }
        state.history.push(record);
        state.epochs_done = epoch + 1;
        save_outputs(&args.out, &config, &state, args.threads)?;
        stopped_after += 1;
        if args.stop_after == Some(stopped_after) {
            break;
        }
    }
    Ok(())
}

fn save_outputs(dir: &Path, config: &TrainConfig, state: &RunState, threads: usize) -> Result<()> {
    save_checkpoint(dir, config, state)?;
    let extra =
        [("train_config", config.to_json().to_string()), ("epochs_done", state.epochs_done.to_string())];
    let model_bytes = atrous_autograd::io::save_dilnet(&state.model, &extra)?;
    write_atomic(&dir.join(MODEL), &model_bytes)?;
    let last = state.history.last().cloned().unwrap_or(Value::Null);
    let metrics = json!({
        "config": config.to_json(),
        "epochs_done": state.epochs_done,
        "epochs": state.history,
        "test_accuracy": last.get("test_accuracy"),
        "test_loss": last.get("test_loss"),
        "threads": if threads == 0 { rayon::current_num_threads() } else { threads },
        "peak_rss_mib": peak_rss_mib(),
        "atrous_version": env!("CARGO_PKG_VERSION"),
    });
    Ok(write_atomic(&dir.join(METRICS), serde_json::to_string_pretty(&metrics)?.as_bytes())?)
}
