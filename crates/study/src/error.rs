//! The typed error of the study crate. Messages name the run folder, the recipe field or the
//! file at fault; none mentions a command-line flag (the CLI adds those).

use std::path::PathBuf;

/// What went wrong while training, measuring or reporting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// From the network, its training loop or its files.
    #[error(transparent)]
    Autograd(#[from] atrous_autograd::AutogradError),
    /// From the attribution methods and pictures.
    #[error(transparent)]
    Saliency(#[from] atrous_saliency::SaliencyError),
    /// MNIST could not be loaded.
    #[error("cannot load MNIST from {}: {source}", dir.display())]
    Data {
        /// The folder.
        dir: PathBuf,
        /// The cause.
        source: atrous_tensor::mnist::MnistError,
    },
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] atrous_tensor::files::WriteError),
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON file that does not hold what it should.
    #[error("{} is not a valid {what}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        what: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A recipe or plan value that cannot work.
    #[error("{field} {value} is not valid: {rule}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Its value, formatted.
        value: String,
        /// What it must be.
        rule: &'static str,
    },
    /// Starting afresh in a folder that already holds a run would overwrite it.
    #[error("{} already holds a run", dir.display())]
    RunExists {
        /// The folder.
        dir: PathBuf,
    },
    /// Continuing a run with a recipe other than the one that started it.
    #[error("the run in {} was trained with {field} = {saved}, not {requested}", dir.display())]
    RecipeMismatch {
        /// The folder.
        dir: PathBuf,
        /// The first field that differs.
        field: String,
        /// The saved value.
        saved: String,
        /// The value asked for now.
        requested: String,
    },
    /// A run that cannot be continued to the epochs asked for (its checkpoint is gone, or it
    /// already has more epochs).
    #[error("cannot continue the run in {} to {epochs} epochs: {reason}", dir.display())]
    CannotContinue {
        /// The folder.
        dir: PathBuf,
        /// The epochs asked for.
        epochs: usize,
        /// What is missing or in the way.
        reason: String,
    },
    /// A run whose loss became NaN or infinite.
    #[error("training diverged: loss is {loss} at epoch {epoch} step {step}; {}", kept_checkpoint(dir, *epochs_done))]
    Diverged {
        /// The folder.
        dir: PathBuf,
        /// 1-based epoch.
        epoch: usize,
        /// 1-based step in the epoch.
        step: usize,
        /// The loss.
        loss: f32,
        /// Epochs saved before.
        epochs_done: usize,
    },
    /// Another process (or another training in this process) holds the run folder's lock.
    #[error(
        "{} is in use by process {pid} (lock file {}); wait for it to finish, or delete the lock file if that process is gone",
        dir.display(),
        lock.display()
    )]
    Locked {
        /// The folder.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The holder's process id, as the lock file says.
        pid: String,
    },
    /// A run folder that cannot be created or written in (found before any training).
    #[error("cannot write in run folder {}: {source}", dir.display())]
    Unwritable {
        /// The folder.
        dir: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A checkpoint that cannot be resumed (damaged, or holding a NaN or infinite value).
    #[error("checkpoint {} cannot be resumed: {source}", path.display())]
    BadCheckpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        source: atrous_autograd::AutogradError,
    },
    /// A figure could not be drawn.
    #[error("cannot draw {}: {message}", path.display())]
    Figure {
        /// The figure's file.
        path: PathBuf,
        /// The plotting library's message.
        message: String,
    },
    /// A run the analysis needs has not been trained.
    #[error("run {} is missing or unfinished", dir.display())]
    MissingRun {
        /// The folder.
        dir: PathBuf,
    },
    /// The worker threads of side-by-side runs could not be started.
    #[error("cannot start worker threads for side-by-side runs: {0}")]
    Threads(String),
}

/// Result alias of the study crate.
pub type Result<T> = std::result::Result<T, StudyError>;

/// The end of a divergence message: where the last good state is, or that there is none.
fn kept_checkpoint(dir: &std::path::Path, epochs_done: usize) -> String {
    if epochs_done == 0 {
        format!("no checkpoint was written in {} (no epoch finished)", dir.display())
    } else {
        format!("the last good checkpoint (after epoch {epochs_done}) is kept in {}", dir.display())
    }
}

impl StudyError {
    pub(crate) fn invalid(field: &'static str, value: impl std::fmt::Display, rule: &'static str) -> Self {
        StudyError::Invalid { field, value: value.to_string(), rule }
    }
}
