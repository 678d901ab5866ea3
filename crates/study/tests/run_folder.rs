//! The run folder under faults: an interrupted final save is repaired by resuming, a second
//! trainer of a locked folder is refused, a checkpoint holding a NaN is refused by name, leftover
//! temporaries of killed writers are removed, an unwritable folder is found before training and
//! a first-epoch divergence does not name a checkpoint that was never written.
//!
//! The runs are tiny (a narrow DilNet on 96 synthetic images) so the tests cost little CPU; the
//! folder logic does not depend on the data.

use atrous_autograd::nn::DilNetConfig;
use atrous_study::data::RunData;
use atrous_study::{RunDir, RunOptions, RunOutcome, RunState, Silent, StudyError, TrainRecipe, train_run};
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;
use std::path::{Path, PathBuf};

/// The run folder's lock file (`train_run` holds it while training).
const LOCK_FILE: &str = ".lock";

/// `n` images of noise with a bright row whose position is the label, so a net can learn it.
fn synthetic(n: usize, seed: u64) -> MnistSplit {
    let mut rng = Rng::seed_from(seed);
    let mut images = vec![0u8; n * 784];
    let mut labels = Vec::with_capacity(n);
    for (i, image) in images.chunks_mut(784).enumerate() {
        for p in image.iter_mut() {
            *p = (rng.next_u64() % 64) as u8;
        }
        let label = (i % 10) as u8;
        image[(2 + 2 * label as usize) * 28..(3 + 2 * label as usize) * 28].fill(255);
        labels.push(label);
    }
    MnistSplit { images, labels, n }
}

fn data(validation: bool) -> RunData {
    RunData {
        train: synthetic(96, 1),
        validation: validation.then(|| synthetic(40, 2)),
        test: synthetic(40, 3),
    }
}

