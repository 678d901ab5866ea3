//! Atomic file writes: the one way atrous puts a file on disk, so an interrupted run never leaves
//! a half-written model, checkpoint, table or picture under its final name.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A write that failed, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, synced, then renamed over
/// it), creating the folder if needed. On failure the temporary file is removed and the old
/// content of `path`, if any, is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let fail = |p: &Path, source| WriteError { path: p.to_path_buf(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let Some(name) = path.file_name() else {
        return Err(fail(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path")));
    };
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_whole_files_and_leave_no_temporary() {
        let dir = std::env::temp_dir().join(format!("atrous-files-{}", std::process::id()));
        let path = dir.join("sub/a.bin");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        let names: Vec<_> = fs::read_dir(dir.join("sub")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.bin")]);
        let err = write_atomic(&dir.join("sub/a.bin/inside"), b"x").unwrap_err();
        assert!(err.to_string().contains("a.bin"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
