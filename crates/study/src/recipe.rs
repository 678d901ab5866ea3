//! A training recipe: everything that decides which model a run produces (architecture,
//! optimiser, schedule, seed, data subset). A run folder records its recipe, and a run is
//! resumed or reused only under the same recipe.

use crate::{Result, StudyError};
use atrous_autograd::nn::DilNetConfig;
use atrous_autograd::optim::{Optimizer, OptimizerKind};
use atrous_saliency::writer::json_f32;
use serde_json::{Value, json};

/// The recipe's `f32` settings, written as their shortest decimal in `metrics.json` and as the
/// nearest `f64` in model and checkpoint metadata, and compared as `f32`.
const F32_FIELDS: [&str; 3] = ["lr", "momentum", "weight_decay"];

/// How to train one DilNet. [`TrainRecipe::reference`] is the reference recipe.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainRecipe {
    /// The architecture.
    pub net: DilNetConfig,
    /// Passes over the training set.
    pub epochs: usize,
    /// Seed of initialisation and data order.
    pub seed: u64,
    /// Images per step.
    pub batch_size: usize,
    /// Learning rate.
    pub lr: f32,
    /// Momentum (SGD only).
    pub momentum: f32,
    /// L2 weight decay.
    pub weight_decay: f32,
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Images held out of the training file as the validation split (0: no split; the test set
    /// is then evaluated after every epoch, as runs did before splits existed). With a split,
    /// a fixed permutation of the training file ([`crate::data::SPLIT_SEED`], the same for
    /// every run seed) gives the first `validation` images to validation and the rest to
    /// training; every epoch is evaluated on validation and the test set once, at the end.
    pub validation: usize,
    /// Use only the first N images of the training part (after the split, if any).
    pub train_limit: Option<usize>,
    /// Use only the first N test images.
    pub test_limit: Option<usize>,
}

impl TrainRecipe {
    /// The reference recipe at dilation `d`: DilNet 16-32-64, 3 epochs of SGD (lr 0.05, momentum
    /// 0.9, batch 64), seed 0, all of MNIST, no validation split (the study sets one).
    pub fn reference(d: usize) -> Self {
        TrainRecipe {
            net: DilNetConfig::reference(d),
            epochs: 3,
            seed: 0,
            batch_size: 64,
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 0.0,
            optimizer: OptimizerKind::Sgd,
            validation: 0,
            train_limit: None,
            test_limit: None,
        }
    }

