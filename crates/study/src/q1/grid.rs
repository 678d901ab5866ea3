//! The ground truth a dilation learner is judged against: per-layer dilation configurations
//! trained from scratch with the study's reference recipe, their validation accuracy over seeds,
//! and the ε-optimal set.
//!
//! The reference grid ([`Q1Grid::reference`]) holds 18 configurations:
//! - the 4 uniform ones (d, d, d), d = 1..4, which are the main study's `dD-sS` runs;
//! - the 12 that change one layer of a uniform one to its next dilation (d + 1, and 3 for
//!   d = 4): a learner that moves one layer away from a uniform network lands on one of them;
//! - the hybrids (1, 2, 3), the study's `d123` control, and its reverse (3, 2, 1).
//!
//! Run folders follow the study's names: `dD-sS` for a uniform configuration, `dABC-sS`
//! otherwise (`d112-s0`), so the grid reuses every run the study already has.

use crate::stats::{Interval, Summary, summarize, welch};

/// ε of the ε-optimal set: 0.1 percentage point of mean validation accuracy.
pub const EPSILON: f64 = 0.001;
/// α of the seed-aware rule's one-sided Welch test.
pub const SET_ALPHA: f64 = 0.05;
/// Seeds per configuration of the reference grid.
pub const GRID_SEEDS: u64 = 3;

/// Which configurations the grid trains, and with how many seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Q1Grid {
    /// Per-layer dilations (conv1, conv2, conv3).
    pub configs: Vec<[usize; 3]>,
    /// Seeds `0..seeds` per configuration.
    pub seeds: u64,
}

impl Q1Grid {
    /// The reference grid (see the module documentation) with [`GRID_SEEDS`] seeds.
    pub fn reference() -> Self {
        let mut configs: Vec<[usize; 3]> = (1..=4).map(|d| [d; 3]).collect();
        for d in 1..=4usize {
            let next = if d < 4 { d + 1 } else { 3 };
            for layer in 0..3 {
                let mut c = [d; 3];
                c[layer] = next;
                configs.push(c);
            }
        }
        configs.extend([[1, 2, 3], [3, 2, 1]]);
        Q1Grid { configs, seeds: GRID_SEEDS }
    }

    /// All 4³ = 64 configurations over dilations 1..4.
    pub fn full() -> Self {
        let mut configs = Vec::new();
        for a in 1..=4 {
            for b in 1..=4 {
                for c in 1..=4 {
                    configs.push([a, b, c]);
                }
            }
        }
        Q1Grid { configs, seeds: GRID_SEEDS }
    }

    /// The configurations' position in [`Q1Grid::configs`], if present.
    pub fn index(&self, config: [usize; 3]) -> Option<usize> {
        self.configs.iter().position(|&c| c == config)
    }
}

/// The run-folder prefix of a configuration: `dD` when uniform (the main study's name),
/// `dABC` otherwise; dilations above 9 are separated by `-` so names stay unambiguous.
pub fn config_name(c: [usize; 3]) -> String {
    if c[0] == c[1] && c[1] == c[2] {
        format!("d{}", c[0])
    } else if c.iter().all(|&d| d < 10) {
        format!("d{}{}{}", c[0], c[1], c[2])
    } else {
        format!("d{}-{}-{}", c[0], c[1], c[2])
    }
}

/// `(a,b,c)`.
pub fn config_label(c: [usize; 3]) -> String {
    format!("({},{},{})", c[0], c[1], c[2])
}

