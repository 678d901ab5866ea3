//! Every number of the study report, computed from the measured runs: per-dilation summaries,
//! paired tests against the baseline with Holm's correction, McNemar's test per seed, and the
//! learned-dilation summary. Rendering ([`crate::report`]) only formats these.

use crate::measure::{ClassModelResult, RunResult};
use crate::plan::StudyPlan;
use crate::search::{SearchPlan, SearchRecord};
use crate::stats::{holm, mcnemar, mean_sd, paired_t_test};
use atrous_saliency::class_model::ClassModelConfig;
use atrous_saliency::localize::LocalizeConfig;

/// Significance level of the verdicts.
pub const ALPHA: f64 = 0.05;

/// The study's summary of one dilation.
#[derive(Clone, Debug, PartialEq)]
pub struct DilationRow {
    /// Dilation.
    pub dilation: usize,
    /// Runs (seeds).
    pub n: usize,
    /// Mean test accuracy across seeds.
    pub accuracy_mean: f64,
    /// Its sample standard deviation.
    pub accuracy_sd: f64,
    /// Mean accuracy minus the baseline's.
    pub delta: f64,
    /// Paired t-test against the baseline (`None` for the baseline or with fewer than 2 pairs).
    pub paired_p: Option<f64>,
    /// Holm-adjusted `paired_p`.
    pub holm_p: Option<f64>,
    /// McNemar's p per seed against the baseline's run of the same seed (empty for the baseline).
    pub mcnemar_p: Vec<f64>,
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
    /// Mean training-epoch wall time.
    pub epoch_seconds: f64,
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
    /// Dilations.
    pub dilations: Vec<usize>,
    /// Seeds per dilation.
    pub seeds: u64,
    /// Conv channels.
    pub channels: [usize; 3],
    /// Epochs per run.
    pub epochs: usize,
    /// Learning rate.
    pub lr: f32,
    /// Momentum.
    pub momentum: f32,
    /// Batch size.
    pub batch_size: usize,
    /// Training images used (`None`: all).
    pub train_limit: Option<usize>,
    /// Test images used (`None`: all).
    pub test_limit: Option<usize>,
    /// Test images of the saliency statistics.
    pub saliency_images: usize,
    /// Class-model settings.
    pub class_model: ClassModelConfig,
    /// Localisation settings.
    pub localize: LocalizeConfig,
    /// Study folder.
    pub out: std::path::PathBuf,
}

/// Every number of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyAnalysis {
    /// The setup.
    pub setup: Setup,
    /// The baseline dilation.
    pub baseline: usize,
    /// Per run.
    pub runs: Vec<RunResult>,
    /// Per dilation, in the plan's order.
    pub rows: Vec<DilationRow>,
    /// The learned-dilation summary.
    pub learned: Option<LearnedAnalysis>,
}

fn of(runs: &[RunResult], d: usize) -> Vec<&RunResult> {
    let mut v: Vec<&RunResult> = runs.iter().filter(|r| r.dilation == d).collect();
    v.sort_by_key(|r| r.seed);
    v
}

fn mean_of(runs: &[&RunResult], f: impl Fn(&RunResult) -> f64) -> (f64, f64) {
    mean_sd(&runs.iter().map(|r| f(r)).collect::<Vec<_>>())
}

fn average(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64
}

impl StudyAnalysis {
    /// Computes the analysis of a study's measured runs.
    pub fn from_runs(
        plan: &StudyPlan,
        runs: Vec<RunResult>,
        class_models: Vec<ClassModelResult>,
        learned: Option<LearnedAnalysis>,
    ) -> Self {
        let baseline = plan.dilations[0];
        let base_runs = of(&runs, baseline);
        let base_acc: Vec<f64> = base_runs.iter().map(|r| r.accuracy).collect();
        let (base_mean, _) = mean_sd(&base_acc);
        let others: Vec<usize> = plan.dilations.iter().copied().filter(|&d| d != baseline).collect();
        let raw_p: Vec<Option<f64>> = others
            .iter()
            .map(|&d| {
                let acc: Vec<f64> = of(&runs, d).iter().map(|r| r.accuracy).collect();
                paired_t_test(&acc, &base_acc).map(|t| t.2)
            })
            .collect();
        let adjusted = holm(&raw_p.iter().map(|p| p.unwrap_or(1.0)).collect::<Vec<_>>());
        let rows = plan
            .dilations
            .iter()
            .map(|&d| {
                let rs = of(&runs, d);
                let (accuracy_mean, accuracy_sd) = mean_of(&rs, |r| r.accuracy);
                let mcnemar_p = if d == baseline {
                    Vec::new()
                } else {
                    rs.iter()
                        .zip(&base_runs)
                        .map(|(r, b)| {
                            let only_r =
                                r.correct.iter().zip(&b.correct).filter(|(x, y)| **x && !**y).count();
                            let only_b =
                                r.correct.iter().zip(&b.correct).filter(|(x, y)| !**x && **y).count();
                            mcnemar(only_r, only_b).1
                        })
                        .collect()
                };
                let k = others.iter().position(|&o| o == d);
                let cm = class_models.iter().find(|c| c.dilation == d);
                DilationRow {
                    dilation: d,
                    n: rs.len(),
                    accuracy_mean,
                    accuracy_sd,
                    delta: accuracy_mean - base_mean,
                    paired_p: k.and_then(|k| raw_p[k]),
                    holm_p: k.and_then(|k| raw_p[k].map(|_| adjusted[k])),
                    mcnemar_p,
                    ink_share: mean_of(&rs, |r| r.ink_share).0,
                    spread: mean_of(&rs, |r| r.spread).0,
                    box_iou: mean_of(&rs, |r| r.box_iou).0,
                    mask_iou: mean_of(&rs, |r| r.mask_iou).0,
                    class_model_score: cm.map_or(f64::NAN, |c| average(&c.scores)),
                    class_model_prob: cm.map_or(f64::NAN, |c| average(&c.probabilities)),
                    epoch_seconds: mean_of(&rs, |r| r.mean_epoch_seconds).0,
                }
            })
            .collect::<Vec<_>>();
        let best_fixed =
            rows.iter().max_by(|a, b| a.accuracy_mean.total_cmp(&b.accuracy_mean)).map(|r| r.dilation);
        let setup = Setup {
            dilations: plan.dilations.clone(),
            seeds: plan.seeds,
            channels: plan.recipe.net.channels,
            epochs: plan.recipe.epochs,
            lr: plan.recipe.lr,
            momentum: plan.recipe.momentum,
            batch_size: plan.recipe.batch_size,
            train_limit: plan.recipe.train_limit,
            test_limit: plan.recipe.test_limit,
            saliency_images: plan.saliency_images,
            class_model: plan.class_model,
            localize: plan.localize,
            out: plan.out.clone(),
        };
        StudyAnalysis { setup, baseline, runs, rows, learned: learned.map(|l| l.with_best_fixed(best_fixed)) }
    }
}
