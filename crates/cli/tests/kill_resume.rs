//! Crash tests: `atrous train` and `atrous study` killed with SIGKILL (`Child::kill` on Unix)
//! at chosen and at random moments, then continued as a user would (`--resume` when the folder
//! holds a checkpoint, the same command otherwise), end with the bytes an uninterrupted run
//! writes. The moments: just after a checkpoint appears (before the model written after it),
//! just after a model appears (before its metrics), at random fractions of an uninterrupted
//! run's duration, twice in a row, and a study between two runs and inside one.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{scratch, stderr};

const EPOCHS: usize = 3;

/// `args` as owned strings, then `out` (every command here ends with `--out DIR`).
fn with_out(args: &[&str], out: &Path) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.push(out.to_str().unwrap().to_string());
    v
}

/// A small training run: 3 epochs of 600 images with a narrow network, long enough to be
/// killed mid-epoch and short enough to repeat.
fn train_args(out: &Path) -> Vec<String> {
    let args = [
        "train",
        "--train-limit",
        "600",
        "--test-limit",
        "200",
        "--validation",
        "100",
        "--channels",
        "4,8,8",
        "--batch-size",
        "50",
        "--epochs",
        "3",
        "--quiet",
        "--out",
    ];
    with_out(&args, out)
}

fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_atrous"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Runs to completion; panics with its error output unless it succeeds.
fn finish(args: &[String]) {
    let o = Command::new(env!("CARGO_BIN_EXE_atrous")).args(args).output().expect("the binary runs");
    assert!(o.status.success(), "atrous {args:?} failed: {}", stderr(&o));
}

/// SIGKILL, then reap the child so that its process id is free (a zombie still has `/proc/PID`).
/// Returns whether it was still running when killed.
fn kill(child: &mut Child) -> bool {
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    let status = child.wait().unwrap();
    if !running && !status.success() {
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        panic!("the run failed before it was killed: {err}");
    }
    running
}

/// The inode of `path`, if it exists: an atomic write (temporary + rename) gives the file a
/// new inode each time.
fn inode(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// When to kill a run.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// As soon as the `n`th new version (1-based) of a file in the run folder appears (a
    /// version present when the wait starts does not count).
    Written(&'static str, usize),
    /// After a delay.
    After(Duration),
}

/// Waits for `moment` (or for the child to exit), polling every 100 µs, then kills the child.
/// Returns whether it was killed while running.
fn kill_at(child: &mut Child, dir: &Path, moment: Moment) -> bool {
    let start = Instant::now();
    let mut seen: Vec<u64> = Vec::new();
    if let Moment::Written(name, _) = moment {
        seen.extend(inode(&dir.join(name)));
    }
    let old = seen.len();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        match moment {
            Moment::Written(name, n) => {
                if let Some(ino) = inode(&dir.join(name))
                    && !seen.contains(&ino)
                {
                    seen.push(ino);
                    if seen.len() - old >= n {
                        break;
                    }
                }
            }
            Moment::After(d) if start.elapsed() >= d => break,
            Moment::After(_) => {}
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{moment:?} never came");
        std::thread::sleep(Duration::from_micros(100));
    }
    kill(child)
}

/// `epochs_done` in a safetensors file's metadata (model or checkpoint), if the file exists.
fn epochs_done(path: &Path) -> Option<usize> {
    let bytes = std::fs::read(path).ok()?;
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"]["epochs_done"].as_str()?.parse().ok()
}

/// `epochs_done` of `metrics.json`, if it exists.
fn metrics_epochs(dir: &Path) -> Option<usize> {
    let bytes = std::fs::read(dir.join("metrics.json")).ok()?;
    let m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    m["epochs_done"].as_u64().map(|e| e as usize)
}

/// What a kill left in a run folder: epochs done according to the checkpoint, the model and the
/// metrics (`-` for a missing file), e.g. `2/1/1` for a kill between a checkpoint and its model.
fn left(dir: &Path) -> String {
    let show = |e: Option<usize>| e.map_or("-".to_string(), |e| e.to_string());
    format!(
        "{}/{}/{}",
        show(epochs_done(&dir.join("checkpoint.safetensors"))),
        show(epochs_done(&dir.join("model.safetensors"))),
        show(metrics_epochs(dir))
    )
}

/// Continues a killed run as a user would: `--resume` when it holds a checkpoint, the same
/// command otherwise.
fn continue_run(dir: &Path) -> Vec<String> {
    let mut args = train_args(dir);
    if dir.join("checkpoint.safetensors").exists() {
        args.push("--resume".into());
    }
    args
}

/// The per-epoch and final numbers of `metrics.json` (not the timings or memory).
fn metric_numbers(dir: &Path) -> Vec<String> {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("metrics.json")).unwrap()).unwrap();
    let mut v =
        vec![m["epochs_done"].to_string(), m["test_accuracy"].to_string(), m["test_loss"].to_string()];
    for e in m["epochs"].as_array().unwrap() {
        for key in ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"] {
            v.push(e[key].to_string());
        }
    }
    v
}

/// Files the finished folder must not hold: temporaries of killed writers, a stale lock.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n == ".lock")
        .collect()
}

