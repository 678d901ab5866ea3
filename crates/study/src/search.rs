//! Learning the dilation (question 1): trains a [`DilationSearchNet`] per seed, with the kernels
//! by SGD and the mixing logits by Adam, records where its mixing weights go, and summarises
//! whether the seeds agree. One `seed-S.json` per seed; a seed whose record exists with the same
//! settings is not trained again.

use crate::observer::Observer;
use crate::recipe::check_dilation_list;
use crate::{Result, StudyError};
use atrous_autograd::AutogradError;
use atrous_autograd::dilation_search::DilationSearchNet;
use atrous_autograd::nn::DilNetConfig;
use atrous_autograd::optim::{Adam, Optimizer, Sgd, SplitOptimizer};
use atrous_autograd::train::{EVAL_BATCH, epoch_order, evaluate, fit_epoch};
use atrous_tensor::files::write_atomic;
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Steps between two recorded points of the mixing-weight trajectory.
pub const TRAJECTORY_EVERY: usize = 50;

/// How to run the dilation search.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchPlan {
    /// Candidate dilations mixed in every conv layer.
    pub candidates: Vec<usize>,
    /// Seeds `0..seeds`.
    pub seeds: u64,
    /// Training epochs per seed.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Learning rate of the kernels (SGD).
    pub lr: f32,
    /// Momentum of the kernels' SGD.
    pub momentum: f32,
    /// Learning rate of the mixing logits (Adam).
    pub arch_lr: f32,
    /// Use only the first N training images.
    pub train_limit: Option<usize>,
    /// Use only the first N test images.
    pub test_limit: Option<usize>,
    /// Output folder (`seed-S.json`).
    pub out: PathBuf,
}

impl SearchPlan {
    /// Refuses values that cannot work, naming the field.
    pub fn validate(&self) -> Result<()> {
        check_dilation_list("candidate dilations", &self.candidates)?;
        for &d in &self.candidates {
            DilNetConfig::reference(d).validate().map_err(AutogradError::from)?;
        }
        if self.seeds == 0 {
            return Err(StudyError::invalid("search seeds", 0, "must be at least 1"));
        }
        if self.epochs == 0 {
            return Err(StudyError::invalid("search epochs", 0, "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(StudyError::invalid("batch size", 0, "must be at least 1"));
        }
        for (field, v) in [("learning rate", self.lr), ("architecture learning rate", self.arch_lr)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(StudyError::invalid(field, v, "must be a positive number"));
            }
        }
        if self.train_limit == Some(0) || self.test_limit == Some(0) {
            return Err(StudyError::invalid("data limit", 0, "must be at least 1 image"));
        }
        Ok(())
    }

    fn seed_file(&self, seed: u64) -> PathBuf {
        self.out.join(format!("seed-{seed}.json"))
    }

    fn settings(&self, seed: u64) -> SearchSettings {
        SearchSettings {
            arch_lr: self.arch_lr,
            batch_size: self.batch_size,
            candidates: self.candidates.clone(),
            epochs: self.epochs,
            lr: self.lr,
            seed,
            test_limit: self.test_limit,
            train_limit: self.train_limit,
        }
    }
}

/// The settings a seed's record was made with (reuse needs them equal).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSettings {
    /// Learning rate of the mixing logits.
    pub arch_lr: f32,
    /// Images per step.
    pub batch_size: usize,
    /// Candidate dilations.
    pub candidates: Vec<usize>,
    /// Epochs.
    pub epochs: usize,
    /// Learning rate of the kernels.
    pub lr: f32,
    /// Seed.
    pub seed: u64,
    /// Test images used.
    pub test_limit: Option<usize>,
    /// Training images used.
    pub train_limit: Option<usize>,
}

/// The mixing weights at one step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryPoint {
    /// Steps taken.
    pub step: usize,
    /// Weights of conv1, conv2, conv3.
    pub weights: [Vec<f32>; 3],
}

/// What one seed's search found (`seed-S.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchRecord {
    /// The settings.
    pub settings: SearchSettings,
    /// Final mixing weights per layer.
    pub weights: [Vec<f32>; 3],
    /// The learned (largest-weight) dilation per layer.
    pub chosen: [usize; 3],
    /// Test accuracy of the mixed network.
    pub test_accuracy: f64,
    /// Wall time.
    pub seconds: f64,
    /// Mixing weights every [`TRAJECTORY_EVERY`] steps.
    pub trajectory: Vec<TrajectoryPoint>,
}

fn read_record(path: &Path) -> Option<SearchRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Trains (or reuses) one seed's search network.
pub fn search_seed(
    plan: &SearchPlan,
    seed: u64,
    train: &MnistSplit,
    test: &MnistSplit,
    observer: &dyn Observer,
) -> Result<SearchRecord> {
    let settings = plan.settings(seed);
    let path = plan.seed_file(seed);
    if let Some(done) = read_record(&path).filter(|r| r.settings == settings) {
        return Ok(done);
    }
    let mut net = DilationSearchNet::new(&plan.candidates, &mut Rng::seed_from(seed))?;
    let mut opt = SplitOptimizer {
        split: DilationSearchNet::WEIGHTS,
        head: Optimizer::Sgd(Sgd::new(plan.lr, plan.momentum, 0.0)),
        tail: Optimizer::Adam(Adam::new(plan.arch_lr, 0.0)),
    };
    let steps = train.n.div_ceil(plan.batch_size);
    let mut trajectory = vec![TrajectoryPoint { step: 0, weights: net.weights() }];
    let start = Instant::now();
    for epoch in 0..plan.epochs {
        observer.epoch_started(&format!("seed {seed} epoch {}/{}", epoch + 1, plan.epochs), steps);
        let order = epoch_order(seed, epoch, train.n);
        fit_epoch(&mut net, &mut opt, train, &order, plan.batch_size, |p, net| {
            observer.step(p);
            let step = epoch * steps + p.step;
            if step % TRAJECTORY_EVERY == 0 {
                trajectory.push(TrajectoryPoint { step, weights: net.weights() });
            }
        })?;
    }
    let eval = evaluate(&net, test, EVAL_BATCH)?;
    let record = SearchRecord {
        settings,
        weights: net.weights(),
        chosen: net.chosen(),
        test_accuracy: eval.accuracy,
        seconds: start.elapsed().as_secs_f64(),
        trajectory,
    };
    write_record(&path, "search record", &record)?;
    Ok(record)
}

/// Writes a seed's record as pretty JSON, atomically (an interrupted write leaves no record, so
/// the seed is trained again).
pub(crate) fn write_record<T: Serialize>(path: &Path, what: &'static str, record: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(record).map_err(|e| StudyError::Json {
        path: path.to_path_buf(),
        what,
        message: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Every seed of the plan, trained or reused, on splits the caller loaded.
pub fn run_search(
    plan: &SearchPlan,
    train: &MnistSplit,
    test: &MnistSplit,
    observer: &dyn Observer,
) -> Result<Vec<SearchRecord>> {
    plan.validate()?;
    (0..plan.seeds).map(|s| search_seed(plan, s, train, test, observer)).collect()
}

/// Every seed's record when all exist with the plan's settings (nothing is trained), else
/// `None`: what a report made from existing folders shows.
pub fn existing_records(plan: &SearchPlan) -> Option<Vec<SearchRecord>> {
    (0..plan.seeds)
        .map(|s| read_record(&plan.seed_file(s)).filter(|r| r.settings == plan.settings(s)))
        .collect()
}
