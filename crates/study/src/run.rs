//! One training run and its folder: `model.safetensors` (PyTorch names, architecture in the
//! metadata), `metrics.json` (recipe, code revision, per-epoch measurements and the final test
//! numbers) and `checkpoint.safetensors` (everything needed to continue), each written atomically
//! after every epoch.
//!
//! [`train_run`] trains a recipe into a folder, resuming from its checkpoint when asked; the
//! same seed gives the same bytes whether a run was interrupted or not, and at any thread count.
//! A run is done when all three files are written: the checkpoint first, so a run interrupted
//! between the files is finished (or repaired: the model and metrics rewritten from the
//! checkpoint) by resuming it. While it trains, the folder holds a lock file `.lock` with the
//! trainer's process id, so a second trainer of the same folder is refused instead of mixing
//! files of two runs.
//! With a validation split every epoch is evaluated on validation and the test set exactly once,
//! after the last epoch. [`RunDir::state`] tells whether a folder holds the run a recipe asks
//! for under the running engine ([`crate::engine_revision`]), and if not, which field differs.

use crate::data::RunData;
use crate::observer::Observer;
use crate::recipe::TrainRecipe;
use crate::run_lock::RunLock;
use crate::{Result, StudyError};
use atrous_autograd::AutogradError;
use atrous_autograd::checkpoint::{Checkpoint, EpochRecord};
use atrous_autograd::io::{load_dilnet, save_dilnet};
use atrous_autograd::nn::DilNet;
use atrous_autograd::train::{EVAL_BATCH, epoch_order, evaluate, fit_epoch};
use atrous_tensor::files::{remove_dead_temporaries, write_atomic};
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
    /// The engine revision that trained the run ([`crate::engine_revision`]); `None` in files
    /// written before it was recorded.
    #[serde(default)]
    pub engine_revision: Option<String>,
    /// One record per completed epoch.
    pub epochs: Vec<EpochRecord>,
    /// Epochs completed.
    pub epochs_done: usize,
    /// Which split the per-epoch records evaluate: `"validation"` or `"test"`.
    #[serde(default = "test_split_name")]
    pub evaluated_per_epoch: String,
    /// The git commit of the build that trained the run, when known (provenance only).
    #[serde(default)]
    pub git_commit: Option<String>,
    /// Peak resident memory of the training process, where the OS reports it.
    pub peak_rss_mib: Option<f64>,
    /// Test accuracy: with a validation split, measured once after the last epoch (`None`
    /// before); without one, the last epoch's evaluation.
    pub test_accuracy: Option<f64>,
    /// Test loss, measured as `test_accuracy`.
    pub test_loss: Option<f64>,
    /// Worker threads used.
    pub threads: usize,
    /// Where the training loss stopped being finite, for a run that diverged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diverged: Option<Divergence>,
}

/// Where a run's training loss stopped being a finite number. Training is deterministic, so the
/// same recipe diverges at the same step again: a study counts such a run as an outcome of its
/// arm instead of retraining it or waiting for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// 1-based epoch.
    pub epoch: usize,
    /// Step within the epoch.
    pub step: usize,
    /// The loss as printed (`NaN`, `inf`): JSON has no such numbers.
    pub loss: String,
}

fn test_split_name() -> String {
    "test".into()
}

/// What a folder holds with respect to a recipe.
#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    /// No run yet.
    Missing,
    /// Some epochs of this recipe under this engine (resumable).
    Partial {
        /// Epochs done.
        epochs_done: usize,
    },
    /// Every epoch (and the final test numbers) of this recipe under this engine.
    Complete(Box<Metrics>),
    /// This recipe under this engine diverged (its metrics say where); final, like complete.
    Diverged(Box<Metrics>),
    /// A run of another recipe or engine revision: `field` differs (`saved` in the folder,
    /// `requested` now).
    Stale {
        /// The first differing field (a recipe key, or `engine revision`).
        field: String,
        /// Its value in the folder.
        saved: String,
        /// The value asked for.
        requested: String,
    },
}

