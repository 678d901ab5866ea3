//! `atrous study --q1-grid` through the real binary on a tiny study (d = 1 × 2 seeds, a grid of
//! (1,1,1) and (1,1,2) × 2 seeds, 300 training / 200 validation / 200 test images): `--plan`
//! prints the grid's runs once each (the study's d1 runs are the grid's (1,1,1)), the printed
//! commands train them, `--report-only` writes Q1.md and lists what is missing; a malformed
//! configuration is refused by flag name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn atrous(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atrous")).args(args).output().expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-cli-q1-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn study(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "study",
        "--dilations",
        "1",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--train-limit",
        "300",
        "--validation",
        "200",
        "--test-limit",
        "200",
        "--saliency-images",
        "4",
        "--learn-epochs",
        "0",
        "--quiet",
        "--q1-grid",
        "--q1-configs",
        "111,112",
        "--q1-seeds",
        "2",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.push(out.to_str().unwrap().to_string());
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn q1_grid_plan_commands_then_report_only() {
    let out = scratch("plan");
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    let mut args = study(&out, &["--plan"]);
    args.extend(["--data".to_string(), data.display().to_string()]);
    let plan = atrous(&args);
    assert!(plan.status.success(), "{}", String::from_utf8_lossy(&plan.stderr));
    let text = String::from_utf8(plan.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for (line, (dir, dilations)) in
        lines.iter().zip([("d1-s0", "1,1,1"), ("d1-s1", "1,1,1"), ("d112-s0", "1,1,2"), ("d112-s1", "1,1,2")])
    {
        assert!(line.ends_with(&format!("/{dir}")), "{line}");
        assert!(line.contains(&format!("--dilations {dilations} ")), "{line}");
    }
    // Train three of the four runs with the printed commands.
    for line in &lines[..3] {
        let words: Vec<String> = line.split(' ').skip(1).map(str::to_string).collect();
        let o = atrous(&words);
        assert!(o.status.success(), "{line}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let mut report = study(&out, &["--report-only"]);
    report.retain(|w| w != "--quiet");
    report.extend(["--data".to_string(), data.display().to_string()]);
    let o = atrous(&report);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1 run(s) missing") && err.contains("d112-s1"), "{err}");
    let md = std::fs::read_to_string(out.join("Q1.md")).unwrap();
    assert!(md.contains("**Incomplete grid: 1 run(s) missing**"), "{md}");
    // The report's regeneration command names the grid it was made with.
    assert!(md.contains("--q1-grid --q1-seeds 2 --q1-configs 111,112 --report-only"), "{md}");
    assert!(out.join("q1_grid.csv").exists() && out.join("REPORT.md").exists());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_malformed_grid_configuration_is_refused_by_name() {
    let out = scratch("bad");
    for bad in ["11", "1a2", "102", "111,111"] {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
        let mut args = study(&out, &["--plan", "--data", data.to_str().unwrap()]);
        let i = args.iter().position(|w| w == "111,112").unwrap();
        args[i] = bad.to_string();
        let o = atrous(&args);
        assert!(!o.status.success(), "{bad} was accepted");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--q1-configs"), "{bad}: {err}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
