//! The bilevel dilation search (question 1, the mixture method): trains a [`BilevelSearchNet`]
//! per seed, alternating an SGD step of the weights on a batch of the training part with an Adam
//! step of the mixing logits on a batch of the validation part (first-order DARTS), until every
//! layer's chosen dilation has stayed the same for `patience_steps` steps or the epoch limit.
//!
//! With [`Gumbel`] settings (method `mixture-gumbel`), every half step mixes with a fresh
//! Gumbel-softmax sample `softmax((a + g)/τ)` instead of `softmax(a)`; τ falls exponentially from
//! `tau_start` at the first planned step to `tau_end` at the last ([`temperature`]). The noise
//! comes from its own stream of the seed's generator, drawn in step order on one thread, so a
//! seed's trajectory does not depend on the thread count. The recorded weights, the trajectory
//! and the chosen configuration are the noiseless `softmax(a)`.
//!
//! The search sees only [`SearchData`]: the training and validation parts of MNIST's training
//! file. It has no test split, and [`SearchData::load`] does not open the test files, so nothing a
//! search records can depend on test data. One `seed-S.json` per seed (the fields of
//! [`crate::SearchRecord`] and more); a seed whose record exists with the same settings is reused,
//! and one made with other settings is refused, naming the setting.

use crate::data::{load_train, select, split_indices};
use crate::observer::Observer;
use crate::search::{TRAJECTORY_EVERY, TrajectoryPoint, write_record};
use crate::{Result, StudyError};
use atrous_autograd::AutogradError;
use atrous_autograd::bilevel_search::{BilevelSearchNet, partial_step};
use atrous_autograd::optim::{Adam, Optimizer, Sgd};
use atrous_autograd::train::{EVAL_BATCH, StepProgress, epoch_order, evaluate};
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The data a dilation search may read: the training part and the validation part of MNIST's
/// training file, and nothing else. There is no way to put a test split in it by name, and the
/// search functions take nothing else.
#[derive(Clone, Debug)]
pub struct SearchData {
    train: MnistSplit,
    validation: MnistSplit,
}

impl SearchData {
    /// The study's split of a loaded training file: `validation` images by the fixed split
    /// permutation ([`crate::data::SPLIT_SEED`]), the rest the training part, cut to its first
    /// `train_limit` images when given.
    pub fn split(train_file: &MnistSplit, validation: usize, train_limit: Option<usize>) -> Result<Self> {
        if validation == 0 || validation >= train_file.n {
            return Err(StudyError::invalid(
                "validation images",
                validation,
                "must be at least 1 and leave training images",
            ));
        }
        let (val_idx, mut train_idx) = split_indices(train_file.n, validation);
        if let Some(limit) = train_limit {
            train_idx.truncate(limit);
        }
        Ok(SearchData { train: select(train_file, &train_idx), validation: select(train_file, &val_idx) })
    }

    /// Reads only the training file of the MNIST folder `dir` and splits it as [`Self::split`].
    pub fn load(dir: &Path, validation: usize, train_limit: Option<usize>) -> Result<Self> {
        Self::split(&load_train(dir)?, validation, train_limit)
    }

    /// The images the weights are trained on.
    pub fn train(&self) -> &MnistSplit {
        &self.train
    }

    /// The images the architecture is chosen on and judged by.
    pub fn validation(&self) -> &MnistSplit {
        &self.validation
    }
}

/// How to run the bilevel search (the settings of every seed but the seed).
#[derive(Clone, Debug, PartialEq)]
pub struct MixturePlan {
    /// Candidate dilations mixed in every conv layer.
    pub candidates: Vec<usize>,
    /// Every candidate reads one shared kernel (the ablation) instead of its own.
    pub shared_kernel: bool,
    /// Epoch limit (passes over the training part).
    pub epochs: usize,
    /// Images per step, for both halves of a step.
    pub batch_size: usize,
    /// Learning rate of the weights (SGD).
    pub lr: f32,
    /// Momentum of the weights' SGD.
    pub momentum: f32,
    /// Learning rate of the mixing logits (Adam).
    pub arch_lr: f32,
    /// Stop once no layer's chosen dilation has changed for this many steps.
    pub patience_steps: usize,
    /// Validation images split off the training file (recorded; the data holds them).
    pub validation: usize,
    /// Training images used (`None`: the whole training part).
    pub train_limit: Option<usize>,
    /// Gumbel-softmax mixing (`None`: plain softmax).
    pub gumbel: Option<Gumbel>,
}

