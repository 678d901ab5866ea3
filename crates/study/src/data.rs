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

#[cfg(test)]
mod tests {
    use super::*;

    /// A training file whose image `i` carries `i` in its first two pixels.
    fn numbered(n: usize) -> MnistSplit {
        let mut images = vec![0u8; n * 784];
        for i in 0..n {
            images[i * 784] = (i / 256) as u8;
            images[i * 784 + 1] = (i % 256) as u8;
        }
        MnistSplit { images, labels: (0..n).map(|i| (i % 10) as u8).collect(), n }
    }

    fn ids(split: &MnistSplit) -> Vec<usize> {
        (0..split.n).map(|i| 256 * usize::from(split.image(i)[0]) + usize::from(split.image(i)[1])).collect()
    }

    #[test]
    fn validation_is_disjoint_from_training_and_the_same_for_every_run_seed() {
        let file = numbered(3000);
        let test = numbered(50);
        let recipe = |seed: u64, limit: Option<usize>| TrainRecipe {
            seed,
            validation: 500,
            train_limit: limit,
            ..TrainRecipe::reference(1)
        };
        let a = RunData::from_mnist(&file, test.clone(), &recipe(0, None));
        let (val, train) = (ids(a.validation.as_ref().unwrap()), ids(&a.train));
        assert_eq!((val.len(), train.len()), (500, 2500));
        let mut all: Vec<usize> = val.iter().chain(&train).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..3000).collect::<Vec<_>>(), "validation and training part partition the file");
        assert!(val.windows(2).any(|w| w[1] != w[0] + 1), "the split is a permutation, not a prefix");
        for seed in [1, 7, 12345] {
            let b = RunData::from_mnist(&file, test.clone(), &recipe(seed, None));
            assert_eq!(ids(b.validation.as_ref().unwrap()), val, "seed {seed} moved the validation set");
            assert_eq!(ids(&b.train), train, "seed {seed} changed the training part");
        }
        let cut = RunData::from_mnist(&file, test.clone(), &recipe(3, Some(300)));
        assert_eq!(ids(cut.validation.as_ref().unwrap()), val, "train_limit leaves validation alone");
        assert_eq!(ids(&cut.train), train[..300], "train_limit keeps the first images of the training part");
        let labels: Vec<u8> = val.iter().map(|&i| (i % 10) as u8).collect();
        assert_eq!(a.validation.as_ref().unwrap().labels, labels, "labels travel with their images");
    }

    #[test]
    fn without_validation_the_data_is_what_runs_always_used() {
        let file = numbered(1000);
        let r = TrainRecipe { train_limit: Some(100), test_limit: Some(20), ..TrainRecipe::reference(1) };
        let d = RunData::from_mnist(&file, numbered(50), &r);
        assert!(d.validation.is_none());
        assert_eq!(
            ids(&d.train),
            (0..100).collect::<Vec<_>>(),
            "the first train_limit images, in file order"
        );
        assert_eq!(d.test.n, 20);
        assert_eq!(d.per_epoch().n, 20, "the test set is evaluated every epoch");
    }
}
