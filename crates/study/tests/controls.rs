//! The control arms end to end on the tiny plan (d = 1, 2, 4 and every control, 2 seeds each):
//! each arm is compared with its own baseline, and the report's threats to validity state the
//! budget and step-size controls' outcomes once they have run, not only what they would test.

mod common;

use atrous_study::{Silent, plan_runs, report_only, run_study};

#[test]
fn the_threats_to_validity_state_the_controls_outcomes() {
    let out = std::env::temp_dir().join(format!("atrous-controls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut plan = common::tiny_plan(&out, &[1, 2, 4]);
    plan.controls = true;
    plan.control_seeds = 2;

    // Before any run: the bullets say what the controls test, and no outcome.
    let (_, missing) = report_only(&plan, &Silent).unwrap();
    assert_eq!(missing.len(), 3 * 2 + 8 * 2);
    let before = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(!before.contains("Outcome:"), "{before}");

    run_study(&plan, &Silent).unwrap();
    assert!(plan_runs(&plan).unwrap().is_empty());
    let md = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    let bullet = |name: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("- **{name}.**")))
            .unwrap_or_else(|| panic!("{md}"))
            .to_string()
    };
    let budget = bullet("Budget");
    let outcome = budget.split(" Outcome: ").nth(1).unwrap_or_else(|| panic!("{budget}"));
    assert!(outcome.starts_with("d=4, 10 epochs vs d=1, 10 epochs: "), "{budget}");
    let lr = bullet("Learning rate");
    let outcome = lr.split(" Outcome: ").nth(1).unwrap_or_else(|| panic!("{lr}"));
    assert_eq!(outcome.matches(" vs ").count(), 2, "one sentence per step-size arm: {lr}");
    // The sentences are the comparisons table's verdicts, not a second computation.
    for sentence in outcome.trim_end_matches('.').split("; ") {
        assert!(md.matches(sentence).count() >= 2, "{sentence} appears only in the bullet");
    }
    let _ = std::fs::remove_dir_all(&out);
}