fn recipe(epochs: usize, validation: bool) -> TrainRecipe {
    TrainRecipe {
        net: DilNetConfig { channels: [2, 4, 4], hidden: 16, ..DilNetConfig::reference(1) },
        epochs,
        batch_size: 32,
        lr: 0.03,
        validation: if validation { 40 } else { 0 },
        ..TrainRecipe::reference(1)
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-run-folder-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn train(
    recipe: &TrainRecipe,
    dir: &RunDir,
    data: &RunData,
    resume: bool,
) -> atrous_study::Result<RunOutcome> {
    train_run(recipe, dir, data, RunOptions { resume, stop_after: None }, &Silent)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn interrupted_final_save_missing_model_is_rewritten_on_resume() {
    let (recipe, data) = (recipe(2, false), data(false));
    let dir = RunDir::new(scratch("no-model"));
    assert_eq!(train(&recipe, &dir, &data, false).unwrap(), RunOutcome::Trained { epochs_done: 2 });
    let model = read(&dir.model_path());
    std::fs::remove_file(dir.model_path()).unwrap();
    assert!(
        matches!(dir.state(&recipe).unwrap(), RunState::Partial { .. }),
        "a run without its model is not complete"
    );
    let outcome = train(&recipe, &dir, &data, true).unwrap();
    assert_eq!(outcome, RunOutcome::Repaired { model: true, metrics: false });
    assert!(read(&dir.model_path()) == model, "the rewritten model differs from the one trained");
    assert!(matches!(dir.state(&recipe).unwrap(), RunState::Complete(_)));
    assert_eq!(train(&recipe, &dir, &data, true).unwrap(), RunOutcome::AlreadyComplete);
    std::fs::remove_dir_all(dir.path()).unwrap();
}

#[test]
fn interrupted_final_save_missing_metrics_is_rewritten_on_resume() {
    // With a validation split, so the test set must be evaluated again for the metrics.
    let (recipe, data) = (recipe(2, true), data(true));
    let dir = RunDir::new(scratch("no-metrics"));
    train(&recipe, &dir, &data, false).unwrap();
    let (model, before) = (read(&dir.model_path()), dir.read_metrics().unwrap().unwrap());
    std::fs::remove_file(dir.metrics_path()).unwrap();
    assert_eq!(dir.state(&recipe).unwrap(), RunState::Partial { epochs_done: 2 });
    let outcome = train(&recipe, &dir, &data, true).unwrap();
    assert_eq!(outcome, RunOutcome::Repaired { model: false, metrics: true });
    let after = dir.read_metrics().unwrap().unwrap();
    assert_eq!((after.epochs_done, &after.epochs), (before.epochs_done, &before.epochs));
    assert_eq!((after.test_accuracy, after.test_loss), (before.test_accuracy, before.test_loss));
    assert!(read(&dir.model_path()) == model);
    std::fs::remove_dir_all(dir.path()).unwrap();
}

#[test]
fn interrupted_final_save_stale_model_and_metrics_are_replaced_on_resume() {
    // A kill after the last checkpoint but before the last model and metrics renames leaves
    // the previous epoch's model and metrics beside a complete checkpoint.
    let (recipe, data) = (recipe(2, false), data(false));
    let dir = RunDir::new(scratch("stale"));
    let once = RunOptions { resume: false, stop_after: Some(1) };
    train_run(&recipe, &dir, &data, once, &Silent).unwrap();
    let (model1, metrics1) = (read(&dir.model_path()), read(&dir.metrics_path()));
    train(&recipe, &dir, &data, true).unwrap();
    let model2 = read(&dir.model_path());
    assert!(model1 != model2);
    std::fs::write(dir.model_path(), &model1).unwrap();
    std::fs::write(dir.metrics_path(), &metrics1).unwrap();
    let outcome = train(&recipe, &dir, &data, true).unwrap();
    assert_eq!(outcome, RunOutcome::Repaired { model: true, metrics: true });
    assert!(read(&dir.model_path()) == model2, "the stale model was not replaced by the final one");
    assert_eq!(dir.read_metrics().unwrap().unwrap().epochs_done, 2);
    std::fs::remove_dir_all(dir.path()).unwrap();
}

#[test]
fn lock_held_by_a_live_process_refuses_a_second_trainer() {
    let (recipe, data) = (recipe(1, false), data(false));
    let path = scratch("locked");
    std::fs::create_dir_all(&path).unwrap();
    // This test's own process is alive: the lock is held.
    let lock = path.join(LOCK_FILE);
    std::fs::write(&lock, std::process::id().to_string()).unwrap();
    let dir = RunDir::new(&path);
    let err = train(&recipe, &dir, &data, false).unwrap_err();
    assert!(matches!(err, StudyError::Locked { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains(&format!("process {}", std::process::id())), "{text}");
    assert!(lock.exists(), "the refused trainer removed the holder's lock");
    assert!(!dir.holds_run(), "the refused trainer wrote files");
    std::fs::remove_dir_all(&path).unwrap();
}

#[test]
fn lock_of_two_concurrent_trainers_admits_one() {
    let (recipe, data) = (recipe(2, false), data(false));
    let path = scratch("race");
    let dir = RunDir::new(&path);
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| train(&recipe, &dir, &data, false))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let trained = outcomes.iter().filter(|o| matches!(o, Ok(RunOutcome::Trained { .. }))).count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(StudyError::Locked { .. } | StudyError::RunExists { .. })))
        .count();
    assert_eq!((trained, refused), (1, 1), "{outcomes:?}");
    assert!(!path.join(LOCK_FILE).exists(), "the lock outlived the run");
    std::fs::remove_dir_all(&path).unwrap();
}

/// A process id that was alive and no longer is (a reaped child).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn lock_of_a_dead_process_is_taken_over_and_released() {
    if atrous_tensor::files::process_alive(1).is_none() {
        eprintln!("no /proc: cannot tell dead processes, skipped");
        return;
    }
    let (recipe, data) = (recipe(1, false), data(false));
    let path = scratch("dead-lock");
    std::fs::create_dir_all(&path).unwrap();
    let lock = path.join(LOCK_FILE);
    let pid = dead_pid();
    if atrous_tensor::files::process_alive(pid) != Some(false) {
        eprintln!("pid {pid} reused already, skipped");
        return;
    }
    std::fs::write(&lock, pid.to_string()).unwrap();
    // Locks a dead trainer staged but never linked, in today's and the older name form.
    let staged = [path.join(format!("{LOCK_FILE}.{pid}.7.tmp")), path.join(format!("{LOCK_FILE}.{pid}.tmp"))];
    for f in &staged {
        std::fs::write(f, pid.to_string()).unwrap();
    }
    let dir = RunDir::new(&path);
    assert_eq!(train(&recipe, &dir, &data, false).unwrap(), RunOutcome::Trained { epochs_done: 1 });
    assert!(!lock.exists(), "the lock outlived the run");
    for f in &staged {
        assert!(!f.exists(), "{} was left behind", f.display());
    }
    std::fs::remove_dir_all(&path).unwrap();
}

#[test]
fn leftover_temporaries_of_dead_writers_are_removed_when_a_run_starts() {
    let (recipe, data) = (recipe(1, false), data(false));
    let path = scratch("temporaries");
    std::fs::create_dir_all(&path).unwrap();
    let pid = dead_pid();
    let leftover = path.join(format!(".model.safetensors.{pid}.tmp"));
    std::fs::write(&leftover, b"half a model").unwrap();
    train(&recipe, &RunDir::new(&path), &data, false).unwrap();
    if atrous_tensor::files::process_alive(pid) == Some(false) {
        assert!(!leftover.exists(), "the dead writer's temporary is still there");
    }
    let names: Vec<_> = std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp") || path.join(n) == leftover),
        "{names:?}"
    );
    std::fs::remove_dir_all(&path).unwrap();
}

