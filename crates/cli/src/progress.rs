//! The CLI's [`Observer`]: on a terminal, an indicatif bar per epoch (loss, images/s, ETA) under
//! a line per study run (run k/N, ETA of the whole study); when stderr is not a terminal (a log
//! file, a batch job), plain lines instead: one per run and epoch, and one every
//! [`LOG_EVERY_SECONDS`] within an epoch. Nothing with `--quiet`.

use atrous_autograd::checkpoint::EpochRecord;
use atrous_autograd::train::StepProgress;
use atrous_study::{Observer, RunProgress};
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::{Cell, RefCell};
use std::io::IsTerminal;
use std::time::Instant;

/// Seconds between two progress lines within an epoch when stderr is not a terminal.
pub const LOG_EVERY_SECONDS: f64 = 30.0;

/// Progress on stderr, or nothing when quiet.
pub struct Progress {
    quiet: bool,
    terminal: bool,
    bar: RefCell<Option<ProgressBar>>,
    label: RefCell<String>,
    last_line: Cell<Option<Instant>>,
    evaluated: &'static str,
}

impl Progress {
    /// A reporter; `quiet` silences it.
    pub fn new(quiet: bool) -> Self {
        Progress {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            bar: RefCell::new(None),
            label: RefCell::new(String::new()),
            last_line: Cell::new(None),
            evaluated: "test",
        }
    }

    /// Names the split evaluated after each epoch in the epoch lines (`"test"` by default,
    /// `"validation"` for runs with a validation split).
    pub fn evaluating(mut self, split: &'static str) -> Self {
        self.evaluated = split;
        self
    }

    fn clear(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

/// `1h02m`, `4m05s`, `12s`.
fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

impl Observer for Progress {
    fn message(&self, text: &str) {
        if !self.quiet {
            self.clear();
            eprintln!("{text}");
        }
    }

    fn run_started(&self, p: &RunProgress) {
        if self.quiet {
            return;
        }
        self.clear();
        let eta = p
            .eta_seconds()
            .map_or_else(|| "ETA after the first epoch".into(), |s| format!("ETA {}", duration(s)));
        eprintln!(
            "study: run {}/{} ({}) → {} | {}/{} epochs done, {} elapsed, {eta}",
            p.index,
            p.count,
            p.label,
            p.dir.display(),
            p.work_done,
            p.work_total,
            duration(p.elapsed)
        );
    }

    fn epoch_started(&self, label: &str, steps: usize) {
        if self.quiet {
            return;
        }
        self.clear();
        *self.label.borrow_mut() = label.to_string();
        self.last_line.set(Some(Instant::now()));
        if !self.terminal {
            return;
        }
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
            return;
        }
        if self.quiet || self.terminal {
            return;
        }
        let due = self.last_line.get().is_none_or(|t| t.elapsed().as_secs_f64() >= LOG_EVERY_SECONDS);
        if due {
            self.last_line.set(Some(Instant::now()));
            eprintln!(
                "{}: step {}/{}, loss {:.4}, {:.0} img/s",
                self.label.borrow(),
                p.step,
                p.steps,
                p.loss,
                p.images as f64 / p.seconds.max(1e-9)
            );
        }
    }

    fn epoch_finished(&self, r: &EpochRecord) {
        self.clear();
        if !self.quiet {
            eprintln!(
                "epoch {}: train loss {:.4} acc {:.4} | {} loss {:.4} acc {:.4} | {:.1} s, {:.0} images/s",
                r.epoch,
                r.train_loss,
                r.train_accuracy,
                self.evaluated,
                r.val_loss,
                r.val_accuracy,
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
