//! Statistics of the atrous dilation study.
//!
//! The study trains the same network at dilation factors d = 1..4 with several seeds each and
//! asks, for each d > 1, whether its MNIST test accuracy is worse than, better than, or
//! equivalent to d = 1. This module turns the per-seed accuracies into what a reviewer needs:
//!
//! * [`summary`]: mean, sd and t-based confidence interval of each configuration;
//! * [`tests_of_difference`]: Welch's t-test and its CI, the TOST equivalence test, the paired
//!   t-test (runs that share a seed share their initial weights) and McNemar's test on
//!   per-image verdicts;
//! * [`effect`]: Hedges' g and a percentile bootstrap CI of the difference of means, driven
//!   by a caller-supplied seeded RNG so that reports are reproducible;
//! * [`multiplicity`]: Holm's step-down correction for testing several dilations against one
//!   baseline;
//! * [`trend`]: OLS slope of accuracy on d and the Jonckheere–Terpstra test of an ordered
//!   trend;
//! * [`power`]: the power of the two-sided Welch test and the minimal detectable difference
//!   for the number of seeds run;
//! * [`verdict`](mod@verdict): the rule that turns the numbers into "worse / better / equivalent /
//!   inconclusive", and the sentence printed in the report.
//!
//! All functions are pure functions of `&[f64]` samples. Functions return `None` when the data
//! cannot support the statistic (too few values, mismatched lengths where pairs are needed,
//! no spread at all where one is needed) and panic only on invalid *parameters* (a confidence
//! level or α outside (0, 1), a negative equivalence margin). Differences are always "first
//! argument minus second argument", i.e. candidate − baseline.
//!
//! Reference values for the tests come from `data/fixtures/stats_reference.py` (SciPy / statsmodels, plus
//! the hand computations it documents).

mod dist;
pub mod effect;
pub mod multiplicity;
pub mod power;
pub mod summary;
pub mod tests_of_difference;
pub mod trend;
pub mod verdict;

#[cfg(test)]
mod tests;

pub use effect::{Effect, bootstrap_diff_ci, hedges_g};
pub use multiplicity::{holm, holm_optional};
pub use power::{minimal_detectable_difference, welch_power};
pub use summary::{Summary, mean_ci, mean_sd, summarize};
pub use tests_of_difference::{Tost, WelchTest, mcnemar, paired_t_test, tost, welch};
pub use trend::{Jt, Trend, jonckheere_terpstra, linear_trend};
pub use verdict::{Verdict, verdict};

/// A closed interval `[lo, hi]`, used for confidence intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl Interval {
    /// The interval `centre ± half_width`.
    pub fn around(centre: f64, half_width: f64) -> Self {
        Self { lo: centre - half_width, hi: centre + half_width }
    }

    /// Whether `lo <= x <= hi`.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// `hi − lo`.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// The interval with both bounds multiplied by `factor` (e.g. 100 to turn fractions into
    /// percentage points); the bounds are swapped if `factor` is negative.
    pub fn scaled(&self, factor: f64) -> Self {
        let (a, b) = (self.lo * factor, self.hi * factor);
        Self { lo: a.min(b), hi: a.max(b) }
    }
}
