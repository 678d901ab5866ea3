//! Where MNIST is: `--data DIR`, then `ATROUS_DATA`, then the repository's `data/mnist`; and the
//! data flags shared by the commands that train.

use anyhow::{Context, Result, ensure};
use atrous_tensor::mnist::default_data_dir;
use std::path::{Path, PathBuf};

/// The MNIST folder to use.
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(default_data_dir).context(
        "no MNIST folder found: pass --data DIR or set ATROUS_DATA (the repository ships data/mnist)",
    )
}

/// The data flags shared by the commands that train: `--data`, `--train-limit`, `--test-limit`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct DataArgs {
    /// MNIST folder (default: $ATROUS_DATA, else the repository's data/mnist).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Use only the first N training images (quick runs and tests).
    #[arg(long, allow_negative_numbers = true)]
    pub train_limit: Option<usize>,
    /// Use only the first N test images.
    #[arg(long, allow_negative_numbers = true)]
    pub test_limit: Option<usize>,
}

impl DataArgs {
    /// Refuses empty subsets.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.train_limit != Some(0), "--train-limit must be at least 1");
        ensure!(self.test_limit != Some(0), "--test-limit must be at least 1");
        Ok(())
    }

    /// The MNIST folder these flags select.
    pub fn dir(&self) -> Result<PathBuf> {
        data_dir(self.data.as_deref())
    }
}
