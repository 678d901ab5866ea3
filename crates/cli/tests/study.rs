//! The study end to end through the real binary, on a tiny subset (2 dilations × 3 seeds, 300
//! training / 200 validation / 200 test images, one epoch): every number in REPORT.md's tables
//! is the CSVs' number; `--plan` (its commands run through the binary) followed by
//! `--report-only` writes the same report, tables and figures as the in-process study (which
//! trains three runs side by side); runs
//! trained by another engine revision or recipe are refused by name, or retrained; with a
//! validation split, per-epoch records hold validation numbers only and the test set is
//! evaluated once, after the last epoch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn atrous(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atrous")).args(args).output().expect("the binary runs")
}

fn ok(args: &[String]) -> Output {
    let o = atrous(args);
    assert!(o.status.success(), "atrous {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    o
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-study-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The tiny study's flags, writing to `out`.
fn study_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a = strings(&[
        "study",
        "--dilations",
        "1,2",
        "--seeds",
        "3",
        "--epochs",
        "1",
        "--train-limit",
        "300",
        "--validation",
        "200",
        "--test-limit",
        "200",
        "--saliency-images",
        "10",
        "--learn-epochs",
        "0",
        "--quiet",
        "--out",
    ]);
    a.push(out.to_str().unwrap().to_string());
    a.extend(strings(extra));
    a
}

/// A CSV file as rows of named cells (quoted cells hold no comma-separated parts we need split).
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

/// The markdown tables of a report: (header cells, rows of cells).
fn tables(md: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let cells =
        |l: &str| l.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect::<Vec<_>>();
    let lines: Vec<&str> = md.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < lines.len() {
        if lines[i].starts_with('|') && lines[i + 1].starts_with("| ---") {
            let header = cells(lines[i]);
            let mut rows = Vec::new();
            i += 2;
            while i < lines.len() && lines[i].starts_with('|') {
                rows.push(cells(lines[i]));
                i += 1;
            }
            out.push((header, rows));
        } else {
            i += 1;
        }
    }
    out
}

/// The numbers in a report cell (ASCII or U+2212 minus), in order.
fn numbers(cell: &str) -> Vec<f64> {
    let cell = cell.replace('−', "-");
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in cell.chars().chain([' ']) {
        if c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && cur.is_empty()) {
            cur.push(c);
        } else {
            if cur.chars().any(|c| c.is_ascii_digit()) {
                out.push(cur.parse().unwrap());
            }
            cur.clear();
        }
    }
    out
}

/// Checks one report table against a CSV: rows matched by `key` columns, each mapped report
/// column against its CSV columns times `scale`, to the report's printed precision.
fn check_table(
    table: &(Vec<String>, Vec<Vec<String>>),
    csv: &[HashMap<String, String>],
    key: &[(&str, &str)],
    columns: &[(&str, &[&str], f64)],
) -> usize {
    let (header, rows) = table;
    let col = |name: &str| {
        header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name:?} in {header:?}"))
    };
    let mut checked = 0;
    for row in rows {
        let found = csv
            .iter()
            .find(|r| key.iter().all(|(rep, c)| r[*c] == row[col(rep)]))
            .unwrap_or_else(|| panic!("no CSV row for {row:?}"));
        for (name, csv_cols, scale) in columns {
            let cell = &row[col(name)];
            let got = numbers(cell);
            let want: Vec<Option<f64>> = csv_cols.iter().map(|c| found[*c].parse::<f64>().ok()).collect();
            if want.iter().all(Option::is_none) {
                assert!(got.is_empty(), "{name}: report {cell:?}, CSV empty");
                continue;
            }
            assert_eq!(got.len(), want.len(), "{name}: report cell {cell:?} vs CSV {csv_cols:?}");
            let digits = cell
                .replace('−', "-")
                .split('.')
                .nth(1)
                .map_or(0, |d| d.chars().take_while(char::is_ascii_digit).count());
            let tolerance = 0.5 * 10f64.powi(-(digits as i32)) + 1e-6 * scale + 1e-9;
            if let Some(bound) = cell.strip_prefix('<') {
                // A p-value printed as "<0.0001": the CSV's must lie below the bound.
                let bound: f64 = bound.parse().unwrap();
                let w = want[0].unwrap() * scale;
                assert!(w < bound, "{name}: report {cell:?} vs CSV {w}");
                checked += 1;
                continue;
            }
            for (g, w) in got.iter().zip(&want) {
                let w = w.unwrap() * scale;
                assert!(
                    (g - w).abs() <= tolerance,
                    "{name}: report {g} vs CSV {w} (cell {cell:?}, row {row:?})"
                );
                checked += 1;
            }
        }
    }
    checked
}

