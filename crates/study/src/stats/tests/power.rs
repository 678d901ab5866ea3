use super::*;
use crate::stats::{minimal_detectable_difference, welch_power};

#[test]
fn noncentral_t_cdf_matches_scipy_nct() {
    use crate::stats::dist::noncentral_t_cdf;
    // data/fixtures/stats_reference.py: stats.nct.cdf(t, df, nc).
    assert_rel(noncentral_t_cdf(1.3, 7.0, 2.1), 0.21160678112728812, 1e-10);
    assert_rel(noncentral_t_cdf(-0.7, 4.5, -1.2), 0.70013736663605397, 1e-10);
    assert_rel(noncentral_t_cdf(12.0, 30.0, 10.0), 0.84947932220509648, 1e-10);
    // Central case and the limits.
    assert_rel(noncentral_t_cdf(0.0, 5.0, 0.0), 0.5, 1e-15);
    assert_eq!(noncentral_t_cdf(f64::INFINITY, 5.0, 1.0), 1.0);
    assert_eq!(noncentral_t_cdf(f64::NEG_INFINITY, 5.0, 1.0), 0.0);
}

#[test]
fn welch_power_matches_statsmodels_for_equal_groups() {
    // data/fixtures/stats_reference.py: TTestIndPower().power(effect_size=0.1/0.08, nobs1=10, alpha=0.05).
    assert_rel(welch_power(0.1, 0.08, 10, 0.08, 10, 0.05), 0.75287836681004605, 1e-9);
    assert_rel(welch_power(-0.1, 0.08, 10, 0.08, 10, 0.05), 0.75287836681004605, 1e-9);
    // No difference: power is α.
    assert_rel(welch_power(0.0, 0.08, 10, 0.08, 10, 0.05), 0.05, 1e-10);
}

#[test]
fn welch_power_for_unequal_groups() {
    // data/fixtures/stats_reference.py: stats.nct with the Welch–Satterthwaite df (the same approximation).
    let p = welch_power(0.15, 0.06, 10, 0.14, 12, 0.05);
    assert_rel(p, 0.88199397915608169, 1e-9);
    // Monte Carlo of scipy's Welch test, 200 000 simulations: 0.87988 (MC se ≈ 0.0007).
    assert_abs(p, 0.87988, 0.005);
    assert_rel(welch_power(0.0, 0.06, 10, 0.14, 12, 0.05), 0.05, 1e-10);
    // More seeds, more power.
    assert!(welch_power(0.15, 0.06, 20, 0.14, 24, 0.05) > p);
}

#[test]
fn minimal_detectable_difference_matches_statsmodels() {
    // data/fixtures/stats_reference.py: TTestIndPower().solve_power(nobs1, alpha, power) · sd, whose own
    // root finder stops at a relative ~2e-8, and the same roots by scipy brentq on nct to
    // full precision ("….brentq").
    let mdd = minimal_detectable_difference(0.08, 10, 0.08, 10, 0.05, 0.8);
    assert_rel(mdd, 0.10599578946646576, 5e-8);
    assert_rel(mdd, 0.1059957914063385, 1e-11);
    let mdd = minimal_detectable_difference(0.1, 20, 0.1, 20, 0.01, 0.9);
    assert_rel(mdd, 0.12762434896139757, 5e-8);
    assert_rel(mdd, 0.12762434901540592, 1e-11);
    // Unequal sds and n: brentq on scipy's nct with the Welch–Satterthwaite df.
    let mdd = minimal_detectable_difference(0.06, 10, 0.14, 12, 0.05, 0.8);
    assert_rel(mdd, 0.13355787158702029, 1e-11);
}

#[test]
fn minimal_detectable_difference_inverts_the_power() {
    let mdd = minimal_detectable_difference(0.06, 10, 0.14, 12, 0.05, 0.8);
    assert_rel(welch_power(mdd, 0.06, 10, 0.14, 12, 0.05), 0.8, 1e-10);
    // Roughly (z_{.975} + z_{.8}) · se = 2.80 · se, a little more for the t's heavier tails.
    let se = (0.06f64 * 0.06 / 10.0 + 0.14 * 0.14 / 12.0).sqrt();
    assert!(mdd > 2.80 * se && mdd < 3.2 * se, "{mdd} vs se {se}");
    assert_eq!(minimal_detectable_difference(0.06, 10, 0.14, 12, 0.05, 0.05), 0.0);
}

#[test]
fn degenerate_designs_give_nan() {
    assert!(welch_power(0.1, 0.08, 1, 0.08, 10, 0.05).is_nan());
    assert!(welch_power(0.1, 0.0, 10, 0.0, 10, 0.05).is_nan());
    assert!(welch_power(0.1, -0.1, 10, 0.1, 10, 0.05).is_nan());
    assert!(minimal_detectable_difference(0.08, 10, 0.08, 1, 0.05, 0.8).is_nan());
    // One constant group is fine: the other carries all the variance.
    assert!(welch_power(0.1, 0.0, 10, 0.08, 10, 0.05) > 0.05);
}

#[test]
#[should_panic(expected = "power")]
fn power_must_be_a_probability() {
    let _ = minimal_detectable_difference(0.08, 10, 0.08, 10, 0.05, 80.0);
}
