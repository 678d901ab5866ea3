//! Finding and loading MNIST for the CLI: `--data DIR`, then `ATROUS_DATA`, then the repository's
//! `data/mnist`.

use anyhow::{Context, Result};
use atrous_tensor::mnist::{Mnist, default_data_dir};
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
