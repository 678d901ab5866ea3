//! Every number of the study report, computed from the measured runs. Rendering
//! ([`crate::report`]) and the figures ([`crate::figures`]) only format these.
//!
//! Per arm: mean, sd and t-based 95% CI of the test accuracy across seeds (and the validation
//! accuracy). Per comparison (an arm against its baseline arm, normally d=1): Δ of mean test
//! accuracy with Welch's t CI and a percentile bootstrap CI over seeds, Hedges' g, Welch's p,
//! Holm's adjustment within the comparison's family (main grid, controls), the TOST
//! equivalence test at ±[`EQUIVALENCE_MARGIN`], the minimal detectable difference at 80% power
//! for the seeds used, and the verdict (worse / better / equivalent / inconclusive). Seeds are
//! independent replicates: comparisons are unpaired. Across the main grid: a regression of
//! accuracy on d with a CI for the slope and the Jonckheere–Terpstra test. McNemar's test is
//! kept only as a per-seed description of test-set disagreement between two trained models.

use crate::measure::{ClassModelResult, RunResult};
use crate::plan::{Arm, Family, StudyPlan};
use crate::search::{SearchPlan, SearchRecord};
use crate::stats::{
    Effect, Interval, Jt, Summary, Tost, Trend, Verdict, WelchTest, bootstrap_diff_ci, hedges_g,
    holm_optional, jonckheere_terpstra, linear_trend, mcnemar, mean_sd, minimal_detectable_difference,
    summarize, tost, verdict, welch,
};
use atrous_saliency::class_model::ClassModelConfig;
use atrous_saliency::localize::LocalizeConfig;
use atrous_tensor::rng::Rng;

/// Significance level of the tests (two-sided), and 1 − confidence of the CIs.
pub const ALPHA: f64 = 0.05;
/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;
/// Equivalence margin of the TOST, as a fraction of accuracy (±0.2 percentage points), fixed
/// here before any data of the 10-seed study were seen. The pre-registered equivalence question
/// is d=2 vs d=1; the same margin is applied to every comparison so that each gets a verdict.
pub const EQUIVALENCE_MARGIN: f64 = 0.002;
/// Power at which the minimal detectable difference is computed.
pub const POWER: f64 = 0.8;
/// Bootstrap resamples per comparison.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;
/// Seed of the bootstrap draws (comparison k draws from `Rng::seed_from(BOOTSTRAP_SEED).fork(k)`).
pub const BOOTSTRAP_SEED: u64 = 20_140_000;

/// One arm against its baseline arm.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The baseline arm's name.
    pub baseline: String,
    /// The baseline arm's label.
    pub baseline_label: String,
    /// Mean test accuracy minus the baseline's.
    pub diff: f64,
    /// Welch's test (with the t-based CI of Δ); `None` with fewer than 2 seeds in an arm.
    pub welch: Option<WelchTest>,
    /// Percentile bootstrap CI of Δ over seeds.
    pub bootstrap: Option<Interval>,
    /// Hedges' g.
    pub hedges: Option<Effect>,
    /// Holm-adjusted Welch p within the family.
    pub holm_p: Option<f64>,
    /// TOST at ±[`EQUIVALENCE_MARGIN`].
    pub tost: Option<Tost>,
    /// Minimal detectable |Δ| at [`POWER`] for these seeds and spreads.
    pub mdd: Option<f64>,
    /// The verdict (`None` when untestable).
    pub verdict: Option<Verdict>,
    /// The verdict sentence.
    pub sentence: String,
    /// McNemar's p per shared seed on the test images (main grid only; descriptive).
    pub mcnemar_p: Vec<f64>,
}

/// Saliency and class-model statistics of a main-grid arm (question 2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LookRow {
    /// Mean share of saliency on ink.
    pub ink_share: f64,
    /// Mean saliency spread (px).
    pub spread: f64,
    /// Mean box IoU.
    pub box_iou: f64,
    /// Mean mask IoU.
    pub mask_iou: f64,
    /// Mean `S_c` of the class models (seed 0).
    pub class_model_score: f64,
    /// Mean softmax probability of the class models (seed 0).
    pub class_model_prob: f64,
}

/// One point of an arm's learning curve: across seeds, mean/min/max.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurvePoint {
    /// 1-based epoch.
    pub epoch: usize,
    /// Per-epoch evaluation accuracy (validation, else test): mean, min, max over seeds.
    pub val: [f64; 3],
    /// Training loss: mean, min, max over seeds.
    pub train_loss: [f64; 3],
}

