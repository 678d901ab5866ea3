//! File helpers of the CLI: atomic writes, and reading model files with readable errors.

use anyhow::{Context, Result};
use atrous_autograd::io::load_dilnet;
use atrous_autograd::nn::DilNet;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// Atomic file writes (temporary file + rename), shared with the saliency crate's outputs.
pub use atrous_saliency::writer::write_atomic;

/// Reads a DilNet model file, naming the file in any error.
pub fn read_model(path: &Path) -> Result<(DilNet, HashMap<String, String>)> {
    let bytes = fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    load_dilnet(&bytes).with_context(|| format!("{} is not a usable atrous model", path.display()))
}
