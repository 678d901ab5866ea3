//! Loading the MNIST splits a run or a study needs: the fixed train/validation split of the
//! training file, cut to the recipe's data limits, and the test set.
//!
//! The split is a permutation of the 60,000 training images drawn once from [`SPLIT_SEED`], a
//! constant independent of any run seed: the first `validation` images of the permutation are
//! the validation set, the rest the training part. Every run of every study with the same
//! `validation` therefore trains on the same images and is selected on the same images; only
//! initialisation and data order change with the run seed. `train_limit` keeps the first N
//! images of the training part (in permutation order), so a subset is still a random sample.

use crate::recipe::TrainRecipe;
use crate::{Result, StudyError};
use atrous_tensor::mnist::{Mnist, MnistSplit, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE};
use atrous_tensor::rng::Rng;
use std::path::Path;

/// Seed of the train/validation permutation. Fixed forever: changing it changes every split run.
pub const SPLIT_SEED: u64 = 0x5EED_5B11;

/// Images in MNIST's training file.
pub const TRAIN_IMAGES: usize = 60_000;

fn cut(split: MnistSplit, limit: Option<usize>) -> MnistSplit {
    match limit {
        Some(n) => split.take(n),
        None => split,
    }
}

/// The examples of `split` at `indices`, in that order.
pub fn select(split: &MnistSplit, indices: &[usize]) -> MnistSplit {
    let pixels = split.images.len() / split.n.max(1);
    let mut images = Vec::with_capacity(indices.len() * pixels);
    for &i in indices {
        images.extend_from_slice(&split.images[i * pixels..(i + 1) * pixels]);
    }
    MnistSplit { images, labels: indices.iter().map(|&i| split.labels[i]).collect(), n: indices.len() }
}

/// Indices into a training file of `n` images: (validation, training part). The permutation
/// depends on [`SPLIT_SEED`] and `n` only.
pub fn split_indices(n: usize, validation: usize) -> (Vec<usize>, Vec<usize>) {
    let order = Rng::seed_from(SPLIT_SEED).permutation(n);
    let validation = validation.min(n);
    (order[..validation].to_vec(), order[validation..].to_vec())
}

/// The data of one run.
#[derive(Clone, Debug)]
pub struct RunData {
    /// Training images (the training part of the split, cut to `train_limit`).
    pub train: MnistSplit,
    /// The validation split, when the recipe has one.
    pub validation: Option<MnistSplit>,
    /// The test set, cut to `test_limit`.
    pub test: MnistSplit,
}

impl RunData {
    /// Splits a loaded MNIST as `recipe` says.
    pub fn from_mnist(train_file: &MnistSplit, test: MnistSplit, recipe: &TrainRecipe) -> Self {
        let test = cut(test, recipe.test_limit);
        if recipe.validation == 0 {
            let train = cut(train_file.clone(), recipe.train_limit);
            return RunData { train, validation: None, test };
        }
        let (val_idx, mut train_idx) = split_indices(train_file.n, recipe.validation);
        if let Some(limit) = recipe.train_limit {
            train_idx.truncate(limit);
        }
        RunData {
            train: select(train_file, &train_idx),
            validation: Some(select(train_file, &val_idx)),
            test,
        }
    }

    /// Loads MNIST from `dir` and splits it as `recipe` says.
    pub fn load(dir: &Path, recipe: &TrainRecipe) -> Result<Self> {
        let mnist = Mnist::load(dir).map_err(|source| StudyError::Data { dir: dir.into(), source })?;
        Ok(Self::from_mnist(&mnist.train, mnist.test, recipe))
    }

    /// The split evaluated after every epoch: validation when there is one, else test.
    pub fn per_epoch(&self) -> &MnistSplit {
        self.validation.as_ref().unwrap_or(&self.test)
    }
}

/// The training and test splits of the MNIST folder `dir`, each cut to its first `train_limit`
/// / `test_limit` images when given (no validation split).
pub fn load_splits(
    dir: &Path,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
) -> Result<(MnistSplit, MnistSplit)> {
    let mnist = Mnist::load(dir).map_err(|source| StudyError::Data { dir: dir.into(), source })?;
    Ok((cut(mnist.train, train_limit), cut(mnist.test, test_limit)))
}

/// Only the test split (the training images are not even decompressed), cut to `test_limit`.
pub fn load_test(dir: &Path, test_limit: Option<usize>) -> Result<MnistSplit> {
    let test = Mnist::load_test(dir).map_err(|source| StudyError::Data { dir: dir.into(), source })?;
    Ok(cut(test, test_limit))
}

/// Only the training split (e.g. for the mean image of class models).
pub fn load_train(dir: &Path) -> Result<MnistSplit> {
    MnistSplit::load(dir, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE)
        .map_err(|source| StudyError::Data { dir: dir.into(), source })
}
