//! A dilation study: which runs it trains, what it measures on them, and the runner.
//!
//! A plan is a list of **arms**, each a recipe run with seeds `0..seeds`:
//! - the **main grid**: one arm per dilation `d` (every conv layer dilated by `d`, 3×3 kernels),
//!   the first one the baseline;
//! - the **controls** ([`StudyPlan::controls`]): receptive-field-matched undilated networks
//!   (5×5, 7×7, 9×9 kernels span what 3×3 spans at d = 2, 3, 4), the hybrid dilations (1, 2, 3)
//!   next to (2, 2, 2), d ∈ {1, 4} at [`LONG_EPOCHS`] epochs, and d = 4 at the learning rates
//!   [`CONTROL_LRS`], each with [`StudyPlan::control_seeds`] seeds.
//!
//! Every run is a [`RunDir`] under the study folder (`dD-sS` for the main grid, `ARM-sS` for a
//! control), so a study can be stopped and started again, or spread over machines: finished
//! runs are reused only when their recorded recipe and engine revision are the current ones
//! (otherwise the runner refuses and names the field, or retrains with
//! [`StudyPlan::retrain`]); interrupted ones resume from their checkpoint. [`plan_runs`] lists
//! what is left to train, [`report_only`] analyses whatever folders exist.
//!
//! With [`StudyPlan::q1`] the plan also holds question 1's ground-truth grid ([`crate::q1`]):
//! per-layer dilation configurations, each an arm of the [`Family::Grid`] family named like the
//! study's folders (`d112`), trained by the same runner and listed by the same [`plan_runs`]; a
//! grid run whose folder the study already has (`d1-s0`, `d123-s0`) is that run. Grid arms are
//! not part of REPORT.md's comparisons: they are analysed into `Q1.md`.

use crate::analysis::{DivergedRun, LearnedAnalysis, StudyAnalysis};
use crate::data::RunData;
use crate::measure::{RunResult, figures, measure_run};
use crate::observer::{Observer, RunProgress};
use crate::q1::{Q1Settings, config_label, config_name, write_q1};
use crate::recipe::{TrainRecipe, check_dilation_list};
use crate::report::write_report;
use crate::run::{Metrics, RunDir, RunOptions, RunState, train_run};
use crate::run_record::{Records, RunRecord, file_sha256, measurement_settings};
use crate::search::{SearchPlan, existing_records, run_search};
use crate::side_by_side::train_side_by_side;
use crate::{Result, StudyError};
use atrous_saliency::class_model::ClassModelConfig;
use atrous_saliency::localize::LocalizeConfig;
use atrous_tensor::mnist::Mnist;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Epochs of the long-budget control arms.
pub const LONG_EPOCHS: usize = 10;
/// Learning rates of the step-size control arms (d = 4).
pub const CONTROL_LRS: [f32; 2] = [0.02, 0.01];
/// Seeds per control arm in the reference study.
pub const CONTROL_SEEDS: u64 = 5;
/// Seeds per main-grid arm in the reference study.
pub const MAIN_SEEDS: u64 = 10;
/// Validation images in the reference study (of MNIST's 60,000 training images).
pub const VALIDATION_IMAGES: usize = 10_000;

/// Which family of comparisons an arm belongs to (Holm's correction runs per family).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// The main grid: one dilation in every layer.
    Main,
    /// A control arm.
    Control,
    /// A configuration of question 1's ground-truth grid (analysed in `Q1.md` only).
    Grid,
}

/// One arm: a recipe trained with seeds `0..seeds`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    /// Short name, the prefix of its run folders (`d2`, `k5`, `d123`, `d4-e10`, `d4-lr0.02`).
    pub name: String,
    /// What it is, for the report ("d=2", "5×5 kernels, d=1", …).
    pub label: String,
    /// The family.
    pub family: Family,
    /// The recipe (seed 0; each run sets its own seed).
    pub recipe: TrainRecipe,
    /// Seeds `0..seeds`.
    pub seeds: u64,
    /// The arm it is compared with, by name (`None` for the study's baseline).
    pub baseline: Option<String>,
    /// The dilation of a main-grid arm (every layer), for the trend test.
    pub dilation: Option<usize>,
}

impl Arm {
    /// The recipe of this arm's run with `seed`.
    pub fn run_recipe(&self, seed: u64) -> TrainRecipe {
        TrainRecipe { seed, ..self.recipe.clone() }
    }

