//! The training progress bar (indicatif): loss, images/s and ETA; silent with `--quiet`.

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar over the steps of one epoch, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar of `steps` steps labelled `label`, hidden when `quiet`.
    pub fn new(quiet: bool, steps: usize, label: String) -> Self {
        if quiet {
            return Progress(None);
        }
        let bar = ProgressBar::new(steps as u64);
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
            .expect("static template")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label);
        Progress(Some(bar))
    }

    /// Advances one step, showing the batch loss and the throughput so far.
    pub fn step(&self, loss: f32, images: usize, seconds: f64) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            bar.set_message(format!("loss {loss:.4} {:.0} img/s", images as f64 / seconds.max(1e-9)));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
