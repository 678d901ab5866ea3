//! Question 1's "retrained from scratch" comparison: is the validation accuracy of what a
//! search method learns equivalent to the grid optimum's, or worse?
//!
//! The grid's runs of a configuration *are* from-scratch trainings with the study's recipe, so a
//! learned configuration's retrained accuracy is read off the grid rather than trained again.
//!
//! **Unit.** One value per search seed: the mean validation accuracy over the grid seeds of the
//! configuration that seed learned. The search seed is the method's independent replicate (the
//! question is about the method, not about one configuration), and averaging its configuration's
//! grid seeds removes training noise that has nothing to do with the search. Pooling the grid
//! runs themselves would count a configuration chosen by five seeds five times per grid seed and
//! treat the same runs as independent. Seeds learning the same configuration share the same
//! value, so the pool's spread is only the spread *between* learned configurations.
//!
//! **Rule**, fixed here before any search was analysed: Δ = mean(pool) − mean(optimum's runs),
//! Welch 95% CI and two-sided p (one comparison per method, uncorrected), TOST at
//! [`RETRAIN_MARGIN`] = the grid's ε (0.1 pp: the same "as good as the best" tolerance that
//! defines the ε-optimal set), each one-sided test at [`RETRAIN_ALPHA`]. The verdict is the
//! study's ([`crate::stats::verdict::verdict`]): worse when significant with the CI below 0,
//! else equivalent when the TOST passes, else inconclusive. The optimum's mean is the winner
//! of many noisy means and biased upward, so "worse" is the easier call: a conservative test of
//! equivalence.

use super::consistency::random_search_pick;
use super::grid::{EPSILON, GroundTruth};
use crate::stats::tests_of_difference::{Tost, WelchTest, tost, welch};
use crate::stats::verdict::{Verdict, verdict as call};
use atrous_tensor::rng::Rng;

/// Equivalence margin of the retrained comparison, as a fraction (the grid's ε, 0.1 pp).
pub const RETRAIN_MARGIN: f64 = EPSILON;
/// α of the Welch test and of each one-sided test of the TOST.
pub const RETRAIN_ALPHA: f64 = 0.05;
/// Simulated replications of the random-search baseline's retrained comparison.
pub const RANDOM_REPLICATIONS: usize = 2_000;
/// Seed of that simulation (fixed, so the report is reproducible).
pub const RANDOM_RETRAIN_SEED: u64 = 0x52;

/// The comparison of a pool of retrained accuracies with the grid optimum's runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Mean of the pool.
    pub mean: f64,
    /// Welch test of pool − optimum (95% CI); `None` with fewer than 2 values on either side.
    pub welch: Option<WelchTest>,
    /// TOST at [`RETRAIN_MARGIN`]; `None` when Welch is.
    pub tost: Option<Tost>,
    /// The verdict; `None` when the test could not run.
    pub verdict: Option<Verdict>,
}

impl Comparison {
    /// Compares `pool` with `optimum` (both validation accuracies, fractions).
    pub fn new(pool: &[f64], optimum: &[f64]) -> Self {
        let mean = if pool.is_empty() { f64::NAN } else { pool.iter().sum::<f64>() / pool.len() as f64 };
        let welch = welch(pool, optimum, 1.0 - RETRAIN_ALPHA);
        let tost = tost(pool, optimum, RETRAIN_MARGIN, RETRAIN_ALPHA);
        let verdict = match (&welch, &tost) {
            (Some(w), Some(t)) => Some(call(w.ci, w.p, t, RETRAIN_ALPHA)),
            _ => None,
        };
        Comparison { mean, welch, tost, verdict }
    }

    /// The verdict word of the report.
    pub fn word(&self) -> String {
        verdict_word(self.verdict)
    }
}

/// "equivalent within ±0.10 pp", "worse", "better" or "inconclusive" (also when untestable).
pub fn verdict_word(v: Option<Verdict>) -> String {
    // The margin is a fraction here; the study's label prints it in percentage points.
    v.map_or_else(|| "inconclusive".into(), |v| v.scaled(100.0).label())
}

