use super::*;
use crate::stats::{Interval, holm, holm_optional, mcnemar, paired_t_test, tost, welch};

/// (a, b, diff, t, df, p, ci95, ci90) from data/fixtures/stats_reference.py:
/// stats.ttest_ind(a, b, equal_var=False) and its confidence_interval(0.95 / 0.90).
#[allow(clippy::type_complexity)]
const WELCH_CASES: [(&[f64], &[f64], f64, f64, f64, f64, (f64, f64), (f64, f64)); 3] = [
    (
        &D4,
        &D1,
        -0.81400000000000716,
        -14.940880726968931,
        11.379573138575148,
        7.868176899769185e-09,
        (-0.93342654273038117, -0.69457345726963315),
        (-0.91154451420783822, -0.71645548579217611),
    ),
    (
        &D2,
        &D1,
        -0.0023333333333397377,
        -0.06284826462919367,
        17.347230730855575,
        0.95060583136620047,
        (-0.080544042679525321, 0.075877376012845846),
        (-0.066844472105330552, 0.062177805438651076),
    ),
    (
        &SMALL_X,
        &SMALL_Y,
        -3.2857142857142856,
        -2.3453926219561869,
        9.1921302634212783,
        0.043071902254420598,
        (-6.4447535477661333, -0.12667502366243832),
        (-5.8476665179935914, -0.72376205343498246),
    ),
];

#[test]
fn welch_matches_scipy() {
    for (a, b, diff, t, df, p, ci95, ci90) in WELCH_CASES {
        let w = welch(a, b, 0.95).unwrap();
        assert_rel(w.diff, diff, 1e-9);
        assert_rel(w.t, t, 1e-9);
        assert_rel(w.df, df, 1e-12);
        assert_rel(w.p, p, 1e-9);
        assert_rel(w.ci.lo, ci95.0, 1e-10);
        assert_rel(w.ci.hi, ci95.1, 1e-10);
        assert_rel(w.se, w.diff / w.t, 1e-14);
        let w = welch(a, b, 0.90).unwrap();
        assert_rel(w.ci.lo, ci90.0, 1e-10);
        assert_rel(w.ci.hi, ci90.1, 1e-10);
    }
}

#[test]
fn welch_is_antisymmetric() {
    let ab = welch(&SMALL_X, &SMALL_Y, 0.95).unwrap();
    let ba = welch(&SMALL_Y, &SMALL_X, 0.95).unwrap();
    assert_rel(ba.diff, -ab.diff, 1e-15);
    assert_rel(ba.p, ab.p, 1e-15);
    assert_rel(ba.ci.lo, -ab.ci.hi, 1e-14);
}

#[test]
fn welch_edge_cases() {
    assert!(welch(&[1.0], &D1, 0.95).is_none());
    assert!(welch(&D1, &[], 0.95).is_none());
    // Both groups constant: se 0, df n_a + n_b − 2, point CI; p 0 or 1.
    let w = welch(&[0.5, 0.5, 0.5], &[0.25, 0.25], 0.95).unwrap();
    assert_eq!((w.diff, w.se, w.df, w.t, w.p), (0.25, 0.0, 3.0, f64::INFINITY, 0.0));
    assert_eq!(w.ci, Interval { lo: 0.25, hi: 0.25 });
    let w = welch(&[0.5, 0.5, 0.5], &[0.5, 0.5], 0.95).unwrap();
    assert_eq!((w.t, w.p), (0.0, 1.0));
    // One group constant: df falls back to n − 1 of the other group, as in the formula.
    let w = welch(&[2.0, 2.0, 2.0], &SMALL_Y, 0.95).unwrap();
    assert_rel(w.df, 6.0, 1e-14);
    assert_rel(w.se, 3.1997023671109224 / 7f64.sqrt(), 1e-12);
}

