//! Experiments on atrous' dilated CNNs, as a library: training runs and their folders, the
//! dilation study (runs × measurements × statistics × report) and the learned-dilation search.
//! The `atrous` binary is a thin layer of argument parsing and progress display over this crate.
//!
//! The data model, from small to large:
//! - a [`TrainRecipe`] says how to train one DilNet (architecture, optimiser, schedule, seed, data
//!   subset);
//! - a [`RunDir`] is the folder of one run (`model.safetensors`, `metrics.json`,
//!   `checkpoint.safetensors`); [`train_run`] trains a recipe into it, resumably;
//! - a [`StudyPlan`] is a list of arms ([`Arm`]: the main grid of dilations, optionally the
//!   control arms) × seeds under one recipe and one train/validation split ([`data`]), plus
//!   what to measure; [`run_study`] trains what is missing, measures every run and returns a
//!   [`StudyAnalysis`] (every number of the report, from [`stats`]), which [`report`] renders to
//!   `REPORT.md` and CSV tables and [`figures`] to PNG/SVG; [`plan_runs`] lists the runs still
//!   needed (one `atrous train` command each) and [`report_only`] analyses whatever exists;
//!   [`StudyPlan::jobs`] trains several runs at once ([`side_by_side`]);
//! - a [`SearchPlan`] learns the dilation by gradient descent ([`search`]).
//! - with [`StudyPlan::q1`], the plan also trains question 1's ground-truth grid of per-layer
//!   dilations, and [`q1`] judges the searches' records against it (`Q1.md`).
//!
//! Progress goes to an [`Observer`]; [`Silent`] ignores it.
//!
//! ```no_run
//! use atrous_study::{Silent, StudyPlan, run_study};
//! use std::path::PathBuf;
//!
//! let mut plan = StudyPlan::reference(PathBuf::from("data/mnist"), PathBuf::from("runs/small"));
//! plan.dilations = vec![1, 2];
//! plan.seeds = 2;
//! plan.recipe.epochs = 1;
//! plan.recipe.validation = 500;
//! plan.recipe.train_limit = Some(2000);
//! plan.search = None;
//! let analysis = run_study(&plan, &Silent)?;
//! let d2 = analysis.row("d2").and_then(|r| r.comparison.as_ref()).expect("d=2 is compared");
//! println!("d=2 − d=1: {:+.2} pp ({})", 100.0 * d2.diff, d2.sentence);
//! # Ok::<(), atrous_study::StudyError>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod analysis;
pub mod bilevel_search;
pub mod continuous_search;
pub mod data;
mod error;
pub mod figures;
pub mod measure;
pub mod memory;
mod observer;
pub mod plan;
pub mod provenance;
pub mod q1;
pub mod q2;
mod recipe;
pub mod report;
mod run;
mod run_lock;
pub mod run_record;
pub mod search;
pub mod side_by_side;
pub mod stats;

pub use analysis::StudyAnalysis;
pub use error::{Result, StudyError};
pub use observer::{Observer, RunProgress, Silent};
pub use plan::{Arm, Family, FoundRun, PlannedRun, StudyPlan, plan_runs, report_only, run_study};
pub use recipe::TrainRecipe;
pub use run::{Divergence, Metrics, RunDir, RunOptions, RunOutcome, RunState, read_model_file, train_run};

pub use provenance::{engine_revision, git_commit};
pub use search::{SearchPlan, SearchRecord, run_search};