/// Gumbel-softmax settings: the temperature schedule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gumbel {
    /// τ at the first planned step.
    pub tau_start: f32,
    /// τ at the last planned step.
    pub tau_end: f32,
}

/// Stream of the seed's generator the Gumbel noise is drawn from (apart from the weights'
/// initialisation and the batch orders).
const GUMBEL_STREAM: u64 = u64::MAX - 1;

/// τ at step `step` (0-based) of `planned`: `tau_start · (tau_end / tau_start)^(step / (planned − 1))`,
/// exponential interpolation; `tau_start` with a single planned step, `tau_end` past the plan.
pub fn temperature(g: &Gumbel, step: usize, planned: usize) -> f32 {
    if planned <= 1 {
        return g.tau_start;
    }
    let frac = (step.min(planned - 1) as f64) / ((planned - 1) as f64);
    let (start, end) = (f64::from(g.tau_start), f64::from(g.tau_end));
    (start * (end / start).powf(frac)) as f32
}

/// What a seed's record was made with; reuse needs them equal. The first eight fields are those
/// of `seed-S.json`'s settings before the bilevel search existed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixtureSettings {
    /// Learning rate of the mixing logits.
    pub arch_lr: f32,
    /// Images per step.
    pub batch_size: usize,
    /// Candidate dilations.
    pub candidates: Vec<usize>,
    /// Epoch limit.
    pub epochs: usize,
    /// Learning rate of the weights.
    pub lr: f32,
    /// Seed.
    pub seed: u64,
    /// Always `None`: the bilevel search reads no test image.
    pub test_limit: Option<usize>,
    /// Training images asked for.
    pub train_limit: Option<usize>,
    /// `"bilevel"` (first-order DARTS).
    pub method: String,
    /// Whether the candidates share one kernel.
    pub shared_kernel: bool,
    /// Momentum of the weights' SGD.
    pub momentum: f32,
    /// Patience of the stopping rule, in steps.
    pub patience_steps: usize,
    /// Validation images split off the training file.
    pub validation: usize,
    /// Training images actually used.
    pub train_images: usize,
    /// Validation images actually used.
    pub validation_images: usize,
    /// Gumbel-softmax schedule; absent from records without it, so they read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gumbel: Option<Gumbel>,
}

/// Why a search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every layer's chosen dilation stayed the same for `patience_steps` steps.
    Patience,
    /// The epoch limit came first.
    EpochLimit,
}

/// What one seed's bilevel search found (`seed-S.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixtureRecord {
    /// `mixture`, or `mixture-shared-kernel` for the ablation, with `-gumbel` appended under
    /// Gumbel-softmax: the Q1 analysis groups seeds by it.
    pub method: String,
    /// The settings.
    pub settings: MixtureSettings,
    /// Final mixing weights per layer.
    pub weights: [Vec<f32>; 3],
    /// The chosen (largest-weight) dilation per layer.
    pub chosen: [usize; 3],
    /// Always `null`: kept so the file has every field `seed-S.json` had, but a bilevel search
    /// never measures the test set.
    pub test_accuracy: Option<f64>,
    /// Wall time.
    pub seconds: f64,
    /// Mixing weights every [`TRAJECTORY_EVERY`] steps, and at the last step.
    pub trajectory: Vec<TrajectoryPoint>,
    /// Validation accuracy of the mixed network at the end (batch statistics, batches of
    /// [`EVAL_BATCH`]).
    pub validation_accuracy: f64,
    /// Why the search stopped.
    pub stopped: StopReason,
    /// Steps taken (one step: a weight update and a logit update).
    pub steps: usize,
    /// The step at which the chosen configuration last changed.
    pub last_change_step: usize,
    /// How to retrain the chosen configuration from scratch with the study's runner.
    pub retrain_command: String,
}

