//! Effect sizes: Hedges' g with its approximate CI, and the percentile bootstrap CI of a
//! difference of means.

use super::Interval;
use super::dist::{check_unit, normal_quantile};
use super::summary::mean_sd;

/// A standardized effect size with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    /// Hedges' g: Cohen's d times the small-sample correction J.
    pub g: f64,
    /// Cohen's d with the pooled standard deviation (uncorrected).
    pub d: f64,
    /// Approximate standard error of g.
    pub se: f64,
    /// Normal-approximation CI of g, `g ± z · se`.
    pub ci: Interval,
}

/// Hedges' g of mean(a) − mean(b), with a normal-approximation CI at confidence `level`:
///
/// ```text
/// s_p = √( ((n_a − 1) s_a² + (n_b − 1) s_b²) / (n_a + n_b − 2) ),  d = (mean_a − mean_b) / s_p
/// J = 1 − 3 / (4 (n_a + n_b) − 9),  g = J · d
/// se(g) = J · √( (n_a + n_b) / (n_a n_b) + d² / (2 (n_a + n_b)) )
/// CI = g ± z_{(1+level)/2} · se(g)
/// ```
///
/// The standard error is the large-sample one of Hedges & Olkin (1985) as written in
/// Borenstein et al., *Introduction to Meta-Analysis* (2009), eqs. 4.20 and 4.28.
///
/// `None` if either group has fewer than two values or the pooled sd is zero (no spread at
/// all: the standardized difference is undefined).
///
/// # Panics
/// If `level` is not in (0, 1).
pub fn hedges_g(a: &[f64], b: &[f64], level: f64) -> Option<Effect> {
    check_unit(level, "confidence level");
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let ((ma, sa), (mb, sb)) = (mean_sd(a), mean_sd(b));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let pooled = (((na - 1.0) * sa * sa + (nb - 1.0) * sb * sb) / (na + nb - 2.0)).sqrt();
    if pooled == 0.0 {
        return None;
    }
    let d = (ma - mb) / pooled;
    let j = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0);
    let g = j * d;
    let se = j * ((na + nb) / (na * nb) + d * d / (2.0 * (na + nb))).sqrt();
    let ci = Interval::around(g, normal_quantile(0.5 + level / 2.0) * se);
    Some(Effect { g, d, se, ci })
}

/// Percentile bootstrap CI of mean(a) − mean(b) at confidence `level`.
///
/// Each of the `resamples` replicates draws `a.len()` values from `a` and then `b.len()`
/// values from `b`, independently and with replacement, through `draw(n)`, which must return
/// a uniform index in `0..n` (the caller owns the seeded RNG, so the interval is reproducible
/// for a given seed and call order). The replicate differences Δ*_1..Δ*_B are sorted and the
/// interval is their empirical quantiles at (1 − level)/2 and (1 + level)/2, interpolated
/// linearly between order statistics (NumPy's default, "type 7"):
///
/// ```text
/// Q(p) = Δ*_(⌊h⌋) + (h − ⌊h⌋) (Δ*_(⌊h⌋+1) − Δ*_(⌊h⌋)),  h = (B − 1) p  (0-based order statistics)
/// ```
///
/// `None` if either group is empty or `resamples` is 0.
///
/// # Panics
/// If `level` is not in (0, 1), or if `draw(n)` returns an index ≥ n.
pub fn bootstrap_diff_ci(
    a: &[f64],
    b: &[f64],
    resamples: usize,
    level: f64,
    draw: &mut impl FnMut(usize) -> usize,
) -> Option<Interval> {
    check_unit(level, "confidence level");
    if a.is_empty() || b.is_empty() || resamples == 0 {
        return None;
    }
    let mut resampled_mean = |xs: &[f64]| {
        let sum = (0..xs.len()).fold(0.0, |acc, _| acc + xs[draw(xs.len())]);
        sum / xs.len() as f64
    };
    let mut diffs: Vec<f64> = (0..resamples)
        .map(|_| {
            let ma = resampled_mean(a);
            ma - resampled_mean(b)
        })
        .collect();
    diffs.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    Some(Interval { lo: quantile_sorted(&diffs, tail), hi: quantile_sorted(&diffs, 1.0 - tail) })
}

/// Linear-interpolation ("type 7") quantile of a non-empty sorted slice.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}