/// The study's summary of one arm.
#[derive(Clone, Debug, PartialEq)]
pub struct ArmRow {
    /// The arm.
    pub arm: Arm,
    /// Parameters of its network.
    pub parameters: usize,
    /// Complete runs (seeds) found.
    pub n: usize,
    /// Test accuracy across seeds (mean, sd, 95% CI); `None` with fewer than 2 runs.
    pub test: Option<Summary>,
    /// Mean test accuracy (also with one run).
    pub test_mean: f64,
    /// Validation accuracy across seeds (mean, sd); `None` without a split or runs.
    pub val: Option<(f64, f64)>,
    /// The comparison with its baseline arm (`None` for the baseline).
    pub comparison: Option<Comparison>,
    /// Saliency statistics (main grid).
    pub look: Option<LookRow>,
    /// Learning curve.
    pub curve: Vec<CurvePoint>,
}

/// The trend of test accuracy across the main grid's dilations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrendAnalysis {
    /// OLS of accuracy on d over every run (slope per unit of d, with its CI).
    pub linear: Option<Trend>,
    /// Jonckheere–Terpstra across the dilations in increasing order.
    pub jt: Option<Jt>,
}

/// One seed's learned dilations.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnedSeed {
    /// Seed.
    pub seed: u64,
    /// Final mixing weights per layer.
    pub weights: [Vec<f32>; 3],
    /// Learned dilation per layer.
    pub chosen: [usize; 3],
    /// Test accuracy of the mixed network.
    pub accuracy: f64,
}

/// The learned-dilation summary.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnedAnalysis {
    /// Candidate dilations.
    pub candidates: Vec<usize>,
    /// Search epochs.
    pub epochs: usize,
    /// Kernel learning rate.
    pub lr: f32,
    /// Mixing-logit learning rate.
    pub arch_lr: f32,
    /// Per seed.
    pub seeds: Vec<LearnedSeed>,
    /// Whether every seed learned the same dilations.
    pub seeds_agree: bool,
    /// The dilation with the highest mean test accuracy in the study, when known.
    pub best_fixed: Option<usize>,
    /// Whether every seed learned `best_fixed` in every layer.
    pub all_learned_best: bool,
}

impl LearnedAnalysis {
    /// The summary of a search's records.
    pub fn new(plan: &SearchPlan, records: &[SearchRecord]) -> Self {
        let seeds: Vec<LearnedSeed> = records
            .iter()
            .map(|r| LearnedSeed {
                seed: r.settings.seed,
                weights: r.weights.clone(),
                chosen: r.chosen,
                accuracy: r.test_accuracy,
            })
            .collect();
        let seeds_agree = seeds.windows(2).all(|w| w[0].chosen == w[1].chosen);
        LearnedAnalysis {
            candidates: plan.candidates.clone(),
            epochs: plan.epochs,
            lr: plan.lr,
            arch_lr: plan.arch_lr,
            seeds,
            seeds_agree,
            best_fixed: None,
            all_learned_best: false,
        }
    }

    /// Compares the learned dilations with the best fixed dilation of a study.
    pub fn with_best_fixed(mut self, best: Option<usize>) -> Self {
        self.best_fixed = best;
        self.all_learned_best =
            best.is_some_and(|b| self.seeds.iter().all(|s| s.chosen.iter().all(|&d| d == b)));
        self
    }
}

/// What the study setup was, for the report's text.
#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    /// Main-grid dilations.
    pub dilations: Vec<usize>,
    /// Seeds per main-grid arm.
    pub seeds: u64,
    /// Whether the control arms ran.
    pub controls: bool,
    /// Seeds per control arm.
    pub control_seeds: u64,
    /// The main-grid recipe (seed and dilations set per run).
    pub recipe: crate::TrainRecipe,
    /// Test images evaluated.
    pub test_images: usize,
    /// Test images of the saliency statistics.
    pub saliency_images: usize,
    /// Class-model settings.
    pub class_model: ClassModelConfig,
    /// Localisation settings.
    pub localize: LocalizeConfig,
    /// Study folder.
    pub out: std::path::PathBuf,
    /// The `atrous study` command that makes this study.
    pub command: String,
    /// Engine revision of this build.
    pub engine_revision: String,
    /// Git commit of this build, when known.
    pub git_commit: Option<String>,
    /// This machine: CPU model, cores, vector extensions.
    pub machine: String,
    /// Summed training wall time of the runs found (seconds).
    pub train_seconds: f64,
    /// Epochs of the learned-dilation search (0: none).
    pub learn_epochs: usize,
    /// Runs of the plan not found complete (report-only).
    pub missing: Vec<std::path::PathBuf>,
    /// Runs whose training loss stopped being finite: outcomes of their arm, left out of its
    /// statistics (which then describe the runs that trained).
    pub diverged: Vec<DivergedRun>,
}