    /// Parameters of the arm's network.
    pub fn parameter_count(&self) -> usize {
        self.recipe.net.param_shapes().iter().map(|s| s.iter().product::<usize>()).sum()
    }
}

/// Everything a study does, decided before any tensor is touched.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyPlan {
    /// Dilations of the main grid (every conv layer of a run uses one); the first is the baseline.
    pub dilations: Vec<usize>,
    /// Seeds `0..seeds` per main-grid dilation; runs with the same seed share initial weights
    /// and data order.
    pub seeds: u64,
    /// The recipe of every main-grid run (each run sets its own dilations and seed); the
    /// controls change one thing each. Its data settings (validation, limits) hold for all arms.
    pub recipe: TrainRecipe,
    /// Whether the control arms run too.
    pub controls: bool,
    /// Seeds per control arm.
    pub control_seeds: u64,
    /// Retrain runs whose folder holds another recipe or engine revision (else refuse).
    pub retrain: bool,
    /// Test images used for saliency statistics and localisation (main grid).
    pub saliency_images: usize,
    /// Class-model settings.
    pub class_model: ClassModelConfig,
    /// Localisation settings.
    pub localize: LocalizeConfig,
    /// The learned-dilation search, if any.
    pub search: Option<SearchPlan>,
    /// Question 1's ground-truth grid and search records, if asked for.
    pub q1: Option<Q1Settings>,
    /// MNIST folder.
    pub data_dir: PathBuf,
    /// Study folder.
    pub out: PathBuf,
    /// Folder of the run records ([`crate::run_record`]); `None` is `OUT/records`.
    pub records: Option<PathBuf>,
    /// Runs trained side by side, each with an equal share of the caller's worker threads
    /// ([`crate::side_by_side`]); 1 trains them one after the other.
    pub jobs: usize,
}

impl StudyPlan {
    /// The reference study: d = 1..4 × [`MAIN_SEEDS`] seeds, the reference recipe (3 epochs)
    /// with a [`VALIDATION_IMAGES`] validation split, no controls (set [`StudyPlan::controls`]),
    /// saliency on 1,000 test images, the paper's class-model and localisation settings, one run
    /// at a time ([`StudyPlan::jobs`]), and no single-level search ([`StudyPlan::search`]:
    /// question 1 has its own grid, [`StudyPlan::q1`]).
    pub fn reference(data_dir: PathBuf, out: PathBuf) -> Self {
        let recipe = TrainRecipe { validation: VALIDATION_IMAGES, ..TrainRecipe::reference(1) };
        let dilations = vec![1, 2, 3, 4];
        StudyPlan {
            dilations,
            seeds: MAIN_SEEDS,
            recipe,
            controls: false,
            control_seeds: CONTROL_SEEDS,
            retrain: false,
            saliency_images: 1000,
            class_model: ClassModelConfig::default(),
            localize: LocalizeConfig::default(),
            search: None,
            q1: None,
            data_dir,
            out,
            records: None,
            jobs: 1,
        }
    }

    /// The baseline dilation (the first of the main grid).
    pub fn baseline(&self) -> usize {
        self.dilations[0]
    }

    /// The recipe of main-grid run `(d, seed)`.
    pub fn run_recipe(&self, d: usize, seed: u64) -> TrainRecipe {
        let mut recipe = self.recipe.clone();
        recipe.net.dilations = [d; 3];
        recipe.seed = seed;
        recipe
    }

    /// The folder of main-grid run `(d, seed)`.
    pub fn run_dir(&self, d: usize, seed: u64) -> RunDir {
        self.arm_dir(&format!("d{d}"), seed)
    }

    /// The folder of run `seed` of arm `name`.
    pub fn arm_dir(&self, name: &str, seed: u64) -> RunDir {
        RunDir::new(self.out.join(format!("{name}-s{seed}")))
    }

    /// The run records: [`StudyPlan::records`], by default `records/` in the study folder.
    pub fn records(&self) -> Records {
        Records::new(self.records.clone().unwrap_or_else(|| self.out.join("records")))
    }