/// What a run's metrics say about `recipe` under the running engine: stale (naming the first
/// differing field), partial, or complete (every epoch and the test evaluation recorded).
pub(crate) fn metrics_state(recipe: &TrainRecipe, m: &Metrics) -> RunState {
    if let Some((field, saved, requested)) = recipe.first_difference(&m.config) {
        return RunState::Stale { field, saved, requested };
    }
    if m.engine_revision.as_deref() != Some(crate::engine_revision()) {
        return RunState::Stale {
            field: "engine revision".into(),
            saved: m.engine_revision.clone().unwrap_or_else(|| "none recorded".into()),
            requested: crate::engine_revision().into(),
        };
    }
    if m.diverged.is_some() {
        RunState::Diverged(Box::new(m.clone()))
    } else if m.epochs_done >= recipe.epochs && m.test_accuracy.is_some() {
        RunState::Complete(Box::new(m.clone()))
    } else {
        RunState::Partial { epochs_done: m.epochs_done }
    }
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

    /// Whether the run is complete under `recipe` and the running engine.
    pub fn is_complete(&self, recipe: &TrainRecipe) -> Result<bool> {
        Ok(matches!(self.state(recipe)?, RunState::Complete(_)))
    }

    /// What the folder holds with respect to `recipe` and the running engine revision.
    pub fn state(&self, recipe: &TrainRecipe) -> Result<RunState> {
        let Some(m) = self.read_metrics()? else {
            if !self.checkpoint_path().exists() {
                return Ok(RunState::Missing);
            }
            // A checkpoint written just before an interruption, without its metrics yet.
            return Ok(match self.read_checkpoint(recipe) {
                Ok(c) => RunState::Partial { epochs_done: c.epochs_done },
                Err(StudyError::RecipeMismatch { field, saved, requested, .. }) => {
                    RunState::Stale { field, saved, requested }
                }
                Err(e) => return Err(e),
            });
        };
        match metrics_state(recipe, &m) {
            // The model is written before the metrics, so complete metrics without a model mean
            // it was lost afterwards: resuming rewrites it from the checkpoint.
            RunState::Complete(_) if !self.model_path().exists() => {
                Ok(RunState::Partial { epochs_done: m.epochs_done })
            }
            state => Ok(state),
        }
    }

    /// Deletes the run's files (model, metrics, checkpoint), keeping the folder.
    pub fn clear(&self) -> Result<()> {
        for path in [self.checkpoint_path(), self.model_path(), self.metrics_path()] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(StudyError::Read { path, source }),
            }
        }
        Ok(())
    }

    /// The trained model.
    pub fn read_model(&self) -> Result<DilNet> {
        read_model_file(&self.model_path())
    }

    /// The checkpoint, after checking it was made by `recipe`. A damaged checkpoint, or one
    /// holding a NaN or infinite value (parameter or optimiser state), is refused, naming the
    /// file and the tensor.
    pub fn read_checkpoint(&self, recipe: &TrainRecipe) -> Result<Checkpoint> {
        let (checkpoint, saved) = self.read_checkpoint_file(recipe)?;
        if let Some((field, saved, requested)) = recipe.first_difference(&saved) {
            return Err(StudyError::RecipeMismatch { dir: self.path.clone(), field, saved, requested });
        }
        Ok(checkpoint)
    }

    /// The checkpoint and the recipe it records, unchecked against `recipe` (whose optimiser
    /// kind and settings read the optimiser state).
    fn read_checkpoint_file(&self, recipe: &TrainRecipe) -> Result<(Checkpoint, serde_json::Value)> {
        let path = self.checkpoint_path();
        let bytes = std::fs::read(&path).map_err(|source| StudyError::Read { path: path.clone(), source })?;
        let checkpoint = Checkpoint::from_bytes(&bytes, recipe.optimizer())
            .map_err(|source| StudyError::BadCheckpoint { path: path.clone(), source })?;
        let saved: serde_json::Value = serde_json::from_str(&checkpoint.recipe).map_err(|e| {
            StudyError::Json { path: path.clone(), what: "checkpoint recipe", message: e.to_string() }
        })?;
        Ok((checkpoint, saved))
    }

    /// The checkpoint to continue towards `recipe`: one made by `recipe`, or by the same recipe
    /// with another epoch count (a finished run being extended, or an unfinished one given a
    /// new end) as long as it has not already passed `recipe.epochs`. The returned state
    /// records `recipe`, so its files become those of a run of `recipe.epochs` epochs. Epochs
    /// are the one field that may change: an epoch's data order and step depend on its index
    /// only, never on the epoch count, so continuing a run to N epochs gives the bytes of a run
    /// trained to N epochs straight.
    /// Also returns the epoch count the checkpoint recorded, when it was another.
    fn checkpoint_to_continue(&self, recipe: &TrainRecipe) -> Result<(Checkpoint, Option<usize>)> {
        let (mut checkpoint, saved) = self.read_checkpoint_file(recipe)?;
        let saved_epochs = saved.get("epochs").and_then(serde_json::Value::as_u64).map(|e| e as usize);
        let as_saved = TrainRecipe { epochs: saved_epochs.unwrap_or(recipe.epochs), ..recipe.clone() };
        if let Some((field, saved, requested)) = as_saved.first_difference(&saved) {
            return Err(StudyError::RecipeMismatch { dir: self.path.clone(), field, saved, requested });
        }
        if checkpoint.epochs_done > recipe.epochs {
            return Err(StudyError::CannotContinue {
                dir: self.path.clone(),
                epochs: recipe.epochs,
                reason: format!(
                    "it already has {} epochs (a run is never cut back; train another folder)",
                    checkpoint.epochs_done
                ),
            });
        }
        checkpoint.recipe = recipe.to_metadata_json().to_string();
        Ok((checkpoint, saved_epochs.filter(|&e| e != recipe.epochs)))
    }

    /// Why a run without `checkpoint.safetensors` cannot continue, for the error that says so.
    fn missing_checkpoint(&self, recipe: &TrainRecipe) -> StudyError {
        let done = match self.read_metrics() {
            Ok(Some(m)) => format!("it has {} epoch(s) in metrics.json", m.epochs_done),
            _ => "it has no metrics.json".into(),
        };
        let model = if self.model_path().exists() { "and a model.safetensors" } else { "and no model" };
        StudyError::CannotContinue {
            dir: self.path.clone(),
            epochs: recipe.epochs,
            reason: format!(
                "{done} {model}, but no checkpoint.safetensors, which holds what training continues \
                 from (the optimiser state: {}); train the run again from the start",
                match recipe.optimizer {
                    atrous_autograd::optim::OptimizerKind::Sgd => "SGD's momentum buffers",
                    atrous_autograd::optim::OptimizerKind::Adam => "Adam's moments and step count",
                }
            ),
        }
    }

    /// Writes the checkpoint, then the model, then the metrics, each atomically. `test` is the
    /// final test evaluation (accuracy, loss) of a run with a validation split, once measured.
    pub fn save(&self, recipe: &TrainRecipe, state: &Checkpoint, test: Option<(f64, f64)>) -> Result<()> {
        write_atomic(&self.checkpoint_path(), &state.to_bytes()?)?;
        write_atomic(&self.model_path(), &model_bytes(state)?)?;
        self.write_metrics(recipe, state, test, None)
    }

    /// Rewrites from a complete checkpoint whatever of the model and the metrics is missing or
    /// behind it (an interrupted final save); with a validation split, a rewritten metrics file
    /// gets the test evaluation again (deterministic, so the same numbers). Returns what was
    /// rewritten, as (model, metrics).
    fn repair(&self, recipe: &TrainRecipe, state: &Checkpoint, data: &RunData) -> Result<(bool, bool)> {
        let expected = model_bytes(state)?;
        let model_ok = match std::fs::read(self.model_path()) {
            Ok(bytes) => bytes == expected,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(source) => return Err(StudyError::Read { path: self.model_path(), source }),
        };
        if !model_ok {
            write_atomic(&self.model_path(), &expected)?;
        }
        let metrics_ok = match self.read_metrics() {
            Ok(Some(m)) => {
                m.epochs_done == state.epochs_done
                    && m.epochs.len() == state.history.len()
                    && m.test_accuracy.is_some()
            }
            Ok(None) | Err(StudyError::Json { .. }) => false,
            Err(e) => return Err(e),
        };
        if !metrics_ok {
            let test = match &data.validation {
                Some(_) => {
                    let t = evaluate(&state.model, &data.test, EVAL_BATCH)?;
                    Some((t.accuracy, t.loss))
                }
                None => None,
            };
            self.write_metrics(recipe, state, test, None)?;
        }
        Ok((!model_ok, !metrics_ok))
    }

    /// Writes `metrics.json` for `state` (and where it diverged, if it did).
    fn write_metrics(
        &self,
        recipe: &TrainRecipe,
        state: &Checkpoint,
        test: Option<(f64, f64)>,
        diverged: Option<Divergence>,
    ) -> Result<()> {
        let last = state.history.last();
        let split = recipe.validation > 0;
        let test = if split { test } else { last.map(|r| (r.val_accuracy, r.val_loss)) };
        let metrics = Metrics {
            atrous_version: env!("CARGO_PKG_VERSION").into(),
            config: recipe.to_json(),
            engine_revision: Some(crate::engine_revision().into()),
            epochs: state.history.clone(),
            epochs_done: state.epochs_done,
            evaluated_per_epoch: if split { "validation".into() } else { test_split_name() },
            git_commit: crate::git_commit().map(str::to_string),
            peak_rss_mib: peak_rss_mib(),
            test_accuracy: test.map(|t| t.0),
            test_loss: test.map(|t| t.1),
            threads: rayon_threads(),
            diverged,
        };
        let text = serde_json::to_string_pretty(&metrics).map_err(|e| StudyError::Json {
            path: self.metrics_path(),
            what: "metrics file",
            message: e.to_string(),
        })?;
        Ok(write_atomic(&self.metrics_path(), text.as_bytes())?)
    }
}

