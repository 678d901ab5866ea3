//! Extending a finished run with `atrous train --resume --epochs N`, and run folders whose
//! `metrics.json` was written before the recipe's `f32` settings were printed as their shortest
//! decimal (`"lr": 0.05000000074505806`, now `0.05`): both keep the bytes of a straight run.

use serde_json::Value;
use std::path::Path;

mod common;
use common::{assert_one_line_error, atrous, scratch, stderr};

/// `atrous train` on a small subset (300 training images, 100 of them held out for
/// validation, 100 test images, a narrow net) with `--lr 0.03` (one of the values whose `f64`
/// widening differs from its decimal) into `out`, plus `extra`.
fn train(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "train",
        "--train-limit",
        "300",
        "--test-limit",
        "100",
        "--validation",
        "100",
        "--channels",
        "4,8,8",
        "--batch-size",
        "50",
        "--lr",
        "0.03",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    atrous(&args)
}

fn ok(o: std::process::Output) {
    assert!(o.status.success(), "atrous failed: {}", stderr(&o));
}

fn metrics(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("metrics.json")).unwrap()).unwrap()
}

/// The measured numbers of `metrics.json`, without timings, memory and threads.
fn numbers(m: &Value) -> Vec<Value> {
    let mut v = vec![m["epochs_done"].clone(), m["test_accuracy"].clone(), m["test_loss"].clone()];
    for e in m["epochs"].as_array().unwrap() {
        for key in ["epoch", "train_accuracy", "train_loss", "val_accuracy", "val_loss"] {
            v.push(e[key].clone());
        }
    }
    v
}

fn model(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("model.safetensors")).unwrap()
}

/// Rewrites `metrics.json`'s recipe as atrous wrote it before shortest decimals: each `f32`
/// setting as the `f64` nearest it.
fn to_old_format(dir: &Path) {
    let mut m = metrics(dir);
    for key in ["lr", "momentum", "weight_decay"] {
        let x = m["config"][key].as_f64().unwrap() as f32;
        m["config"][key] = serde_json::json!(x);
    }
    std::fs::write(dir.join("metrics.json"), serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

#[test]
fn a_finished_run_extended_to_more_epochs_has_the_bytes_of_a_straight_run() {
    let root = scratch("extend");
    let (straight, extended) = (root.join("straight"), root.join("extended"));
    ok(train(&straight, &["--epochs", "2"]));
    ok(train(&extended, &["--epochs", "1"]));
    let one_epoch = model(&extended);
    assert_eq!(metrics(&extended)["config"]["epochs"], 1);
    let o = train(&extended, &["--epochs", "2", "--resume"]);
    ok(o);
    assert_eq!(model(&extended), model(&straight), "extended model differs from a straight 2-epoch one");
    assert_ne!(model(&extended), one_epoch);
    assert_eq!(numbers(&metrics(&extended)), numbers(&metrics(&straight)));
    assert_eq!(metrics(&extended)["config"], metrics(&straight)["config"]);
    // The extended folder is now a 2-epoch run: resuming it at 2 epochs has nothing to do, and
    // it cannot be cut back to 1.
    let again = train(&extended, &["--epochs", "2", "--resume"]);
    assert!(stderr(&again).is_empty(), "{}", stderr(&again));
    ok(again);
    assert_one_line_error(&train(&extended, &["--epochs", "1", "--resume"]), "already has 2 epochs");
    // Another field than the epochs still refuses, naming it.
    assert_one_line_error(&train(&extended, &["--epochs", "3", "--resume", "--seed", "5"]), "seed");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn extending_a_run_without_its_checkpoint_names_what_is_missing() {
    let root = scratch("extend-nockpt");
    let run = root.join("run");
    ok(train(&run, &["--epochs", "1"]));
    std::fs::remove_file(run.join("checkpoint.safetensors")).unwrap();
    let o = train(&run, &["--epochs", "2", "--resume"]);
    assert_one_line_error(&o, "no checkpoint.safetensors");
    assert!(stderr(&o).contains("optimiser state"), "{}", stderr(&o));
    // At its own epoch count the run is complete without it.
    ok(train(&run, &["--epochs", "1", "--resume"]));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn metrics_json_prints_f32_settings_as_their_shortest_decimal_and_the_model_metadata_keeps_f64() {
    let root = scratch("shortest");
    let run = root.join("run");
    ok(train(&run, &["--epochs", "1", "--momentum", "0.8"]));
    let text = std::fs::read_to_string(run.join("metrics.json")).unwrap();
    for want in ["\"lr\": 0.03,", "\"momentum\": 0.8,", "\"weight_decay\": 0.0"] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    // The model file's metadata keeps the widened values its hash has always covered.
    let model = String::from_utf8_lossy(&model(&run)).into_owned();
    assert!(model.contains(r#"\"lr\":0.029999999329447746"#), "{}", &model[..600.min(model.len())]);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_run_interrupted_under_the_old_metrics_format_resumes_to_the_straight_bytes() {
    let root = scratch("old-format");
    let (straight, old) = (root.join("straight"), root.join("old"));
    ok(train(&straight, &["--epochs", "2"]));
    ok(train(&old, &["--epochs", "2", "--stop-after", "1"]));
    to_old_format(&old);
    assert!(std::fs::read_to_string(old.join("metrics.json")).unwrap().contains("0.029999999329447746"));
    ok(train(&old, &["--epochs", "2", "--resume"]));
    assert_eq!(model(&old), model(&straight));
    assert_eq!(numbers(&metrics(&old)), numbers(&metrics(&straight)));
    // A finished run in the old format is complete, not stale, for the same recipe.
    to_old_format(&old);
    let o = train(&old, &["--epochs", "2", "--resume"]);
    ok(o);
    std::fs::remove_dir_all(&root).unwrap();
}
