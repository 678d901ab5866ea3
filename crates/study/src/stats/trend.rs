//! Trend of accuracy across the ordered dilation factors: the OLS slope (a parametric, linear
//! summary) and the Jonckheere–Terpstra test (a rank test of any monotone ordering).

use super::Interval;
use super::dist::{check_unit, normal_cdf, t_critical, t_ratio, t_two_sided};

/// OLS fit of y on x with inference on the slope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Least-squares slope b.
    pub slope: f64,
    /// Least-squares intercept.
    pub intercept: f64,
    /// Standard error of the slope.
    pub se: f64,
    /// Residual degrees of freedom, n − 2.
    pub df: f64,
    /// t = slope / se.
    pub t: f64,
    /// t-based CI of the slope at `level`.
    pub ci: Interval,
    /// Two-sided p-value for slope ≠ 0.
    pub p: f64,
    /// Confidence level of `ci`.
    pub level: f64,
}

/// Ordinary least squares of `y` on `x` (one point per run, e.g. x = dilation, y = accuracy):
///
/// ```text
/// S_xx = Σ (x_i − x̄)²,  S_xy = Σ (x_i − x̄)(y_i − ȳ),  b = S_xy / S_xx,  a = ȳ − b x̄
/// RSS = Σ (y_i − a − b x_i)²,  df = n − 2,  se(b) = √( RSS / df / S_xx )
/// t = b / se(b),  p = 2 P(T_df > |t|),  CI = b ± t_{(1+level)/2, df} · se(b)
/// ```
///
/// `None` if the lengths differ, n < 3, or all x are equal. A perfect fit (RSS = 0) gives
/// se = 0, t = ±∞ and p = 0 for a non-zero slope (t = 0, p = 1 for a zero slope).
///
/// # Panics
/// If `level` is not in (0, 1).
pub fn linear_trend(x: &[f64], y: &[f64], level: f64) -> Option<Trend> {
    check_unit(level, "confidence level");
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|xi| (xi - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(xi, yi)| (xi - mx) * (yi - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x.iter().zip(y).map(|(xi, yi)| (yi - intercept - slope * xi).powi(2)).sum();
    let df = n - 2.0;
    let se = (rss / df / sxx).sqrt();
    let t = t_ratio(slope, se);
    let ci = Interval::around(slope, t_critical(df, level) * se);
    Some(Trend { slope, intercept, se, df, t, ci, p: t_two_sided(t, df), level })
}

/// Result of the Jonckheere–Terpstra test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jt {
    /// J: over all ordered group pairs i < j, the count of pairs (x from group i, y from
    /// group j) with y > x, ties counting ½.
    pub statistic: f64,
    /// E(J) under H0.
    pub mean: f64,
    /// Var(J) under H0, tie-corrected.
    pub variance: f64,
    /// (J − E(J)) / √Var(J), no continuity correction.
    pub z: f64,
    /// Φ(z): p-value against the alternative that values *decrease* along the group order
    /// (e.g. accuracy falls as the dilation grows).
    pub p_one_sided_decreasing: f64,
    /// 1 − Φ(z): p-value against the alternative that values increase along the order.
    pub p_one_sided_increasing: f64,
    /// 2 · min(Φ(z), 1 − Φ(z)).
    pub p_two_sided: f64,
}

/// Jonckheere–Terpstra test for an ordered trend across `groups` (in the order of the
/// hypothesised trend, e.g. d = 1, 2, 3, 4), by the normal approximation.
///
/// With group sizes n_i, N = Σ n_i, and t_k the sizes of the sets of tied values in the
/// pooled sample:
///
/// ```text
/// J = Σ_{i<j} Σ_{x∈g_i} Σ_{y∈g_j} ( [y > x] + ½ [y = x] )
/// E[J] = (N² − Σ n_i²) / 4
/// Var[J] = [ N(N−1)(2N+5) − Σ n_i(n_i−1)(2n_i+5) − Σ t_k(t_k−1)(2t_k+5) ] / 72
///        + [ Σ n_i(n_i−1)(n_i−2) ] [ Σ t_k(t_k−1)(t_k−2) ] / [ 36 N(N−1)(N−2) ]
///        + [ Σ n_i(n_i−1) ] [ Σ t_k(t_k−1) ] / [ 8 N(N−1) ]
/// z = (J − E[J]) / √Var[J]
/// ```
///
/// The tie-corrected variance is Lehmann's (*Nonparametrics*, 1975), as in Hollander & Wolfe;
/// without ties it reduces to [N²(2N+3) − Σ n_i²(2n_i+3)] / 72. It is the exact permutation
/// variance of J given the tie pattern (checked by enumeration in `data/fixtures/stats_reference.py`).
/// Ties are exact `f64` equality; values must not be NaN.
///
/// `None` if fewer than two groups are non-empty or the variance is zero (all values tied).
pub fn jonckheere_terpstra(groups: &[&[f64]]) -> Option<Jt> {
    let groups: Vec<&[f64]> = groups.iter().copied().filter(|g| !g.is_empty()).collect();
    if groups.len() < 2 {
        return None;
    }
    let mut statistic = 0.0;
    for (i, lower) in groups.iter().enumerate() {
        for upper in &groups[i + 1..] {
            for x in lower.iter() {
                for y in upper.iter() {
                    statistic += if y > x {
                        1.0
                    } else if y == x {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
    }
    let sizes: Vec<f64> = groups.iter().map(|g| g.len() as f64).collect();
    let ties = tie_sizes(&groups);
    let big_n: f64 = sizes.iter().sum();
    let sum = |v: &[f64], f: &dyn Fn(f64) -> f64| v.iter().map(|&k| f(k)).sum::<f64>();
    let mean = (big_n * big_n - sum(&sizes, &|k| k * k)) / 4.0;
    let c1 = |k: f64| k * (k - 1.0);
    let c2 = |k: f64| k * (k - 1.0) * (k - 2.0);
    let c3 = |k: f64| k * (k - 1.0) * (2.0 * k + 5.0);
    let mut variance = (c3(big_n) - sum(&sizes, &c3) - sum(&ties, &c3)) / 72.0;
    if big_n > 2.0 {
        variance += sum(&sizes, &c2) * sum(&ties, &c2) / (36.0 * c2(big_n));
    }
    variance += sum(&sizes, &c1) * sum(&ties, &c1) / (8.0 * c1(big_n));
    if variance.is_nan() || variance <= 0.0 {
        return None;
    }
    let z = (statistic - mean) / variance.sqrt();
    let (p_dec, p_inc) = (normal_cdf(z), normal_cdf(-z));
    Some(Jt {
        statistic,
        mean,
        variance,
        z,
        p_one_sided_decreasing: p_dec,
        p_one_sided_increasing: p_inc,
        p_two_sided: (2.0 * p_dec.min(p_inc)).min(1.0),
    })
}

/// Sizes of the runs of equal values in the pooled sample (runs of 1 included; they add 0).
fn tie_sizes(groups: &[&[f64]]) -> Vec<f64> {
    let mut pooled: Vec<f64> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    pooled.sort_by(f64::total_cmp);
    let mut sizes = Vec::new();
    let mut run = 1.0;
    for w in pooled.windows(2) {
        if w[0] == w[1] {
            run += 1.0;
        } else {
            sizes.push(run);
            run = 1.0;
        }
    }
    sizes.push(run);
    sizes
}
