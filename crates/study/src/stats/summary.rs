//! Per-configuration summaries across seeds: mean, sample sd and the t-based CI of the mean.

use super::Interval;
use super::dist::{check_unit, t_critical};

/// Mean and sample standard deviation of `values`.
///
/// ```text
/// mean = Σ x_i / n,   sd = √( Σ (x_i − mean)² / (n − 1) )
/// ```
///
/// Returns `(NaN, NaN)` for an empty slice and exactly `(x, 0)` when all values equal x
/// (including a single value): summing e.g. three copies of 0.97 would otherwise give a mean
/// off by one ulp and an sd of ~1e-16, and the zero-variance conventions of the tests
/// downstream would not apply.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    if values.iter().all(|&v| v == values[0]) {
        return (values[0], 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
    (mean, (ss / (n - 1.0)).sqrt())
}

/// Summary of one configuration across seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of values (seeds).
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator).
    pub sd: f64,
    /// t-based confidence interval of the mean at `level`.
    pub ci: Interval,
    /// Confidence level of `ci`, e.g. 0.95.
    pub level: f64,
}

/// Mean, sd and the t-based CI of the mean at confidence `level` (see [`mean_ci`]).
///
/// `None` with fewer than two values.
///
/// # Panics
/// If `level` is not in (0, 1).
pub fn summarize(values: &[f64], level: f64) -> Option<Summary> {
    let ci = mean_ci(values, level)?;
    let (mean, sd) = mean_sd(values);
    Some(Summary { n: values.len(), mean, sd, ci, level })
}

/// t-based confidence interval of the mean:
///
/// ```text
/// mean ± t_{(1+level)/2, n−1} · sd / √n
/// ```
///
/// `None` with fewer than two values. With zero spread the interval is the single point
/// `[mean, mean]`.
///
/// # Panics
/// If `level` is not in (0, 1).
pub fn mean_ci(values: &[f64], level: f64) -> Option<Interval> {
    check_unit(level, "confidence level");
    if values.len() < 2 {
        return None;
    }
    let (mean, sd) = mean_sd(values);
    let n = values.len() as f64;
    Some(Interval::around(mean, t_critical(n - 1.0, level) * sd / n.sqrt()))
}