fn without_timing(md: &str, out: &Path) -> String {
    md.lines()
        .filter(|l| !l.starts_with("- Training wall time"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(out.to_str().unwrap(), "OUT")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn tiny_study_report_numbers_are_the_csvs_and_plan_plus_report_only_gives_the_same_report() {
    let root = scratch("e2e");
    let (a, b) = (root.join("in-process"), root.join("planned"));

    // In process, three runs at a time (the planned runs below go one after the other).
    ok(&study_args(&a, &["--jobs", "3"]));
    let report = std::fs::read_to_string(a.join("REPORT.md")).unwrap();
    let summary = read_csv(&a.join("summary.csv"));
    let runs = read_csv(&a.join("runs.csv"));
    assert_eq!(runs.len(), 6, "2 dilations × 3 seeds");
    let t = tables(&report);
    let find = |first: &str, second: &str| {
        t.iter()
            .find(|(h, _)| h[0] == first && h[1] == second)
            .unwrap_or_else(|| panic!("no table {first} {second}"))
    };
    let mut checked = 0;
    checked += check_table(
        find("arm", "network"),
        &summary,
        &[("arm", "arm")],
        &[
            ("parameters", &["parameters"], 1.0),
            ("runs", &["n"], 1.0),
            ("validation accuracy (%)", &["val_mean"], 100.0),
            ("test accuracy (%)", &["test_mean"], 100.0),
            ("sd (pp)", &["test_sd"], 100.0),
            ("95% CI (%)", &["ci_lo", "ci_hi"], 100.0),
        ],
    );
    checked += check_table(
        find("arm", "vs"),
        &summary,
        &[("arm", "arm"), ("vs", "baseline")],
        &[
            ("Δ (pp)", &["delta"], 100.0),
            ("95% CI, Welch t (pp)", &["welch_lo", "welch_hi"], 100.0),
            ("95% CI, bootstrap (pp)", &["boot_lo", "boot_hi"], 100.0),
            ("Hedges' g", &["hedges_g"], 1.0),
            ("Welch p", &["welch_p"], 1.0),
            ("Holm p", &["holm_p"], 1.0),
            ("TOST p", &["tost_p"], 1.0),
            ("MDD (pp)", &["mdd"], 100.0),
        ],
    );
    let verdicts = find("arm", "vs");
    for row in &verdicts.1 {
        let csv = summary.iter().find(|r| r["arm"] == row[0]).unwrap();
        assert_eq!(row.last().unwrap(), &csv["verdict"], "verdict of {}", row[0]);
    }
    checked += check_table(
        find("arm", "saliency on ink (%)"),
        &summary,
        &[("arm", "arm")],
        &[
            ("saliency on ink (%)", &["ink_share"], 100.0),
            ("spread (px)", &["spread_px"], 1.0),
            ("box IoU", &["box_iou"], 1.0),
            ("mask IoU", &["mask_iou"], 1.0),
            ("class-model S_c", &["class_model_score"], 1.0),
            ("class-model p", &["class_model_prob"], 1.0),
        ],
    );
    checked += check_table(
        find("arm", "seed"),
        &runs,
        &[("arm", "arm"), ("seed", "seed")],
        &[
            ("validation accuracy (%)", &["val_accuracy"], 100.0),
            ("test accuracy (%)", &["test_accuracy"], 100.0),
            ("test loss", &["test_loss"], 1.0),
        ],
    );
    // 2 arms × 7 + 1 comparison × 10 + 2 × 6 + 6 runs × 3.
    assert_eq!(checked, 2 * 7 + 10 + 2 * 6 + 6 * 3, "every table number was compared");
    for run in &runs {
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(a.join(format!("{}-s{}/metrics.json", run["arm"], run["seed"]))).unwrap(),
        )
        .unwrap();
        let csv: f64 = run["test_accuracy"].parse().unwrap();
        assert!(
            (m["test_accuracy"].as_f64().unwrap() - csv).abs() < 1e-6,
            "runs.csv is the run's metrics.json"
        );
    }
    assert!(report.contains("![") && report.contains("(figures/forest.png)"), "figures are embedded");
    for f in ["forest.png", "seeds.png", "curves.png", "forest.svg"] {
        assert!(a.join("figures").join(f).exists(), "missing figure {f}");
    }

    // Planned: half the commands, a report of what exists, the rest, the final report.
    let plan = ok(&study_args(&b, &["--plan"]));
    let commands: Vec<String> = String::from_utf8(plan.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(commands.len(), 6, "one command per run:\n{commands:#?}");
    let run_line = |line: &str| {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        assert_eq!(words[..2], ["atrous", "train"], "{line}");
        ok(&words[1..]);
    };
    for line in &commands[..3] {
        run_line(line);
    }
    let partial = ok(&study_args(&b, &["--report-only"]));
    let stderr = String::from_utf8_lossy(&partial.stderr);
    let partial_report = std::fs::read_to_string(b.join("REPORT.md")).unwrap();
    assert!(partial_report.contains("3 run(s) missing"), "{partial_report}");
    let _ = stderr;
    let rest = ok(&study_args(&b, &["--plan"]));
    let rest: Vec<String> = String::from_utf8(rest.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(rest, commands[3..], "the plan lists exactly the runs still missing");
    for line in &rest {
        run_line(line);
    }
    ok(&study_args(&b, &["--report-only"]));
    let planned = std::fs::read_to_string(b.join("REPORT.md")).unwrap();
    assert_eq!(without_timing(&planned, &b), without_timing(&report, &a), "plan + report-only ≠ in-process");
    for name in ["runs.csv", "summary.csv", "curves.csv"] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name} differs"
        );
    }
    let (fa, fb) = (files_under(&a.join("figures")), files_under(&b.join("figures")));
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap(), "{} differs", x.display());
    }
    for run in &runs {
        let rel = format!("{}-s{}/model.safetensors", run["arm"], run["seed"]);
        assert_eq!(std::fs::read(a.join(&rel)).unwrap(), std::fs::read(b.join(&rel)).unwrap(), "{rel}");
    }
    let empty = ok(&study_args(&b, &["--plan"]));
    assert!(empty.stdout.is_empty(), "a complete study plans nothing");

    // A run of another engine revision is refused by name, and retrained with --retrain.
    let metrics = b.join("d2-s1/metrics.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&metrics).unwrap()).unwrap();
    m["engine_revision"] = "0000000000000000".into();
    std::fs::write(&metrics, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let refused = atrous(&study_args(&b, &[]));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && err.contains("engine revision") && err.contains("d2-s1"), "{err}");
    let replan = ok(&study_args(&b, &["--plan", "--retrain"]));
    let replan = String::from_utf8(replan.stdout).unwrap();
    assert_eq!(replan.lines().count(), 1, "{replan}");
    assert!(replan.contains("--retrain") && replan.contains("d2-s1"), "{replan}");
    ok(&study_args(&b, &["--retrain"]));
    assert_eq!(
        std::fs::read(a.join("d2-s1/model.safetensors")).unwrap(),
        std::fs::read(b.join("d2-s1/model.safetensors")).unwrap(),
        "the retrained run is the same model"
    );
    // Another recipe (here the learning rate) is refused by name too.
    let lr = atrous(&study_args(&b, &["--lr", "0.02"]));
    let err = String::from_utf8_lossy(&lr.stderr);
    assert!(!lr.status.success() && err.contains("lr"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn with_a_validation_split_epochs_record_validation_and_the_test_set_is_evaluated_once() {
    let root = scratch("once");
    let run = root.join("run");
    let args = |extra: &[&str]| {
        let mut a = strings(&[
            "train",
            "--epochs",
            "2",
            "--train-limit",
            "300",
            "--validation",
            "200",
            "--test-limit",
            "200",
            "--quiet",
            "--out",
        ]);
        a.push(run.to_str().unwrap().into());
        a.extend(strings(extra));
        a
    };
    ok(&args(&["--stop-after", "1"]));
    let read = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(run.join("metrics.json")).unwrap()).unwrap()
    };
    let m = read();
    assert!(m["test_accuracy"].is_null(), "no test number before the last epoch: {m}");
    assert_eq!(m["evaluated_per_epoch"], "validation");
    ok(&args(&["--resume"]));
    let m = read();
    for record in m["epochs"].as_array().unwrap() {
        let keys: Vec<&String> = record.as_object().unwrap().keys().collect();
        assert!(keys.iter().all(|k| !k.starts_with("test")), "an epoch record holds test numbers: {keys:?}");
        assert!(record["val_accuracy"].is_f64());
    }
    let test = m["test_accuracy"].as_f64().expect("the final test number");
    let model = run.join("model.safetensors");
    let eval = ok(&strings(&["eval", "--model", model.to_str().unwrap(), "--test-limit", "200", "--json"]));
    let eval: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(eval["test_accuracy"].as_f64(), Some(test), "metrics' test number is the model's");
    assert_eq!(m["config"]["validation"], 200);
    assert_eq!(m["engine_revision"].as_str().map(str::len), Some(16));
    std::fs::remove_dir_all(&root).unwrap();
}
