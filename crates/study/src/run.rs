//! One training run and its folder: `model.safetensors` (PyTorch names, architecture in the
//! metadata), `metrics.json` (recipe and per-epoch measurements) and `checkpoint.safetensors`
//! (everything needed to continue), each written atomically after every epoch.
//!
//! [`train_run`] trains a recipe into a folder, resuming from its checkpoint when asked; the
//! same seed gives the same bytes whether a run was interrupted or not, and at any thread count.

use crate::observer::Observer;
use crate::recipe::TrainRecipe;
use crate::{Result, StudyError};
use atrous_autograd::AutogradError;
use atrous_autograd::checkpoint::{Checkpoint, EpochRecord};
use atrous_autograd::io::{load_dilnet, save_dilnet};
use atrous_autograd::nn::DilNet;
use atrous_autograd::train::{EVAL_BATCH, epoch_order, evaluate, fit_epoch};
use atrous_tensor::files::write_atomic;
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What `metrics.json` holds. Field order is the file's (alphabetical).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Version of atrous that wrote the file.
    pub atrous_version: String,
    /// The recipe ([`TrainRecipe::to_json`]).
    pub config: serde_json::Value,
    /// One record per completed epoch.
    pub epochs: Vec<EpochRecord>,
    /// Epochs completed.
    pub epochs_done: usize,
    /// Peak resident memory of the training process, where the OS reports it.
    pub peak_rss_mib: Option<f64>,
    /// Evaluation accuracy after the last epoch.
    pub test_accuracy: Option<f64>,
    /// Evaluation loss after the last epoch.
    pub test_loss: Option<f64>,
    /// Worker threads used.
    pub threads: usize,
}

/// A run folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// The run folder at `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        RunDir { path: path.into() }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `model.safetensors`.
    pub fn model_path(&self) -> PathBuf {
        self.path.join("model.safetensors")
    }

    /// `metrics.json`.
    pub fn metrics_path(&self) -> PathBuf {
        self.path.join("metrics.json")
    }

    /// `checkpoint.safetensors`.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.path.join("checkpoint.safetensors")
    }

    /// Whether the folder already holds (part of) a run.
    pub fn holds_run(&self) -> bool {
        self.checkpoint_path().exists() || self.model_path().exists()
    }

    /// The run's metrics, or `None` when the folder has none yet.
    pub fn read_metrics(&self) -> Result<Option<Metrics>> {
        let path = self.metrics_path();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StudyError::Read { path, source }),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| StudyError::Json {
            path,
            what: "metrics file",
            message: e.to_string(),
        })
    }

    /// Whether the run is complete under `recipe`: its metrics record that recipe and all its
    /// epochs.
    pub fn is_complete(&self, recipe: &TrainRecipe) -> Result<bool> {
        Ok(self
            .read_metrics()?
            .is_some_and(|m| recipe.first_difference(&m.config).is_none() && m.epochs_done >= recipe.epochs))
    }

    /// The trained model.
    pub fn read_model(&self) -> Result<DilNet> {
        read_model_file(&self.model_path())
    }

    /// The checkpoint, after checking it was made by `recipe`.
    pub fn read_checkpoint(&self, recipe: &TrainRecipe) -> Result<Checkpoint> {
        let path = self.checkpoint_path();
        let bytes = std::fs::read(&path).map_err(|source| StudyError::Read { path: path.clone(), source })?;
        let checkpoint = Checkpoint::from_bytes(&bytes, recipe.optimizer())?;
        let saved: serde_json::Value = serde_json::from_str(&checkpoint.recipe).map_err(|e| {
            StudyError::Json { path: path.clone(), what: "checkpoint recipe", message: e.to_string() }
        })?;
        if let Some((field, saved, requested)) = recipe.first_difference(&saved) {
            return Err(StudyError::RecipeMismatch { dir: self.path.clone(), field, saved, requested });
        }
        Ok(checkpoint)
    }

    /// Writes the checkpoint, then the model, then the metrics, each atomically.
    pub fn save(&self, recipe: &TrainRecipe, state: &Checkpoint) -> Result<()> {
        write_atomic(&self.checkpoint_path(), &state.to_bytes()?)?;
        let extra = [("train_config", state.recipe.clone()), ("epochs_done", state.epochs_done.to_string())];
        write_atomic(&self.model_path(), &save_dilnet(&state.model, &extra)?)?;
        let last = state.history.last();
        let metrics = Metrics {
            atrous_version: env!("CARGO_PKG_VERSION").into(),
            config: recipe.to_json(),
            epochs: state.history.clone(),
            epochs_done: state.epochs_done,
            peak_rss_mib: peak_rss_mib(),
            test_accuracy: last.map(|r| r.test_accuracy),
            test_loss: last.map(|r| r.test_loss),
            threads: rayon_threads(),
        };
        let text = serde_json::to_string_pretty(&metrics).map_err(|e| StudyError::Json {
            path: self.metrics_path(),
            what: "metrics file",
            message: e.to_string(),
        })?;
        Ok(write_atomic(&self.metrics_path(), text.as_bytes())?)
    }
}

