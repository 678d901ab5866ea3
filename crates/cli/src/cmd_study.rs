//! `atrous study`: the dilation study (see `atrous_study::run_study`): trains DilNet at several
//! dilations × seeds (and, with `--controls`, the control arms), measures accuracy on a fixed
//! validation split and once on the test set, analyses it (CIs, effect sizes, Welch + Holm,
//! TOST, trend, power), measures saliency, learns the dilation, and writes `REPORT.md`, CSV
//! tables and figures. Stopping and starting it again reuses finished runs (same recipe and
//! engine revision) and resumes interrupted ones.
//!
//! Scale-out: `--plan` prints one `atrous train …` command per run still needed (for GNU
//! parallel, `xargs -P` or a Slurm array), and `--report-only` analyses whatever run folders
//! exist and lists the missing ones. Both give the in-process study's report.

use crate::cmd_learn::LearnFlags;
use crate::data::DataArgs;
use crate::progress::Progress;
use anyhow::{Result, ensure};
use atrous_study::memory;
use atrous_study::plan::{MAIN_SEEDS, VALIDATION_IMAGES, describe};
use atrous_study::q1::{Q1Grid, Q1Settings};
use atrous_study::q2::{Q2Plan, run_q2};
use atrous_study::{
    PlannedRun, RunState, SearchPlan, StudyPlan, TrainRecipe, plan_runs, report_only, run_study,
};
use std::path::PathBuf;

