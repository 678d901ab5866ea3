//! The study's records: one small JSON file per finished run (`RECORDS/ARM-sS.json`), holding
//! everything the analysis reads from that run, so that a study outlives its run folders.
//!
//! A run folder is large (model, checkpoint) and is not kept in version control; a session, a
//! machine or a disk can lose it. Its record is a few kilobytes: the run's `metrics.json` (recipe,
//! engine revision, per-epoch history, the single test evaluation) and, for main-grid runs, what
//! the study measured on the model (per-test-image correctness, saliency statistics, and for a
//! seed-0 model its class models), with the measurement settings that produced them.
//!
//! Every analysis of a complete run folder files its record. When a folder is missing, the
//! study uses its record instead, under the same rules as a folder: the recipe and the engine
//! revision must be the ones asked for (a record of another recipe is reported stale, never
//! used), and a measurement is used only under the same measurement settings. So committed
//! records let a later study (or another machine) add runs to an earlier one, and let the
//! report be regenerated without retraining.

use crate::measure::{ClassModelResult, Look, RunResult};
use crate::plan::{Arm, StudyPlan};
use crate::recipe::TrainRecipe;
use crate::run::{Metrics, RunState, metrics_state};
use crate::{Result, StudyError};
use atrous_tensor::files::write_atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One finished run, as filed in the records folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The arm's name.
    pub arm: String,
    /// The seed.
    pub seed: u64,
    /// The run's `metrics.json`.
    pub metrics: Metrics,
    /// sha256 (hex) of the run's `model.safetensors`, for reproducibility checks
    /// (`scripts/check_reproducible.sh` retrains a sample of records and compares).
    #[serde(default)]
    pub model_sha256: Option<String>,
    /// What the study measured on the model (main-grid runs only).
    #[serde(default)]
    pub measured: Option<Measured>,
}

/// The study's measurements of one main-grid model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// The measurement settings ([`measurement_settings`]); a record measured otherwise is not
    /// used for these numbers.
    pub settings: String,
    /// Per test image, classified correctly: `1`/`0` characters in test-set order.
    pub correct: String,
    /// Mean share of saliency mass on ink.
    pub ink_share: f64,
    /// Mean saliency spread (pixels).
    pub spread: f64,
    /// Mean box IoU of the localisation.
    pub box_iou: f64,
    /// Mean mask IoU of the localisation.
    pub mask_iou: f64,
    /// Class-model scores and probabilities (seed-0 runs, which the study draws).
    #[serde(default)]
    pub class_models: Option<ClassModels>,
}

/// Class-model results of a seed-0 main-grid model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassModels {
    /// `S_c` reached by each class model.
    pub scores: Vec<f32>,
    /// Softmax probability of each class model.
    pub probabilities: Vec<f32>,
}

/// The settings that decide a main-grid run's measurements, as one comparable string.
pub fn measurement_settings(plan: &StudyPlan) -> String {
    format!(
        "saliency_images={}; localize={:?}; class_model={:?}",
        plan.saliency_images, plan.localize, plan.class_model
    )
}

/// The records folder of a plan's runs and where each run's record lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Records {
    dir: PathBuf,
}

impl Records {
    /// Records kept in `dir` (created when the first one is filed).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Records { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The record file of run `seed` of arm `name`.
    pub fn path(&self, name: &str, seed: u64) -> PathBuf {
        self.dir.join(format!("{name}-s{seed}.json"))
    }

    /// The record of run `seed` of `arm`, if one is filed. A damaged record is an error naming
    /// the file, never a silent retrain.
    pub fn read(&self, arm: &Arm, seed: u64) -> Result<Option<RunRecord>> {
        let path = self.path(&arm.name, seed);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StudyError::Read { path, source }),
        };
        let record: RunRecord = serde_json::from_slice(&bytes).map_err(|e| StudyError::Json {
            path: path.clone(),
            what: "run record",
            message: e.to_string(),
        })?;
        if record.arm != arm.name || record.seed != seed {
            return Err(StudyError::Json {
                path,
                what: "run record",
                message: format!("holds run {}-s{}, not {}-s{seed}", record.arm, record.seed, arm.name),
            });
        }
        Ok(Some(record))
    }

    /// What the record of run `seed` of `arm` says about `recipe`: [`RunState::Missing`] without
    /// a record, else as a folder with these metrics would (complete, or stale naming the
    /// field; an unfinished record cannot be filed).
    pub fn state(&self, arm: &Arm, seed: u64, recipe: &TrainRecipe) -> Result<(RunState, Option<RunRecord>)> {
        match self.read(arm, seed)? {
            None => Ok((RunState::Missing, None)),
            Some(record) => Ok((metrics_state(recipe, &record.metrics), Some(record))),
        }
    }

    /// Files the record of a measured run (atomically, creating the folder; replaces an older
    /// one).
    pub fn file(&self, record: &RunRecord) -> Result<()> {
        let mut text = serde_json::to_string_pretty(record).map_err(|e| StudyError::Json {
            path: self.path(&record.arm, record.seed),
            what: "run record",
            message: e.to_string(),
        })?;
        text.push('\n');
        write_atomic(&self.path(&record.arm, record.seed), text.as_bytes())?;
        Ok(())
    }
}

