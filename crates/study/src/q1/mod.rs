//! Question 1 judged against a ground truth: is there a **consistent** way to learn the best
//! dilation? Numbers first ([`grid`], [`consistency`], [`analysis`]), rendering second
//! ([`report`], [`figures`]).
//!
//! - The **grid** ([`Q1Grid`]) lists per-layer dilation configurations; each is trained with
//!   seeds `0..seeds` by the study's runner into the study folder (`d112-s0`, reusing the main
//!   study's `dD-sS` and the `d123` control's folders), so `atrous study --q1-grid --plan`
//!   prints the missing runs and `--report-only` analyses whatever exists.
//! - The **ground truth** ([`GroundTruth`]) is each configuration's validation accuracy over
//!   seeds and the ε-optimal set a learner should land in (two rules, both reported).
//! - The **learners** are whatever search records exist (`seed-S.json`,
//!   `continuous-seed-S.json`; [`records`]); per method, [`Q1Analysis`] measures how consistent
//!   the seeds are and how often they land in the set, against a compute-matched random search.
//! - [`write_q1`] writes `Q1.md`, `q1_grid.csv`, `q1_seeds.csv` and two figures into the study
//!   folder, beside `REPORT.md`.

pub mod analysis;
pub mod consistency;
pub mod figures;
pub mod grid;
pub mod records;
pub mod report;
pub mod retrained;
pub mod start;

pub use analysis::{MethodAnalysis, Q1Analysis, Reading};
pub use grid::{GroundTruth, Q1Grid, config_label, config_name};
pub use report::{Q1Context, render_q1};

use crate::plan::{PlannedRun, StudyPlan, describe};
use crate::run::RunState;
use crate::run_record::{RunRecord, file_sha256};
use crate::{Observer, Result};
use atrous_tensor::files::write_atomic;
use std::path::PathBuf;

/// The Q1 part of a study: the grid, and where the search records are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Q1Settings {
    /// The configurations and seeds.
    pub grid: Q1Grid,
    /// Folders holding search records (read, never written).
    pub record_dirs: Vec<PathBuf>,
}

/// Analyses the grid runs that exist and the search records, writes `Q1.md`, `q1_grid.csv`,
/// `q1_seeds.csv` and the figures into the study folder, and returns the analysis with the
/// grid runs not complete. Nothing is trained.
pub fn write_q1(
    plan: &StudyPlan,
    q1: &Q1Settings,
    observer: &dyn Observer,
) -> Result<(Q1Analysis, Vec<PlannedRun>)> {
    let mut per_config = Vec::new();
    let mut missing = Vec::new();
    let mut seconds = Vec::new();
    let records = plan.records();
    for arm in plan.q1_arms(q1) {
        let mut runs = Vec::new();
        for seed in 0..arm.seeds {
            let (recipe, dir) = (arm.run_recipe(seed), plan.arm_dir(&arm.name, seed));
            let found = plan.run_state(&arm, seed)?;
            match found.state {
                RunState::Complete(m) => {
                    // A grid run read from its folder is filed unless the study already filed it
                    // (a uniform configuration is also a main-grid run, whose record carries
                    // measurements).
                    if found.record.is_none() && records.read(&arm, seed)?.is_none() {
                        let hash = file_sha256(&dir.model_path()).ok();
                        records.file(&RunRecord::unmeasured(&arm.name, seed, &m, hash))?;
                    }
                    // Without a validation split the per-epoch numbers are test numbers,
                    // which must not decide the ground truth: such a run counts as missing.
                    let val = m.epochs.last().filter(|_| m.evaluated_per_epoch == "validation");
                    match (val, m.test_accuracy) {
                        (Some(e), Some(test)) => {
                            runs.push((seed, e.val_accuracy, test));
                            seconds.push(m.epochs.iter().map(|e| e.seconds).sum::<f64>());
                        }
                        _ => missing.push(PlannedRun {
                            arm: arm.clone(),
                            seed,
                            recipe,
                            dir,
                            state: RunState::Complete(m),
                        }),
                    }
                }
                state => missing.push(PlannedRun { arm: arm.clone(), seed, recipe, dir, state }),
            }
        }
        per_config.push(runs);
    }
    for m in &missing {
        observer.message(&format!("q1: missing {} ({})", m.dir.path().display(), describe(&m.state)));
    }
    let truth = GroundTruth::new(&q1.grid, &per_config);
    let (records, unreadable) = records::read_records(&q1.record_dirs);
    let analysis = Q1Analysis::new(truth, &records, &seconds);
    let ctx = Q1Context {
        seeds: q1.grid.seeds,
        recipe: plan.recipe.to_json().to_string(),
        validation: plan.recipe.validation,
        missing: missing.iter().map(|m| m.dir.path().to_path_buf()).collect(),
        record_dirs: q1.record_dirs.clone(),
        unreadable,
        command: q1_command(plan, q1),
    };
    let out = &plan.out;
    write_atomic(&out.join("q1_grid.csv"), report::render_grid_csv(&analysis).as_bytes())?;
    write_atomic(&out.join("q1_seeds.csv"), report::render_seeds_csv(&analysis).as_bytes())?;
    figures::write(&out.join("figures"), &analysis, &records)?;
    write_atomic(&out.join("Q1.md"), render_q1(&analysis, &ctx).as_bytes())?;
    observer.message(&format!("q1: report in {}", out.join("Q1.md").display()));
    Ok((analysis, missing))
}

/// The `atrous study` command line that regenerates `Q1.md` from the folders.
pub fn q1_command(plan: &StudyPlan, q1: &Q1Settings) -> String {
    let mut cmd = crate::analysis::study_command(plan);
    cmd += &format!(" --q1-grid --q1-seeds {}", q1.grid.seeds);
    if q1.grid == (Q1Grid { seeds: q1.grid.seeds, ..Q1Grid::full() }) {
        cmd += " --q1-all";
    } else if q1.grid != (Q1Grid { seeds: q1.grid.seeds, ..Q1Grid::reference() }) {
        let configs: Vec<String> =
            q1.grid.configs.iter().map(|c| format!("{}{}{}", c[0], c[1], c[2])).collect();
        cmd += &format!(" --q1-configs {}", configs.join(","));
    }
    if q1.record_dirs != [plan.out.join("learn")] {
        for d in &q1.record_dirs {
            cmd += &format!(" --q1-learn {}", d.display());
        }
    }
    cmd + " --report-only"
}
