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

/// Writes `bytes` to `path` atomically (a temporary file `.NAME.PID.tmp` beside it, synced,
/// then renamed over it, then the folder synced so the rename itself survives a power cut),
/// creating the folder if needed (and syncing the folders that hold the ones it creates). On
/// failure the temporary file is removed and the old content of `path`, if any, is untouched.
/// A process killed mid-write leaves its temporary behind: a later successful write of the same
/// file removes the temporaries of that name left by dead processes, and
/// [`remove_dead_temporaries`] clears a whole folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let fail = |p: &Path, source| WriteError { path: p.to_path_buf(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_folder(dir).map_err(|e| fail(dir, e))?;
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
    })?;
    sync_folder(dir);
    remove_dead_temporaries_of(dir, &name.to_string_lossy());
    Ok(())
}

/// `fs::create_dir_all`, then syncs the parent of each folder it created, so a new folder's
/// entry is as durable as the files renamed into it.
fn create_folder(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let missing: Vec<&Path> =
        dir.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.is_dir()).collect();
    fs::create_dir_all(dir)?;
    for created in missing {
        let parent = created.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        sync_folder(parent);
    }
    Ok(())
}

/// Best effort: removes the temporaries `.NAME.PID.tmp` of file `name` in `dir` whose writers
/// are dead (a write killed before its rename). Nothing is reported: the write itself succeeded.
fn remove_dead_temporaries_of(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else { continue };
        if !file_name.starts_with(&prefix) {
            continue;
        }
        let Some(pid) = temporary_pid(file_name) else { continue };
        let ours = file_name.len() == prefix.len() + pid.to_string().len() + ".tmp".len();
        if ours && pid != std::process::id() && process_alive(pid) == Some(false) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Makes a rename in `dir` durable. Best effort: where a folder cannot be opened or synced
/// (not Linux, some file systems) the file itself is already synced and nothing more is done.
fn sync_folder(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether process `pid` is alive: `Some` on Linux (from `/proc/PID`), `None` where this
/// cannot be told.
pub fn process_alive(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    Some(proc.join(pid.to_string()).exists())
}

/// The writer's PID of a temporary `.NAME.PID.tmp` left by [`write_atomic`], if `file_name`
/// is one.
fn temporary_pid(file_name: &str) -> Option<u32> {
    let inner = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (name, pid) = inner.rsplit_once('.')?;
    if name.is_empty() {
        return None;
    }
    pid.parse().ok()
}

/// Removes the temporaries of [`write_atomic`] that processes no longer alive left in `dir`
/// (never this process's, nor any whose writer cannot be told dead); returns the files removed.
pub fn remove_dead_temporaries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(pid) = entry.file_name().to_str().and_then(temporary_pid) else { continue };
        if pid == std::process::id() || process_alive(pid) != Some(false) {
            continue;
        }
        let path = entry.path();
        match fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
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

    #[test]
    fn temporaries_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = std::env::temp_dir().join(format!("atrous-files-tmp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        // A PID that was alive and is no longer: a child that has exited and been reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let me = std::process::id();
        let names = [
            format!(".model.safetensors.{dead}.tmp"),
            format!(".metrics.json.{me}.tmp"),
            "model.safetensors".to_string(),
            format!(".{dead}.tmp"),
            ".notes.txt.x1.tmp".to_string(),
        ];
        for n in &names {
            fs::write(dir.join(n), b"x").unwrap();
        }
        let removed = remove_dead_temporaries(&dir).unwrap();
        if process_alive(dead) == Some(false) {
            assert_eq!(removed, vec![dir.join(&names[0])]);
        } else {
            assert!(removed.is_empty(), "{removed:?}");
        }
        for n in &names[1..] {
            assert!(dir.join(n).exists(), "{n} was removed");
        }
        assert_eq!(temporary_pid(".a.b.123.tmp"), Some(123));
        assert_eq!(temporary_pid("a.123.tmp"), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 14: a `.NAME.PID.tmp` left by a killed writer stayed for good in every folder but a
    /// run folder (only a starting run cleaned its own). The next write of NAME removes it.
    #[test]
    fn leftover_temporary_of_a_dead_writer_is_removed_by_the_next_write_of_that_file() {
        let dir = std::env::temp_dir().join(format!("atrous-files-left-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        fs::create_dir_all(&dir).unwrap();
        let left = dir.join(format!(".maps.npy.{dead}.tmp"));
        let other = dir.join(format!(".index.json.{dead}.tmp"));
        let longer = dir.join(format!(".maps.npy.x.{dead}.tmp"));
        for p in [&left, &other, &longer] {
            fs::write(p, b"half").unwrap();
        }
        write_atomic(&dir.join("maps.npy"), b"whole").unwrap();
        assert_eq!(left.exists(), process_alive(dead) != Some(false), "the dead writer's temporary");
        assert!(other.exists() && longer.exists(), "temporaries of other files are not this write's");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn new_folders_are_created_for_a_write() {
        let dir = std::env::temp_dir().join(format!("atrous-files-new-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        write_atomic(&dir.join("a/b/c.txt"), b"x").unwrap();
        assert_eq!(fs::read(dir.join("a/b/c.txt")).unwrap(), b"x");
        fs::remove_dir_all(&dir).unwrap();
    }
}