/// Reads a DilNet model file.
pub fn read_model_file(path: &Path) -> Result<DilNet> {
    let bytes = std::fs::read(path).map_err(|source| StudyError::Read { path: path.into(), source })?;
    Ok(load_dilnet(&bytes)?.0)
}

/// Worker threads of the current rayon pool.
fn rayon_threads() -> usize {
    atrous_tensor::parallel::current_threads()
}

/// Peak resident memory of this process in MiB, where the OS reports it.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// How [`train_run`] treats an existing folder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Continue the run in the folder from its checkpoint (else the folder must hold no run).
    pub resume: bool,
    /// Stop after this many epochs of this call (to test interrupted runs).
    pub stop_after: Option<usize>,
}

/// What [`train_run`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Trained up to this many epochs done.
    Trained {
        /// Epochs completed in the folder now.
        epochs_done: usize,
    },
    /// The folder already had every epoch; nothing was trained.
    AlreadyComplete,
}

/// Trains `recipe` into `dir` on `train`, evaluating on `test` after each epoch and saving the
/// folder after each epoch.
pub fn train_run(
    recipe: &TrainRecipe,
    dir: &RunDir,
    train: &MnistSplit,
    test: &MnistSplit,
    options: RunOptions,
    observer: &dyn Observer,
) -> Result<RunOutcome> {
    recipe.validate()?;
    if !options.resume && dir.holds_run() {
        return Err(StudyError::RunExists { dir: dir.path.clone() });
    }
    let mut state = if options.resume {
        dir.read_checkpoint(recipe)?
    } else {
        let model = DilNet::new(recipe.net.clone(), &mut Rng::seed_from(recipe.seed))?;
        Checkpoint {
            model,
            optimizer: recipe.optimizer(),
            epochs_done: 0,
            history: Vec::new(),
            recipe: recipe.to_json().to_string(),
        }
    };
    if state.epochs_done >= recipe.epochs {
        return Ok(RunOutcome::AlreadyComplete);
    }
    let mut ran = 0;
    for epoch in state.epochs_done..recipe.epochs {
        let steps = train.n.div_ceil(recipe.batch_size);
        observer.epoch_started(&format!("epoch {}/{}", epoch + 1, recipe.epochs), steps);
        let order = epoch_order(recipe.seed, epoch, train.n);
        let stats =
            fit_epoch(&mut state.model, &mut state.optimizer, train, &order, recipe.batch_size, |p, _| {
                observer.step(p)
            });
        let stats = match stats {
            Err(AutogradError::Diverged { step, loss }) => {
                return Err(StudyError::Diverged {
                    dir: dir.path.clone(),
                    epoch: epoch + 1,
                    step,
                    loss,
                    epochs_done: state.epochs_done,
                });
            }
            other => other?,
        };
        let eval = evaluate(&state.model, test, EVAL_BATCH)?;
        let record = EpochRecord {
            epoch: epoch + 1,
            images_per_second: stats.images as f64 / stats.seconds,
            seconds: stats.seconds,
            test_accuracy: eval.accuracy,
            test_loss: eval.loss,
            train_accuracy: stats.accuracy,
            train_loss: stats.loss,
        };
        observer.epoch_finished(&record);
        state.history.push(record);
        state.epochs_done = epoch + 1;
        dir.save(recipe, &state)?;
        ran += 1;
        if options.stop_after == Some(ran) {
            break;
        }
    }
    Ok(RunOutcome::Trained { epochs_done: state.epochs_done })
}
