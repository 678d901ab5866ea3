//! The real `atrous` binary end to end: train on a subset, evaluate, resume, determinism, and
//! clear one-line errors for bad input.

use std::path::Path;
use std::process::Output;

mod common;
use common::{assert_one_line_error, atrous, scratch, stderr};

/// Trains a small run; extra flags are appended.
fn train(out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().unwrap();
    let mut args = vec![
        "train",
        "--train-limit",
        "2000",
        "--test-limit",
        "500",
        "--epochs",
        "2",
        "--quiet",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    atrous(&args)
}

#[test]
fn train_save_reload_and_evaluate_far_above_chance() {
    let dir = scratch("eval");
    let run = dir.join("run");
    let o = train(&run, &["--dilation", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["epochs"].as_array().unwrap().len(), 2);
    assert_eq!(metrics["config"]["dilations"], serde_json::json!([2, 2, 2]));

    let model = run.join("model.safetensors");
    let o = atrous(&["eval", "--model", model.to_str().unwrap(), "--test-limit", "500", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let eval: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let acc = eval["test_accuracy"].as_f64().unwrap();
    // Chance is 0.1; 2 epochs on 2000 images lands well above it.
    assert!(acc > 0.4, "test accuracy {acc}");
    assert_eq!(Some(acc), metrics["test_accuracy"].as_f64(), "eval disagrees with training's own test pass");
}

#[test]
fn same_seed_same_model_at_one_and_two_threads() {
    let dir = scratch("threads");
    let (a, b) = (dir.join("t1"), dir.join("t2"));
    assert!(train(&a, &["--threads", "1", "--epochs", "1"]).status.success());
    assert!(train(&b, &["--threads", "2", "--epochs", "1"]).status.success());
    let (ma, mb) = (
        std::fs::read(a.join("model.safetensors")).unwrap(),
        std::fs::read(b.join("model.safetensors")).unwrap(),
    );
    assert!(ma == mb, "model files differ between 1 and 2 threads");
}

#[test]
fn resume_after_interruption_gives_the_uninterrupted_model() {
    let dir = scratch("resume");
    let (whole, split) = (dir.join("whole"), dir.join("split"));
    assert!(train(&whole, &["--optimizer", "adam", "--lr", "0.001"]).status.success());
    let first = train(&split, &["--optimizer", "adam", "--lr", "0.001", "--stop-after", "1"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(split.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["epochs_done"], 1);
    let second = train(&split, &["--optimizer", "adam", "--lr", "0.001", "--resume"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let (a, b) = (
        std::fs::read(whole.join("model.safetensors")).unwrap(),
        std::fs::read(split.join("model.safetensors")).unwrap(),
    );
    assert!(a == b, "resumed run differs from the uninterrupted one");
    // Starting afresh over a finished run would lose it: refused.
    let again = train(&split, &["--optimizer", "adam", "--lr", "0.001"]);
    assert_one_line_error(&again, "already holds a run");
    // Resuming with another recipe is refused, naming the field that differs.
    let clash = train(&split, &["--optimizer", "adam", "--lr", "0.002", "--resume"]);
    assert_one_line_error(&clash, "--resume");
    assert_one_line_error(&clash, "was trained with lr = ");
}

#[test]
fn nonsense_values_are_refused_in_one_line() {
    let dir = scratch("bad");
    let out = dir.join("run");
    let out = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["train", "--dilation", "0", "--out", out], "at least 1"),
        (vec!["train", "--epochs", "0", "--out", out], "--epochs"),
        (vec!["train", "--batch-size", "0", "--out", out], "--batch-size"),
        (vec!["train", "--dilation", "20", "--out", out], "only padding"),
        (vec!["train", "--lr", "-1", "--out", out], "--lr"),
        (vec!["train", "--momentum", "1.5", "--out", out], "--momentum"),
        (vec!["train", "--data", "/nonexistent/mnist", "--out", out], "not found"),
        (vec!["eval", "--model", "/nonexistent/model.safetensors"], "cannot read model"),
    ] {
        assert_one_line_error(&atrous(&args), needle);
    }
    assert!(!Path::new(out).join("model.safetensors").exists(), "a refused run wrote a model");
}

#[test]
fn corrupted_model_file_is_refused_in_one_line() {
    let dir = scratch("corrupt");
    let run = dir.join("run");
    assert!(train(&run, &["--epochs", "1", "--train-limit", "256"]).status.success());
    let good = std::fs::read(run.join("model.safetensors")).unwrap();
    let cut = dir.join("cut.safetensors");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    assert_one_line_error(&atrous(&["eval", "--model", cut.to_str().unwrap()]), "not a usable atrous model");
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"definitely not safetensors").unwrap();
    assert_one_line_error(&atrous(&["eval", "--model", junk.to_str().unwrap()]), "not a usable atrous model");
}

#[test]
fn diverging_run_stops_with_a_clear_message() {
    let dir = scratch("nan");
    let run = dir.join("run");
    let o = train(&run, &["--lr", "1e30", "--epochs", "1"]);
    assert_one_line_error(&o, "training diverged");
    assert!(stderr(&o).contains("epoch 1 step"), "{}", stderr(&o));
    assert!(!run.join("model.safetensors").exists(), "a diverged first epoch must not leave a model");
}

#[test]
fn study_writes_report_tables_and_figures_and_reuses_finished_runs() {
    let dir = scratch("study");
    let out = dir.join("study");
    let args = [
        "study",
        "--dilations",
        "1,2",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--train-limit",
        "512",
        "--validation",
        "200",
        "--test-limit",
        "200",
        "--saliency-images",
        "20",
        "--learn-epochs",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = atrous(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("| d1 |") && report.contains("| d2 |"), "{report}");
    assert!(report.contains("Welch p") && report.contains("d=2 vs d=1: "), "{report}");
    assert!(report.contains("learned dilations"), "the learned-dilation section is missing:\n{report}");
    let seed0: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("learn/seed-0.json")).unwrap()).unwrap();
    let weights = seed0["weights"].as_array().unwrap();
    assert_eq!(weights.len(), 3, "one weight vector per conv layer");
    for w in weights {
        let sum: f64 = w.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-4, "mixing weights sum to {sum}");
    }
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 4, "header + 2 dilations × 2 seeds:\n{runs}");
    assert_eq!(std::fs::read_to_string(out.join("summary.csv")).unwrap().lines().count(), 1 + 2);
    for name in ["class_models_d1.png", "saliency_d2.png", "forest.png", "seeds.png", "curves.png"] {
        assert!(out.join("figures").join(name).exists(), "missing {name}");
    }
    // Same seed, same shapes: d=1 and d=2 runs start from identical weights, so their first
    // checkpoints differ only through training. A second study reuses every finished run.
    let before = std::fs::metadata(out.join("d1-s0/model.safetensors")).unwrap().modified().unwrap();
    assert!(atrous(&args).status.success());
    let after = std::fs::metadata(out.join("d1-s0/model.safetensors")).unwrap().modified().unwrap();
    assert_eq!(before, after, "a finished run was trained again");
    assert_one_line_error(&atrous(&["study", "--dilations", "1,1", "--out", out.to_str().unwrap()]), "twice");
    assert_one_line_error(
        &atrous(&["study", "--dilations", "1,30", "--out", out.to_str().unwrap()]),
        "only padding",
    );
}

#[test]
fn per_layer_lists_take_comma_separated_values() {
    let dir = scratch("lists");
    let run = dir.join("run");
    let o = train(
        &run,
        &["--channels", "4,6,8", "--dilations", "1,2,3", "--epochs", "1", "--train-limit", "128"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["config"]["channels"], serde_json::json!([4, 6, 8]));
    assert_eq!(m["config"]["dilations"], serde_json::json!([1, 2, 3]));
    assert_one_line_error(
        &atrous(&["train", "--channels", "4,6", "--out", run.to_str().unwrap()]),
        "three values",
    );
    // The help shows each list's default the way the flag takes it.
    let help = String::from_utf8(atrous(&["train", "--help"]).stdout).unwrap();
    for default in ["[default: 16,32,64]", "[default: 3,3,3]"] {
        assert!(help.contains(default), "train --help lacks {default}");
    }
}
