//! Question 1's numbers: the ground truth of the grid and, per search method, how consistent
//! its seeds are and whether what they learn lands in the ε-optimal set. Nothing here draws or
//! writes; the verdict rules are fixed in this file, before any search was analysed.

use super::consistency::{
    ModalAgreement, Proportion, Z95, fleiss_kappa_of_choices, max_count_sf, modal_agreement,
    normalised_entropy, random_search_hit_rate, wilson,
};
use super::grid::GroundTruth;
use super::records::{Learned, SeedRecord};
use super::retrained::Retrained;
use super::start::{StartSensitivity, start_sensitivity};
use crate::stats::{Summary, summarize};

/// Simulated draws of the random-search baseline.
pub const RANDOM_SEARCH_DRAWS: usize = 20_000;
/// Seed of the random-search simulation (fixed, so the report is reproducible).
pub const RANDOM_SEARCH_SEED: u64 = 0x51;
/// Budgets (configurations tried) of the random-search table, besides the compute-matched one.
pub const RANDOM_SEARCH_BUDGETS: [usize; 5] = [1, 2, 3, 5, 8];
/// The share a verdict compares with: "consistent" means a majority of seeds, with 95%
/// confidence.
pub const MAJORITY: f64 = 0.5;

/// A three-way reading of a proportion of seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// The Wilson 95% interval lies above [`MAJORITY`].
    Consistent,
    /// The interval lies below it, or (agreement only) at most half the seeds agree and the
    /// mode-aware p says chance alone gives that much agreement.
    Inconsistent,
    /// Neither: more seeds are needed.
    Inconclusive,
}

impl Reading {
    /// The word in the report.
    pub fn word(self) -> &'static str {
        match self {
            Reading::Consistent => "consistent",
            Reading::Inconsistent => "inconsistent",
            Reading::Inconclusive => "inconclusive",
        }
    }
}

/// The reading of a layer's modal agreement among `categories` choices: consistent when the
/// Wilson lower bound exceeds 1/2; inconsistent when the upper bound is below 1/2, or when the
/// share is at most 1/2 and the mode-aware p is at least 0.05 while the seeds were enough for
/// full agreement to beat chance (p of n/n below 0.05: 4 or more seeds with 4 candidates);
/// otherwise inconclusive (e.g. 3/3 seeds: Wilson [0.44, 1]; 1/2 seeds).
pub fn agreement_reading(m: &ModalAgreement, categories: usize) -> Reading {
    let n = m.share.n;
    let could_detect = max_count_sf(n, n, categories).is_some_and(|p| p < 0.05);
    if m.share.lo > MAJORITY {
        Reading::Consistent
    } else if m.share.hi < MAJORITY || (could_detect && m.share.share() <= MAJORITY && m.mode_p >= 0.05) {
        Reading::Inconsistent
    } else {
        Reading::Inconclusive
    }
}

/// The reading of "lands in the set in k of n seeds": consistent above 1/2, inconsistent below.
pub fn landing_reading(p: &Proportion) -> Reading {
    if p.lo > MAJORITY {
        Reading::Consistent
    } else if p.hi < MAJORITY {
        Reading::Inconsistent
    } else {
        Reading::Inconclusive
    }
}

/// One search seed, judged against the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRow {
    /// The seed.
    pub seed: u64,
    /// The learned configuration (argmax, or rounded continuous d).
    pub config: [usize; 3],
    /// The continuous dilations, for the continuous method.
    pub dilations: Option<[f64; 3]>,
    /// Normalised entropy of the final weights per layer, for a mixture.
    pub entropy: Option<[f64; 3]>,
    /// Whether the grid has runs of this configuration (otherwise it cannot be judged).
    pub in_grid: bool,
    /// In the ε-rule set.
    pub in_epsilon: bool,
    /// In the seed-aware set.
    pub in_seed_aware: bool,
}

/// Landing in one ε-optimal set.
#[derive(Clone, Debug, PartialEq)]
pub struct Landing {
    /// Seeds landing, of all seeds (outside-grid seeds count as not landing), Wilson 95%.
    pub share: Proportion,
    /// The reading.
    pub reading: Reading,
    /// Random search at the compute-matched budget: hit rate and its Monte-Carlo se.
    pub random: Option<(f64, f64)>,
}

