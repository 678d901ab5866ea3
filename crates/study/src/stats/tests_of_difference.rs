//! Tests of a difference between two configurations: Welch's t-test, the TOST equivalence test,
//! the paired t-test and McNemar's test.
//!
//! Runs with the same seed share their initial weights and shuffling order, so the paired
//! t-test is available when both configurations ran the same seeds; Welch's test is the
//! default because it needs neither pairing nor equal variances.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::Interval;
use super::dist::{check_unit, t_critical, t_quantile, t_ratio, t_sf, t_two_sided};
use super::summary::mean_sd;

/// Standard error and Welch–Satterthwaite degrees of freedom of a difference of two means:
///
/// ```text
/// v_a = sd_a² / n_a,  v_b = sd_b² / n_b,  se = √(v_a + v_b),
/// df = (v_a + v_b)² / ( v_a² / (n_a − 1) + v_b² / (n_b − 1) )
/// ```
///
/// When both variances are zero the formula is 0/0; `df` is then taken as `n_a + n_b − 2`
/// (the pooled-variance value) so that downstream quantiles stay finite.
pub(crate) fn welch_se_df(sd_a: f64, n_a: usize, sd_b: f64, n_b: usize) -> (f64, f64) {
    let (na, nb) = (n_a as f64, n_b as f64);
    let (va, vb) = (sd_a * sd_a / na, sd_b * sd_b / nb);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return (0.0, na + nb - 2.0);
    }
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    (se, df)
}

/// Difference of means, its standard error and Welch df; `None` if either group has n < 2.
fn welch_parts(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let ((ma, sa), (mb, sb)) = (mean_sd(a), mean_sd(b));
    let (se, df) = welch_se_df(sa, a.len(), sb, b.len());
    Some((ma - mb, se, df))
}

/// Result of Welch's two-sample t-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchTest {
    /// mean(a) − mean(b).
    pub diff: f64,
    /// Standard error of `diff`.
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// t = diff / se.
    pub t: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Confidence interval of `diff` at `level`.
    pub ci: Interval,
    /// Confidence level of `ci`, e.g. 0.95.
    pub level: f64,
}

/// Welch's unequal-variance t-test of mean(a) − mean(b), with a CI at confidence `level`:
///
/// ```text
/// Δ = mean_a − mean_b,  se = √(s_a²/n_a + s_b²/n_b),  t = Δ / se,
/// df = Welch–Satterthwaite,  p = 2 P(T_df > |t|),  CI = Δ ± t_{(1+level)/2, df} · se
/// ```
///
/// `None` if either group has fewer than two values. Zero variances: if only one group is
/// constant the formulas apply as they are (df becomes n − 1 of the other group); if both are
/// constant, se = 0, df = n_a + n_b − 2, and then Δ = 0 gives t = 0, p = 1, while Δ ≠ 0 gives
/// t = ±∞, p = 0; the CI is the point `[Δ, Δ]`. (SciPy returns NaN in that case.)
///
/// # Panics
/// If `level` is not in (0, 1).
pub fn welch(a: &[f64], b: &[f64], level: f64) -> Option<WelchTest> {
    check_unit(level, "confidence level");
    let (diff, se, df) = welch_parts(a, b)?;
    let t = t_ratio(diff, se);
    let ci = Interval::around(diff, t_critical(df, level) * se);
    Some(WelchTest { diff, se, df, t, p: t_two_sided(t, df), ci, level })
}

/// Result of the two one-sided tests (TOST) procedure for equivalence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tost {
    /// mean(a) − mean(b).
    pub diff: f64,
    /// Welch standard error of `diff`.
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Equivalence margin m: equivalence means |Δ| < m.
    pub margin: f64,
    /// Significance level α of each one-sided test.
    pub alpha: f64,
    /// p-value of H0: Δ ≤ −m against Δ > −m.
    pub p_lower: f64,
    /// p-value of H0: Δ ≥ m against Δ < m.
    pub p_upper: f64,
    /// max(p_lower, p_upper): the TOST p-value.
    pub p: f64,
    /// Whether both one-sided tests reject at α, i.e. `p < alpha`.
    pub equivalent: bool,
    /// The (1 − 2α) CI of Δ (the 90% CI for α = 0.05); `equivalent` holds exactly when it
    /// lies inside (−m, m).
    pub ci: Interval,
}

/// Equivalence test of mean(a) − mean(b) within ±`margin`: two one-sided Welch t-tests.
///
/// ```text
/// t_lower = (Δ + m) / se,  p_lower = P(T_df > t_lower)   (H0: Δ ≤ −m)
/// t_upper = (Δ − m) / se,  p_upper = P(T_df < t_upper)   (H0: Δ ≥ +m)
/// p = max(p_lower, p_upper),  equivalent ⇔ p < α
/// CI = Δ ± t_{1−α, df} · se   (level 1 − 2α)
/// ```
///
/// se and df are Welch's (see [`welch`], including its zero-variance convention; with se = 0
/// a boundary value Δ = ±m gives a one-sided p of ½, so it is never declared equivalent).
/// `None` if either group has fewer than two values.
///
/// # Panics
/// If `margin` is negative or NaN, or `alpha` is not in (0, 0.5).
pub fn tost(a: &[f64], b: &[f64], margin: f64, alpha: f64) -> Option<Tost> {
    assert!(margin >= 0.0, "equivalence margin must be ≥ 0, got {margin}");
    assert!(alpha > 0.0 && alpha < 0.5, "TOST α must lie in (0, 0.5), got {alpha}");
    let (diff, se, df) = welch_parts(a, b)?;
    let p_lower = t_sf(t_ratio(diff + margin, se), df);
    let p_upper = t_sf(-t_ratio(diff - margin, se), df);
    let p = p_lower.max(p_upper);
    let ci = Interval::around(diff, t_quantile(df, 1.0 - alpha) * se);
    Some(Tost { diff, se, df, margin, alpha, p_lower, p_upper, p, equivalent: p < alpha, ci })
}

/// Two-sided paired t-test of `a − b`: (mean difference, t, p).
///
/// ```text
/// d_i = a_i − b_i,  t = mean(d) / (sd(d) / √n),  p = 2 P(T_{n−1} > |t|)
/// ```
///
/// `None` with fewer than two pairs or unequal lengths. When all differences are equal (sd 0):
/// p = 1 and t = 0 if they are all zero, otherwise p = 0 and t = ±∞.
pub fn paired_t_test(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (mean, sd) = mean_sd(&diffs);
    let n = diffs.len() as f64;
    let t = t_ratio(mean, sd / n.sqrt());
    Some((mean, t, t_two_sided(t, n - 1.0)))
}

/// McNemar's test with continuity correction on paired per-item verdicts: `b` = items only
/// the first model gets right, `c` = items only the second gets right. Returns (χ², p):
///
/// ```text
/// χ² = max(|b − c| − 1, 0)² / (b + c),  p = P(χ²_1 > χ²)
/// ```
///
/// (0, 1) when b + c = 0.
pub fn mcnemar(b: usize, c: usize) -> (f64, f64) {
    if b + c == 0 {
        return (0.0, 1.0);
    }
    let (b, c) = (b as f64, c as f64);
    let chi2 = ((b - c).abs() - 1.0).max(0.0).powi(2) / (b + c);
    let p = ChiSquared::new(1.0).map(|d| d.sf(chi2)).unwrap_or(f64::NAN);
    (chi2, p)
}
