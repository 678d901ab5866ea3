//! `atrous evaluate` end to end on a few test images and a small model trained by the real
//! binary, and the values it refuses.

use std::path::Path;
use std::sync::OnceLock;

mod common;
use common::{assert_one_line_error, atrous, scratch, stderr, stdout, train_model};

/// A narrow DilNet(1) trained for one epoch on 2,000 images.
fn model() -> &'static str {
    static MODEL: OnceLock<String> = OnceLock::new();
    MODEL.get_or_init(|| {
        train_model(
            "evaluate-model",
            &[
                "--dilation",
                "1",
                "--channels",
                "4,8,8",
                "--train-limit",
                "2000",
                "--batch-size",
                "32",
                "--test-limit",
                "100",
            ],
        )
        .to_str()
        .unwrap()
        .to_owned()
    })
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn evaluate_writes_json_csvs_and_figures() {
    let out = scratch("evaluate-out");
    let o = atrous(&[
        "evaluate",
        "--model",
        model(),
        "--method",
        "vanilla,grad-x-input,grad-cam",
        "--images",
        "0..4",
        "--randomisation-images",
        "3",
        "--sensitivity-images",
        "2",
        "--sensitivity-samples",
        "3",
        "--label-images",
        "64",
        "--label-epochs",
        "1",
        "--seed",
        "5",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("evaluated 3 methods on 4 images in "), "{}", stdout(&o));
    for f in ["methods.png", "curves.png", "randomisation.png"] {
        let bytes = std::fs::read(out.join(f)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{f}");
    }
    let e = json(&out.join("evaluation.json"));
    let r = &e["recipe"];
    assert_eq!(r["deletion_insertion"]["deletion_value"], 0.0);
    assert_eq!(r["deletion_insertion"]["pixels_per_step"], 8);
    assert_eq!(r["deletion_insertion"]["baselines"]["random-order"]["seed"], 5);
    assert_eq!(r["max_sensitivity"]["radius"], 0.05);
    assert_eq!(r["max_sensitivity"]["samples"], 3);
    assert_eq!(r["randomisation"]["label_randomisation"]["train_images"], 64);
    let vanilla = &e["methods"]["vanilla"];
    let del = &vanilla["deletion_auc"];
    assert_eq!(del["n"], 4);
    let (mean, lo, hi) =
        (del["mean"].as_f64().unwrap(), del["ci95"][0].as_f64().unwrap(), del["ci95"][1].as_f64().unwrap());
    assert!((0.0..=1.0).contains(&mean) && lo <= mean && mean <= hi);
    let steps = vanilla["randomisation"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    assert_eq!(steps[0]["layer"], "none");
    assert_eq!(steps[0]["spearman"]["mean"], 1.0);
    assert_eq!(steps[5]["layer"], "conv1");
    assert!(steps[5]["spearman_abs"]["mean"].as_f64().unwrap() < 1.0);
    assert_eq!(vanilla["max_sensitivity"]["n"], 2);
    assert!(e["baselines"]["random-order"]["insertion_auc"]["mean"].is_number());
    assert!(e["verdict"].as_str().unwrap().contains("permuted labels"));
    // CSVs: 101 points of 3 methods + 2 baselines; one AUC row per image and ranking.
    let del = std::fs::read_to_string(out.join("deletion_curves.csv")).unwrap();
    assert_eq!(del.lines().count(), 102);
    assert_eq!(del.lines().next().unwrap(), "x,vanilla,grad-x-input,grad-cam,random-order,pixel-intensity");
    assert_eq!(std::fs::read_to_string(out.join("aucs.csv")).unwrap().lines().count(), 1 + 5 * 4);
    let rand = std::fs::read_to_string(out.join("randomisation.csv")).unwrap();
    assert_eq!(rand.lines().count(), 1 + 3 * 7);
    assert!(rand.contains("\ngrad-cam,labels,labels,"));
    assert_eq!(std::fs::read_to_string(out.join("sensitivity.csv")).unwrap().lines().count(), 1 + 3 * 2);
}

#[test]
fn nonsense_values_are_refused_with_one_line() {
    let out = scratch("evaluate-refused");
    let out = out.to_str().unwrap();
    let m = "no-such-model.safetensors";
    let ours = [
        (vec!["--sensitivity-samples", "0"], "--sensitivity-samples 0 is out of range"),
        (vec!["--radius", "0"], "--radius 0 is out of range"),
        (vec!["--radius", "-0.1"], "--radius -0.1 is out of range"),
        (vec!["--radius", "NaN"], "--radius NaN is out of range"),
        (vec!["--steps", "0"], "--steps must be at least 1"),
        (vec!["--images", "9990..10001"], "reaches past the 10000 images"),
    ];
    for (flags, needle) in ours {
        let model = if needle.contains("reaches past") { model() } else { m };
        let mut args = vec!["evaluate", "--model", model, "--out", out];
        args.extend(flags);
        assert_one_line_error(&atrous(&args), needle);
    }
    // Values clap refuses while parsing: its message names them, exit code 2.
    for (flags, needle) in
        [(vec!["--images", "5..2"], "empty"), (vec!["--method", "vanilla,magic"], "\"magic\" is not one of")]
    {
        let mut args = vec!["evaluate", "--model", m, "--out", out];
        args.extend(flags);
        let o = atrous(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).lines().next().unwrap().contains(needle), "{}", stderr(&o));
    }
}
