//! A dilation study: which runs it trains (dilations × seeds under one recipe), what it measures
//! on them, and the runner that trains what is missing, measures everything and writes the
//! report. Every run is a [`RunDir`] under the study folder (`dD-sS`), so a study can be stopped
//! and started again: finished runs are reused only when their recorded recipe is the study's,
//! interrupted ones resume from their checkpoint.

use crate::analysis::{LearnedAnalysis, StudyAnalysis};
use crate::data::load_splits;
use crate::measure::{figures, measure_run};
use crate::observer::Observer;
use crate::recipe::{TrainRecipe, check_dilation_list};
use crate::report::write_report;
use crate::run::{RunDir, RunOptions, train_run};
use crate::search::{SearchPlan, run_search};
use crate::{Result, StudyError};
use atrous_saliency::class_model::ClassModelConfig;
use atrous_saliency::localize::LocalizeConfig;
use std::path::PathBuf;

/// Everything a study does, decided before any tensor is touched.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyPlan {
    /// Dilations compared (every conv layer of a run uses one); the first is the baseline.
    pub dilations: Vec<usize>,
    /// Seeds `0..seeds` per dilation; runs with the same seed share initial weights and data order.
    pub seeds: u64,
    /// The recipe of every run; each run sets its own dilations and seed.
    pub recipe: TrainRecipe,
    /// Test images used for saliency statistics and localisation.
    pub saliency_images: usize,
    /// Class-model settings.
    pub class_model: ClassModelConfig,
    /// Localisation settings.
    pub localize: LocalizeConfig,
    /// The learned-dilation search, if any.
    pub search: Option<SearchPlan>,
    /// MNIST folder.
    pub data_dir: PathBuf,
    /// Study folder.
    pub out: PathBuf,
}

impl StudyPlan {
    /// The reference study: d = 1..4 × 3 seeds, the reference recipe, saliency on 1,000 test
    /// images, the paper's class-model and localisation settings, and a one-epoch search over the
    /// same dilations.
    pub fn reference(data_dir: PathBuf, out: PathBuf) -> Self {
        let recipe = TrainRecipe::reference(1);
        let dilations = vec![1, 2, 3, 4];
        let search = SearchPlan {
            candidates: dilations.clone(),
            seeds: 3,
            epochs: 1,
            batch_size: recipe.batch_size,
            lr: recipe.lr,
            momentum: recipe.momentum,
            arch_lr: 0.01,
            train_limit: None,
            test_limit: None,
            out: out.join("learn"),
        };
        StudyPlan {
            dilations,
            seeds: 3,
            recipe,
            saliency_images: 1000,
            class_model: ClassModelConfig::default(),
            localize: LocalizeConfig::default(),
            search: Some(search),
            data_dir,
            out,
        }
    }

    /// The recipe of run `(d, seed)`.
    pub fn run_recipe(&self, d: usize, seed: u64) -> TrainRecipe {
        let mut recipe = self.recipe.clone();
        recipe.net.dilations = [d; 3];
        recipe.seed = seed;
        recipe
    }

    /// The folder of run `(d, seed)`.
    pub fn run_dir(&self, d: usize, seed: u64) -> RunDir {
        RunDir::new(self.out.join(format!("d{d}-s{seed}")))
    }

    /// Every run of the plan, dilation-major.
    pub fn runs(&self) -> Vec<(usize, u64)> {
        self.dilations.iter().flat_map(|&d| (0..self.seeds).map(move |s| (d, s))).collect()
    }

    /// Refuses a plan that cannot work, before anything is trained.
    pub fn validate(&self) -> Result<()> {
        check_dilation_list("dilations", &self.dilations)?;
        if self.seeds == 0 {
            return Err(StudyError::invalid("seeds", 0, "must be at least 1"));
        }
        if self.saliency_images == 0 {
            return Err(StudyError::invalid("saliency images", 0, "must be at least 1"));
        }
        for &d in &self.dilations {
            self.run_recipe(d, 0).validate()?;
        }
        self.class_model.validate()?;
        self.localize.validate()?;
        if let Some(search) = &self.search {
            search.validate()?;
        }
        Ok(())
    }
}

/// Runs the study: trains what is missing, measures every run, searches the dilation, writes
/// `runs.csv`, `summary.csv`, `REPORT.md` and the figures, and returns the analysis.
pub fn run_study(plan: &StudyPlan, observer: &dyn Observer) -> Result<StudyAnalysis> {
    plan.validate()?;
    let (train, test) = load_splits(&plan.data_dir, plan.recipe.train_limit, plan.recipe.test_limit)?;
    let runs = plan.runs();
    for (k, &(d, seed)) in runs.iter().enumerate() {
        let (recipe, dir) = (plan.run_recipe(d, seed), plan.run_dir(d, seed));
        if dir.is_complete(&recipe)? {
            observer.message(&format!("study: reusing {}", dir.path().display()));
            continue;
        }
        observer.message(&format!(
            "study: run {}/{}: training d={d} seed={seed} → {}",
            k + 1,
            runs.len(),
            dir.path().display()
        ));
        let options = RunOptions { resume: dir.checkpoint_path().exists(), stop_after: None };
        train_run(&recipe, &dir, &train, &test, options, observer)?;
    }
    let mut results = Vec::new();
    let mut class_models = Vec::new();
    for &d in &plan.dilations {
        observer.message(&format!("study: measuring d={d}"));
        for seed in 0..plan.seeds {
            results.push(measure_run(plan, d, seed, &test)?);
        }
        class_models.push(figures(plan, d, &train, &test)?);
    }
    let learned = match &plan.search {
        Some(search) => {
            observer.message(&format!("study: learning the dilation ({} seed(s))", search.seeds));
            let (s_train, s_test) = (limit(&train, search.train_limit), limit(&test, search.test_limit));
            let records = run_search(search, &s_train, &s_test, observer)?;
            Some(LearnedAnalysis::new(search, &records))
        }
        None => None,
    };
    let analysis = StudyAnalysis::from_runs(plan, results, class_models, learned);
    write_report(plan, &analysis)?;
    observer.message(&format!("study: report in {}", plan.out.join("REPORT.md").display()));
    Ok(analysis)
}

fn limit(split: &atrous_tensor::mnist::MnistSplit, n: Option<usize>) -> atrous_tensor::mnist::MnistSplit {
    match n {
        Some(n) => split.take(n),
        None => split.clone(),
    }
}
