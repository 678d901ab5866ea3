//! The lock of a run folder: while [`crate::train_run`] trains, the folder holds `.lock` with
//! the trainer's process id, so a second trainer of the same folder is refused instead of
//! mixing the files of two runs, and a lock left by a dead process is taken over.

use crate::observer::Observer;
use crate::{Result, StudyError};
use atrous_tensor::files::process_alive;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The lock file of a run folder, holding the trainer's process id.
const LOCK_FILE: &str = ".lock";

/// The exclusive hold of a run folder by one [`crate::train_run`]: the file [`LOCK_FILE`], created
/// new with this process's id and removed on drop (with the folder, when this lock created it
/// and nothing else was written).
#[derive(Debug)]
pub(crate) struct RunLock {
    path: PathBuf,
    created_dir: Option<PathBuf>,
}

impl RunLock {
    /// Creates the folder if needed (so an unwritable folder is found before any training) and
    /// takes its lock. A lock whose process is no longer alive (Linux: no `/proc/PID`) is taken
    /// over with a message; a live one is an error naming the folder and the holder.
    pub(crate) fn acquire(dir: &Path, observer: &dyn Observer) -> Result<RunLock> {
        let unwritable = |source| StudyError::Unwritable { dir: dir.to_path_buf(), source };
        let created_dir = (!dir.exists()).then(|| dir.to_path_buf());
        std::fs::create_dir_all(dir).map_err(unwritable)?;
        let path = dir.join(LOCK_FILE);
        let me = std::process::id();
        // The lock appears with its holder's PID already in it: written to a file of this
        // process's own, then hard-linked to the lock's name, which fails if a lock exists. A
        // kill can then never leave an empty lock that no one could tell is dead.
        // The staged name is unique per acquisition, not only per process: two threads of one
        // process may race for the same folder, and must not share (and delete) one staged file.
        static ACQUISITIONS: AtomicU64 = AtomicU64::new(0);
        let n = ACQUISITIONS.fetch_add(1, Ordering::Relaxed);
        let staged = dir.join(format!("{LOCK_FILE}.{me}.{n}.tmp"));
        remove_dead_staged_locks(dir);
        std::fs::write(&staged, me.to_string()).map_err(unwritable)?;
        let mut holder = String::new();
        // Twice at most: once more after taking over a dead process's lock.
        for _ in 0..2 {
            match std::fs::hard_link(&staged, &path) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&staged);
                    return Ok(RunLock { path, created_dir });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    holder = std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
                    let dead = holder.parse().ok().and_then(process_alive) == Some(false);
                    if !dead {
                        break;
                    }
                    observer.message(&format!(
                        "{}: taking over the lock of process {holder}, which is no longer running",
                        dir.display()
                    ));
                    match std::fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(source) => {
                            let _ = std::fs::remove_file(&staged);
                            return Err(unwritable(source));
                        }
                    }
                }
                Err(source) => {
                    let _ = std::fs::remove_file(&staged);
                    return Err(unwritable(source));
                }
            }
        }
        let _ = std::fs::remove_file(&staged);
        if holder.is_empty() {
            holder = "unknown".into();
        }
        Err(StudyError::Locked { dir: dir.to_path_buf(), lock: path, pid: holder })
    }
}

/// Removes `.lock.PID.N.tmp` (and older `.lock.PID.tmp`) files of processes no longer running
/// (killed between staging a lock and linking it).
fn remove_dead_staged_locks(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(".lock.")?.strip_suffix(".tmp")?.split('.').next()?.parse().ok());
        if pid.and_then(process_alive) == Some(false) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = &self.created_dir {
            // Only succeeds when empty: a refused or diverged first run leaves no folder behind.
            let _ = std::fs::remove_dir(dir);
        }
    }
}
