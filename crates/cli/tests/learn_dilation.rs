//! `atrous learn-dilation --method mixture|continuous` end to end on a data subset: two seeds of
//! each method into one folder, their records, the long trajectory table and the final values;
//! a second call reuses every seed, and a changed setting is refused by name.

mod common;

use common::{assert_one_line_error, atrous, scratch, stderr};

fn learn(out: &str, method: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "learn-dilation",
        "--method",
        method,
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--train-limit",
        "96",
        "--validation",
        "100",
        "--candidates",
        "1,2",
        "--threads",
        "2",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    atrous(&args)
}

#[test]
fn two_seeds_of_both_methods_write_records_and_tables_and_are_reused() {
    let dir = scratch("learn-dilation");
    let out = dir.to_str().unwrap();
    let mixture = learn(out, "mixture", &[]);
    assert!(mixture.status.success(), "{}", stderr(&mixture));
    assert!(stderr(&mixture).contains("seed 1: chose"), "a progress line per seed: {}", stderr(&mixture));
    let continuous = learn(out, "continuous", &[]);
    assert!(continuous.status.success(), "{}", stderr(&continuous));

    for seed in 0..2 {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("seed-{seed}.json"))).unwrap()).unwrap();
        assert_eq!(m["settings"]["method"], "bilevel");
        assert!(m["test_accuracy"].is_null(), "the search measures no test accuracy");
        assert!(m["retrain_command"].as_str().unwrap().starts_with("atrous train --dilations "));
        assert_eq!(m["steps"], 3, "96 images in batches of 32, no early stop at patience 500");
        assert_eq!(m["stopped"], "epoch_limit");
        let c: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("continuous-seed-{seed}.json"))).unwrap())
                .unwrap();
        assert!(c["validation_accuracy"].as_f64().is_some());
    }

    // Long format: 2 seeds × 2 points (steps 0 and 3) × 3 layers × 2 candidates mixture rows,
    // 2 seeds × 1 point (step 0; the trajectory is recorded every 25 steps) × 3 layers continuous rows.
    let csv = std::fs::read_to_string(dir.join("trajectory.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("method,seed,step,layer,candidate,value"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.iter().filter(|r| r[0] == "mixture").count(), 2 * 2 * 3 * 2);
    assert_eq!(rows.iter().filter(|r| r[0] == "continuous").count(), 2 * 3);
    let start: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == "mixture" && r[2] == "0").collect();
    assert!(start.iter().all(|r| r[5] == "0.5"), "uniform weights at step 0: {start:?}");
    assert!(rows.iter().filter(|r| r[0] == "continuous").all(|r| r[4] == "d" && r[5] == "2"));
    let finals = std::fs::read_to_string(dir.join("final.csv")).unwrap();
    assert_eq!(finals.lines().count(), 1 + 2 * 3 * 2 + 2 * 3);

    let record = std::fs::read(dir.join("seed-1.json")).unwrap();
    let again = learn(out, "mixture", &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(std::fs::read(dir.join("seed-1.json")).unwrap(), record, "the seed was reused, not re-run");
    assert_eq!(std::fs::read_to_string(dir.join("trajectory.csv")).unwrap(), csv, "the same tables again");

    let changed = learn(out, "mixture", &["--arch-lr", "0.02"]);
    assert_one_line_error(&changed, "arch_lr = 0.01");
    let test_limit = learn(out, "mixture", &["--test-limit", "10"]);
    assert_one_line_error(&test_limit, "reads no test data");
}

#[test]
fn a_bad_gumbel_temperature_is_refused_naming_the_flag() {
    let dir = scratch("learn-gumbel-bad");
    let out = dir.to_str().unwrap();
    for bad in ["0", "-1", "NaN"] {
        let refused = learn(out, "mixture", &["--gumbel", "--tau-start", bad]);
        assert_one_line_error(&refused, "--tau-start must be a positive number");
    }
    let refused = learn(out, "mixture", &["--gumbel", "--tau-end", "0"]);
    assert_one_line_error(&refused, "--tau-end must be a positive number");
    let refused = learn(out, "continuous", &["--gumbel"]);
    assert_one_line_error(&refused, "--gumbel applies to --method mixture only");
    assert!(!dir.join("seed-0.json").exists(), "nothing was searched");
}
