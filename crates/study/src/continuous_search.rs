//! Learning the dilation as a real number per layer (question 1, the continuous method): trains
//! a [`ContinuousDilationNet`] per seed, weights by SGD and dilations by plain SGD with their own
//! learning rate, projected onto a range after every step, and records where the dilations go.
//! Accuracy is measured on the validation split the caller passes: the test set plays no part in
//! learning or judging a dilation. One `continuous-seed-S.json` per seed; a seed whose record
//! exists with the same settings is not trained again.

use crate::bilevel_search::{SearchData, reuse};
use crate::observer::Observer;
use crate::search::write_record;
use crate::{Result, StudyError};
use atrous_autograd::continuous_dilation::{ContinuousDilationNet, DilationProjection};
use atrous_autograd::optim::{Optimizer, Sgd, SplitOptimizer};
use atrous_autograd::train::{EVAL_BATCH, epoch_order, evaluate, fit_epoch};
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Steps between two recorded points of the dilation trajectory.
pub const TRAJECTORY_EVERY: usize = 25;

/// How to learn continuous dilations; also what a seed's record was made with (reuse needs the
/// settings equal).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContinuousSettings {
    /// Starting dilation of conv1, conv2, conv3.
    pub initial: [f32; 3],
    /// The range the dilations are kept in.
    pub range: (f32, f32),
    /// Training epochs.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Learning rate of the weights (SGD).
    pub lr: f32,
    /// Momentum of the weights' SGD.
    pub momentum: f32,
    /// Learning rate of the dilations (plain SGD).
    pub dilation_lr: f32,
    /// Training images (after the validation split).
    pub train_images: usize,
    /// Validation images.
    pub validation_images: usize,
}

impl ContinuousSettings {
    /// Refuses values that cannot work, naming the field.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [("learning rate", self.lr), ("dilation learning rate", self.dilation_lr)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(StudyError::invalid(field, v, "must be a positive number"));
            }
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(StudyError::invalid("epochs and batch size", 0, "must be at least 1"));
        }
        Ok(())
    }
}

/// The dilations at one step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DilationPoint {
    /// Steps taken.
    pub step: usize,
    /// Dilations of conv1, conv2, conv3.
    pub dilations: [f32; 3],
}

/// What one seed learned (`continuous-seed-S.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContinuousRecord {
    /// The settings.
    pub settings: ContinuousSettings,
    /// The seed.
    pub seed: u64,
    /// Final dilations.
    pub dilations: [f32; 3],
    /// Validation accuracy of the final network.
    pub validation_accuracy: f64,
    /// Wall time.
    pub seconds: f64,
    /// Dilations every [`TRAJECTORY_EVERY`] steps.
    pub trajectory: Vec<DilationPoint>,
}

/// `continuous-seed-S.json` in `out`.
pub fn record_path(out: &Path, seed: u64) -> PathBuf {
    out.join(format!("continuous-seed-{seed}.json"))
}

/// A seed's record, if `path` holds one.
pub fn read_record(path: &Path) -> Option<ContinuousRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Trains (or reuses) one seed's network on `train`, judged on `validation`, into `out`.
pub fn continuous_seed(
    settings: &ContinuousSettings,
    seed: u64,
    train: &MnistSplit,
    validation: &MnistSplit,
    out: &Path,
    observer: &dyn Observer,
) -> Result<ContinuousRecord> {
    settings.validate()?;
    let path = record_path(out, seed);
    if let Some(done) = read_record(&path).filter(|r| r.settings == *settings && r.seed == seed) {
        return Ok(done);
    }
    let mut net = ContinuousDilationNet::new(settings.initial, settings.range, &mut Rng::seed_from(seed))?;
    let mut opt = DilationProjection {
        inner: SplitOptimizer {
            split: ContinuousDilationNet::WEIGHTS,
            head: Optimizer::Sgd(Sgd::new(settings.lr, settings.momentum, 0.0)),
            tail: Optimizer::Sgd(Sgd::new(settings.dilation_lr, 0.0, 0.0)),
        },
        first: ContinuousDilationNet::WEIGHTS,
        range: settings.range,
    };
    let steps = train.n.div_ceil(settings.batch_size);
    let mut trajectory = vec![DilationPoint { step: 0, dilations: net.current() }];
    let start = Instant::now();
    for epoch in 0..settings.epochs {
        observer.epoch_started(&format!("seed {seed} epoch {}/{}", epoch + 1, settings.epochs), steps);
        let order = epoch_order(seed, epoch, train.n);
        fit_epoch(&mut net, &mut opt, train, &order, settings.batch_size, |p, net| {
            observer.step(p);
            let step = epoch * steps + p.step;
            if step % TRAJECTORY_EVERY == 0 {
                trajectory.push(DilationPoint { step, dilations: net.current() });
            }
        })?;
    }
    let eval = evaluate(&net, validation, EVAL_BATCH)?;
    let record = ContinuousRecord {
        settings: settings.clone(),
        seed,
        dilations: net.current(),
        validation_accuracy: eval.accuracy,
        seconds: start.elapsed().as_secs_f64(),
        trajectory,
    };
    std::fs::create_dir_all(out)
        .map_err(|source| StudyError::Unwritable { dir: out.to_path_buf(), source })?;
    write_record(&path, "continuous dilation record", &record)?;
    Ok(record)
}

/// [`continuous_seed`] on a [`SearchData`] (training and validation parts only, so the test set
/// cannot play a part), refusing a record of this seed made with other settings instead of
/// replacing it, naming the setting that differs.
pub fn continuous_seed_on(
    settings: &ContinuousSettings,
    seed: u64,
    data: &SearchData,
    out: &Path,
    observer: &dyn Observer,
) -> Result<ContinuousRecord> {
    let path = record_path(out, seed);
    let saved = read_record(&path);
    if let Some(saved) = &saved {
        if saved.seed == seed {
            reuse(&path, Some(&saved.settings), settings)?;
        }
    }
    continuous_seed(settings, seed, data.train(), data.validation(), out, observer)
}
