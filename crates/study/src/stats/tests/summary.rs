use super::*;
use crate::stats::{Interval, mean_ci, mean_sd, summarize};

#[test]
fn mean_and_sd_by_hand() {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample variance 32/7.
    let (m, s) = mean_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert_rel(m, 5.0, 1e-15);
    assert_rel(s, (32.0f64 / 7.0).sqrt(), 1e-15);
    assert_eq!(mean_sd(&[3.5]), (3.5, 0.0));
    let (m, s) = mean_sd(&[]);
    assert!(m.is_nan() && s.is_nan());
}

#[test]
fn mean_ci_matches_scipy_one_sample_t() {
    // data/fixtures/stats_reference.py: stats.ttest_1samp(xs, 0).confidence_interval(level).
    let ci = mean_ci(&D1, 0.95).unwrap();
    assert_rel(ci.lo, 98.916551471576966, 1e-13);
    assert_rel(ci.hi, 99.00144852842304, 1e-13);
    let ci = mean_ci(&D1, 0.99).unwrap();
    assert_rel(ci.lo, 98.89801805823835, 1e-13);
    assert_rel(ci.hi, 99.019981941761657, 1e-13);
    let ci = mean_ci(&SMALL_Y, 0.95).unwrap();
    assert_rel(ci.lo, 3.3264831556085661, 1e-10);
    assert_rel(ci.hi, 9.2449454158200055, 1e-10);
    let ci = mean_ci(&SMALL_Y, 0.99).unwrap();
    assert_rel(ci.lo, 1.8020479010029131, 1e-10);
    assert_rel(ci.hi, 10.769380670425658, 1e-10);
}

#[test]
fn summary_bundles_mean_sd_and_ci() {
    let s = summarize(&D1, 0.95).unwrap();
    assert_eq!(s.n, 10);
    assert_rel(s.mean, 98.959, 1e-14);
    assert_rel(s.sd, 0.059338951044915753, 1e-12); // data/fixtures/stats_reference.py, np.std(ddof=1)
    assert_eq!(s.ci, mean_ci(&D1, 0.95).unwrap());
    assert_eq!(s.level, 0.95);
}

#[test]
fn too_few_values_or_no_spread() {
    assert!(mean_ci(&[], 0.95).is_none());
    assert!(mean_ci(&[1.0], 0.95).is_none());
    assert!(summarize(&[1.0], 0.95).is_none());
    // Zero variance: a point interval at the mean.
    assert_eq!(mean_ci(&[0.97, 0.97, 0.97], 0.95).unwrap(), Interval { lo: 0.97, hi: 0.97 });
    assert_eq!(mean_sd(&[0.97, 0.97, 0.97]), (0.97, 0.0)); // not 0.9699999999999999 ± 1e-16
}

#[test]
#[should_panic(expected = "confidence level")]
fn level_must_be_a_probability() {
    let _ = mean_ci(&D1, 95.0);
}

#[test]
fn interval_helpers() {
    let i = Interval::around(1.0, 0.5);
    assert_eq!(i, Interval { lo: 0.5, hi: 1.5 });
    assert!(i.contains(0.5) && i.contains(1.5) && !i.contains(1.6));
    assert_eq!(i.width(), 1.0);
    assert_eq!(i.scaled(-2.0), Interval { lo: -3.0, hi: -1.0 });
}
