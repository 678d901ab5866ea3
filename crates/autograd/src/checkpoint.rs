//! The one checkpoint format: everything a DilNet training run needs to continue exactly where
//! it stopped, as safetensors bytes (callers write them atomically).
//!
//! Tensors: the model's parameters under PyTorch's names, and the optimiser state under
//! `optim.velocity.NAME` (SGD) or `optim.m.NAME` / `optim.v.NAME` (Adam). Metadata: the
//! architecture (as in a model file), `epochs_done`, `history` (JSON list of [`EpochRecord`]s),
//! `adam_steps` for Adam, and `train_config`: the caller's recipe as an opaque JSON string, which
//! a resuming caller compares with its own.

use crate::error::ModelFileError;
use crate::io::{dilnet_config, dilnet_metadata, from_safetensors, to_safetensors};
use crate::nn::{DilNet, PARAM_NAMES};
use crate::optim::Optimizer;
use crate::{AutogradError, Result};
use atrous_tensor::Tensor;
use std::collections::HashMap;

/// What one epoch of a run measured. Field order is the file order (alphabetical).
///
/// The evaluation after each epoch is on the run's validation split when it has one, else on the
/// test set (runs without a validation split, and every file written before splits existed,
/// whose fields were named `test_accuracy` / `test_loss`; those names are still read).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Training images per second.
    pub images_per_second: f64,
    /// Wall time of the training pass.
    pub seconds: f64,
    /// Accuracy on the training images during the epoch.
    pub train_accuracy: f64,
    /// Mean training cross-entropy during the epoch.
    pub train_loss: f64,
    /// Accuracy on the evaluation split (validation, else test) after the epoch.
    #[serde(alias = "test_accuracy")]
    pub val_accuracy: f64,
    /// Mean cross-entropy on the evaluation split (validation, else test) after the epoch.
    #[serde(alias = "test_loss")]
    pub val_loss: f64,
}

/// A training run's full state after some epochs.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The model.
    pub model: DilNet,
    /// The optimiser with its state.
    pub optimizer: Optimizer,
    /// Epochs completed.
    pub epochs_done: usize,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// The recipe that produced the run, as the caller's JSON.
    pub recipe: String,
}

const EPOCHS_DONE: &str = "epochs_done";
const HISTORY: &str = "history";
const RECIPE: &str = "train_config";
const ADAM_STEPS: &str = "adam_steps";

fn metadata_error(key: &str, value: &str, expected: &'static str) -> AutogradError {
    ModelFileError::BadMetadata { key: key.into(), value: value.into(), expected }.into()
}

impl Checkpoint {
    /// The optimiser's state tensors under their checkpoint names.
    fn optimizer_tensors(&self) -> Vec<(String, &Tensor)> {
        match &self.optimizer {
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

    /// The checkpoint as safetensors bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut meta = dilnet_metadata(&self.model.config);
        meta.insert(EPOCHS_DONE.into(), self.epochs_done.to_string());
        meta.insert(RECIPE.into(), self.recipe.clone());
        let history = serde_json::to_string(&self.history)
            .map_err(|e| ModelFileError::Serialise(format!("history: {e}")))?;
        meta.insert(HISTORY.into(), history);
        if let Optimizer::Adam(a) = &self.optimizer {
            meta.insert(ADAM_STEPS.into(), a.steps.to_string());
        }
        let opt_named = self.optimizer_tensors();
        let mut named: Vec<(&str, &Tensor)> =
            PARAM_NAMES.iter().copied().zip(self.model.parameters()).collect();
        named.extend(opt_named.iter().map(|(n, t)| (n.as_str(), *t)));
        to_safetensors(&named, meta)
    }

    /// Reads a checkpoint; `optimizer` is a fresh optimiser with the run's settings, whose state
    /// is filled from the file. Every tensor's shape is checked against the architecture before
    /// it is used, and every value must be finite.
    pub fn from_bytes(bytes: &[u8], optimizer: Optimizer) -> Result<Self> {
        let (mut tensors, meta) = from_safetensors(bytes)?;
        let config = dilnet_config(&meta)?;
        let shapes = config.param_shapes();
        let mut take = |name: String, shape: &[usize]| -> Result<Tensor> {
            let t = tensors.remove(&name).ok_or_else(|| ModelFileError::MissingTensor(name.clone()))?;
            check_tensor(&name, &t, shape)?;
            Ok(t)
        };
        let params: Vec<Tensor> =
            PARAM_NAMES.iter().zip(&shapes).map(|(n, s)| take(n.to_string(), s)).collect::<Result<_>>()?;
        let params: [Tensor; 10] = params.try_into().expect("ten names");
        let model = DilNet::from_parameters(config, params)?;
        let mut optimizer = optimizer;
        match &mut optimizer {
            Optimizer::Sgd(s) => {
                s.velocity = PARAM_NAMES
                    .iter()
                    .zip(&shapes)
                    .map(|(n, sh)| take(format!("optim.velocity.{n}"), sh))
                    .collect::<Result<_>>()?;
            }
            Optimizer::Adam(a) => {
                let raw = meta_str(&meta, ADAM_STEPS)?;
                a.steps = raw.parse().map_err(|_| metadata_error(ADAM_STEPS, raw, "a step count"))?;
                a.m = PARAM_NAMES
                    .iter()
                    .zip(&shapes)
                    .map(|(n, sh)| take(format!("optim.m.{n}"), sh))
                    .collect::<Result<_>>()?;
                a.v = PARAM_NAMES
                    .iter()
                    .zip(&shapes)
                    .map(|(n, sh)| take(format!("optim.v.{n}"), sh))
                    .collect::<Result<_>>()?;
            }
        }
        if let Some(extra) = tensors.keys().next() {
            return Err(ModelFileError::UnexpectedTensor(extra.clone()).into());
        }
        let raw = meta_str(&meta, EPOCHS_DONE)?;
        let epochs_done = raw.parse().map_err(|_| metadata_error(EPOCHS_DONE, raw, "an epoch count"))?;
        let raw = meta_str(&meta, HISTORY)?;
        let history: Vec<EpochRecord> =
            serde_json::from_str(raw).map_err(|_| metadata_error(HISTORY, raw, "a list of epoch records"))?;
        let recipe = meta_str(&meta, RECIPE)?.to_string();
        Ok(Checkpoint { model, optimizer, epochs_done, history, recipe })
    }
}

fn meta_str<'a>(meta: &'a HashMap<String, String>, key: &str) -> Result<&'a str> {
    meta.get(key).map(String::as_str).ok_or_else(|| ModelFileError::MissingMetadata(key.into()).into())
}

/// Checks a stored tensor's shape and values.
pub(crate) fn check_tensor(name: &str, t: &Tensor, expected: &[usize]) -> Result<()> {
    if t.dims() != expected {
        return Err(ModelFileError::TensorShape {
            name: name.into(),
            found: t.shape().clone(),
            expected: atrous_tensor::Shape::new(expected),
        }
        .into());
    }
    if let Some(index) = t.as_slice().iter().position(|v| !v.is_finite()) {
        return Err(ModelFileError::NonFinite { name: name.into(), index }.into());
    }
    Ok(())
}