/// One configuration's ground truth: the validation accuracies of its finished seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigRow {
    /// The dilations.
    pub config: [usize; 3],
    /// `(seed, validation accuracy)` of every finished run, by seed.
    pub runs: Vec<(u64, f64)>,
    /// `(seed, test accuracy)` of the same runs (reported, never used to choose).
    pub test: Vec<(u64, f64)>,
    /// Mean over seeds (NaN without runs).
    pub mean: f64,
    /// Mean, sd and t-based 95% CI (two or more seeds).
    pub summary: Option<Summary>,
    /// Mean within [`EPSILON`] of the best mean.
    pub within_epsilon: bool,
    /// One-sided Welch p of "worse than the best" (None for the best itself or < 2 seeds).
    pub worse_p: Option<f64>,
    /// In the seed-aware set: not significantly worse than the best ([`SET_ALPHA`]).
    pub seed_aware: bool,
}

impl ConfigRow {
    /// Validation accuracies, by seed.
    pub fn values(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.1).collect()
    }

    /// The 95% CI of the mean, if two or more seeds.
    pub fn ci(&self) -> Option<Interval> {
        self.summary.map(|s| s.ci)
    }
}

/// The grid's numbers and both ε-optimal sets.
#[derive(Clone, Debug, PartialEq)]
pub struct GroundTruth {
    /// One row per configuration of the grid, in grid order (rows without runs included).
    pub rows: Vec<ConfigRow>,
    /// Index of the configuration with the highest mean validation accuracy.
    pub best: Option<usize>,
}

impl GroundTruth {
    /// The ground truth from every configuration's finished runs: `runs[c]` holds
    /// `(seed, validation accuracy, test accuracy)` of configuration `grid.configs[c]`.
    ///
    /// Two rules decide who is ε-optimal, both fixed here before any grid run was seen:
    /// - **ε rule**: mean validation accuracy within [`EPSILON`] (0.1 pp) of the best mean;
    /// - **seed-aware rule**: not significantly worse than the best by a one-sided Welch test
    ///   at [`SET_ALPHA`] (H0: μ_c ≥ μ_best), uncorrected. Welch because configurations differ in
    ///   spread (larger dilations vary more across seeds); one-sided because only "worse" can
    ///   exclude a configuration; uncorrected because a correction over ~18 comparisons would
    ///   keep almost everything at 3 seeds, so the uncorrected set is the stricter target for
    ///   a learner. A configuration with fewer than two seeds cannot be tested and stays out of
    ///   the seed-aware set unless it is the best. The best's own mean is the winner of many
    ///   noisy means (biased upward), which the seed-aware rule tolerates and the ε rule does
    ///   not: that is why both are reported.
    pub fn new(grid: &Q1Grid, runs: &[Vec<(u64, f64, f64)>]) -> Self {
        let mut rows: Vec<ConfigRow> = grid
            .configs
            .iter()
            .enumerate()
            .map(|(i, &config)| {
                let mine = runs.get(i).cloned().unwrap_or_default();
                let vals: Vec<f64> = mine.iter().map(|r| r.1).collect();
                let mean =
                    if vals.is_empty() { f64::NAN } else { vals.iter().sum::<f64>() / vals.len() as f64 };
                ConfigRow {
                    config,
                    runs: mine.iter().map(|r| (r.0, r.1)).collect(),
                    test: mine.iter().map(|r| (r.0, r.2)).collect(),
                    mean,
                    summary: summarize(&vals, 0.95),
                    within_epsilon: false,
                    worse_p: None,
                    seed_aware: false,
                }
            })
            .collect();
        let best = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.mean.is_finite())
            .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i);
        if let Some(b) = best {
            let (best_mean, best_vals) = (rows[b].mean, rows[b].values());
            for (i, row) in rows.iter_mut().enumerate() {
                if !row.mean.is_finite() {
                    continue;
                }
                row.within_epsilon = row.mean >= best_mean - EPSILON;
                if i == b {
                    row.seed_aware = true;
                    continue;
                }
                row.worse_p = welch(&row.values(), &best_vals, 0.95).map(|w| one_sided_lower(w.t, w.df));
                row.seed_aware = row.worse_p.is_some_and(|p| p >= SET_ALPHA);
            }
        }
        GroundTruth { rows, best }
    }

    /// The row of a configuration.
    pub fn row(&self, config: [usize; 3]) -> Option<&ConfigRow> {
        self.rows.iter().find(|r| r.config == config)
    }

    /// Configurations in the ε-rule set.
    pub fn epsilon_set(&self) -> Vec<[usize; 3]> {
        self.rows.iter().filter(|r| r.within_epsilon).map(|r| r.config).collect()
    }

    /// Configurations in the seed-aware set.
    pub fn seed_aware_set(&self) -> Vec<[usize; 3]> {
        self.rows.iter().filter(|r| r.seed_aware).map(|r| r.config).collect()
    }

    /// Configurations with at least one finished run.
    pub fn finished(&self) -> usize {
        self.rows.iter().filter(|r| !r.runs.is_empty()).count()
    }
}

