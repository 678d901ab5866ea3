//! Finding and loading MNIST for the CLI: `--data DIR`, then `ATROUS_DATA`, then the repository's
//! `data/mnist`.

use anyhow::{Context, Result};
use atrous_tensor::mnist::{Mnist, MnistSplit, default_data_dir};
use std::path::{Path, PathBuf};

/// The MNIST folder to use.
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(default_data_dir).context(
        "no MNIST folder found: pass --data DIR or set ATROUS_DATA (the repository ships data/mnist)",
    )
}

/// Loads MNIST from `--data` or the default location.
pub fn load_mnist(explicit: Option<&Path>) -> Result<Mnist> {
    let dir = data_dir(explicit)?;
    Mnist::load(&dir).with_context(|| format!("cannot load MNIST from {}", dir.display()))
}

/// The training and test splits, each cut to its first `--train-limit` / `--test-limit` images
/// when given (quick runs and tests).
pub fn load_splits(
    explicit: Option<&Path>,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
) -> Result<(MnistSplit, MnistSplit)> {
    let mnist = load_mnist(explicit)?;
    let cut = |split: MnistSplit, limit: Option<usize>| match limit {
        Some(n) => split.take(n),
        None => split,
    };
    Ok((cut(mnist.train, train_limit), cut(mnist.test, test_limit)))
}

/// The data flags shared by the commands that train: `--data`, `--train-limit`, `--test-limit`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct DataArgs {
    /// MNIST folder (default: $ATROUS_DATA, else the repository's data/mnist).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Use only the first N training images (quick runs and tests).
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Use only the first N test images.
    #[arg(long)]
    pub test_limit: Option<usize>,
}

impl DataArgs {
    /// Refuses empty subsets.
    pub fn validate(&self) -> Result<()> {
        anyhow::ensure!(self.train_limit != Some(0), "--train-limit must be at least 1");
        anyhow::ensure!(self.test_limit != Some(0), "--test-limit must be at least 1");
        Ok(())
    }

    /// The training and test splits these flags select.
    pub fn load(&self) -> Result<(MnistSplit, MnistSplit)> {
        load_splits(self.data.as_deref(), self.train_limit, self.test_limit)
    }
}
