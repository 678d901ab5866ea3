//! Faults and hostile inputs through the real binary: learning rates that do not survive a
//! careless JSON float round trip, an interrupted final save, an unwritable `--out`, and a
//! divergence in the first epoch. Each failure is one line naming what is wrong.

use std::path::Path;
use std::process::Output;

mod common;
use common::{assert_one_line_error, atrous, scratch, stderr};

/// A small two-epoch run with `--lr 0.03`; extra flags are appended.
fn train(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["train", "--train-limit", "1000", "--test-limit", "200", "--epochs", "2"];
    args.extend(["--lr", "0.03", "--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    atrous(&args)
}

fn metrics(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("metrics.json")).unwrap()).unwrap()
}

/// `--lr 0.03` as f32 is 0.029999999329447746, which serde_json without `float_roundtrip`
/// parsed back as …743 and `--resume` refused as another recipe. Pinned with the resumed
/// model's bytes and the per-epoch numbers (the resumed metrics took epoch 1 from the
/// checkpoint's JSON and once differed by 1 ULP). Then the interrupted final save: without its
/// model, the finished run is repaired by `--resume`, not reported complete.
#[test]
fn resume_with_lr_0_03_survives_the_json_float_round_trip_and_repairs_a_lost_model() {
    let dir = scratch("lr003");
    let (whole, split) = (dir.join("whole"), dir.join("split"));
    let o = train(&whole, &["--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = train(&split, &["--quiet", "--stop-after", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = train(&split, &["--quiet", "--resume"]);
    assert!(o.status.success(), "--resume with --lr 0.03 failed: {}", stderr(&o));
    let model = std::fs::read(whole.join("model.safetensors")).unwrap();
    assert!(model == std::fs::read(split.join("model.safetensors")).unwrap(), "resumed model differs");
    let (a, b) = (metrics(&whole), metrics(&split));
    for key in ["train_accuracy", "train_loss", "val_accuracy", "val_loss"] {
        for e in 0..2 {
            assert_eq!(a["epochs"][e][key], b["epochs"][e][key], "epoch {} {key}", e + 1);
        }
    }
    assert_eq!(a["test_loss"], b["test_loss"]);

    std::fs::remove_file(split.join("model.safetensors")).unwrap();
    let o = train(&split, &["--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("rewrote model.safetensors"), "{}", stderr(&o));
    assert!(model == std::fs::read(split.join("model.safetensors")).unwrap(), "repaired model differs");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unwritable_out_is_refused_before_training() {
    let dir = scratch("unwritable");
    std::fs::write(dir.join("file"), b"x").unwrap();
    let out = dir.join("file/run");
    let o = train(&out, &["--quiet"]);
    assert_one_line_error(&o, "cannot write in run folder");
    assert!(stderr(&o).contains(out.to_str().unwrap()), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn first_epoch_divergence_says_no_checkpoint_was_written() {
    let dir = scratch("diverged");
    let out = dir.join("run");
    let o = atrous(&[
        "train",
        "--train-limit",
        "256",
        "--test-limit",
        "100",
        "--epochs",
        "1",
        "--lr",
        "1e30",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_one_line_error(&o, "no checkpoint was written");
    assert!(!out.join("checkpoint.safetensors").exists());
    // The outcome is recorded, so a study counts the run as diverged instead of retraining it.
    let metrics = metrics(&out);
    assert_eq!(metrics["diverged"]["epoch"], 1, "{metrics}");
    assert_eq!(metrics["epochs_done"], 0);
    assert!(metrics["test_accuracy"].is_null());
    std::fs::remove_dir_all(&dir).unwrap();
}
