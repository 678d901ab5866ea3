//! How the library reports progress without knowing about terminals: the CLI implements
//! [`Observer`] with progress bars, a library user with nothing ([`Silent`]) or a log.

use atrous_autograd::checkpoint::EpochRecord;
use atrous_autograd::train::StepProgress;

/// Receives what a run or a study is doing. Every method has an empty default.
pub trait Observer {
    /// A phase begins or something worth a line happened ("training d=2 seed=1", "reusing …").
    fn message(&self, _text: &str) {}

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