/// One search method over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodAnalysis {
    /// Its name.
    pub method: String,
    /// The choices per layer (candidates, or the integers of the continuous range).
    pub categories: Vec<usize>,
    /// One row per seed.
    pub seeds: Vec<SeedRow>,
    /// Modal agreement per layer, with its reading.
    pub layers: Vec<(ModalAgreement, Reading)>,
    /// Fleiss' κ over seeds × layers × categories.
    pub kappa: Option<f64>,
    /// Mean normalised entropy of the final weights per layer (mixture).
    pub entropy: Option<[f64; 3]>,
    /// Learned d per layer: mean, sd, t-based 95% CI (continuous, ≥ 2 seeds).
    pub continuous: Option<[Summary; 3]>,
    /// Seeds whose configuration the grid has no run of.
    pub outside_grid: usize,
    /// Landing in the ε-rule set and the seed-aware set.
    pub landing: [Landing; 2],
    /// Random-search budget matched to one search seed's wall time, when both are recorded.
    pub matched_budget: Option<usize>,
    /// The learned configurations' retrained accuracy against the grid optimum's.
    pub retrained: Retrained,
}

/// Random search at one budget: hit rates (estimate, Monte-Carlo se) of both sets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomSearchRow {
    /// Configurations tried.
    pub k: usize,
    /// Landing in the ε-rule set.
    pub epsilon: (f64, f64),
    /// Landing in the seed-aware set.
    pub seed_aware: (f64, f64),
}

/// A hit-rate estimator over the grid: (budget, set membership) → (rate, se).
type HitRate<'a> = dyn Fn(usize, &[bool]) -> Option<(f64, f64)> + 'a;

/// Everything `Q1.md` shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Q1Analysis {
    /// The grid's ground truth.
    pub truth: GroundTruth,
    /// One analysis per search method found.
    pub methods: Vec<MethodAnalysis>,
    /// Random search over the grid: (budget k, hit rate ε set, hit rate seed-aware set), each
    /// (rate, Monte-Carlo se).
    pub random_search: Vec<RandomSearchRow>,
    /// Mean wall time of one finished grid run, seconds.
    pub run_seconds: Option<f64>,
    /// Continuous searches that differ only in their start, compared.
    pub starts: Vec<StartSensitivity>,
}

impl Q1Analysis {
    /// Analyses the grid and the records (`run_seconds`: training wall time of each finished
    /// grid run, for the compute-matched budget).
    pub fn new(truth: GroundTruth, records: &[SeedRecord], run_seconds: &[f64]) -> Self {
        let run_seconds =
            (!run_seconds.is_empty()).then(|| run_seconds.iter().sum::<f64>() / run_seconds.len() as f64);
        let val: Vec<Vec<f64>> = truth.rows.iter().map(|r| r.values()).collect();
        let sets: [Vec<bool>; 2] = [
            truth.rows.iter().map(|r| r.within_epsilon).collect(),
            truth.rows.iter().map(|r| r.seed_aware).collect(),
        ];
        let hit = |k: usize, set: &[bool]| {
            random_search_hit_rate(&val, set, k, RANDOM_SEARCH_DRAWS, RANDOM_SEARCH_SEED)
        };
        let mut methods_found: Vec<String> = records.iter().map(|r| r.method.clone()).collect();
        methods_found.dedup();
        let methods: Vec<MethodAnalysis> = methods_found
            .iter()
            .map(|m| {
                let mine: Vec<&SeedRecord> = records.iter().filter(|r| &r.method == m).collect();
                method(m, &mine, &truth, run_seconds, &hit, &sets)
            })
            .collect();
        let mut budgets: Vec<usize> = RANDOM_SEARCH_BUDGETS.to_vec();
        budgets.extend(methods.iter().filter_map(|m| m.matched_budget));
        budgets.retain(|&k| k <= truth.finished());
        budgets.sort_unstable();
        budgets.dedup();
        let random_search = budgets
            .into_iter()
            .filter_map(|k| {
                Some(RandomSearchRow { k, epsilon: hit(k, &sets[0])?, seed_aware: hit(k, &sets[1])? })
            })
            .collect();
        Q1Analysis { truth, methods, random_search, run_seconds, starts: start_sensitivity(records) }
    }
}

