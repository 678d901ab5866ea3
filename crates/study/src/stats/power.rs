//! Power of the two-sided Welch test and the minimal detectable difference (MDD): how large a
//! difference in mean accuracy the study could reliably have seen with the seeds it ran. An
//! "inconclusive" comparison is only informative next to its MDD.
//!
//! Approximation: the Welch statistic is treated as noncentral t with the Welch–Satterthwaite
//! degrees of freedom computed from the *planned* (or observed) standard deviations, held
//! fixed. With equal n and equal sd this is exactly the power of the pooled two-sample t-test
//! (statsmodels' `TTestIndPower`); with unequal sds it ignores the sampling variability of
//! the estimated df, which `data/fixtures/stats_reference.py` checks against a Monte Carlo simulation of
//! SciPy's Welch test (0.8820 vs 0.8799 for the unequal-sd case pinned in the tests).

use super::dist::{check_unit, noncentral_t_cdf, t_quantile};
use super::tests_of_difference::welch_se_df;

/// Standard error, df and critical value of the design; `None` when it is degenerate.
fn design(sd_a: f64, n_a: usize, sd_b: f64, n_b: usize, alpha: f64) -> Option<(f64, f64, f64)> {
    check_unit(alpha, "α");
    if n_a < 2 || n_b < 2 || !(sd_a >= 0.0 && sd_b >= 0.0) {
        return None;
    }
    let (se, df) = welch_se_df(sd_a, n_a, sd_b, n_b);
    if se == 0.0 {
        return None;
    }
    Some((se, df, t_quantile(df, 1.0 - alpha / 2.0)))
}

fn power_at(delta: f64, se: f64, df: f64, crit: f64) -> f64 {
    let nc = delta / se;
    (1.0 - noncentral_t_cdf(crit, df, nc) + noncentral_t_cdf(-crit, df, nc)).clamp(0.0, 1.0)
}

/// Power of the two-sided Welch test at level `alpha` to detect a true difference `delta`
/// between groups with standard deviations `sd_a`, `sd_b` and sizes `n_a`, `n_b`:
///
/// ```text
/// se = √(sd_a²/n_a + sd_b²/n_b),  ν = Welch–Satterthwaite df,  δ = Δ / se,
/// c = t_{1−α/2, ν},  power = P(T'_{ν,δ} > c) + P(T'_{ν,δ} < −c)
/// ```
///
/// with T' noncentral t (see the module doc for the approximation). Equals α at Δ = 0 and is
/// symmetric in Δ. NaN if n_a < 2, n_b < 2, an sd is negative or NaN, or both sds are zero.
///
/// # Panics
/// If `alpha` is not in (0, 1).
pub fn welch_power(delta: f64, sd_a: f64, n_a: usize, sd_b: f64, n_b: usize, alpha: f64) -> f64 {
    match design(sd_a, n_a, sd_b, n_b, alpha) {
        Some((se, df, crit)) => power_at(delta, se, df, crit),
        None => f64::NAN,
    }
}

/// Minimal detectable difference: the smallest |Δ| that the two-sided Welch test at level
/// `alpha` detects with probability `power`, i.e. the root of
///
/// ```text
/// welch_power(Δ, sd_a, n_a, sd_b, n_b, alpha) = power,  Δ > 0
/// ```
///
/// found by bracketing (doubling from Δ = se) and bisection to a relative precision of 1e-12;
/// power is increasing in |Δ|, so the root is unique. Returns 0 when `power ≤ alpha` (Δ = 0
/// already has power α) and NaN in the degenerate designs listed at [`welch_power`].
///
/// # Panics
/// If `alpha` or `power` is not in (0, 1).
pub fn minimal_detectable_difference(
    sd_a: f64,
    n_a: usize,
    sd_b: f64,
    n_b: usize,
    alpha: f64,
    power: f64,
) -> f64 {
    check_unit(power, "power");
    let Some((se, df, crit)) = design(sd_a, n_a, sd_b, n_b, alpha) else {
        return f64::NAN;
    };
    if power <= alpha {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0, se);
    while power_at(hi, se, df, crit) < power && hi < f64::MAX {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if power_at(mid, se, df, crit) < power {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}
