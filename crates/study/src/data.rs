//! Loading the MNIST splits a run or a study needs, cut to the recipe's data limits.

use crate::{Result, StudyError};
use atrous_tensor::mnist::{Mnist, MnistSplit, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE};
use std::path::Path;

fn cut(split: MnistSplit, limit: Option<usize>) -> MnistSplit {
    match limit {
        Some(n) => split.take(n),
        None => split,
    }
}

/// The training and test splits of the MNIST folder `dir`, each cut to its first `train_limit`
/// / `test_limit` images when given.
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
