//! Question 2 of the study, measured: what dilation does to saliency maps and class models,
//! against the seed-to-seed noise floor and chance baselines (issue 12).
//!
//! On the trained runs of the dilation study (`d{d}-s{seed}` folders), for one fixed, seeded
//! set of test images:
//!
//! - [`maps`]: per map, share on ink, spread, gridding index, axis spectrum; the baseline maps
//!   (uniform, the image, its Sobel edges); the random-network baseline is the run's own
//!   initial weights;
//! - [`floor`]: Spearman similarity of maps within a dilation (seed pairs) and across
//!   dilations, and the rule that calls a difference real;
//! - [`erf`]: the effective receptive field of conv3 at initialisation and after training;
//! - [`classes`]: class models in the paper's setting and at convergence;
//! - [`faith`]: deletion/insertion and the randomisation test on a subset;
//! - [`run`]: all of it for one network, cached per run; [`analysis`] turns the runs into
//!   per-dilation summaries and verdicts; [`report`] writes `Q2.md` and CSVs, [`figures`] the
//!   plots and pictures.
//!
//! ```no_run
//! use atrous_study::q2::{Q2Plan, run_q2};
//! use std::path::PathBuf;
//!
//! let plan = Q2Plan::reference(PathBuf::from("runs/study"), PathBuf::from("data/mnist"),
//!     PathBuf::from("runs/q2"), PathBuf::from("docs/study"));
//! let analysis = run_q2(&plan, &atrous_study::Silent)?;
//! println!("{} runs measured", analysis.runs.len());
//! # Ok::<(), atrous_study::StudyError>(())
//! ```

pub mod analysis;
pub mod classes;
pub mod csv;
pub mod erf;
pub mod faith;
pub mod figures;
pub mod floor;
pub mod maps;
pub mod report;
pub mod report_more;
pub mod rows;
pub mod run;

use crate::data::{load_test, load_train};
use crate::{Observer, Result};
use analysis::Q2Analysis;
use atrous_saliency::localize::LocalizeConfig;
use classes::ConvergePlan;
use std::path::PathBuf;

/// What Q2 measures, on which runs, and where it writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Q2Plan {
    /// The study folder holding `d{d}-s{seed}/model.safetensors`.
    pub runs: PathBuf,
    /// MNIST.
    pub data: PathBuf,
    /// Cache folder (a sub-folder per run).
    pub out: PathBuf,
    /// Where `Q2.md` and the `q2/` folder of CSVs and figures go.
    pub docs: PathBuf,
    /// Dilations (the first is the reference of comparisons).
    pub dilations: Vec<usize>,
    /// Seeds per dilation (0..seeds).
    pub seeds: u64,
    /// Test images in the set.
    pub images: usize,
    /// Seed of the image set (a permutation of the test split).
    pub image_seed: u64,
    /// Images of the ERF (the first ones of the set).
    pub erf_images: usize,
    /// Seeds 0..random_seeds also measure their initial weights' maps (random-network baseline).
    pub random_seeds: u64,
    /// Seeds 0..class_seeds run class models to convergence (the others stop at the paper's
    /// step count).
    pub class_seeds: u64,
    /// The class-model ascent.
    pub converge: ConvergePlan,
    /// The network that judges class models: (dilation, seed); left out of its own dilation's
    /// recognisability.
    pub judge: (usize, u64),
    /// Seeds 0..faith_seeds run the faithfulness checks.
    pub faith_seeds: u64,
    /// Images of the faithfulness checks (the first ones of the set).
    pub faith_images: usize,
    /// Deletion/insertion steps.
    pub faith_steps: usize,
    /// Ink threshold and graph-cut settings.
    pub localize: LocalizeConfig,
    /// Use only runs whose numbers are cached (nothing is computed; for regenerating the report).
    pub cached_only: bool,
}

impl Q2Plan {
    /// The settings of the committed report.
    pub fn reference(runs: PathBuf, data: PathBuf, out: PathBuf, docs: PathBuf) -> Self {
        Q2Plan {
            runs,
            data,
            out,
            docs,
            dilations: vec![1, 2, 3, 4],
            seeds: 10,
            images: 1000,
            image_seed: 0x0051_7a11,
            erf_images: 500,
            random_seeds: 3,
            class_seeds: 3,
            converge: ConvergePlan::default(),
            judge: (1, 9),
            faith_seeds: 3,
            faith_images: 60,
            faith_steps: 50,
            localize: LocalizeConfig::default(),
            cached_only: false,
        }
    }

    /// The class-model ascent of seed `seed`: to convergence, or the paper's steps only.
    pub fn converge_for(&self, seed: u64) -> ConvergePlan {
        let mut c = self.converge;
        if seed >= self.class_seeds {
            c.cap = c.paper_steps;
        }
        c
    }

    /// The settings that decide a run's numbers (part of its cache key).
    pub fn settings(&self, seed: u64) -> String {
        format!(
            "q2v2 images={} image_seed={} erf={} random={} class={:?} faith={}x{}",
            self.images,
            self.image_seed,
            self.erf_images,
            seed < self.random_seeds,
            self.converge_for(seed),
            if seed < self.faith_seeds { self.faith_images } else { 0 },
            self.faith_steps,
        )
    }
}

/// Measures every run that exists (cached), analyses them, and writes `Q2.md`, CSVs and
/// figures under `plan.docs`.
pub fn run_q2(plan: &Q2Plan, observer: &dyn Observer) -> Result<Q2Analysis> {
    let test = load_test(&plan.data, None)?;
    let train = load_train(&plan.data)?;
    let inputs = run::Inputs::new(plan, &test, &train)?;
    let mut runs = Vec::new();
    // Seed-major, so that a partial measurement covers every dilation alike; seeds that only
    // measure maps and ERFs (cheap) before those that also run class-model convergence and
    // faithfulness, so that a partial measurement has as many seeds as possible.
    let heavy = |s: u64| s < plan.class_seeds || s < plan.faith_seeds;
    let mut order: Vec<u64> = (0..plan.seeds).collect();
    order.sort_by_key(|&s| (heavy(s), s));
    for seed in order {
        for &d in &plan.dilations {
            if !run::model_path(plan, d, seed).exists() {
                observer.message(&format!("q2: d{d}-s{seed} missing, skipped"));
                continue;
            }
            let Some((r, maps)) = run::measure(plan, &inputs, d, seed)? else {
                observer.message(&format!("q2: d{d}-s{seed} not cached, skipped"));
                continue;
            };
            observer.message(&format!("q2: d{d}-s{seed} measured ({:.0} s when computed)", r.seconds));
            runs.push((r, maps));
        }
    }
    let judge_path = run::model_path(plan, plan.judge.0, plan.judge.1);
    let judge = crate::run::read_model_file(&judge_path)?;
    let a = analysis::analyse(plan, &inputs, &judge, runs)?;
    report::write(plan, &a)?;
    figures::write(plan, &a, &inputs)?;
    Ok(a)
}

/// A tensor error as the study's (through the autograd error that wraps it).
pub(crate) fn te(e: atrous_tensor::Error) -> crate::StudyError {
    crate::StudyError::Autograd(e.into())
}