#[test]
fn paired_t_matches_scipy_and_hand_values() {
    // Differences 1, 2, 3: mean 2, sd 1, t = 2/(1/√3); p (2 dof) = 0.0742 (the old test).
    let (d, t, p) = paired_t_test(&[2.0, 4.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
    assert_rel(d, 2.0, 1e-15);
    assert_rel(t, 12f64.sqrt(), 1e-15);
    assert_abs(p, 0.074_180, 1e-5);
    // data/fixtures/stats_reference.py: stats.ttest_rel(D4, D1).
    let (_, t, p) = paired_t_test(&D4, &D1).unwrap();
    assert_rel(t, -15.309216547663326, 1e-9);
    assert_rel(p, 9.4477672277459229e-08, 1e-8);
    assert!(paired_t_test(&[1.0], &[2.0]).is_none());
    assert!(paired_t_test(&[1.0, 2.0], &[2.0]).is_none());
    assert_eq!(paired_t_test(&[1.0, 2.0], &[1.0, 2.0]), Some((0.0, 0.0, 1.0)));
    assert_eq!(paired_t_test(&[2.0, 3.0], &[1.0, 2.0]), Some((1.0, f64::INFINITY, 0.0)));
}

#[test]
fn tost_matches_two_one_sided_scipy_tests() {
    // data/fixtures/stats_reference.py: ttest_ind(a + m, b, alternative="greater") and
    // ttest_ind(a − m, b, alternative="less"), both equal_var=False; ci = 90% Welch CI.
    let cases = [
        (&D2[..], 0.2, 2.6150851497533506e-05, 2.0147820366400326e-05, true),
        (&D2[..], 0.05, 0.10803064810843142, 0.08816747142959741, false),
        (&D4[..], 0.5, 0.99994483469978113, 1.9843991682829317e-11, false),
    ];
    for (a, margin, p_lower, p_upper, equivalent) in cases {
        let t = tost(a, &D1, margin, 0.05).unwrap();
        assert_rel(t.p_lower, p_lower, 1e-8);
        assert_rel(t.p_upper, p_upper, 1e-8);
        assert_rel(t.p, p_lower.max(p_upper), 1e-8);
        assert_eq!(t.equivalent, equivalent);
        // Equivalent exactly when the 90% CI lies inside (−m, m).
        assert_eq!(t.equivalent, -margin < t.ci.lo && t.ci.hi < margin);
        let w90 = welch(a, &D1, 0.90).unwrap();
        assert_rel(t.ci.lo, w90.ci.lo, 1e-13);
        assert_rel(t.ci.hi, w90.ci.hi, 1e-13);
    }
    let t = tost(&D2, &D1, 0.05, 0.05).unwrap();
    assert_rel(t.ci.lo, -0.066844472105330552, 1e-10);
    assert_rel(t.ci.hi, 0.062177805438651076, 1e-10);
}

#[test]
fn tost_edge_cases() {
    assert!(tost(&[1.0], &D1, 0.1, 0.05).is_none());
    // Constant groups: inside the margin is equivalent, on the boundary is not.
    let t = tost(&[1.0, 1.0], &[1.1, 1.1], 0.2, 0.05).unwrap();
    assert!(t.equivalent && t.p == 0.0);
    let t = tost(&[1.0, 1.0], &[1.5, 1.5], 0.5, 0.05).unwrap();
    assert!(!t.equivalent);
    assert_eq!(t.p_lower, 0.5);
    // A zero margin can never be shown.
    assert!(!tost(&D2, &D1, 0.0, 0.05).unwrap().equivalent);
}

#[test]
#[should_panic(expected = "margin")]
fn tost_rejects_a_negative_margin() {
    let _ = tost(&D2, &D1, -0.1, 0.05);
}

#[test]
fn mcnemar_matches_statsmodels() {
    // data/fixtures/stats_reference.py: statsmodels mcnemar([[0, b], [c, 0]], exact=False, correction=True).
    for (b, c, chi2, p) in [
        (25, 10, 5.5999999999999996, 0.017960477526078791),
        (7, 3, 0.90000000000000002, 0.34278171114790873),
        (120, 95, 2.6790697674418604, 0.10167510531668583),
    ] {
        let (x, q) = mcnemar(b, c);
        assert_rel(x, chi2, 1e-14);
        assert_rel(q, p, 1e-10);
        assert_eq!(mcnemar(c, b), (x, q));
    }
    assert_eq!(mcnemar(0, 0), (0.0, 1.0));
    assert_eq!(mcnemar(1, 0), (0.0, 1.0)); // |b − c| − 1 = 0
}

#[test]
fn holm_matches_statsmodels() {
    // data/fixtures/stats_reference.py: multipletests([0.04, 0.01, 0.02, 0.30, 0.012], method="holm").
    let adj = holm(&[0.04, 0.01, 0.02, 0.30, 0.012]);
    let expected = [0.08, 0.05, 0.06, 0.30, 0.05];
    for (a, e) in adj.iter().zip(expected) {
        assert_rel(*a, e, 1e-15);
    }
    // Sorted 0.01, 0.02, 0.04 → 0.03, 0.04, 0.04 (monotone; the old test).
    assert_eq!(holm(&[0.04, 0.01, 0.02]), vec![0.04, 0.03, 0.04]);
    assert_eq!(holm(&[0.6, 0.9]), vec![1.0, 1.0]); // capped at 1
    assert!(holm(&[]).is_empty());
}

#[test]
fn holm_optional_skips_missing_tests() {
    let adj = holm_optional(&[Some(0.04), None, Some(0.01), Some(0.02), None]);
    assert_eq!(adj, vec![Some(0.04), None, Some(0.03), Some(0.04), None]);
    assert_eq!(holm_optional(&[None, None]), vec![None, None]);
}