/// The compute-matched random search, judged by the same rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomRetrained {
    /// Configurations tried per search.
    pub budget: usize,
    /// Search seeds per simulated replication (the method's in-grid seeds).
    pub seeds: usize,
    /// Expected Δ of one random search's retrained accuracy vs the optimum's mean, and its
    /// Monte-Carlo se.
    pub delta: (f64, f64),
    /// Shares of replications called equivalent and worse.
    pub equivalent: f64,
    /// See `equivalent`.
    pub worse: f64,
}

/// One method's retrained comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Retrained {
    /// `(seed, retrained accuracy)` of every search seed whose configuration has grid runs.
    pub pool: Vec<(u64, f64)>,
    /// `(seed, configuration)` of the seeds whose configuration the grid has no run of: not in
    /// the pool, named in the report.
    pub missing: Vec<(u64, [usize; 3])>,
    /// The grid optimum's runs (validation accuracies).
    pub optimum: Vec<f64>,
    /// The pool against the optimum.
    pub comparison: Comparison,
    /// The compute-matched random search, when the budget is known.
    pub random: Option<RandomRetrained>,
}

impl Retrained {
    /// The comparison for the seeds `(seed, configuration)` of one method; `budget` is the
    /// compute-matched random-search budget, if known.
    pub fn new(truth: &GroundTruth, seeds: &[(u64, [usize; 3])], budget: Option<usize>) -> Self {
        let (mut pool, mut missing) = (Vec::new(), Vec::new());
        for &(seed, config) in seeds {
            match truth.row(config).filter(|r| !r.runs.is_empty()) {
                Some(row) => pool.push((seed, row.mean)),
                None => missing.push((seed, config)),
            }
        }
        let optimum = truth.best.map(|b| truth.rows[b].values()).unwrap_or_default();
        let values: Vec<f64> = pool.iter().map(|p| p.1).collect();
        let comparison = Comparison::new(&values, &optimum);
        let random = budget.and_then(|k| random_retrained(truth, k, pool.len()));
        Retrained { pool, missing, optimum, comparison, random }
    }
}