/// The model file of a checkpoint's state.
fn model_bytes(state: &Checkpoint) -> Result<Vec<u8>> {
    let extra = [("train_config", state.recipe.clone()), ("epochs_done", state.epochs_done.to_string())];
    Ok(save_dilnet(&state.model, &extra)?)
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
    /// The checkpoint had every epoch but the final save had been interrupted: what was missing
    /// or behind it was rewritten from the checkpoint; nothing was trained.
    Repaired {
        /// Whether `model.safetensors` was rewritten.
        model: bool,
        /// Whether `metrics.json` was rewritten.
        metrics: bool,
    },
}

/// Trains `recipe` into `dir` on `data` (split as the recipe says, see [`RunData`]), evaluating
/// after each epoch on validation (or on test without a split) and saving the folder after each
/// epoch; with a split, the test set is evaluated once, after the last epoch. Resuming refuses
/// a folder trained under another engine revision, and repairs a folder whose checkpoint is
/// complete but whose model or metrics are missing or behind ([`RunOutcome::Repaired`]).
///
/// The folder is created and locked (a lock file `.lock` holding the process id) before anything else, so an unwritable
/// folder or a concurrent trainer is refused before any training; temporaries left by killed
/// writers are removed.
pub fn train_run(
    recipe: &TrainRecipe,
    dir: &RunDir,
    data: &RunData,
    options: RunOptions,
    observer: &dyn Observer,
) -> Result<RunOutcome> {
    recipe.validate()?;
    let _lock = RunLock::acquire(&dir.path, observer)?;
    let removed = remove_dead_temporaries(&dir.path)
        .map_err(|source| StudyError::Unwritable { dir: dir.path.clone(), source })?;
    if !removed.is_empty() {
        observer.message(&format!(
            "{}: removed {} temporary file(s) left by interrupted writes",
            dir.path.display(),
            removed.len()
        ));
    }
    if !options.resume && dir.holds_run() {
        return Err(StudyError::RunExists { dir: dir.path.clone() });
    }
    let mut state = if options.resume {
        if let Some(m) = dir.read_metrics()?
            && m.engine_revision.as_deref() != Some(crate::engine_revision())
        {
            return Err(StudyError::RecipeMismatch {
                dir: dir.path.clone(),
                field: "engine revision".into(),
                saved: m.engine_revision.unwrap_or_else(|| "none recorded".into()),
                requested: crate::engine_revision().into(),
            });
        }
        if !dir.checkpoint_path().exists() && (dir.model_path().exists() || dir.metrics_path().exists()) {
            if dir.is_complete(recipe)? {
                return Ok(RunOutcome::AlreadyComplete);
            }
            return Err(dir.missing_checkpoint(recipe));
        }
        let (state, old_epochs) = dir.checkpoint_to_continue(recipe)?;
        if let Some(old_epochs) = old_epochs {
            observer.message(&format!(
                "{}: continuing a run of {old_epochs} epoch(s) to {} epochs ({} done)",
                dir.path.display(),
                recipe.epochs,
                state.epochs_done
            ));
            if state.epochs_done == recipe.epochs {
                // Nothing to train: the folder becomes the run of `recipe.epochs` epochs (with a
                // split, its test set is evaluated now, as after a last epoch).
                let test = match &data.validation {
                    Some(_) => {
                        let t = evaluate(&state.model, &data.test, EVAL_BATCH)?;
                        Some((t.accuracy, t.loss))
                    }
                    None => None,
                };
                dir.save(recipe, &state, test)?;
                return Ok(RunOutcome::Trained { epochs_done: state.epochs_done });
            }
        }
        state
    } else {
        let model = DilNet::new(recipe.net.clone(), &mut Rng::seed_from(recipe.seed))?;
        Checkpoint {
            model,
            optimizer: recipe.optimizer(),
            epochs_done: 0,
            history: Vec::new(),
            recipe: recipe.to_metadata_json().to_string(),
        }
    };
    if state.epochs_done >= recipe.epochs {
        return Ok(match dir.repair(recipe, &state, data)? {
            (false, false) => RunOutcome::AlreadyComplete,
            (model, metrics) => RunOutcome::Repaired { model, metrics },
        });
    }
    let train = &data.train;
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
                let divergence = Divergence { epoch: epoch + 1, step, loss: loss.to_string() };
                dir.write_metrics(recipe, &state, None, Some(divergence))?;
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
        let eval = evaluate(&state.model, data.per_epoch(), EVAL_BATCH)?;
        let record = EpochRecord {
            epoch: epoch + 1,
            images_per_second: stats.images as f64 / stats.seconds,
            seconds: stats.seconds,
            train_accuracy: stats.accuracy,
            train_loss: stats.loss,
            val_accuracy: eval.accuracy,
            val_loss: eval.loss,
        };
        observer.epoch_finished(&record);
        state.history.push(record);
        state.epochs_done = epoch + 1;
        // The test set, once: after the last epoch of a run that selects on validation.
        let test = match &data.validation {
            Some(_) if state.epochs_done == recipe.epochs => {
                let t = evaluate(&state.model, &data.test, EVAL_BATCH)?;
                Some((t.accuracy, t.loss))
            }
            _ => None,
        };
        dir.save(recipe, &state, test)?;
        ran += 1;
        if options.stop_after == Some(ran) {
            break;
        }
    }
    Ok(RunOutcome::Trained { epochs_done: state.epochs_done })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_written_before_splits_and_engine_revisions_still_read() {
        let old = r#"{"atrous_version":"0.1.0","config":{"epochs":1},"epochs":[{"epoch":1,"images_per_second":1.0,"seconds":2.0,"test_accuracy":0.9,"test_loss":0.3,"train_accuracy":0.8,"train_loss":0.5}],"epochs_done":1,"peak_rss_mib":null,"test_accuracy":0.9,"test_loss":0.3,"threads":2}"#;
        let m: Metrics = serde_json::from_str(old).unwrap();
        assert_eq!(m.epochs[0].val_accuracy, 0.9, "old test_accuracy is the per-epoch evaluation");
        assert_eq!((m.engine_revision, m.git_commit), (None, None));
        assert_eq!(m.evaluated_per_epoch, "test");
    }

    #[test]
    fn a_folder_of_another_engine_revision_is_stale_by_name() {
        let dir = std::env::temp_dir().join(format!("atrous-run-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let recipe = TrainRecipe::reference(1);
        let run = RunDir::new(&dir);
        assert_eq!(run.state(&recipe).unwrap(), RunState::Missing);
        let metrics = Metrics {
            atrous_version: "0.1.0".into(),
            config: recipe.to_json(),
            engine_revision: Some("0123456789abcdef".into()),
            epochs: Vec::new(),
            epochs_done: 3,
            evaluated_per_epoch: "test".into(),
            git_commit: None,
            peak_rss_mib: None,
            test_accuracy: Some(0.99),
            test_loss: Some(0.03),
            threads: 1,
            diverged: None,
        };
        std::fs::write(run.metrics_path(), serde_json::to_vec(&metrics).unwrap()).unwrap();
        match run.state(&recipe).unwrap() {
            RunState::Stale { field, saved, .. } => {
                assert_eq!((field.as_str(), saved.as_str()), ("engine revision", "0123456789abcdef"))
            }
            other => panic!("{other:?}"),
        }
        let current = Metrics { engine_revision: Some(crate::engine_revision().into()), ..metrics };
        std::fs::write(run.metrics_path(), serde_json::to_vec(&current).unwrap()).unwrap();
        // Complete metrics without the model (lost after they were written): resumable.
        assert_eq!(run.state(&recipe).unwrap(), RunState::Partial { epochs_done: 3 });
        std::fs::write(run.model_path(), b"a model").unwrap();
        assert!(matches!(run.state(&recipe).unwrap(), RunState::Complete(_)));
        let other = TrainRecipe { lr: 0.01, ..recipe };
        match run.state(&other).unwrap() {
            RunState::Stale { field, .. } => assert_eq!(field, "lr"),
            s => panic!("{s:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
