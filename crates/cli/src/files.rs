//! File helpers of the CLI: atomic writes, and reading model files with readable errors.

use anyhow::{Context, Result};
use atrous_autograd::io::load_dilnet;
use atrous_autograd::nn::DilNet;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over `path`. An interrupted run leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
    let name = path.file_name().with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp: PathBuf = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        anyhow::anyhow!("cannot write {}: {e}", path.display())
    })
}

/// Reads a DilNet model file, naming the file in any error.
pub fn read_model(path: &Path) -> Result<(DilNet, HashMap<String, String>)> {
    let bytes = fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    load_dilnet(&bytes).with_context(|| format!("{} is not a usable atrous model", path.display()))
}