impl MixturePlan {
    /// Refuses values that cannot work, naming the field.
    pub fn validate(&self) -> Result<()> {
        crate::recipe::check_dilation_list("candidate dilations", &self.candidates)?;
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(StudyError::invalid("epochs and batch size", 0, "must be at least 1"));
        }
        if self.patience_steps == 0 {
            return Err(StudyError::invalid("patience steps", 0, "must be at least 1"));
        }
        let taus = self.gumbel.map_or(vec![], |g| vec![("tau start", g.tau_start), ("tau end", g.tau_end)]);
        for (field, v) in
            [("learning rate", self.lr), ("architecture learning rate", self.arch_lr)].into_iter().chain(taus)
        {
            if !(v.is_finite() && v > 0.0) {
                return Err(StudyError::invalid(field, v, "must be a positive number"));
            }
        }
        Ok(())
    }

    /// The settings of seed `seed` on `data`.
    pub fn settings(&self, seed: u64, data: &SearchData) -> MixtureSettings {
        MixtureSettings {
            arch_lr: self.arch_lr,
            batch_size: self.batch_size,
            candidates: self.candidates.clone(),
            epochs: self.epochs,
            lr: self.lr,
            seed,
            test_limit: None,
            train_limit: self.train_limit,
            method: "bilevel".into(),
            shared_kernel: self.shared_kernel,
            momentum: self.momentum,
            patience_steps: self.patience_steps,
            validation: self.validation,
            train_images: data.train.n,
            validation_images: data.validation.n,
            gumbel: self.gumbel,
        }
    }

    /// The method name of its records.
    pub fn method(&self) -> String {
        let base = if self.shared_kernel { "mixture-shared-kernel" } else { "mixture" };
        if self.gumbel.is_some() { format!("{base}-gumbel") } else { base.to_string() }
    }
}

/// `seed-S.json` in `out`.
pub fn mixture_record_path(out: &Path, seed: u64) -> PathBuf {
    out.join(format!("seed-{seed}.json"))
}

/// A seed's record, if `path` holds one of this kind.
pub fn read_mixture_record(path: &Path) -> Option<MixtureRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The existing record at `path` when it was made with `settings`; an error naming the first
/// setting that differs when it was made with others (a search is not thrown away silently).
pub(crate) fn reuse<S: Serialize>(path: &Path, saved: Option<&S>, settings: &S) -> Result<bool> {
    let Some(saved) = saved else { return Ok(false) };
    let (old, new) = (serde_json::to_value(saved), serde_json::to_value(settings));
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) = (old, new) else {
        return Ok(false);
    };
    match new.iter().find(|(k, v)| old.get(*k) != Some(v)) {
        None => Ok(true),
        Some((field, requested)) => Err(StudyError::RecipeMismatch {
            dir: path.to_path_buf(),
            field: field.clone(),
            saved: old.get(field).map_or("nothing".into(), show),
            requested: show(requested),
        }),
    }
}

/// A setting as written on the command line: settings are f32, which JSON widens to f64
/// (0.01 would read 0.009999999776482582).
fn show(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if v.is_f64() => (f as f32).to_string(),
        _ => v.to_string(),
    }
}

/// The command that retrains `chosen` from scratch on the study's split, with the study's
/// recipe (3 epochs, the reference optimiser) and this search seed.
pub fn retrain_command(chosen: [usize; 3], seed: u64, validation: usize) -> String {
    let [a, b, c] = chosen;
    format!(
        "atrous train --dilations {a},{b},{c} --validation {validation} --epochs 3 --seed {seed} --out runs/q1-retrain/d{a}{b}{c}-s{seed}"
    )
}

