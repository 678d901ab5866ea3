//! Question 1's grid end to end on a tiny study (300 training / 200 validation / 200 test
//! images, one epoch, d = 1 with 2 seeds, a 2-configuration grid (1,1,1), (1,1,2) × 2 seeds):
//! the plan lists the grid's runs and reuses the study's, a report on a partly finished grid
//! names the missing run, search records are judged against the grid, and every number of
//! Q1.md's grid table is `q1_grid.csv`'s at fewer digits; the retrained comparison reads each
//! seed's configuration off the grid and names the seeds the grid cannot judge.

mod common;

use atrous_study::q1::{Q1Grid, Q1Settings};
use atrous_study::{RunOptions, Silent, StudyPlan, plan_runs, report_only, train_run};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-q1-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn tiny_plan(out: &Path) -> StudyPlan {
    let mut plan = common::tiny_plan(out, &[1]);
    plan.q1 = Some(Q1Settings {
        grid: Q1Grid { configs: vec![[1, 1, 1], [1, 1, 2]], seeds: 2 },
        record_dirs: vec![out.join("learn"), out.join("learn").join("from3")],
    });
    plan
}

fn names(plan: &StudyPlan) -> Vec<String> {
    plan_runs(plan)
        .unwrap()
        .iter()
        .map(|r| r.dir.path().file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// `q1_grid.csv` as rows of named cells (the quoted configuration holds commas).
fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let split = |line: &str| -> Vec<String> {
        let (mut cells, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => cells.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        cells.push(cur);
        cells
    };
    let mut lines = text.lines();
    let header = split(lines.next().unwrap());
    lines.map(|l| header.iter().cloned().zip(split(l)).collect()).collect()
}

/// The cells of the Markdown grid table's row for `name` (`d112`).
fn md_row(md: &str, name: &str) -> Vec<String> {
    let line =
        md.lines().find(|l| l.contains(&format!("| `{name}` |"))).unwrap_or_else(|| panic!("no row {name}"));
    line.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
}

fn pct(csv: &str, digits: usize, sign: bool) -> String {
    let v: f64 = csv.parse().unwrap();
    if sign { format!("{:+.digits$}", 100.0 * v) } else { format!("{:.digits$}", 100.0 * v) }
}

fn write_records(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    // Single-level mixture seeds (their records name no method): seed 0 chooses (1,1,2), seed 1
    // (1,1,1); their last weights say so.
    for (seed, w3) in [(0u64, [0.2, 0.7, 0.05, 0.05]), (1, [0.6, 0.2, 0.1, 0.1])] {
        let w = [vec![0.7, 0.1, 0.1, 0.1], vec![0.4, 0.3, 0.2, 0.1], w3.to_vec()];
        let chosen = [1, 1, if seed == 0 { 2 } else { 1 }];
        let uniform = [[0.25; 4], [0.25; 4], [0.25; 4]];
        let record = json!({
            "settings": {"arch_lr": 0.01, "batch_size": 64, "candidates": [1, 2, 3, 4], "epochs": 1,
                          "lr": 0.05, "seed": seed, "test_limit": null, "train_limit": null},
            "weights": w, "chosen": chosen, "test_accuracy": 0.9, "seconds": 30.0,
            "trajectory": [{"step": 0, "weights": uniform}, {"step": 50, "weights": w}],
            "a_field_added_later": true
        });
        std::fs::write(dir.join(format!("seed-{seed}.json")), record.to_string()).unwrap();
    }
    // Continuous searches from the default start d = 2, and (in a second folder's worth of
    // files, here `from3-…`) from d = 3: the start comparison reads both.
    let continuous = [
        (2.0, 0u64, [1.2, 1.4, 2.6]),
        (2.0, 1, [1.1, 2.7, 3.4]),
        (3.0, 0, [2.9, 3.1, 3.0]),
        (3.0, 1, [2.8, 3.0, 3.2]),
    ];
    for (start, seed, d) in continuous {
        let record = json!({
            "settings": {"initial": [start, start, start], "range": [1.0, 4.0], "epochs": 1, "batch_size": 64,
                         "lr": 0.05, "momentum": 0.9, "dilation_lr": 0.05, "train_images": 300,
                         "validation_images": 200},
            "seed": seed, "dilations": d, "validation_accuracy": 0.9, "seconds": 20.0,
            "trajectory": [{"step": 0, "dilations": [start, start, start]}, {"step": 25, "dilations": d}]
        });
        let folder = if start == 2.0 { dir.to_path_buf() } else { dir.join("from3") };
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("continuous-seed-{seed}.json")), record.to_string()).unwrap();
    }
    std::fs::write(dir.join("seed-9.json"), "{ not json").unwrap();
}

