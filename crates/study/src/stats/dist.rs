//! Thin wrappers over `statrs` distributions, plus the noncentral t CDF that `statrs` lacks.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use statrs::function::beta::beta_reg;
use statrs::function::gamma::ln_gamma;

/// Panics unless `0 < level < 1`; `what` names the parameter in the message.
pub(crate) fn check_unit(level: f64, what: &str) {
    assert!(level > 0.0 && level < 1.0, "{what} must lie in (0, 1), got {level}");
}

fn student(df: f64) -> StudentsT {
    StudentsT::new(0.0, 1.0, df).unwrap_or_else(|_| panic!("t distribution needs df > 0, got {df}"))
}

/// Quantile of the central t distribution with `df` degrees of freedom.
pub(crate) fn t_quantile(df: f64, p: f64) -> f64 {
    student(df).inverse_cdf(p)
}

/// The half-width multiplier of a two-sided `level` interval: t_{(1+level)/2, df}.
pub(crate) fn t_critical(df: f64, level: f64) -> f64 {
    t_quantile(df, 0.5 + level / 2.0)
}

/// P(T > t) for the central t distribution; exact 0 / 1 at ±∞.
pub(crate) fn t_sf(t: f64, df: f64) -> f64 {
    if t == f64::INFINITY {
        0.0
    } else if t == f64::NEG_INFINITY {
        1.0
    } else {
        student(df).sf(t)
    }
}

/// P(T < t) for the central t distribution; exact 0 / 1 at ±∞.
pub(crate) fn t_cdf(t: f64, df: f64) -> f64 {
    t_sf(-t, df)
}

/// `num / se`, with the limits 0/0 = 0 and x/0 = ±∞ used when the samples have no spread.
pub(crate) fn t_ratio(num: f64, se: f64) -> f64 {
    if se > 0.0 {
        num / se
    } else if num == 0.0 {
        0.0
    } else {
        f64::INFINITY.copysign(num)
    }
}

/// Two-sided p-value 2·P(T > |t|).
pub(crate) fn t_two_sided(t: f64, df: f64) -> f64 {
    (2.0 * t_sf(t.abs(), df)).min(1.0)
}

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("standard normal")
}

/// Φ(x).
pub(crate) fn normal_cdf(x: f64) -> f64 {
    std_normal().cdf(x)
}

/// Φ⁻¹(p).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    std_normal().inverse_cdf(p)
}

/// CDF of the noncentral t distribution with `df` degrees of freedom and noncentrality `nc`.
///
/// For t ≥ 0 it is the Poisson-mixture series
///
/// ```text
/// F(t; ν, δ) = Φ(−δ) + ½ Σ_{j≥0} [ p_j I_y(j + ½, ν/2) + q_j I_y(j + 1, ν/2) ],
/// y = t² / (t² + ν),  p_j = e^{−δ²/2} (δ²/2)^j / j!,
/// q_j = δ e^{−δ²/2} (δ²/2)^j / (√2 Γ(j + 3/2)),
/// ```
///
/// with I the regularized incomplete beta function, and F(t; ν, δ) = 1 − F(−t; ν, −δ) for
/// t < 0. The weights are computed in log space (no underflow for large δ) and the series is
/// summed past the Poisson mode until the terms fall below 1e-17, where the tail is bounded by
/// twice the last term.
pub(crate) fn noncentral_t_cdf(t: f64, df: f64, nc: f64) -> f64 {
    if t < 0.0 {
        return 1.0 - noncentral_t_cdf(-t, df, -nc);
    }
    if nc == 0.0 {
        return t_cdf(t, df);
    }
    if t == f64::INFINITY {
        return 1.0;
    }
    let y = t * t / (t * t + df);
    let half_lambda = nc * nc / 2.0;
    let ln_half_lambda = half_lambda.ln();
    let ln_abs_nc = nc.abs().ln();
    let mut sum = 0.0;
    for j in 0..100_000u32 {
        let jf = f64::from(j);
        let ln_pois = -half_lambda + jf * ln_half_lambda;
        let p = (ln_pois - ln_gamma(jf + 1.0)).exp();
        let q = nc.signum() * (ln_abs_nc + ln_pois - ln_gamma(jf + 1.5) - 0.5 * std::f64::consts::LN_2).exp();
        if y > 0.0 {
            sum += p * beta_reg(jf + 0.5, df / 2.0, y) + q * beta_reg(jf + 1.0, df / 2.0, y);
        }
        if jf > 2.0 * half_lambda && p + q.abs() < 1e-17 {
            break;
        }
    }
    (normal_cdf(-nc) + 0.5 * sum).clamp(0.0, 1.0)
}