/// Searches (or reuses) one seed into `out/seed-S.json`.
pub fn mixture_seed(
    plan: &MixturePlan,
    seed: u64,
    data: &SearchData,
    out: &Path,
    observer: &dyn Observer,
) -> Result<MixtureRecord> {
    plan.validate()?;
    let settings = plan.settings(seed, data);
    let path = mixture_record_path(out, seed);
    let saved = read_mixture_record(&path);
    if reuse(&path, saved.as_ref().map(|r| &r.settings), &settings)? {
        return Ok(saved.expect("reuse is true only for a saved record"));
    }
    let mut net = BilevelSearchNet::new(&plan.candidates, plan.shared_kernel, &mut Rng::seed_from(seed))?;
    let mut weight_opt = Optimizer::Sgd(Sgd::new(plan.lr, plan.momentum, 0.0));
    let mut logit_opt = Optimizer::Adam(Adam::new(plan.arch_lr, 0.0));
    let (train, val) = (&data.train, &data.validation);
    let steps_per_epoch = train.n.div_ceil(plan.batch_size);
    let planned = steps_per_epoch * plan.epochs;
    let mut noise_rng = Rng::seed_from(seed).fork(GUMBEL_STREAM);
    // The validation batches follow their own seeded order, drawn again after each full pass.
    let val_rng = Rng::seed_from(seed).fork(u64::MAX);
    let (mut val_order, mut val_pass, mut val_at) = (val_rng.fork(0).permutation(val.n), 0u64, 0usize);
    let mut trajectory = vec![TrajectoryPoint { step: 0, weights: net.weights() }];
    let (mut chosen, mut last_change, mut step) = (net.chosen(), 0usize, 0usize);
    let mut stopped = StopReason::EpochLimit;
    let start = Instant::now();
    'epochs: for epoch in 0..plan.epochs {
        observer.epoch_started(&format!("seed {seed} epoch {}/{}", epoch + 1, plan.epochs), steps_per_epoch);
        let epoch_start = Instant::now();
        let order = epoch_order(seed, epoch, train.n);
        for (i, indices) in order.chunks(plan.batch_size).enumerate() {
            step += 1;
            let (weights, logits) = (net.weight_range(), net.logit_range());
            if let Some(g) = &plan.gumbel {
                net.sample_gumbel(temperature(g, step - 1, planned), &mut noise_rng)?;
            }
            let stats =
                diverged(step, partial_step(&mut net, &mut weight_opt, &train.batch(indices), weights))?;
            if val_at + plan.batch_size > val.n && val_at > 0 {
                val_pass += 1;
                val_order = val_rng.fork(val_pass).permutation(val.n);
                val_at = 0;
            }
            let end = (val_at + plan.batch_size).min(val.n);
            let val_batch = val.batch(&val_order[val_at..end]);
            val_at = end;
            if let Some(g) = &plan.gumbel {
                net.sample_gumbel(temperature(g, step - 1, planned), &mut noise_rng)?;
            }
            diverged(step, partial_step(&mut net, &mut logit_opt, &val_batch, logits))?;
            if net.chosen() != chosen {
                (chosen, last_change) = (net.chosen(), step);
            }
            let progress = StepProgress {
                step: i + 1,
                steps: steps_per_epoch,
                loss: stats.loss,
                images: ((i + 1) * plan.batch_size).min(train.n),
                seconds: epoch_start.elapsed().as_secs_f64(),
            };
            observer.step(&progress);
            let patient = step - last_change >= plan.patience_steps;
            if step % TRAJECTORY_EVERY == 0 || patient {
                trajectory.push(TrajectoryPoint { step, weights: net.weights() });
            }
            if patient {
                stopped = StopReason::Patience;
                break 'epochs;
            }
        }
    }
    if trajectory.last().is_some_and(|p| p.step != step) {
        trajectory.push(TrajectoryPoint { step, weights: net.weights() });
    }
    // The mixed network is judged with the noiseless softmax(a), like its recorded weights.
    net.clear_gumbel();
    let eval = evaluate(&net, val, EVAL_BATCH)?;
    let record = MixtureRecord {
        method: plan.method(),
        retrain_command: retrain_command(chosen, seed, plan.validation),
        settings,
        weights: net.weights(),
        chosen,
        test_accuracy: None,
        seconds: start.elapsed().as_secs_f64(),
        trajectory,
        validation_accuracy: eval.accuracy,
        stopped,
        steps: step,
        last_change_step: last_change,
    };
    std::fs::create_dir_all(out)
        .map_err(|source| StudyError::Unwritable { dir: out.to_path_buf(), source })?;
    write_record(&path, "bilevel search record", &record)?;
    Ok(record)
}

/// A non-finite loss as the step it happened at.
fn diverged<T>(step: usize, r: atrous_autograd::Result<T>) -> Result<T> {
    match r {
        Err(AutogradError::NonFiniteLoss(loss)) => Err(AutogradError::Diverged { step, loss }.into()),
        other => Ok(other?),
    }
}