/// A run of the plan that diverged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivergedRun {
    /// The arm's name.
    pub arm: String,
    /// The seed.
    pub seed: u64,
    /// Where (absent in a record written before divergences were recorded).
    pub divergence: Option<crate::run::Divergence>,
}

/// Every number of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyAnalysis {
    /// The setup.
    pub setup: Setup,
    /// The baseline arm's name.
    pub baseline: String,
    /// Per run, arm by arm, seed by seed.
    pub runs: Vec<RunResult>,
    /// Per arm, in the plan's order.
    pub rows: Vec<ArmRow>,
    /// Trend across the main grid.
    pub trend: TrendAnalysis,
    /// The learning rate for d = 4 chosen on validation among the main-grid d = 4 arm and the
    /// step-size controls (same epochs): (lr, its mean validation accuracy, the arm's name).
    pub d4_lr_choice: Option<(f32, f64, String)>,
    /// Binomial sd of one model's test accuracy at the baseline's mean accuracy:
    /// `√(p(1−p)/n_test)`.
    pub test_noise_sd: Option<f64>,
    /// The learned-dilation summary.
    pub learned: Option<LearnedAnalysis>,
}

/// The `atrous study` command line that makes `plan`.
pub fn study_command(plan: &StudyPlan) -> String {
    let r = &plan.recipe;
    let list = |v: &[usize]| v.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",");
    let mut cmd = format!(
        "atrous study --dilations {} --seeds {} --epochs {} --batch-size {} --lr {} --validation {}",
        list(&plan.dilations),
        plan.seeds,
        r.epochs,
        r.batch_size,
        r.lr,
        r.validation
    );
    if let Some(n) = r.train_limit {
        cmd += &format!(" --train-limit {n}");
    }
    if let Some(n) = r.test_limit {
        cmd += &format!(" --test-limit {n}");
    }
    if plan.controls {
        cmd += &format!(" --controls --control-seeds {}", plan.control_seeds);
    }
    cmd += &format!(
        " --saliency-images {} --learn-epochs {} --out {}",
        plan.saliency_images,
        plan.search.as_ref().map_or(0, |s| s.epochs),
        plan.out.display()
    );
    if let Some(records) = &plan.records {
        cmd += &format!(" --records {}", records.display());
    }
    cmd
}

/// The CPU model, core count and vector extensions of this machine, from `/proc/cpuinfo`.
pub fn machine_description() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or_else(|| std::env::consts::ARCH.to_string(), |m| m.trim().to_string());
    let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or("");
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let simd: Vec<&str> = ["avx2", "fma", "avx512f"].into_iter().filter(|f| has(f)).collect();
    format!(
        "{model}, {cores} logical cores, {}",
        if simd.is_empty() { "no AVX2".into() } else { simd.join("+") }
    )
}

fn runs_of<'a>(runs: &'a [RunResult], arm: &str) -> Vec<&'a RunResult> {
    let mut v: Vec<&RunResult> = runs.iter().filter(|r| r.arm == arm).collect();
    v.sort_by_key(|r| r.seed);
    v
}

fn accuracies(runs: &[&RunResult]) -> Vec<f64> {
    runs.iter().map(|r| r.test_accuracy).collect()
}

fn average(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64
}

fn min_mean_max(v: &[f64]) -> [f64; 3] {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    [
        mean,
        v.iter().copied().fold(f64::INFINITY, f64::min),
        v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    ]
}

fn curve(runs: &[&RunResult]) -> Vec<CurvePoint> {
    let epochs = runs.iter().map(|r| r.history.len()).max().unwrap_or(0);
    (0..epochs)
        .map(|e| {
            let recs: Vec<_> = runs.iter().filter_map(|r| r.history.get(e)).collect();
            CurvePoint {
                epoch: e + 1,
                val: min_mean_max(&recs.iter().map(|r| r.val_accuracy).collect::<Vec<_>>()),
                train_loss: min_mean_max(&recs.iter().map(|r| r.train_loss).collect::<Vec<_>>()),
            }
        })
        .collect()
}

