//! How the library reports progress without knowing about terminals: the CLI implements
//! [`Observer`] with progress bars, a library user with nothing ([`Silent`]) or a log.

use atrous_autograd::checkpoint::EpochRecord;
use atrous_autograd::train::StepProgress;
use std::path::PathBuf;

/// Where a study's training stands when one of its runs starts.
#[derive(Clone, Debug, PartialEq)]
pub struct RunProgress {
    /// 1-based index of the run among those this call trains.
    pub index: usize,
    /// Runs this call trains (finished runs that are reused are not counted).
    pub count: usize,
    /// Which run ("d=2 seed 3").
    pub label: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Epochs trained so far by this call (the unit of work of the ETA).
    pub work_done: usize,
    /// Epochs this call trains in all.
    pub work_total: usize,
    /// Seconds since this call started training.
    pub elapsed: f64,
}

impl RunProgress {
    /// Estimated seconds left, from the time per epoch so far (`None` before the first epoch).
    pub fn eta_seconds(&self) -> Option<f64> {
        (self.work_done > 0)
            .then(|| self.elapsed / self.work_done as f64 * (self.work_total - self.work_done) as f64)
    }
}

/// Receives what a run or a study is doing. Every method has an empty default.
pub trait Observer {
    /// A phase begins or something worth a line happened ("training d=2 seed=1", "reusing …").
    fn message(&self, _text: &str) {}

    /// A study starts training one of its runs (overall progress: run k/N, epochs done, ETA).
    fn run_started(&self, _progress: &RunProgress) {}

    /// An epoch of `steps` steps starts; `label` says which run and epoch.
    fn epoch_started(&self, _label: &str, _steps: usize) {}

    /// A step finished.
    fn step(&self, _progress: &StepProgress) {}

    /// An epoch finished and was evaluated.
    fn epoch_finished(&self, _record: &EpochRecord) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Observer for Silent {}