    /// Refuses values that cannot work, naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(StudyError::invalid("epochs", self.epochs, "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(StudyError::invalid("batch size", self.batch_size, "must be at least 1"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(StudyError::invalid("learning rate", self.lr, "must be a positive number"));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(StudyError::invalid("momentum", self.momentum, "must be in [0, 1)"));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(StudyError::invalid(
                "weight decay",
                self.weight_decay,
                "must be a non-negative number",
            ));
        }
        if self.train_limit == Some(0) || self.test_limit == Some(0) {
            return Err(StudyError::invalid("data limit", 0, "must be at least 1 image"));
        }
        if let Some(&k) = self.net.kernels.iter().find(|&&k| k % 2 == 0) {
            return Err(StudyError::invalid(
                "kernel size",
                k,
                "must be odd (padding d·(k−1)/2 keeps the size)",
            ));
        }
        if self.validation >= crate::data::TRAIN_IMAGES {
            return Err(StudyError::invalid(
                "validation size",
                self.validation,
                "must leave training images (MNIST has 60,000)",
            ));
        }
        self.net.validate().map_err(atrous_autograd::AutogradError::from)?;
        Ok(())
    }

    /// A fresh optimiser for this recipe.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer.build(self.lr, self.momentum, self.weight_decay)
    }

    /// The recipe as JSON (sorted keys), as stored in `metrics.json` and printed in reports:
    /// each `f32` setting is its shortest decimal (`"lr": 0.05`), which reads back as the same
    /// `f32`. Model files and checkpoints keep [`TrainRecipe::to_metadata_json`] instead.
    pub fn to_json(&self) -> Value {
        let mut v = self.to_metadata_json();
        for key in F32_FIELDS {
            if let Some(x) = v.get(key).and_then(Value::as_f64) {
                v[key] = json_f32(x as f32);
            }
        }
        v
    }

    /// The recipe as stored in the model file's and the checkpoint's metadata (`train_config`):
    /// [`TrainRecipe::to_json`] with each `f32` setting widened to the `f64` nearest it
    /// (`"lr": 0.05000000074505806`), as it has always been written there, so a model file of
    /// a recipe keeps its bytes (the study's committed model hashes depend on them).
    /// `"validation"` appears only when there is a split and `"kernels"` only when a layer is
    /// not 3×3, so recipes that existed before those fields keep their JSON.
    pub fn to_metadata_json(&self) -> Value {
        let mut v = json!({
            "channels": self.net.channels,
            "dilations": self.net.dilations,
            "epochs": self.epochs,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "optimizer": self.optimizer.name(),
            "train_limit": self.train_limit,
            "test_limit": self.test_limit,
        });
        if self.validation > 0 {
            v["validation"] = json!(self.validation);
        }
        if self.net.kernels != [3; 3] {
            v["kernels"] = json!(self.net.kernels);
        }
        v
    }

    /// The recipe a run folder recorded ([`TrainRecipe::to_json`]'s output; absent
    /// `"validation"` means 0 and absent `"kernels"` means 3×3, as written).
    pub fn from_json(v: &Value) -> Result<Self> {
        let bad = |field: &'static str| {
            StudyError::invalid(
                field,
                v.get(field).unwrap_or(&Value::Null),
                "is missing or malformed in the recorded recipe",
            )
        };
        let usize_of = |field: &'static str| {
            v.get(field).and_then(Value::as_u64).map(|x| x as usize).ok_or_else(|| bad(field))
        };
        let f32_of = |field: &'static str| {
            v.get(field).and_then(Value::as_f64).map(|x| x as f32).ok_or_else(|| bad(field))
        };
        let list3 = |field: &'static str| -> Result<[usize; 3]> {
            let list: Vec<usize> = serde_json::from_value(v.get(field).cloned().unwrap_or(Value::Null))
                .map_err(|_| bad(field))?;
            list.try_into().map_err(|_| bad(field))
        };
        let limit = |field: &'static str| -> Result<Option<usize>> {
            match v.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => x.as_u64().map(|n| Some(n as usize)).ok_or_else(|| bad(field)),
            }
        };
        let optimizer = match v.get("optimizer").and_then(Value::as_str) {
            Some("sgd") => OptimizerKind::Sgd,
            Some("adam") => OptimizerKind::Adam,
            _ => return Err(bad("optimizer")),
        };
        let mut net = DilNetConfig::reference(1);
        net.channels = list3("channels")?;
        net.dilations = list3("dilations")?;
        if v.get("kernels").is_some() {
            net.kernels = list3("kernels")?;
        }
        Ok(TrainRecipe {
            net,
            epochs: usize_of("epochs")?,
            seed: v.get("seed").and_then(Value::as_u64).ok_or_else(|| bad("seed"))?,
            batch_size: usize_of("batch_size")?,
            lr: f32_of("lr")?,
            momentum: f32_of("momentum")?,
            weight_decay: f32_of("weight_decay")?,
            optimizer,
            validation: if v.get("validation").is_some() { usize_of("validation")? } else { 0 },
            train_limit: limit("train_limit")?,
            test_limit: limit("test_limit")?,
        })
    }

    /// The first field in which a stored recipe differs from this one, with both values, or
    /// `None` when they are the same recipe. `f32` settings are compared as `f32`, so a file
    /// that wrote `"lr": 0.05000000074505806` (metadata, and `metrics.json` before it printed
    /// shortest decimals) and one that wrote `"lr": 0.05` hold the same recipe.
    pub fn first_difference(&self, saved: &Value) -> Option<(String, String, String)> {
        let mine = self.to_json();
        let (Value::Object(mine), Value::Object(theirs)) = (&mine, saved) else {
            return Some(("recipe".into(), saved.to_string(), mine.to_string()));
        };
        let mut theirs = theirs.clone();
        for key in F32_FIELDS {
            if let Some(x) = theirs.get(key).and_then(Value::as_f64) {
                theirs.insert(key.into(), json_f32(x as f32));
            }
        }
        let keys = mine.keys().chain(theirs.keys().filter(|k| !mine.contains_key(*k)));
        for key in keys {
            let (a, b) = (theirs.get(key).unwrap_or(&Value::Null), mine.get(key).unwrap_or(&Value::Null));
            if a != b {
                return Some((key.clone(), a.to_string(), b.to_string()));
            }
        }
        None
    }
}