/// P(T_df < t): the one-sided p of "the first mean is lower" from Welch's t (candidate − best).
/// With zero spread in both samples Welch's t is ±∞ or 0, which this maps to 0, 1 or ½.
fn one_sided_lower(t: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if t == f64::NEG_INFINITY {
        return 0.0;
    }
    if t == f64::INFINITY {
        return 1.0;
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.cdf(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_grid_has_the_eighteen_named_configurations() {
        let g = Q1Grid::reference();
        assert_eq!(g.configs.len(), 18);
        let names: Vec<String> = g.configs.iter().map(|&c| config_name(c)).collect();
        for want in ["d1", "d4", "d211", "d121", "d112", "d443", "d434", "d344", "d123", "d321"] {
            assert!(names.contains(&want.to_string()), "{want} missing from {names:?}");
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 18, "names repeat: {names:?}");
        assert_eq!(Q1Grid::full().configs.len(), 64);
        assert_eq!(config_name([12, 1, 1]), "d12-1-1");
    }

    #[test]
    fn epsilon_and_seed_aware_sets_follow_their_rules() {
        let g = Q1Grid { configs: vec![[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]], seeds: 3 };
        let runs = vec![
            vec![(0, 0.9900, 0.0), (1, 0.9910, 0.0), (2, 0.9905, 0.0)], // mean 0.9905, best
            vec![(0, 0.9898, 0.0), (1, 0.9902, 0.0), (2, 0.9900, 0.0)], // −0.05 pp: in both
            vec![(0, 0.9850, 0.0), (1, 0.9860, 0.0), (2, 0.9855, 0.0)], // −0.5 pp, tight: out of both
            vec![(0, 0.9800, 0.0), (1, 0.9990, 0.0), (2, 0.9870, 0.0)], // −0.18 pp, wide: seed-aware only
        ];
        let t = GroundTruth::new(&g, &runs);
        assert_eq!(t.best, Some(0));
        assert_eq!(t.epsilon_set(), vec![[1, 1, 1], [2, 2, 2]]);
        assert_eq!(t.seed_aware_set(), vec![[1, 1, 1], [2, 2, 2], [4, 4, 4]]);
        // d=3 vs d=1: Δ = −0.005, both sds 0.0005 → se = 0.0005·√(2/3), t = −12.25, df = 4.
        let p3 = t.rows[2].worse_p.unwrap();
        assert!(p3 < 1e-3, "{p3}");
        assert!((t.rows[1].mean - 0.99).abs() < 1e-12);
    }

    #[test]
    fn configurations_without_runs_are_in_neither_set() {
        let g = Q1Grid { configs: vec![[1, 1, 1], [1, 1, 2]], seeds: 3 };
        let t = GroundTruth::new(&g, &[vec![(0, 0.99, 0.98)], vec![]]);
        assert_eq!(t.best, Some(0));
        assert_eq!(t.epsilon_set(), vec![[1, 1, 1]]);
        assert_eq!(t.seed_aware_set(), vec![[1, 1, 1]]);
        assert_eq!(t.finished(), 1);
    }
}