/// Simulates the random search over the grid at budget `k`: the expected Δ of the
/// retrained accuracy of its pick, and how often `seeds` independent random searches, compared
/// like a method's seeds, are called equivalent or worse. `None` without a grid optimum, with
/// `k = 0` or `seeds = 0`.
pub fn random_retrained(truth: &GroundTruth, k: usize, seeds: usize) -> Option<RandomRetrained> {
    let best = truth.best?;
    if k == 0 || seeds == 0 {
        return None;
    }
    let val: Vec<Vec<f64>> = truth.rows.iter().map(|r| r.values()).collect();
    let usable: Vec<usize> = (0..val.len()).filter(|&c| !val[c].is_empty()).collect();
    let optimum = &val[best];
    let best_mean = truth.rows[best].mean;
    let mut rng = Rng::seed_from(RANDOM_RETRAIN_SEED);
    let (mut sum, mut sum_sq, mut draws) = (0.0, 0.0, 0usize);
    let (mut equivalent, mut worse) = (0usize, 0usize);
    for _ in 0..RANDOM_REPLICATIONS {
        let pool: Vec<f64> = (0..seeds)
            .filter_map(|_| random_search_pick(&val, &usable, k, &mut rng))
            .map(|c| truth.rows[c].mean)
            .collect();
        for v in &pool {
            let d = v - best_mean;
            sum += d;
            sum_sq += d * d;
            draws += 1;
        }
        match Comparison::new(&pool, optimum).verdict {
            Some(Verdict::Equivalent { .. }) => equivalent += 1,
            Some(Verdict::Worse) => worse += 1,
            _ => {}
        }
    }
    let n = draws as f64;
    let mean = sum / n;
    let se = ((sum_sq / n - mean * mean).max(0.0) / n).sqrt();
    let reps = RANDOM_REPLICATIONS as f64;
    Some(RandomRetrained {
        budget: k,
        seeds,
        delta: (mean, se),
        equivalent: equivalent as f64 / reps,
        worse: worse as f64 / reps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::q1::grid::Q1Grid;

    fn truth() -> GroundTruth {
        let g = Q1Grid { configs: vec![[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]], seeds: 3 };
        GroundTruth::new(
            &g,
            &[
                vec![(0, 0.9900, 0.0), (1, 0.9910, 0.0), (2, 0.9905, 0.0)], // best, mean 0.9905
                vec![(0, 0.9898, 0.0), (1, 0.9902, 0.0), (2, 0.9900, 0.0)], // mean 0.9900
                vec![(0, 0.9850, 0.0), (1, 0.9860, 0.0), (2, 0.9855, 0.0)], // mean 0.9855
                vec![],
            ],
        )
    }

    /// Pool (0.9905, 0.9900, 0.9900) vs optimum (0.9900, 0.9910, 0.9905), by hand:
    /// Δ = 0.990166… − 0.9905 = −0.000333…; sds 0.000288675 (pool) and 0.0005 (optimum);
    /// se = √(0.0000000833/3 + 0.00000025/3) = 0.000333…, df = 3.2; t = −1 (p ≈ 0.39, not worse);
    /// TOST: p_lower = P(T > (−0.000333 + 0.001)/0.000333 = 2) ≈ 0.066 ≥ 0.05 → inconclusive.
    #[test]
    fn pool_of_seed_means_against_the_optimum_by_hand() {
        let r =
            Retrained::new(&truth(), &[(0, [1, 1, 1]), (1, [2, 2, 2]), (2, [2, 2, 2]), (3, [4, 4, 4])], None);
        assert_eq!(r.pool.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(r.missing, vec![(3, [4, 4, 4])]);
        let w = r.comparison.welch.unwrap();
        assert!((w.diff + 0.001 / 3.0).abs() < 1e-12, "{}", w.diff);
        assert!((w.se - 0.001 / 3.0).abs() < 1e-9, "{}", w.se);
        assert!((w.t + 1.0).abs() < 1e-6, "{}", w.t);
        assert!((w.df - 3.2).abs() < 1e-6, "{}", w.df);
        let t = r.comparison.tost.unwrap();
        assert!((t.p_lower - t.p).abs() < 1e-15 && t.p > 0.05 && t.p < 0.08, "{}", t.p);
        assert_eq!(r.comparison.word(), "inconclusive");
    }

    /// A pool far below the optimum and tight is worse; a pool of the optimum itself with a
    /// tight optimum is equivalent within ±0.10 pp.
    #[test]
    fn verdict_words_follow_the_rule() {
        let worse = Comparison::new(&[0.9855, 0.9855, 0.9856], &[0.9900, 0.9910, 0.9905]);
        assert_eq!(worse.word(), "worse");
        let same = Comparison::new(&[0.99050, 0.99052, 0.99048], &[0.99049, 0.99051, 0.99050]);
        assert_eq!(same.word(), "equivalent within ±0.10 pp");
        assert_eq!(Comparison::new(&[0.99], &[0.99, 0.98]).verdict, None);
        assert_eq!(Comparison::new(&[0.99], &[0.99, 0.98]).word(), "inconclusive");
    }

    /// With k = every finished configuration, random search trains all three once and keeps the
    /// best single run: (1,1,1)'s runs are 0.9900/0.9910/0.9905 and (2,2,2)'s 0.9898/0.9902/0.9900,
    /// (3,3,3) never wins, so the pick is (1,1,1) unless (1,1,1) drew 0.9900 and (2,2,2) drew
    /// 0.9902 (1 in 9) or tied at 0.9900 and was drawn first (1 in 18): P = 1/6, so
    /// E[Δ] = −(1/6)·0.0005 = −0.0000833.
    #[test]
    fn random_search_at_the_full_budget_by_hand() {
        let r = random_retrained(&truth(), 3, 3).unwrap();
        let (mean, se) = r.delta;
        assert!((mean + 0.0005 / 6.0).abs() < 4.0 * se + 1e-12, "{mean} ± {se}");
        assert!(se > 0.0 && se < 1e-5, "{se}");
        assert!(random_retrained(&truth(), 0, 3).is_none());
    }
}