/// Refuses an empty list of dilations, or one that lists a value twice.
pub(crate) fn check_dilation_list(field: &'static str, list: &[usize]) -> Result<()> {
    if list.is_empty() {
        return Err(StudyError::invalid(field, "[]", "need at least one dilation"));
    }
    let mut sorted = list.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != list.len() {
        return Err(StudyError::invalid(field, format!("{list:?}"), "list a value twice"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_round_trip_through_their_json_and_old_recipes_keep_theirs() {
        let reference = TrainRecipe::reference(2);
        let json = reference.to_json();
        assert!(json.get("validation").is_none() && json.get("kernels").is_none(), "{json}");
        assert_eq!(TrainRecipe::from_json(&json).unwrap(), reference);
        let mut wide =
            TrainRecipe { validation: 10_000, train_limit: Some(300), seed: 7, lr: 0.02, ..reference };
        wide.net.kernels = [5, 5, 5];
        wide.net.dilations = [1, 2, 3];
        let json = wide.to_json();
        assert_eq!(
            (json["validation"].as_u64(), json["kernels"].clone()),
            (Some(10_000), serde_json::json!([5, 5, 5]))
        );
        assert_eq!(TrainRecipe::from_json(&json).unwrap(), wide);
        assert_eq!(
            wide.first_difference(&TrainRecipe::reference(2).to_json()).map(|d| d.0),
            Some("dilations".into())
        );
    }

    #[test]
    fn f32_settings_are_shortest_in_json_widened_in_metadata_and_compared_as_f32() {
        let r = TrainRecipe { lr: 0.03, momentum: 0.8, ..TrainRecipe::reference(1) };
        let (short, meta) = (r.to_json(), r.to_metadata_json());
        assert_eq!(
            (short["lr"].to_string(), short["momentum"].to_string(), short["weight_decay"].to_string()),
            ("0.03".into(), "0.8".into(), "0.0".into())
        );
        // The metadata keeps what model files always held: the f64 nearest each f32.
        assert_eq!(
            (meta["lr"].to_string(), meta["momentum"].to_string()),
            ("0.029999999329447746".into(), "0.800000011920929".into())
        );
        for v in [&short, &meta] {
            let text: Value = serde_json::from_str(&v.to_string()).unwrap();
            assert_eq!(TrainRecipe::from_json(&text).unwrap(), r);
            assert_eq!(r.first_difference(&text), None, "{text}");
        }
        // Another f32, even the next one up, is another recipe; the message shows shortest decimals.
        let next = TrainRecipe { lr: f32::from_bits(0.03f32.to_bits() + 1), ..r.clone() };
        assert_eq!(next.first_difference(&meta), Some(("lr".into(), "0.03".into(), "0.030000001".into())));
        let other = TrainRecipe { momentum: 0.9, ..r.clone() };
        assert_eq!(other.first_difference(&short).map(|d| d.0), Some("momentum".into()));
    }

    /// `metrics.json` as the code before shortest decimals wrote it (recipe of the reference run at
    /// d = 2, seed 3): still the same recipe.
    #[test]
    fn an_old_format_recipe_with_widened_f32_values_is_the_same_recipe() {
        let old = r#"{"batch_size":64,"channels":[16,32,64],"dilations":[2,2,2],"epochs":3,"lr":0.05000000074505806,"momentum":0.8999999761581421,"optimizer":"sgd","seed":3,"test_limit":null,"train_limit":null,"validation":10000,"weight_decay":0.0}"#;
        let old: Value = serde_json::from_str(old).unwrap();
        let recipe = TrainRecipe { seed: 3, validation: 10_000, ..TrainRecipe::reference(2) };
        assert_eq!(recipe.first_difference(&old), None);
        assert_eq!(TrainRecipe::from_json(&old).unwrap(), recipe);
        assert_eq!(recipe.to_metadata_json(), old, "metadata JSON must stay byte-for-byte the old one");
        assert_eq!(recipe.to_json()["lr"].to_string(), "0.05");
    }

    /// Every f32 in a sweep of the finite range reads back from its shortest decimal, through
    /// JSON text, as itself.
    #[test]
    fn shortest_decimals_of_f32_read_back_exactly() {
        let mut bits = 0u32;
        let mut n = 0;
        while bits < 0x7f80_0000 {
            let x = f32::from_bits(bits);
            let text = json_f32(x).to_string();
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back.as_f64().unwrap() as f32, x, "{x:e} written as {text}");
            bits += 65_537;
            n += 1;
        }
        assert!(n > 30_000, "{n}");
    }
}