/// Fractions in (0.05, 0.95) from a xorshift seeded by the clock (printed, to reproduce a failure).
fn random_fractions(n: usize) -> Vec<f64> {
    let mut x =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("random kill fractions seeded with {x}");
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            0.05 + 0.9 * (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn train_killed_at_any_moment_resumes_to_the_uninterrupted_model() {
    let root = scratch("kill-train");
    let whole = root.join("whole");
    let start = Instant::now();
    finish(&train_args(&whole));
    let duration = start.elapsed();
    let model = std::fs::read(whole.join("model.safetensors")).unwrap();
    let numbers = metric_numbers(&whole);
    assert_eq!(metrics_epochs(&whole), Some(EPOCHS));

    // Each plan is a list of moments: one kill per moment, the run continued after each.
    let mut plans: Vec<Vec<Moment>> = vec![
        vec![Moment::Written("checkpoint.safetensors", 1)],
        vec![Moment::Written("checkpoint.safetensors", 3)],
        vec![Moment::Written("model.safetensors", 2)],
        vec![Moment::Written("metrics.json", 1), Moment::Written("checkpoint.safetensors", 1)],
    ];
    plans.extend(random_fractions(4).into_iter().map(|f| vec![Moment::After(duration.mul_f64(f))]));

    let mut states = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        let dir = root.join(format!("killed-{i}"));
        let mut args = train_args(&dir);
        for &moment in plan {
            let mut child = spawn(&args);
            let killed = kill_at(&mut child, &dir, moment);
            states.push(format!(
                "{moment:?}: {} left {}",
                if killed { "killed" } else { "finished" },
                left(&dir)
            ));
            args = continue_run(&dir);
        }
        finish(&args);
        assert!(
            std::fs::read(dir.join("model.safetensors")).unwrap() == model,
            "plan {plan:?}: the resumed model differs from the uninterrupted one ({states:#?})"
        );
        assert_eq!(metric_numbers(&dir), numbers, "plan {plan:?}: metrics differ");
        assert_eq!(epochs_done(&dir.join("checkpoint.safetensors")), Some(EPOCHS));
        assert_eq!(leftovers(&dir), Vec::<String>::new(), "plan {plan:?} left files behind");
    }
    // What each kill left (checkpoint/model/metrics epochs), for the record: `cargo test -- --nocapture`.
    eprintln!("uninterrupted run {duration:?}; kills:\n{}", states.join("\n"));
    std::fs::remove_dir_all(&root).unwrap();
}

/// A tiny study (2 dilations × 2 seeds, 2 epochs each) into `out`, `jobs` runs side by side.
fn study_args(out: &Path, jobs: &str) -> Vec<String> {
    let args = [
        "study",
        "--jobs",
        jobs,
        "--dilations",
        "1,2",
        "--seeds",
        "2",
        "--epochs",
        "2",
        "--train-limit",
        "300",
        "--validation",
        "100",
        "--test-limit",
        "200",
        "--saliency-images",
        "10",
        "--learn-epochs",
        "0",
        "--quiet",
        "--out",
    ];
    with_out(&args, out)
}

/// The run folders of a study, sorted.
fn run_folders(out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(out) else { return Vec::new() };
    let mut v: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().unwrap().to_string_lossy().starts_with('d'))
        .collect();
    v.sort();
    v
}

/// REPORT.md without its wall-time line, with the output folder's name replaced.
fn report(out: &Path) -> String {
    std::fs::read_to_string(out.join("REPORT.md"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("- Training wall time"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(out.to_str().unwrap(), "OUT")
}

#[test]
fn study_killed_between_and_inside_runs_reruns_to_the_same_report_and_models() {
    let root = scratch("kill-study");
    let (whole, killed) = (root.join("whole"), root.join("killed"));
    finish(&study_args(&whole, "1"));
    let runs = run_folders(&whole);
    assert_eq!(runs.len(), 4, "2 dilations × 2 seeds: {runs:?}");

    // Between runs of a study that trains one at a time: as soon as the second run's folder
    // appears, the first is complete.
    let mut child = spawn(&study_args(&killed, "1"));
    let start = Instant::now();
    while run_folders(&killed).len() < 2 && child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(120), "the study never reached its second run");
        std::thread::sleep(Duration::from_micros(200));
    }
    assert!(kill(&mut child), "the study finished before the kill");
    let first = &run_folders(&killed)[0];
    assert_eq!(metrics_epochs(first), Some(2), "the first run was not complete at the kill");
    // Inside a run, two runs side by side: when the third run's first checkpoint appears (its
    // model not yet written). The resumed study trains two at a time and must still equal the
    // whole one trained one at a time.
    let mut child = spawn(&study_args(&killed, "2"));
    let third = killed.join(runs[2].file_name().unwrap());
    kill_at(&mut child, &third, Moment::Written("checkpoint.safetensors", 1));
    finish(&study_args(&killed, "2"));

    assert_eq!(report(&killed), report(&whole), "REPORT.md differs");
    for name in ["runs.csv", "summary.csv", "curves.csv"] {
        assert!(
            std::fs::read(whole.join(name)).unwrap() == std::fs::read(killed.join(name)).unwrap(),
            "{name} differs"
        );
    }
    for run in &runs {
        let rel = PathBuf::from(run.file_name().unwrap()).join("model.safetensors");
        assert!(
            std::fs::read(whole.join(&rel)).unwrap() == std::fs::read(killed.join(&rel)).unwrap(),
            "{} differs",
            rel.display()
        );
        assert_eq!(leftovers(&killed.join(run.file_name().unwrap())), Vec::<String>::new());
    }
    std::fs::remove_dir_all(&root).unwrap();
}