    /// What the plan has of run `seed` of `arm`: the state of its folder, or, when the folder
    /// holds no run, of its record.
    pub fn run_state(&self, arm: &Arm, seed: u64) -> Result<FoundRun> {
        let (recipe, dir) = (arm.run_recipe(seed), self.arm_dir(&arm.name, seed));
        let state = dir.state(&recipe)?;
        let in_folder = |state| FoundRun { state, source: dir.path().to_path_buf(), record: None };
        if state != RunState::Missing {
            return Ok(in_folder(state));
        }
        let records = self.records();
        match records.state(arm, seed, &recipe)? {
            (RunState::Missing, _) => Ok(in_folder(RunState::Missing)),
            (state, record) => Ok(FoundRun { state, source: records.path(&arm.name, seed), record }),
        }
    }

    /// Every arm: the main grid, then the controls when asked for.
    pub fn arms(&self) -> Vec<Arm> {
        let base = format!("d{}", self.baseline());
        let main = |d: usize| Arm {
            name: format!("d{d}"),
            label: format!("d={d}"),
            family: Family::Main,
            recipe: self.run_recipe(d, 0),
            seeds: self.seeds,
            baseline: (d != self.baseline()).then(|| base.clone()),
            dilation: Some(d),
        };
        let mut arms: Vec<Arm> = self.dilations.iter().map(|&d| main(d)).collect();
        if !self.controls {
            return arms;
        }
        let control = |name: String, label: String, recipe: TrainRecipe, baseline: &str| Arm {
            name,
            label,
            family: Family::Control,
            recipe,
            seeds: self.control_seeds,
            baseline: Some(baseline.to_string()),
            dilation: None,
        };
        for (k, d_matched) in [(5, 2), (7, 3), (9, 4)] {
            let mut r = self.run_recipe(1, 0);
            r.net.kernels = [k; 3];
            arms.push(control(
                format!("k{k}"),
                format!("{k}×{k} kernels, d=1 (field of 3×3 at d={d_matched})"),
                r,
                &base,
            ));
        }
        let mut hybrid = self.run_recipe(1, 0);
        hybrid.net.dilations = [1, 2, 3];
        // The gridding question is whether mixing dilations beats a uniform dilation of the
        // same mean, so (1, 2, 3) is compared with (2, 2, 2) when the main grid has it.
        let hybrid_base = if self.dilations.contains(&2) { "d2".to_string() } else { base.clone() };
        arms.push(control("d123".into(), "dilations (1,2,3)".into(), hybrid, &hybrid_base));
        let long = |d: usize| TrainRecipe { epochs: LONG_EPOCHS, ..self.run_recipe(d, 0) };
        arms.push(control("d1-e10".into(), format!("d=1, {LONG_EPOCHS} epochs"), long(1), &base));
        arms.push(control("d4-e10".into(), format!("d=4, {LONG_EPOCHS} epochs"), long(4), "d1-e10"));
        for lr in CONTROL_LRS {
            let r = TrainRecipe { lr, ..self.run_recipe(4, 0) };
            arms.push(control(format!("d4-lr{lr}"), format!("d=4, lr {lr}"), r, &base));
        }
        arms
    }

    /// Every run of the study's arms, arm by arm: (arm, seed). The Q1 grid's runs are in
    /// [`StudyPlan::all_runs`].
    pub fn runs(&self) -> Vec<(Arm, u64)> {
        self.arms().into_iter().flat_map(|a| (0..a.seeds).map(move |s| (a.clone(), s))).collect()
    }

    /// One arm per configuration of the Q1 grid (uniform configurations are named `dD` like
    /// the main grid, the others `dABC`), each with the grid's seeds and the study's recipe.
    pub fn q1_arms(&self, q1: &Q1Settings) -> Vec<Arm> {
        q1.grid
            .configs
            .iter()
            .map(|&config| {
                let mut recipe = self.run_recipe(config[0], 0);
                recipe.net.dilations = config;
                Arm {
                    name: config_name(config),
                    label: format!("dilations {}", config_label(config)),
                    family: Family::Grid,
                    recipe,
                    seeds: q1.grid.seeds,
                    baseline: None,
                    dilation: None,
                }
            })
            .collect()
    }

    /// Every run to train: the study's ([`StudyPlan::runs`]), then the Q1 grid's runs whose
    /// folder is not already one of them.
    pub fn all_runs(&self) -> Vec<(Arm, u64)> {
        let mut runs = self.runs();
        if let Some(q1) = &self.q1 {
            let taken: std::collections::HashSet<String> =
                runs.iter().map(|(a, s)| format!("{}-s{s}", a.name)).collect();
            for arm in self.q1_arms(q1) {
                for seed in 0..arm.seeds {
                    if !taken.contains(&format!("{}-s{seed}", arm.name)) {
                        runs.push((arm.clone(), seed));
                    }
                }
            }
        }
        runs
    }

