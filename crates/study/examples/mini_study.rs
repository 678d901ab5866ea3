//! A 2-dilation × 2-seed study on a data subset, run from the library without the CLI: the plan
//! is built in code, progress goes to a small observer, and the analysis comes back as numbers.
//!
//! `cargo run --release -p atrous-study --example mini_study -- [OUT_DIR]`

use atrous_autograd::checkpoint::EpochRecord;
use atrous_study::{Observer, StudyPlan, run_study};
use atrous_tensor::mnist::default_data_dir;
use std::path::PathBuf;

/// Prints phases and epochs, one line each.
struct Lines;

impl Observer for Lines {
    fn message(&self, text: &str) {
        println!("{text}");
    }

    fn epoch_finished(&self, r: &EpochRecord) {
        println!(
            "  epoch {}: train loss {:.3}, validation accuracy {:.3}",
            r.epoch, r.train_loss, r.val_accuracy
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map_or_else(|| PathBuf::from("runs/mini-study"), PathBuf::from);
    let data = default_data_dir().ok_or("no MNIST folder: set ATROUS_DATA")?;
    let mut plan = StudyPlan::reference(data, out);
    plan.dilations = vec![1, 2];
    plan.seeds = 2;
    plan.recipe.epochs = 1;
    plan.recipe.validation = 500;
    plan.recipe.train_limit = Some(2000);
    plan.recipe.test_limit = Some(500);
    plan.saliency_images = 50;
    plan.search = None;
    let analysis = run_study(&plan, &Lines)?;
    for row in &analysis.rows {
        let delta = row.comparison.as_ref().map_or(0.0, |c| c.diff);
        println!(
            "{}: test accuracy {:.2}% over {} seeds, Δ vs {} {:+.2} pp",
            row.arm.label,
            100.0 * row.test_mean,
            row.n,
            analysis.baseline,
            100.0 * delta
        );
        if let Some(c) = &row.comparison {
            println!("  {}", c.sentence);
        }
    }
    println!("report: {}", plan.out.join("REPORT.md").display());
    Ok(())
}