fn method(
    name: &str,
    records: &[&SeedRecord],
    truth: &GroundTruth,
    run_seconds: Option<f64>,
    hit: &HitRate<'_>,
    sets: &[Vec<bool>; 2],
) -> MethodAnalysis {
    let categories = records.first().map(|r| r.learned.categories()).unwrap_or_default();
    let seeds: Vec<SeedRow> = records
        .iter()
        .map(|r| {
            let config = r.learned.configuration();
            let row = truth.row(config).filter(|row| !row.runs.is_empty());
            let (dilations, entropy) = match &r.learned {
                Learned::Continuous { dilations, .. } => (Some(*dilations), None),
                Learned::Mixture { weights, .. } => {
                    let e = [0, 1, 2].map(|l| normalised_entropy(&weights[l]).unwrap_or(f64::NAN));
                    (None, Some(e))
                }
            };
            SeedRow {
                seed: r.seed,
                config,
                dilations,
                entropy,
                in_grid: row.is_some(),
                in_epsilon: row.is_some_and(|r| r.within_epsilon),
                in_seed_aware: row.is_some_and(|r| r.seed_aware),
            }
        })
        .collect();
    let layers = (0..3)
        .filter_map(|l| {
            let choices: Vec<usize> = seeds.iter().map(|s| s.config[l]).collect();
            let m = modal_agreement(&choices, categories.len())?;
            let reading = agreement_reading(&m, categories.len());
            Some((m, reading))
        })
        .collect();
    let configs: Vec<[usize; 3]> = seeds.iter().map(|s| s.config).collect();
    let kappa = fleiss_kappa_of_choices(&configs, &categories);
    let entropy = layer_means(seeds.iter().filter_map(|s| s.entropy));
    let continuous = {
        let ds: Vec<[f64; 3]> = seeds.iter().filter_map(|s| s.dilations).collect();
        let per_layer: Vec<Summary> =
            (0..3).filter_map(|l| summarize(&ds.iter().map(|d| d[l]).collect::<Vec<_>>(), 0.95)).collect();
        <[Summary; 3]>::try_from(per_layer).ok()
    };
    let search_seconds: Vec<f64> = records.iter().filter_map(|r| r.seconds).collect();
    let matched_budget = match (run_seconds, search_seconds.is_empty()) {
        (Some(run), false) if run > 0.0 => {
            let mean = search_seconds.iter().sum::<f64>() / search_seconds.len() as f64;
            Some(((mean / run).round() as usize).max(1))
        }
        _ => None,
    };
    let n = seeds.len();
    let landing = [0, 1].map(|set| {
        let k = seeds.iter().filter(|s| if set == 0 { s.in_epsilon } else { s.in_seed_aware }).count();
        let share = wilson(k, n, Z95).unwrap_or(Proportion { k, n, lo: 0.0, hi: 1.0 });
        Landing {
            reading: landing_reading(&share),
            share,
            random: matched_budget.and_then(|b| hit(b.min(truth.finished()), &sets[set])),
        }
    });
    let learned: Vec<(u64, [usize; 3])> = seeds.iter().map(|s| (s.seed, s.config)).collect();
    let retrained = Retrained::new(truth, &learned, matched_budget.map(|b| b.min(truth.finished())));
    MethodAnalysis {
        method: name.to_string(),
        categories,
        outside_grid: seeds.iter().filter(|s| !s.in_grid).count(),
        seeds,
        layers,
        kappa,
        entropy,
        continuous,
        landing,
        matched_budget,
        retrained,
    }
}

/// Per-layer means of finite values (NaN-free rows only); `None` without any row.
fn layer_means(rows: impl Iterator<Item = [f64; 3]>) -> Option<[f64; 3]> {
    let rows: Vec<[f64; 3]> = rows.filter(|r| r.iter().all(|v| v.is_finite())).collect();
    (!rows.is_empty()).then(|| [0, 1, 2].map(|l| rows.iter().map(|r| r[l]).sum::<f64>() / rows.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(choices: &[usize]) -> Reading {
        agreement_reading(&modal_agreement(choices, 4).unwrap(), 4)
    }

    /// The readings at the seed counts a search gets: Wilson [0.60, 0.98] for 9/10 is above 1/2;
    /// 3/3 ([0.44, 1]) and 1/2 cannot tell; 5/10 is chance-level (mode-aware p 0.31) with enough
    /// seeds to have seen agreement; 7/10 beats chance (p 0.014) but its interval [0.40, 0.89]
    /// still straddles 1/2.
    #[test]
    fn agreement_readings_at_typical_seed_counts() {
        assert_eq!(reading(&[2, 2, 2, 2, 2, 2, 2, 2, 2, 1]), Reading::Consistent);
        assert_eq!(reading(&[2, 2, 2]), Reading::Inconclusive);
        assert_eq!(reading(&[1, 2]), Reading::Inconclusive);
        assert_eq!(reading(&[2, 2, 2, 2, 2, 1, 1, 3, 3, 4]), Reading::Inconsistent);
        assert_eq!(reading(&[2, 2, 2, 2, 2, 2, 2, 1, 3, 4]), Reading::Inconclusive);
    }

    #[test]
    fn landing_readings_compare_the_interval_with_one_half() {
        let at = |k, n| landing_reading(&wilson(k, n, Z95).unwrap());
        assert_eq!(at(10, 10), Reading::Consistent);
        assert_eq!(at(0, 10), Reading::Inconsistent);
        assert_eq!(at(6, 10), Reading::Inconclusive);
    }
}