    /// Refuses a plan that cannot work, before anything is trained.
    pub fn validate(&self) -> Result<()> {
        check_dilation_list("dilations", &self.dilations)?;
        if self.seeds == 0 || (self.controls && self.control_seeds == 0) {
            return Err(StudyError::invalid("seeds", 0, "must be at least 1"));
        }
        if self.saliency_images == 0 {
            return Err(StudyError::invalid("saliency images", 0, "must be at least 1"));
        }
        if self.jobs == 0 {
            return Err(StudyError::invalid("jobs", 0, "must be at least 1"));
        }
        if self.controls && !(self.dilations.contains(&1) && self.dilations.contains(&4)) {
            return Err(StudyError::invalid(
                "dilations",
                format!("{:?}", self.dilations),
                "must include 1 and 4 for the control arms",
            ));
        }
        let grid_arms = self.q1.as_ref().map(|q1| self.q1_arms(q1)).unwrap_or_default();
        if let Some(q1) = &self.q1 {
            if q1.grid.seeds == 0 || q1.grid.configs.is_empty() {
                return Err(StudyError::invalid(
                    "Q1 grid",
                    q1.grid.configs.len(),
                    "needs configurations and seeds",
                ));
            }
        }
        for arm in self.arms().iter().chain(&grid_arms) {
            arm.recipe.validate()?;
        }
        self.class_model.validate()?;
        self.localize.validate()?;
        if let Some(search) = &self.search {
            search.validate()?;
        }
        Ok(())
    }

    /// Loads MNIST and splits it as the plan's recipe says (every arm uses the same data).
    pub fn load_data(&self) -> Result<(RunData, atrous_tensor::mnist::MnistSplit)> {
        let dir = &self.data_dir;
        let mnist = Mnist::load(dir).map_err(|source| StudyError::Data { dir: dir.clone(), source })?;
        let data = RunData::from_mnist(&mnist.train, mnist.test, &self.recipe);
        Ok((data, mnist.train))
    }
}

/// A run the plan still needs, and how to get it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRun {
    /// The arm.
    pub arm: Arm,
    /// The seed.
    pub seed: u64,
    /// The run's recipe.
    pub recipe: TrainRecipe,
    /// Its folder.
    pub dir: RunDir,
    /// What the folder holds now (missing, partial, or stale when retraining).
    pub state: RunState,
}

/// What a plan has of one run ([`StudyPlan::run_state`]).
#[derive(Clone, Debug, PartialEq)]
pub struct FoundRun {
    /// The run's state.
    pub state: RunState,
    /// Where the state was read (the run folder, or its record), for messages.
    pub source: PathBuf,
    /// The record, when the state is the record's (the folder holds no run).
    pub record: Option<RunRecord>,
}

/// Every run not yet complete under its recipe and the running engine, in plan order (the
/// study's, then the Q1 grid's). A folder holding another recipe or engine revision is an error
/// naming the field, unless the plan retrains.
pub fn plan_runs(plan: &StudyPlan) -> Result<Vec<PlannedRun>> {
    plan.validate()?;
    let mut todo = Vec::new();
    for (arm, seed) in plan.all_runs() {
        let (recipe, dir) = (arm.run_recipe(seed), plan.arm_dir(&arm.name, seed));
        let FoundRun { state, source, .. } = plan.run_state(&arm, seed)?;
        match &state {
            RunState::Complete(_) | RunState::Diverged(_) => continue,
            RunState::Stale { field, saved, requested } if !plan.retrain => {
                return Err(StudyError::RecipeMismatch {
                    dir: source,
                    field: field.clone(),
                    saved: saved.clone(),
                    requested: requested.clone(),
                });
            }
            _ => {}
        }
        todo.push(PlannedRun { arm, seed, recipe, dir, state });
    }
    Ok(todo)
}