/// Arguments of `atrous study`. Training flags are the reference recipe.
#[derive(Clone, Debug, clap::Args)]
pub struct StudyArgs {
    /// Dilations of the main grid (every conv layer of a run uses the same one); the first is the baseline.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4", allow_negative_numbers = true)]
    pub dilations: Vec<usize>,
    /// Seeds per dilation (seeds 0..N); a seed fixes initialisation and data order.
    #[arg(long, default_value_t = MAIN_SEEDS, allow_negative_numbers = true)]
    pub seeds: u64,
    /// Training epochs per run.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Learning rate (SGD with momentum 0.9).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f32,
    /// Training images held out as the validation split (fixed permutation, the same for every
    /// run); per-epoch numbers and choices use it, the test set is evaluated once per run.
    /// 0: no split (test set every epoch).
    #[arg(long, default_value_t = VALIDATION_IMAGES)]
    pub validation: usize,
    /// Also run the control arms: 5×5/7×7/9×9 undilated nets, dilations (1,2,3), d=1 and d=4 at
    /// 10 epochs, d=4 at lr 0.02 and 0.01.
    #[arg(long)]
    pub controls: bool,
    /// Seeds per control arm.
    #[arg(long, default_value_t = 5)]
    pub control_seeds: u64,
    /// A quick check of the pipeline: 2 seeds, 1 epoch, main grid only (overrides --seeds and
    /// --epochs).
    #[arg(long, conflicts_with = "controls")]
    pub quick: bool,
    /// Print one `atrous train …` command per run still needed (one per line, for GNU parallel,
    /// xargs -P or a Slurm array) and exit without training.
    #[arg(long, conflicts_with = "report_only")]
    pub plan: bool,
    /// Analyse the run folders that exist (nothing is trained), write the report, list missing runs.
    #[arg(long)]
    pub report_only: bool,
    /// Retrain runs whose folder holds another recipe or engine revision (default: refuse and
    /// name the difference).
    #[arg(long)]
    pub retrain: bool,
    /// Epochs per seed of the earlier single-level learned-dilation search (one shared kernel,
    /// judged on the test set), mixing the study's dilations; 0 (the default) skips it. Question 1
    /// is answered by `--q1-grid` with `atrous learn-dilation --method mixture|continuous`
    /// (`Q1.md`). Each search epoch costs about as many convolutions as one epoch per dilation.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub learn_epochs: usize,
    /// Learning rate of the mixing logits in the search (Adam).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub arch_lr: f32,
    /// Test images used for saliency statistics and localisation.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    pub saliency_images: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub threads: usize,
    /// Runs trained side by side, each with an equal share of the worker threads (0: one run per
    /// thread, as many as fit in memory; 1: one after the other). Results do not depend on it.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub jobs: usize,
    /// Where MNIST is, and which part of it to use.
    #[command(flatten)]
    pub data: DataArgs,
    /// Study folder.
    #[arg(long, default_value = "runs/study")]
    pub out: PathBuf,
    /// Folder of the run records: one small JSON file per finished run with everything the
    /// report reads from it, filed by every analysis and used when a run folder is gone (e.g.
    /// the committed `docs/study/records`). Default: OUT/records.
    #[arg(long)]
    pub records: Option<PathBuf>,
    /// Question 2 on the study's existing main-grid runs (nothing is trained): saliency metrics
    /// on every seed against noise floors and baselines, gridding, effective receptive fields,
    /// class models, faithfulness; writes `Q2.md` and `q2/` into --q2-docs.
    #[arg(long, conflicts_with_all = ["plan", "report_only", "quick", "controls"])]
    pub q2: bool,
    /// Q2: per-run cache folder (numbers keyed by the model file's hash, and maps).
    #[arg(long, default_value = "runs/q2")]
    pub q2_cache: PathBuf,
    /// Q2: where `Q2.md` and the `q2/` folder of CSVs and figures go.
    #[arg(long, default_value = "docs/study")]
    pub q2_docs: PathBuf,
    /// Q2: seeds per dilation (0..N) that also run class models to convergence (the others
    /// stop at the paper's 200 steps).
    #[arg(long, default_value_t = 3)]
    pub q2_class_seeds: u64,
    /// Q2: seeds per dilation (0..N) that also run the faithfulness checks.
    #[arg(long, default_value_t = 3)]
    pub q2_faith_seeds: u64,
    /// Q2: use only the runs whose numbers are cached (regenerates the report in seconds).
    #[arg(long)]
    pub q2_cached_only: bool,
    /// Question 1's ground-truth grid: also train (or, with --plan / --report-only, list or
    /// analyse) per-layer dilation configurations × --q1-seeds seeds with the study's recipe,
    /// named like the study's folders (d112-s0; existing dD and d123 runs are reused), and write
    /// `Q1.md`, `q1_grid.csv`, `q1_seeds.csv` beside REPORT.md, judging the search records in
    /// --q1-learn against the grid. Default grid: the 4 uniform configurations, the 12 that move
    /// one layer of a uniform one to its next dilation, (1,2,3) and (3,2,1).
    #[arg(long, conflicts_with = "q2")]
    pub q1_grid: bool,
    /// Q1: all 64 configurations over dilations 1..4 instead of the default grid.
    #[arg(long, requires = "q1_grid", conflicts_with = "q1_configs")]
    pub q1_all: bool,
    /// Q1: these configurations instead of the default grid, each three digits (conv1, conv2,
    /// conv3 dilation), e.g. 111,112,123.
    #[arg(long, requires = "q1_grid", value_delimiter = ',')]
    pub q1_configs: Vec<String>,
    /// Q1: seeds per grid configuration (0..N).
    #[arg(long, requires = "q1_grid", default_value_t = atrous_study::q1::grid::GRID_SEEDS)]
    pub q1_seeds: u64,
    /// Q1: folders holding search records (`seed-S.json`, `continuous-seed-S.json`) to judge;
    /// repeat for several (default: OUT/learn).
    #[arg(long, requires = "q1_grid")]
    pub q1_learn: Vec<PathBuf>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A grid configuration from its three digits (`112` is conv1 1, conv2 1, conv3 2).
fn q1_config(word: &str) -> Result<[usize; 3]> {
    let digits: Vec<usize> = word.trim().chars().filter_map(|c| c.to_digit(10).map(|d| d as usize)).collect();
    ensure!(
        digits.len() == 3 && word.trim().len() == 3 && digits.iter().all(|&d| d >= 1),
        "--q1-configs: '{word}' is not three dilations 1-9 (e.g. 112)"
    );
    Ok([digits[0], digits[1], digits[2]])
}

/// The Q1 grid the flags describe, if asked for.
fn q1_settings(a: &StudyArgs) -> Result<Option<Q1Settings>> {
    if !a.q1_grid {
        return Ok(None);
    }
    ensure!(a.q1_seeds > 0, "--q1-seeds must be at least 1");
    let mut grid = if a.q1_all { Q1Grid::full() } else { Q1Grid::reference() };
    if !a.q1_configs.is_empty() {
        grid.configs = a.q1_configs.iter().map(|w| q1_config(w)).collect::<Result<_>>()?;
        let mut sorted = grid.configs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        ensure!(sorted.len() == grid.configs.len(), "--q1-configs lists a configuration twice");
    }
    grid.seeds = a.q1_seeds;
    let record_dirs = if a.q1_learn.is_empty() { vec![a.out.join("learn")] } else { a.q1_learn.clone() };
    Ok(Some(Q1Settings { grid, record_dirs }))
}

/// The study the flags describe, every value checked before anything is trained.
fn plan(a: &StudyArgs) -> Result<StudyPlan> {
    let (seeds, epochs) = if a.quick { (2, 1) } else { (a.seeds, a.epochs) };
    ensure!(!a.dilations.is_empty(), "--dilations needs at least one value");
    ensure!(seeds > 0, "--seeds must be at least 1");
    ensure!(a.control_seeds > 0, "--control-seeds must be at least 1");
    ensure!(a.saliency_images > 0, "--saliency-images must be at least 1");
    ensure!(epochs > 0, "--epochs must be at least 1");
    ensure!(a.batch_size > 0, "--batch-size must be at least 1");
    ensure!(a.lr.is_finite() && a.lr > 0.0, "--lr must be a positive number, got {}", a.lr);
    a.data.validate()?;
    crate::check_threads(a.threads)?;
    let mut sorted = a.dilations.clone();
    sorted.sort_unstable();
    sorted.dedup();
    ensure!(sorted.len() == a.dilations.len(), "--dilations lists a value twice");
    ensure!(
        !a.controls || (a.dilations.contains(&1) && a.dilations.contains(&4)),
        "--controls needs dilations 1 and 4 in --dilations"
    );
    let mut plan = StudyPlan::reference(a.data.dir()?, a.out.clone());
    plan.dilations = a.dilations.clone();
    plan.seeds = seeds;
    plan.controls = a.controls;
    plan.control_seeds = a.control_seeds;
    plan.retrain = a.retrain;
    plan.records = a.records.clone();
    plan.recipe = TrainRecipe {
        epochs,
        batch_size: a.batch_size,
        lr: a.lr,
        validation: a.validation,
        train_limit: a.data.train_limit,
        test_limit: a.data.test_limit,
        ..TrainRecipe::reference(1)
    };
    plan.saliency_images = a.saliency_images;
    plan.q1 = q1_settings(a)?;
    plan.search = (a.learn_epochs > 0).then(|| {
        let flags = LearnFlags {
            candidates: a.dilations.clone(),
            seeds,
            epochs: a.learn_epochs,
            batch_size: a.batch_size,
            lr: a.lr,
            arch_lr: a.arch_lr,
        };
        SearchPlan { out: a.out.join("learn"), ..flags.plan(&a.data) }
    });
    if let Some(search) = &plan.search {
        LearnFlags::check(search)?;
    }
    plan.validate()?;
    let subject = || format!("one training step at --batch-size {}", a.batch_size);
    crate::cmd_train::check_memory(run_bytes(&plan), subject, "lower --batch-size")?;
    ensure!(a.jobs <= 1024, "--jobs must be at most 1024, got {}", a.jobs);
    Ok(plan)
}

/// The largest training working set among the plan's runs.
fn run_bytes(plan: &StudyPlan) -> u64 {
    let grid_arms = plan.q1.as_ref().map(|q1| plan.q1_arms(q1)).unwrap_or_default();
    let arms = plan.arms();
    arms.iter().chain(&grid_arms).map(|arm| memory::training_bytes(&arm.run_recipe(0))).max().unwrap_or(0)
}

/// How many runs to train side by side (after the worker threads are set): `--jobs`, or one per
/// worker thread, lowered until their working sets fit in the memory available.
fn jobs(a: &StudyArgs, plan: &StudyPlan) -> Result<usize> {
    let needed = run_bytes(plan);
    if a.jobs > 0 {
        let subject = || format!("--jobs {} training steps at --batch-size {}", a.jobs, a.batch_size);
        crate::cmd_train::check_memory(needed.saturating_mul(a.jobs as u64), subject, "lower --jobs")?;
        return Ok(a.jobs);
    }
    let available = memory::available_bytes();
    let mut jobs = atrous_tensor::parallel::current_threads().max(1);
    while jobs > 1 && memory::check(needed.saturating_mul(jobs as u64), available).is_err() {
        jobs -= 1;
    }
    Ok(jobs)
}

/// A word for a shell command line, single-quoted when it holds anything but safe characters.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn list(v: &[usize]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

/// The `atrous train` flags that reproduce `recipe` exactly (every recipe field spelled out, so
/// the run folder records the recipe the study asks for).
pub fn train_flags(recipe: &TrainRecipe) -> Vec<String> {
    let mut f: Vec<String> = vec![
        "--dilations".into(),
        list(&recipe.net.dilations),
        "--kernels".into(),
        list(&recipe.net.kernels),
        "--channels".into(),
        list(&recipe.net.channels),
        "--epochs".into(),
        recipe.epochs.to_string(),
        "--seed".into(),
        recipe.seed.to_string(),
        "--batch-size".into(),
        recipe.batch_size.to_string(),
        "--lr".into(),
        recipe.lr.to_string(),
        "--momentum".into(),
        recipe.momentum.to_string(),
        "--weight-decay".into(),
        recipe.weight_decay.to_string(),
        "--optimizer".into(),
        recipe.optimizer.name().to_string(),
        "--validation".into(),
        recipe.validation.to_string(),
    ];
    if let Some(n) = recipe.train_limit {
        f.extend(["--train-limit".into(), n.to_string()]);
    }
    if let Some(n) = recipe.test_limit {
        f.extend(["--test-limit".into(), n.to_string()]);
    }
    f
}

/// The command line that trains one planned run.
fn train_command(a: &StudyArgs, run: &PlannedRun) -> String {
    let mut words = vec!["atrous".to_string(), "train".to_string()];
    words.extend(train_flags(&run.recipe));
    if let Some(dir) = &a.data.data {
        words.extend(["--data".into(), dir.display().to_string()]);
    }
    if a.threads > 0 {
        words.extend(["--threads".into(), a.threads.to_string()]);
    }
    match run.state {
        RunState::Partial { .. } if run.dir.checkpoint_path().exists() => words.push("--resume".into()),
        RunState::Missing | RunState::Partial { .. } if run.dir.holds_run() => words.push("--retrain".into()),
        RunState::Stale { .. } => words.push("--retrain".into()),
        _ => {}
    }
    words.extend(["--quiet".into(), "--out".into(), run.dir.path().display().to_string()]);
    words.iter().map(|w| shell_word(w)).collect::<Vec<_>>().join(" ")
}

/// Runs `atrous study`.
pub fn run(args: &StudyArgs) -> Result<()> {
    if args.q2 {
        crate::set_threads(args.threads)?;
        let mut q2 = Q2Plan::reference(
            args.out.clone(),
            args.data.dir()?,
            args.q2_cache.clone(),
            args.q2_docs.clone(),
        );
        q2.dilations = args.dilations.clone();
        q2.seeds = args.seeds;
        q2.class_seeds = args.q2_class_seeds;
        q2.faith_seeds = args.q2_faith_seeds;
        q2.cached_only = args.q2_cached_only;
        run_q2(&q2, &Progress::new(args.quiet))?;
        return Ok(());
    }
    let plan = plan(args)?;
    let evaluated = if plan.recipe.validation > 0 { "validation" } else { "test" };
    let progress = Progress::new(args.quiet).evaluating(evaluated);
    if args.plan {
        let todo = plan_runs(&plan)?;
        for run in &todo {
            println!("{}", train_command(args, run));
        }
        if !args.quiet {
            eprintln!(
                "study: {} of {} runs to train; then `atrous study --report-only` with the same flags",
                todo.len(),
                plan.all_runs().len()
            );
        }
        return Ok(());
    }
    crate::set_threads(args.threads)?;
    if args.report_only {
        let (_, missing) = report_only(&plan, &progress)?;
        if !args.quiet && !missing.is_empty() {
            eprintln!("study: {} run(s) missing:", missing.len());
            for m in &missing {
                eprintln!("  {} ({})", m.dir.path().display(), describe(&m.state));
            }
        }
        return Ok(());
    }
    let plan = StudyPlan { jobs: jobs(args, &plan)?, ..plan };
    run_study(&plan, &progress)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd_train::{TrainArgs, recipe};
    use clap::Parser;

    #[derive(Parser)]
    struct Train {
        #[command(flatten)]
        args: TrainArgs,
    }

    #[test]
    fn printed_train_flags_reproduce_every_arm_recipe() {
        let mut plan = StudyPlan::reference(PathBuf::from("data/mnist"), PathBuf::from("runs/x"));
        plan.controls = true;
        plan.recipe.train_limit = Some(300);
        plan.recipe.test_limit = Some(200);
        plan.q1 = Some(Q1Settings { grid: Q1Grid::full(), record_dirs: vec![] });
        let grid_runs = plan.all_runs().len() - plan.runs().len();
        // 64 configurations × 3 seeds, less the runs the study already has (d1..d4 s0-2, d123 s0-2).
        assert_eq!(grid_runs, 64 * 3 - 5 * 3);
        for (arm, seed) in plan.all_runs() {
            let want = arm.run_recipe(seed);
            let mut argv = vec!["train".to_string()];
            argv.extend(train_flags(&want));
            argv.extend(["--out".into(), "x".into()]);
            let parsed = Train::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            let got = recipe(&parsed.args).unwrap();
            assert_eq!(got, want, "arm {} seed {seed}", arm.name);
            assert_eq!(got.to_json(), want.to_json());
        }
    }

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        assert_eq!(shell_word("runs/study/d1-s0"), "runs/study/d1-s0");
        assert_eq!(shell_word("my runs/x"), "'my runs/x'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
