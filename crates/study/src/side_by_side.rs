//! Training a study's missing runs side by side: `jobs` runs at once, each in its own pool of
//! worker threads. A batch-64 step leaves cores waiting at every layer's join; independent runs
//! never wait for each other, so on a few cores two single-threaded runs finish sooner than the
//! same two runs trained one after the other with two threads each. The numbers do not change:
//! a run's result does not depend on its thread count ([`atrous_tensor::parallel`]).
//!
//! Only the calling thread talks to the [`Observer`]: the workers send coarse events (a run
//! starts, an epoch ends, a message) over a channel. An observer need not be thread-safe, and
//! two runs never tear one progress bar between them; per-step progress is not forwarded.

use crate::plan::PlannedRun;
use crate::run::{RunOptions, train_run};
use crate::{Observer, Result, RunProgress, StudyError};
use atrous_autograd::checkpoint::EpochRecord;
use atrous_tensor::parallel::{current_threads, thread_pool};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::Instant;

/// What a worker tells the calling thread.
enum Event {
    Started(usize),
    Message(String),
    Epoch(usize, EpochRecord),
    Finished(usize),
    Failed(StudyError),
}

/// The observer a worker's run reports to: forwards messages and finished epochs.
struct Forward {
    run: usize,
    events: Sender<Event>,
}

impl Observer for Forward {
    fn message(&self, text: &str) {
        // A send fails only once the caller has stopped listening, after an error: nothing
        // is left to report to.
        let _ = self.events.send(Event::Message(text.to_string()));
    }

    fn epoch_finished(&self, record: &EpochRecord) {
        let _ = self.events.send(Event::Epoch(self.run, record.clone()));
    }
}

/// How many worker threads each of `jobs` side-by-side runs gets from the caller's pool.
pub fn threads_per_job(jobs: usize) -> usize {
    (current_threads() / jobs.max(1)).max(1)
}

/// Trains `runs` with `jobs` of them at a time; `prepare` readies a run's folder and says whether
/// to resume it. Stops taking new runs at the first error and returns it once the runs already
/// started have ended (each leaves a resumable folder).
pub(crate) fn train_side_by_side(
    runs: &[PlannedRun],
    data: &crate::data::RunData,
    jobs: usize,
    prepare: fn(&PlannedRun) -> Result<bool>,
    observer: &dyn Observer,
) -> Result<()> {
    let threads = threads_per_job(jobs);
    let (next, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    let (events, inbox) = channel();
    let start = Instant::now();
    let total_work: usize = runs.iter().map(|r| r.recipe.epochs).sum();
    observer.message(&format!(
        "study: training {} run(s), {} at a time with {threads} thread(s) each",
        runs.len(),
        jobs.min(runs.len())
    ));
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(runs.len()) {
            let events = events.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || {
                let pool = match thread_pool(threads) {
                    Ok(pool) => pool,
                    Err(e) => {
                        stop.store(true, Ordering::SeqCst);
                        let _ = events.send(Event::Failed(StudyError::Threads(e.to_string())));
                        return;
                    }
                };
                while !stop.load(Ordering::SeqCst) {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(run) = runs.get(k) else { break };
                    let _ = events.send(Event::Started(k));
                    let forward = Forward { run: k, events: events.clone() };
                    let trained = prepare(run).and_then(|resume| {
                        let options = RunOptions { resume, stop_after: None };
                        pool.install(|| train_run(&run.recipe, &run.dir, data, options, &forward))
                    });
                    match trained {
                        Ok(_) => {
                            let _ = events.send(Event::Finished(k));
                        }
                        Err(e) => {
                            stop.store(true, Ordering::SeqCst);
                            let _ = events.send(Event::Failed(e));
                        }
                    }
                }
            });
        }
        // The workers hold the only other senders: the loop ends when the last worker does.
        drop(events);
        let mut epochs_done = vec![0; runs.len()];
        let (mut started, mut first_error) = (0, None);
        let label = |k: usize| format!("{} seed {}", runs[k].arm.label, runs[k].seed);
        for event in inbox {
            match event {
                Event::Started(k) => {
                    started += 1;
                    observer.run_started(&RunProgress {
                        index: started,
                        count: runs.len(),
                        label: label(k),
                        dir: runs[k].dir.path().to_path_buf(),
                        work_done: epochs_done.iter().sum(),
                        work_total: total_work,
                        elapsed: start.elapsed().as_secs_f64(),
                    });
                }
                Event::Message(text) => observer.message(&text),
                Event::Epoch(k, r) => {
                    epochs_done[k] += 1;
                    let done: usize = epochs_done.iter().sum();
                    let per_epoch = start.elapsed().as_secs_f64() / done as f64;
                    let split = if runs[k].recipe.validation > 0 { "validation" } else { "test" };
                    observer.message(&format!(
                        "{}: epoch {}/{}: train loss {:.4} | {split} acc {:.4} | {:.1} s | study {done}/{total_work} epochs, ETA {:.0} min",
                        label(k),
                        r.epoch,
                        runs[k].recipe.epochs,
                        r.train_loss,
                        r.val_accuracy,
                        r.seconds,
                        per_epoch * total_work.saturating_sub(done) as f64 / 60.0
                    ));
                }
                // A resumed run trains fewer epochs than its recipe's: count what it owed.
                Event::Finished(k) => epochs_done[k] = runs[k].recipe.epochs,
                Event::Failed(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    })
}