/// Overwrites the first element of tensor `name` in safetensors `bytes` with NaN.
fn poison(bytes: &mut [u8], name: &str) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let start =
        header[name]["data_offsets"][0].as_u64().unwrap_or_else(|| panic!("no tensor {name}")) as usize;
    let at = 8 + n + start;
    bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
}

#[test]
fn checkpoint_holding_nan_is_refused_naming_the_tensor() {
    let (recipe, data) = (recipe(2, false), data(false));
    let dir = RunDir::new(scratch("nan"));
    train_run(&recipe, &dir, &data, RunOptions { resume: false, stop_after: Some(1) }, &Silent).unwrap();
    let good = read(&dir.checkpoint_path());
    let model = read(&dir.model_path());
    // A parameter, and an optimiser state (SGD's momentum buffer).
    for name in ["conv2.weight", "optim.velocity.fc1.bias"] {
        let mut bad = good.clone();
        poison(&mut bad, name);
        std::fs::write(dir.checkpoint_path(), &bad).unwrap();
        let err = train(&recipe, &dir, &data, true).unwrap_err();
        assert!(matches!(err, StudyError::BadCheckpoint { .. }), "{name}: {err:?}");
        let text = err.to_string();
        assert!(text.contains(name) && text.contains("non-finite"), "{text}");
        assert!(text.contains("checkpoint.safetensors"), "{text}");
        assert!(read(&dir.model_path()) == model, "a refused resume changed the model");
    }
    std::fs::write(dir.checkpoint_path(), &good).unwrap();
    assert_eq!(train(&recipe, &dir, &data, true).unwrap(), RunOutcome::Trained { epochs_done: 2 });
    std::fs::remove_dir_all(dir.path()).unwrap();
}

/// Counts the epochs started.
#[derive(Default)]
struct Epochs(std::sync::atomic::AtomicUsize);

impl atrous_study::Observer for Epochs {
    fn epoch_started(&self, _label: &str, _steps: usize) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn unwritable_run_folder_is_refused_before_training() {
    let (recipe, data) = (recipe(1, false), data(false));
    let base = scratch("unwritable");
    std::fs::create_dir_all(&base).unwrap();
    // A folder below a regular file cannot be made, whoever runs the test (even root).
    std::fs::write(base.join("file"), b"x").unwrap();
    let path = base.join("file/run");
    let epochs = Epochs::default();
    let err = train_run(&recipe, &RunDir::new(&path), &data, RunOptions::default(), &epochs).unwrap_err();
    assert!(matches!(err, StudyError::Unwritable { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    assert_eq!(epochs.0.into_inner(), 0, "training started before the folder was checked");
    std::fs::remove_dir_all(&base).unwrap();
}

/// The divergence message names the checkpoint only when one was written (the binary's first-epoch
/// divergence on MNIST is in `crates/cli/tests/hostile.rs`; these tiny synthetic runs do not
/// diverge reliably, their ReLUs die first).
#[test]
fn divergence_message_names_a_checkpoint_only_after_an_epoch() {
    let dir = scratch("diverged");
    let first = StudyError::Diverged { dir: dir.clone(), epoch: 1, step: 3, loss: f32::NAN, epochs_done: 0 };
    let text = first.to_string();
    assert!(text.contains("no checkpoint was written") && !text.contains("is kept"), "{text}");
    let later = StudyError::Diverged { dir, epoch: 2, step: 3, loss: f32::NAN, epochs_done: 1 };
    assert!(later.to_string().contains("checkpoint (after epoch 1) is kept in"), "{later}");
}
