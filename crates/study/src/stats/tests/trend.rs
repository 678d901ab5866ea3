use super::*;
use crate::stats::{jonckheere_terpstra, linear_trend};

const TX: [f64; 12] = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0];
const TY: [f64; 12] = [98.95, 99.01, 98.90, 98.85, 98.97, 98.80, 98.70, 98.62, 98.81, 98.20, 98.35, 98.11];

#[test]
fn linear_trend_matches_scipy_linregress() {
    // data/fixtures/stats_reference.py: stats.linregress(TX, TY); CI = slope ± t.ppf(0.975, 10)·stderr.
    let t = linear_trend(&TX, &TY, 0.95).unwrap();
    assert_rel(t.slope, -0.23633333333333439, 1e-11);
    assert_rel(t.intercept, 99.279999999999987, 1e-13);
    assert_rel(t.se, 0.036868233842518909, 1e-9);
    assert_eq!(t.df, 10.0);
    assert_rel(t.p, 7.7307405434846202e-05, 1e-8);
    assert_rel(t.ci.lo, -0.31848087756196597, 1e-9);
    assert_rel(t.ci.hi, -0.15418578910470282, 1e-9);
    assert_rel(t.t, t.slope / t.se, 1e-15);
}

#[test]
fn linear_trend_by_hand_and_edge_cases() {
    // y = 2x + 1 exactly: slope 2, se 0, p 0.
    let t = linear_trend(&[1.0, 2.0, 3.0, 4.0], &[3.0, 5.0, 7.0, 9.0], 0.95).unwrap();
    assert_rel(t.slope, 2.0, 1e-15);
    assert_rel(t.intercept, 1.0, 1e-15);
    assert_eq!((t.se, t.p, t.t), (0.0, 0.0, f64::INFINITY));
    // x = 1, 2, 3; y = 1, 3, 2: slope 0.5, RSS 1.5, se = √(1.5 / 1 / 2) = √0.75.
    let t = linear_trend(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0], 0.95).unwrap();
    assert_rel(t.slope, 0.5, 1e-15);
    assert_rel(t.se, 0.75f64.sqrt(), 1e-15);
    assert!(linear_trend(&[1.0, 2.0], &[1.0, 2.0], 0.95).is_none()); // n < 3
    assert!(linear_trend(&[1.0, 2.0, 3.0], &[1.0, 2.0], 0.95).is_none()); // lengths differ
    assert!(linear_trend(&[2.0; 4], &[1.0, 2.0, 3.0, 4.0], 0.95).is_none()); // x constant
}

#[test]
fn jonckheere_terpstra_with_ties_matches_reference() {
    // data/fixtures/stats_reference.py (hand; J = Σ scipy mannwhitneyu U over ordered pairs of groups).
    let groups: [&[f64]; 4] =
        [&[99.0, 98.9, 99.1, 98.9], &[98.9, 98.8, 99.0], &[98.5, 98.7, 98.7, 98.6], &[98.2, 98.5, 98.3]];
    let jt = jonckheere_terpstra(&groups).unwrap();
    assert_eq!(jt.statistic, 4.0);
    assert_eq!(jt.mean, 36.5);
    assert_rel(jt.variance, 75.884615384615387, 1e-14);
    assert_rel(jt.z, -3.7308388656791975, 1e-14);
    assert_rel(jt.p_one_sided_decreasing, 9.5421630204900668e-05, 1e-9);
    assert_rel(jt.p_two_sided, 0.00019084326040980134, 1e-9);
    assert_rel(jt.p_one_sided_increasing, 1.0 - 9.5421630204900668e-05, 1e-12);
}

#[test]
fn jonckheere_terpstra_without_ties_matches_reference() {
    let groups: [&[f64]; 3] = [&[3.1, 2.9, 3.4], &[2.5, 2.8, 3.0, 2.2], &[2.0, 2.6, 1.9]];
    let jt = jonckheere_terpstra(&groups).unwrap();
    assert_eq!((jt.statistic, jt.mean), (3.0, 16.5));
    // No ties: [N²(2N+3) − Σ n_i²(2n_i+3)] / 72 = (100·23 − 2·9·9 − 16·11) / 72 = 27.25.
    assert_rel(jt.variance, 27.25, 1e-15);
    assert_rel(jt.z, -2.5861309700971087, 1e-14);
    assert_rel(jt.p_one_sided_decreasing, 0.0048530021105461689, 1e-9);
    assert_rel(jt.p_two_sided, 0.0097060042210923379, 1e-9);
}

#[test]
fn jonckheere_terpstra_tie_variance_is_the_exact_permutation_variance() {
    // data/fixtures/stats_reference.py enumerates all 8! orderings of the pooled values of these groups:
    // the variance of J over them is 12.803571428571429, equal to the tie-corrected formula.
    let groups: [&[f64]; 3] = [&[1.0, 2.0, 2.0], &[2.0, 3.0], &[3.0, 3.0, 4.0]];
    let jt = jonckheere_terpstra(&groups).unwrap();
    assert_eq!((jt.statistic, jt.mean), (19.0, 10.5));
    assert_rel(jt.variance, 12.803571428571429, 1e-14);
    assert_rel(jt.z, 2.3754908470241842, 1e-14);
    assert_rel(jt.p_one_sided_decreasing, 0.99123718647194969, 1e-12);
    assert_rel(jt.p_two_sided, 0.017525627056100512, 1e-9);
}

#[test]
fn jonckheere_terpstra_edge_cases() {
    assert!(jonckheere_terpstra(&[&[1.0, 2.0]]).is_none());
    assert!(jonckheere_terpstra(&[&[1.0, 2.0], &[]]).is_none());
    assert!(jonckheere_terpstra(&[&[1.0, 1.0], &[1.0]]).is_none()); // all tied: variance 0
    // Empty groups are skipped; two single values: J = 1, mean ½, variance 1/4 (no ties).
    let jt = jonckheere_terpstra(&[&[1.0], &[], &[2.0]]).unwrap();
    assert_eq!((jt.statistic, jt.mean), (1.0, 0.5));
    assert_rel(jt.variance, 0.25, 1e-15);
    // Reversing the order mirrors the statistic around its mean.
    let up: [&[f64]; 3] = [&[1.0, 2.0], &[2.0, 3.0], &[3.5, 3.0]];
    let down: [&[f64]; 3] = [up[2], up[1], up[0]];
    let (u, d) = (jonckheere_terpstra(&up).unwrap(), jonckheere_terpstra(&down).unwrap());
    assert_rel(u.z, -d.z, 1e-15);
    assert_rel(u.p_one_sided_increasing, d.p_one_sided_decreasing, 1e-15);
}