impl RunRecord {
    /// The record of a run the study has just measured; `model_sha256` of its model file.
    pub fn new(
        model_sha256: Option<String>,
        metrics: &Metrics,
        result: &RunResult,
        class_models: Option<&ClassModelResult>,
        settings: &str,
    ) -> Self {
        let measured = result.look.map(|look| Measured {
            settings: settings.to_string(),
            correct: result.correct.iter().map(|&c| if c { '1' } else { '0' }).collect(),
            ink_share: look.ink_share,
            spread: look.spread,
            box_iou: look.box_iou,
            mask_iou: look.mask_iou,
            class_models: class_models
                .map(|c| ClassModels { scores: c.scores.clone(), probabilities: c.probabilities.clone() }),
        });
        RunRecord {
            arm: result.arm.clone(),
            seed: result.seed,
            metrics: metrics.clone(),
            model_sha256,
            measured,
        }
    }

    /// The record of a run that is only trained, not measured (a Q1 grid run): its metrics and
    /// `model_sha256` of its model file.
    pub fn unmeasured(arm: &str, seed: u64, metrics: &Metrics, model_sha256: Option<String>) -> Self {
        RunRecord { arm: arm.to_string(), seed, metrics: metrics.clone(), model_sha256, measured: None }
    }

    /// The measurements this record holds under `settings`, if any.
    pub fn measured_with(&self, settings: &str) -> Option<&Measured> {
        self.measured.as_ref().filter(|m| m.settings == settings)
    }

    /// The run's result as the analysis reads it. `look` says whether the arm's runs are
    /// measured on their model (main grid): then the record must hold a measurement under
    /// `settings`, else `None` (the run counts as missing).
    pub fn to_result(&self, arm: &Arm, look: bool, settings: &str) -> Option<RunResult> {
        let m = &self.metrics;
        let split = m.evaluated_per_epoch == "validation";
        let mut result = RunResult {
            arm: arm.name.clone(),
            dilation: arm.dilation,
            seed: self.seed,
            val_accuracy: m.epochs.last().filter(|_| split).map(|r| r.val_accuracy),
            test_accuracy: m.test_accuracy?,
            test_loss: m.test_loss?,
            history: m.epochs.clone(),
            correct: Vec::new(),
            look: None,
            train_seconds: m.epochs.iter().map(|e| e.seconds).sum(),
        };
        if look {
            let measured = self.measured_with(settings)?;
            result.correct = parse_correct(&measured.correct)?;
            result.look = Some(Look {
                ink_share: measured.ink_share,
                spread: measured.spread,
                box_iou: measured.box_iou,
                mask_iou: measured.mask_iou,
            });
        }
        Some(result)
    }

    /// The class models of a seed-0 main-grid record, measured under `settings`.
    pub fn class_models(&self, settings: &str) -> Option<ClassModelResult> {
        let cm = self.measured_with(settings)?.class_models.as_ref()?;
        Some(ClassModelResult {
            arm: self.arm.clone(),
            scores: cm.scores.clone(),
            probabilities: cm.probabilities.clone(),
        })
    }
}

/// The sha256 (hex) of a file.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    Ok(Sha256::digest(std::fs::read(path)?).iter().map(|b| format!("{b:02x}")).collect())
}

fn parse_correct(text: &str) -> Option<Vec<bool>> {
    text.chars()
        .map(|c| match c {
            '1' => Some(true),
            '0' => Some(false),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correctness_round_trips_and_rejects_other_characters() {
        assert_eq!(parse_correct("1001"), Some(vec![true, false, false, true]));
        assert_eq!(parse_correct(""), Some(vec![]));
        assert_eq!(parse_correct("10x1"), None);
    }
}
