//! The CLI's [`Observer`]: an indicatif bar per epoch (loss, images/s, ETA), a line per epoch and
//! per study phase; nothing with `--quiet`.

use atrous_autograd::checkpoint::EpochRecord;
use atrous_autograd::train::StepProgress;
use atrous_study::Observer;
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::RefCell;

/// Progress on stderr, or nothing when quiet.
pub struct Progress {
    quiet: bool,
    bar: RefCell<Option<ProgressBar>>,
}

impl Progress {
    /// A reporter; `quiet` silences it.
    pub fn new(quiet: bool) -> Self {
        Progress { quiet, bar: RefCell::new(None) }
    }

    fn clear(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn message(&self, text: &str) {
        if !self.quiet {
            self.clear();
            eprintln!("{text}");
        }
    }

    fn epoch_started(&self, label: &str, steps: usize) {
        if self.quiet {
            return;
        }
        self.clear();
        let bar = ProgressBar::new(steps as u64);
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
            .expect("static template")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        *self.bar.borrow_mut() = Some(bar);
    }

    fn step(&self, p: &StepProgress) {
        if let Some(bar) = &*self.bar.borrow() {
            bar.set_position(p.step as u64);
            bar.set_message(format!("loss {:.4} {:.0} img/s", p.loss, p.images as f64 / p.seconds.max(1e-9)));
        }
    }

    fn epoch_finished(&self, r: &EpochRecord) {
        self.clear();
        if !self.quiet {
            eprintln!(
                "epoch {}: train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.1} s, {:.0} images/s",
                r.epoch,
                r.train_loss,
                r.train_accuracy,
                r.test_loss,
                r.test_accuracy,
                r.seconds,
                r.images_per_second
            );
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}