#[test]
fn grid_plan_and_report_on_a_partial_then_full_grid() {
    let out = scratch("e2e");
    let plan = tiny_plan(&out);
    // The study's d1-s0, d1-s1 are the grid's (1,1,1) runs: listed once, then the grid's own.
    assert_eq!(names(&plan), ["d1-s0", "d1-s1", "d112-s0", "d112-s1"]);
    let (data, _) = plan.load_data().unwrap();
    for run in plan_runs(&plan).unwrap().iter().take(3) {
        assert_eq!(run.recipe.net.dilations, if run.arm.name == "d112" { [1, 1, 2] } else { [1, 1, 1] });
        train_run(&run.recipe, &run.dir, &data, RunOptions::default(), &Silent).unwrap();
    }
    assert_eq!(names(&plan), ["d112-s1"]);

    // Partial grid: the report names the missing run; the study's REPORT.md links Q1.md.
    let (_, missing) = report_only(&plan, &Silent).unwrap();
    assert_eq!(missing.len(), 1);
    let md = std::fs::read_to_string(out.join("Q1.md")).unwrap();
    assert!(md.contains("**Incomplete grid: 1 run(s) missing**"), "{md}");
    assert!(md.contains("d112-s1"));
    assert!(md.contains("No search records"));
    assert!(
        std::fs::read_to_string(out.join("REPORT.md")).unwrap().contains("are in `Q1.md` beside this report")
    );
    assert!(out.join("figures/q1_grid.png").exists());

    // Full grid and search records.
    let last = plan_runs(&plan).unwrap().remove(0);
    train_run(&last.recipe, &last.dir, &data, RunOptions::default(), &Silent).unwrap();
    write_records(&out.join("learn"));
    let (_, missing) = report_only(&plan, &Silent).unwrap();
    assert!(missing.is_empty());
    let md = std::fs::read_to_string(out.join("Q1.md")).unwrap();
    assert!(!md.contains("Incomplete grid"));

    // Every grid-table number equals the CSV's.
    let rows = read_csv(&out.join("q1_grid.csv"));
    assert_eq!(rows.len(), 2);
    for r in &rows {
        let cells = md_row(&md, &r["name"]);
        assert_eq!(cells[0], r["config"]);
        assert_eq!(cells[2], r["n"]);
        assert_eq!(r["n"], "2");
        assert_eq!(cells[3], pct(&r["val_mean"], 2, false), "mean of {}", r["name"]);
        assert_eq!(cells[4], pct(&r["val_sd"], 2, false));
        assert_eq!(
            cells[5],
            format!("[{}, {}]", pct(&r["val_ci_lo"], 2, false), pct(&r["val_ci_hi"], 2, false))
        );
        assert_eq!(cells[6], pct(&r["delta_vs_best"], 2, true));
        assert_eq!(cells[8] == "yes", r["within_epsilon"] == "true");
        assert_eq!(cells[9] == "yes", r["seed_aware"] == "true");
        assert_eq!(cells[10], pct(&r["test_mean"], 2, false));
    }
    // The best configuration is in both sets, and the CSV's best has Δ = 0.
    assert!(rows.iter().any(|r| r["delta_vs_best"] == "0.000000" && r["within_epsilon"] == "true"));

    // Both methods are judged; the unreadable record is named, the added field ignored.
    assert!(md.contains("### single-level (2 seed(s))"), "{md}");
    assert!(md.contains("### continuous (2 seed(s))"));
    assert!(md.contains("seed-9.json"));
    let seeds = std::fs::read_to_string(out.join("q1_seeds.csv")).unwrap();
    assert!(seeds.contains("single-level,0,1,1,2,"), "{seeds}");
    // Continuous (1.1, 2.7, 3.4) rounds to (1,3,3), which the grid did not train.
    assert!(seeds.contains("continuous,1,1,3,3,1.100000,2.700000,3.400000,,,,false,false,false"), "{seeds}");
    assert!(md.contains("2 seed(s) learned a configuration the grid has no run of"));
    // conv1: both single-level seeds chose d = 1 → 2/2, Wilson [0.34, 1.00], inconclusive with 2 seeds.
    assert!(md.contains("- conv1: 2/2 [0.34, 1.00] seeds choose d = 1"), "{md}");
    // Retrained accuracy: each single-level seed's value is its configuration's grid mean, and
    // Δ is their mean minus the optimum's mean; both continuous seeds are named as left out.
    let seed_rows = read_csv(&out.join("q1_seeds.csv"));
    let retrained = |method: &str, seed: &str| {
        seed_rows.iter().find(|r| r["method"] == method && r["seed"] == seed).unwrap()["retrained_val"]
            .clone()
    };
    let grid_mean = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap()["val_mean"].clone();
    assert_eq!(retrained("single-level", "0"), grid_mean("d112"));
    assert_eq!(retrained("single-level", "1"), grid_mean("d1"));
    assert_eq!(retrained("continuous", "1"), "", "(1,3,3) has no grid run");
    let best: f64 =
        rows.iter().find(|r| r["delta_vs_best"] == "0.000000").unwrap()["val_mean"].parse().unwrap();
    let pool: f64 =
        (grid_mean("d112").parse::<f64>().unwrap() + grid_mean("d1").parse::<f64>().unwrap()) / 2.0;
    let line = md
        .lines()
        .find(|l| {
            l.starts_with("- Retrained from scratch")
                && l.contains("2 seed(s), vs the grid optimum's 2 run(s)")
        })
        .unwrap_or_else(|| panic!("no retrained line: {md}"));
    assert!(line.contains(&format!("Δ = {:+.2} pp [", 100.0 * (pool - best))), "{line}");
    assert!(line.contains("Random search at the same wall time"), "{line}");
    assert!(
        md.contains("too few values to test (2 per side needed): **inconclusive**; 2 seed(s) left out, their configuration has no grid run: seed 0 (1,1,3), seed 1 (1,3,3)"),
        "{md}"
    );
    assert!(md.contains("retrained vs the grid optimum: inconclusive (untestable)"), "{md}");
    assert!(out.join("figures/q1_trajectories.png").exists());

    // The start comparison: from d = 3 the learned conv1 d is 2.85, from d = 2 it is 1.15
    // (sd 0.0707 each): Δ = 1.70, se 0.0707, df 2, t 4.303, CI [1.40, 2.00], beyond ±0.5.
    assert!(md.contains("### continuous from d=3 (2 seed(s))"), "{md}");
    assert!(md.contains("## Does the learned dilation depend on where the search starts?"), "{md}");
    assert!(md.contains("| conv1 | +1.70 | [+1.40, +2.00] | 1.70 [1.40, 2.00] |"), "{md}");
    assert!(md.contains("- **continuous** from d = 2, d = 3: **start-dependent**"), "{md}");
    assert!(out.join("figures/q1_starts.png").exists());
    let _ = std::fs::remove_dir_all(&out);
}