/// Runs the study: trains what is missing (resuming interrupted runs), measures every run,
/// searches the dilation, writes `runs.csv`, `summary.csv`, `REPORT.md` and the figures, and
/// returns the analysis.
pub fn run_study(plan: &StudyPlan, observer: &dyn Observer) -> Result<StudyAnalysis> {
    let todo = plan_runs(plan)?;
    let (data, train_file) = plan.load_data()?;
    let total_runs = plan.all_runs().len();
    let work: usize = todo.iter().map(|r| r.recipe.epochs).sum();
    let start = Instant::now();
    observer.message(&format!(
        "study: {} of {total_runs} runs to train ({} already complete) → {}",
        todo.len(),
        total_runs - todo.len(),
        plan.out.display()
    ));
    if plan.jobs > 1 && todo.len() > 1 {
        train_side_by_side(&todo, &data, plan.jobs, prepare_folder, observer)?;
    } else {
        let mut done_work = 0;
        for (k, run) in todo.iter().enumerate() {
            let progress = RunProgress {
                index: k + 1,
                count: todo.len(),
                label: format!("{} seed {}", run.arm.label, run.seed),
                dir: run.dir.path().to_path_buf(),
                work_done: done_work,
                work_total: work,
                elapsed: start.elapsed().as_secs_f64(),
            };
            observer.run_started(&progress);
            let resume = prepare_folder(run)?;
            train_run(&run.recipe, &run.dir, &data, RunOptions { resume, stop_after: None }, observer)?;
            done_work += run.recipe.epochs;
        }
    }
    if !todo.is_empty() {
        observer.message(&format!(
            "study: trained {} run(s) in {:.0} s",
            todo.len(),
            start.elapsed().as_secs_f64()
        ));
    }
    let (analysis, missing) = analyse(plan, &data, &train_file, true, observer)?;
    if let Some(first) = missing.first() {
        return Err(StudyError::MissingRun { dir: first.dir.path().to_path_buf() });
    }
    Ok(analysis)
}

/// Readies a planned run's folder: clears a stale run, or a leftover that cannot be resumed;
/// says whether to resume from the folder's checkpoint.
fn prepare_folder(run: &PlannedRun) -> Result<bool> {
    let resume = match &run.state {
        RunState::Stale { .. } => {
            run.dir.clear()?;
            false
        }
        RunState::Partial { .. } => run.dir.checkpoint_path().exists(),
        _ => false,
    };
    if !resume && run.dir.holds_run() {
        run.dir.clear()?;
    }
    Ok(resume)
}

/// Analyses whatever run folders of the plan are complete (nothing is trained, and a folder
/// run its record already measured is not measured again; the
/// learned-dilation section appears only when every search record exists), writes the report
/// (and `Q1.md` with the Q1 grid), and returns it with the runs still missing (the study's,
/// then the grid's).
pub fn report_only(plan: &StudyPlan, observer: &dyn Observer) -> Result<(StudyAnalysis, Vec<PlannedRun>)> {
    plan.validate()?;
    let (data, train_file) = plan.load_data()?;
    analyse(plan, &data, &train_file, false, observer)
}

/// The record of a complete folder run when it holds measurements of this very model: the
/// model file's sha256 and the metrics equal the record's, and it was measured under
/// `settings`. An unreadable record is treated as absent (measuring files a new one).
fn measured_record(
    records: &Records,
    arm: &Arm,
    seed: u64,
    metrics: &Metrics,
    model: &Path,
    main: bool,
    settings: &str,
) -> Option<RunRecord> {
    let record = records.read(arm, seed).ok().flatten()?;
    let hash = file_sha256(model).ok()?;
    let same = record.model_sha256.as_deref() == Some(hash.as_str()) && record.metrics == *metrics;
    (same && record.to_result(arm, main, settings).is_some()).then_some(record)
}

