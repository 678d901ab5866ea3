//! What every integration test of the binary needs: run `atrous`, a fresh scratch folder, and
//! its output as text. Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `atrous` binary built for these tests.
pub fn atrous(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atrous")).args(args).output().expect("the binary runs")
}

/// An empty folder of its own for one test (this process and `name`).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The process's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The process's standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A refusal by atrous itself: non-zero exit, one line `error: …` that contains `needle`.
pub fn assert_one_line_error(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected failure, got success");
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "error is not one line: {err:?}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err:?} lacks {needle:?}");
}

/// Trains a one-epoch model into a scratch folder `name` with `atrous train … --epochs 1 --quiet`
/// plus `args` (architecture and data limits), and returns its model file. Panics with the
/// command's error if training fails.
pub fn train_model(name: &str, args: &[&str]) -> PathBuf {
    let run = scratch(name);
    let mut all = vec!["train", "--epochs", "1", "--quiet", "--out", run.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = atrous(&all);
    assert!(o.status.success(), "training failed: {}", stderr(&o));
    run.join("model.safetensors")
}