/// The statistics of one comparison: Welch, bootstrap CI, Hedges' g, TOST, MDD.
type Stats = (Option<WelchTest>, Option<Interval>, Option<Effect>, Option<Tost>, Option<f64>);

/// Every statistic of `a` (an arm) against `b` (its baseline); `k` picks the bootstrap stream.
fn compare(a: &[f64], b: &[f64], k: u64) -> Stats {
    let w = welch(a, b, LEVEL);
    let mut rng = Rng::seed_from(BOOTSTRAP_SEED).fork(k);
    let mut draw = |n: usize| rng.below(n as u64) as usize;
    let boot = if a.len() >= 2 && b.len() >= 2 {
        bootstrap_diff_ci(a, b, BOOTSTRAP_RESAMPLES, LEVEL, &mut draw)
    } else {
        None
    };
    let g = hedges_g(a, b, LEVEL);
    let t = tost(a, b, EQUIVALENCE_MARGIN, ALPHA);
    let ((_, sa), (_, sb)) = (mean_sd(a), mean_sd(b));
    let mdd =
        Some(minimal_detectable_difference(sa, a.len(), sb, b.len(), ALPHA, POWER)).filter(|m| m.is_finite());
    (w, boot, g, t, mdd)
}

impl StudyAnalysis {
    /// Computes the analysis of a study's measured runs (`missing`: runs of the plan not found).
    pub fn from_runs(
        plan: &StudyPlan,
        runs: Vec<RunResult>,
        class_models: Vec<ClassModelResult>,
        learned: Option<LearnedAnalysis>,
        missing: Vec<std::path::PathBuf>,
    ) -> Self {
        let arms = plan.arms();
        let baseline = format!("d{}", plan.baseline());
        let label_of = |name: &str| {
            arms.iter().find(|a| a.name == name).map_or_else(|| name.to_string(), |a| a.label.clone())
        };
        let mut rows: Vec<ArmRow> = arms
            .iter()
            .enumerate()
            .map(|(k, arm)| {
                let rs = runs_of(&runs, &arm.name);
                let acc = accuracies(&rs);
                let vals: Vec<f64> = rs.iter().filter_map(|r| r.val_accuracy).collect();
                let comparison = arm.baseline.as_ref().map(|base| {
                    let b_runs = runs_of(&runs, base);
                    let b = accuracies(&b_runs);
                    let (welch, bootstrap, hedges, tost, mdd) = compare(&acc, &b, k as u64);
                    let mcnemar_p = if arm.family == Family::Main {
                        rs.iter()
                            .filter_map(|r| {
                                let o = b_runs.iter().find(|o| o.seed == r.seed)?;
                                if r.correct.len() != o.correct.len() || r.correct.is_empty() {
                                    return None;
                                }
                                let only_r =
                                    r.correct.iter().zip(&o.correct).filter(|(x, y)| **x && !**y).count();
                                let only_o =
                                    r.correct.iter().zip(&o.correct).filter(|(x, y)| !**x && **y).count();
                                Some(mcnemar(only_r, only_o).1)
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    Comparison {
                        baseline: base.clone(),
                        baseline_label: label_of(base),
                        diff: mean_sd(&acc).0 - mean_sd(&b).0,
                        welch,
                        bootstrap,
                        hedges,
                        holm_p: None,
                        tost,
                        mdd,
                        verdict: None,
                        sentence: String::new(),
                        mcnemar_p,
                    }
                });
                let look = (arm.family == Family::Main && !rs.is_empty()).then(|| {
                    let looks: Vec<_> = rs.iter().filter_map(|r| r.look).collect();
                    let m = |f: &dyn Fn(&crate::measure::Look) -> f64| {
                        looks.iter().map(f).sum::<f64>() / looks.len().max(1) as f64
                    };
                    let cm = class_models.iter().find(|c| c.arm == arm.name);
                    LookRow {
                        ink_share: m(&|l| l.ink_share),
                        spread: m(&|l| l.spread),
                        box_iou: m(&|l| l.box_iou),
                        mask_iou: m(&|l| l.mask_iou),
                        class_model_score: cm.map_or(f64::NAN, |c| average(&c.scores)),
                        class_model_prob: cm.map_or(f64::NAN, |c| average(&c.probabilities)),
                    }
                });
                ArmRow {
                    arm: arm.clone(),
                    parameters: arm.parameter_count(),
                    n: rs.len(),
                    test: summarize(&acc, LEVEL),
                    test_mean: mean_sd(&acc).0,
                    val: (!vals.is_empty()).then(|| mean_sd(&vals)),
                    comparison,
                    look,
                    curve: curve(&rs),
                }
            })
            .collect();
        // Holm within each family, then the verdicts.
        for family in [Family::Main, Family::Control] {
            let idx: Vec<usize> = (0..rows.len())
                .filter(|&i| rows[i].arm.family == family && rows[i].comparison.is_some())
                .collect();
            let p: Vec<Option<f64>> =
                idx.iter().map(|&i| rows[i].comparison.as_ref().and_then(|c| c.welch.map(|w| w.p))).collect();
            for (&i, adj) in idx.iter().zip(holm_optional(&p)) {
                let label = rows[i].arm.label.clone();
                let c = rows[i].comparison.as_mut().expect("filtered");
                c.holm_p = adj;
                match (c.welch, c.tost, adj) {
                    (Some(w), Some(t), Some(p)) => {
                        let v = verdict(w.ci, p, &t, ALPHA).scaled(100.0);
                        c.verdict = Some(v);
                        c.sentence =
                            v.sentence(&label, &c.baseline_label, 100.0 * c.diff, w.ci.scaled(100.0));
                    }
                    _ => {
                        c.sentence = format!(
                            "{label} vs {}: not testable (each arm needs at least 2 complete runs)",
                            c.baseline_label
                        );
                    }
                }
            }
        }
        let mut main: Vec<(usize, Vec<f64>)> = rows
            .iter()
            .filter_map(|r| r.arm.dilation.map(|d| (d, accuracies(&runs_of(&runs, &r.arm.name)))))
            .collect();
        main.sort_by_key(|(d, _)| *d);
        let x: Vec<f64> = main.iter().flat_map(|(d, a)| a.iter().map(move |_| *d as f64)).collect();
        let y: Vec<f64> = main.iter().flat_map(|(_, a)| a.iter().copied()).collect();
        let groups: Vec<&[f64]> = main.iter().map(|(_, a)| a.as_slice()).collect();
        let trend = TrendAnalysis { linear: linear_trend(&x, &y, LEVEL), jt: jonckheere_terpstra(&groups) };
        // The best fixed dilation is chosen on validation when there is a split.
        let best_fixed = rows
            .iter()
            .filter(|r| r.arm.family == Family::Main && r.n > 0)
            .max_by(|a, b| {
                let key = |r: &ArmRow| r.val.map_or(r.test_mean, |v| v.0);
                key(a).total_cmp(&key(b))
            })
            .and_then(|r| r.arm.dilation);
        let setup = Setup {
            dilations: plan.dilations.clone(),
            seeds: plan.seeds,
            controls: plan.controls,
            control_seeds: plan.control_seeds,
            recipe: plan.recipe.clone(),
            test_images: plan.recipe.test_limit.map_or(10_000, |n| n.min(10_000)),
            saliency_images: plan.saliency_images,
            class_model: plan.class_model,
            localize: plan.localize,
            out: plan.out.clone(),
            command: study_command(plan),
            engine_revision: crate::engine_revision().to_string(),
            git_commit: crate::git_commit().map(str::to_string),
            machine: machine_description(),
            train_seconds: runs.iter().map(|r| r.train_seconds).sum(),
            learn_epochs: plan.search.as_ref().map_or(0, |s| s.epochs),
            missing,
            diverged: Vec::new(),
        };
        let test_noise_sd = rows
            .iter()
            .find(|r| r.arm.name == baseline && r.n > 0)
            .map(|r| (r.test_mean * (1.0 - r.test_mean) / setup.test_images.max(1) as f64).sqrt());
        let d4_lr_choice = rows
            .iter()
            .filter(|r| {
                let n = &r.arm.recipe.net;
                plan.controls
                    && n.dilations == [4; 3]
                    && n.kernels == [3; 3]
                    && r.arm.recipe.epochs == plan.recipe.epochs
            })
            .filter_map(|r| r.val.map(|v| (r.arm.recipe.lr, v.0, r.arm.name.clone())))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        StudyAnalysis {
            setup,
            baseline,
            runs,
            rows,
            trend,
            d4_lr_choice,
            test_noise_sd,
            learned: learned.map(|l| l.with_best_fixed(best_fixed)),
        }
    }

    /// The row of arm `name`.
    pub fn row(&self, name: &str) -> Option<&ArmRow> {
        self.rows.iter().find(|r| r.arm.name == name)
    }
}