/// Measures the complete runs, analyses, writes the report; returns the runs not complete.
fn analyse(
    plan: &StudyPlan,
    data: &RunData,
    train_file: &atrous_tensor::mnist::MnistSplit,
    train_search: bool,
    observer: &dyn Observer,
) -> Result<(StudyAnalysis, Vec<PlannedRun>)> {
    let mut results: Vec<RunResult> = Vec::new();
    let (mut missing, mut diverged) = (Vec::new(), Vec::new());
    let mut class_models = Vec::new();
    let (records, settings) = (plan.records(), measurement_settings(plan));
    for arm in plan.arms() {
        observer.message(&format!("study: measuring {}", arm.label));
        let main = arm.family == Family::Main;
        for seed in 0..arm.seeds {
            let (recipe, dir) = (arm.run_recipe(seed), plan.arm_dir(&arm.name, seed));
            let found = plan.run_state(&arm, seed)?;
            // A folder run its record already measured (same model bytes, same metrics, same
            // settings) is read from the record, not measured again.
            let record = match (&found.state, found.record) {
                (RunState::Complete(metrics), None) => {
                    measured_record(&records, &arm, seed, metrics, &dir.model_path(), main, &settings)
                }
                (_, record) => record,
            };
            match (found.state, record) {
                (RunState::Complete(metrics), None) => {
                    let result = measure_run(plan, &arm, seed, &metrics, &data.test)?;
                    // The seed-0 model of each dilation is drawn (class models, saliency sheet).
                    let cm = if main && seed == 0 {
                        Some(figures(plan, &arm, train_file, &data.test)?)
                    } else {
                        None
                    };
                    // A record without a hash is still a record: the reproducibility check then compares
                    // accuracies only.
                    let hash = file_sha256(&dir.model_path()).ok();
                    records.file(&RunRecord::new(hash, &metrics, &result, cm.as_ref(), &settings))?;
                    results.push(result);
                    class_models.extend(cm);
                }
                (RunState::Complete(_), Some(record)) => match record.to_result(&arm, main, &settings) {
                    Some(result) => {
                        results.push(result);
                        class_models.extend(record.class_models(&settings).filter(|_| main && seed == 0));
                    }
                    None => {
                        observer.message(&format!(
                            "study: {} was measured under other settings; its folder is needed",
                            found.source.display()
                        ));
                        missing.push(PlannedRun {
                            arm: arm.clone(),
                            seed,
                            recipe,
                            dir,
                            state: RunState::Missing,
                        });
                    }
                },
                (RunState::Diverged(metrics), record) => {
                    if record.is_none() {
                        records.file(&RunRecord::unmeasured(&arm.name, seed, &metrics, None))?;
                    }
                    diverged.push(DivergedRun { arm: arm.name.clone(), seed, divergence: metrics.diverged });
                }
                (state, _) => missing.push(PlannedRun { arm: arm.clone(), seed, recipe, dir, state }),
            }
        }
    }
    let learned = match &plan.search {
        Some(search) => {
            let records = if train_search {
                observer.message(&format!("study: learning the dilation ({} seed(s))", search.seeds));
                let s_train = limit(train_file, search.train_limit);
                let s_test = limit(&data.test, search.test_limit);
                Some(run_search(search, &s_train, &s_test, observer)?)
            } else {
                existing_records(search)
            };
            records.map(|r| LearnedAnalysis::new(search, &r))
        }
        None => None,
    };
    for m in &missing {
        observer.message(&format!("study: missing {} ({})", m.dir.path().display(), describe(&m.state)));
    }
    let missing_dirs: Vec<PathBuf> = missing.iter().map(|m| m.dir.path().to_path_buf()).collect();
    let mut analysis = StudyAnalysis::from_runs(plan, results, class_models, learned, missing_dirs);
    analysis.setup.diverged = diverged;
    write_report(plan, &analysis)?;
    observer.message(&format!("study: report in {}", plan.out.join("REPORT.md").display()));
    if let Some(q1) = &plan.q1 {
        let study_dirs: std::collections::HashSet<PathBuf> =
            missing.iter().map(|m| m.dir.path().to_path_buf()).collect();
        let (_, grid_missing) = write_q1(plan, q1, observer)?;
        missing.extend(grid_missing.into_iter().filter(|m| !study_dirs.contains(m.dir.path())));
    }
    Ok((analysis, missing))
}

/// A folder state in words.
pub fn describe(state: &RunState) -> String {
    match state {
        RunState::Missing => "not started".into(),
        RunState::Partial { epochs_done } => format!("{epochs_done} epoch(s) done"),
        RunState::Complete(_) => "complete".into(),
        RunState::Diverged(m) => match &m.diverged {
            Some(d) => format!("diverged (loss {} at epoch {} step {})", d.loss, d.epoch, d.step),
            None => "diverged".into(),
        },
        RunState::Stale { field, saved, requested } => {
            format!("holds another run: {field} = {saved}, not {requested}")
        }
    }
}

fn limit(split: &atrous_tensor::mnist::MnistSplit, n: Option<usize>) -> atrous_tensor::mnist::MnistSplit {
    match n {
        Some(n) => split.take(n),
        None => split.clone(),
    }
}
