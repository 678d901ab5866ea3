use super::*;
use crate::stats::{Interval, Tost, Verdict, holm, tost, verdict, welch};

fn tost_with(equivalent: bool, margin: f64) -> Tost {
    let mut t = tost(&D2, &D1, margin, 0.05).unwrap();
    t.equivalent = equivalent;
    t
}

#[test]
fn the_rule_on_constructed_inputs() {
    let neg = Interval { lo: -1.2, hi: -0.5 };
    let pos = Interval { lo: 0.1, hi: 0.4 };
    let zero = Interval { lo: -0.1, hi: 0.2 };
    let (eq, not_eq) = (tost_with(true, 0.5), tost_with(false, 0.5));
    assert_eq!(verdict(neg, 0.001, &not_eq, 0.05), Verdict::Worse);
    assert_eq!(verdict(pos, 0.001, &not_eq, 0.05), Verdict::Better);
    assert_eq!(verdict(zero, 0.3, &eq, 0.05), Verdict::Equivalent { margin: 0.5 });
    assert_eq!(verdict(zero, 0.3, &not_eq, 0.05), Verdict::Inconclusive);
    // Raw CI excludes 0 but the Holm-adjusted p does not pass: not significant.
    assert_eq!(verdict(neg, 0.06, &not_eq, 0.05), Verdict::Inconclusive);
    // p passes but the CI straddles 0 (e.g. a bootstrap CI): not significant either.
    assert_eq!(verdict(zero, 0.01, &not_eq, 0.05), Verdict::Inconclusive);
    assert_eq!(verdict(zero, 0.01, &eq, 0.05), Verdict::Equivalent { margin: 0.5 });
    // A test that could not run.
    assert_eq!(verdict(neg, f64::NAN, &not_eq, 0.05), Verdict::Inconclusive);
}

#[test]
fn significant_and_within_the_margin_is_reported_as_a_difference() {
    // A 0.5 pp drop measured very precisely, with a 1 pp margin: both significant and
    // equivalent. Precedence: the significant direction wins.
    let a = [98.0, 98.1, 98.0, 98.1, 98.0];
    let b = [98.5, 98.6, 98.5, 98.6, 98.5];
    let w = welch(&a, &b, 0.95).unwrap();
    let t = tost(&a, &b, 1.0, 0.05).unwrap();
    assert!(w.p < 0.05 && w.ci.hi < 0.0 && t.equivalent, "{w:?} {t:?}");
    assert_eq!(verdict(w.ci, w.p, &t, 0.05), Verdict::Worse);
    let t = tost(&b, &a, 1.0, 0.05).unwrap();
    let w = welch(&b, &a, 0.95).unwrap();
    assert_eq!(verdict(w.ci, w.p, &t, 0.05), Verdict::Better);
    // If the Holm-adjusted p misses α (say it became 0.06), equivalence stands.
    assert_eq!(verdict(w.ci, 0.06, &t, 0.05), Verdict::Equivalent { margin: 1.0 });
}

#[test]
fn the_study_data_end_to_end() {
    // d = 4 and d = 2 against d = 1, Holm-adjusted together, margin 0.2 pp (data in %).
    let w4 = welch(&D4, &D1, 0.95).unwrap();
    let w2 = welch(&D2, &D1, 0.95).unwrap();
    let adj = holm(&[w4.p, w2.p]);
    let v4 = verdict(w4.ci, adj[0], &tost(&D4, &D1, 0.2, 0.05).unwrap(), 0.05);
    let v2 = verdict(w2.ci, adj[1], &tost(&D2, &D1, 0.2, 0.05).unwrap(), 0.05);
    assert_eq!(v4, Verdict::Worse);
    assert_eq!(v2, Verdict::Equivalent { margin: 0.2 });
    assert_eq!(
        v4.sentence("d=4", "d=1", w4.diff, w4.ci),
        "d=4 vs d=1: worse, Δ = −0.81 pp [95% CI −0.93, −0.69]"
    );
    assert_eq!(
        v2.sentence("d=2", "d=1", w2.diff, w2.ci),
        "d=2 vs d=1: equivalent within ±0.20 pp, Δ = 0.00 pp [95% CI −0.08, 0.08]"
    );
    // With only 2 % of the spread the same margin fails: inconclusive.
    let v = verdict(w2.ci, adj[1], &tost(&D2, &D1, 0.05, 0.05).unwrap(), 0.05);
    assert_eq!(v, Verdict::Inconclusive);
}

#[test]
fn sentences() {
    let ci = Interval { lo: -1.2, hi: -0.54 };
    assert_eq!(
        Verdict::Worse.sentence("d=4", "d=1", -0.87, ci),
        "d=4 vs d=1: worse, Δ = −0.87 pp [95% CI −1.20, −0.54]"
    );
    assert_eq!(
        Verdict::Better.sentence("d=2", "d=1", 0.305, Interval { lo: 0.1, hi: 0.5 }),
        "d=2 vs d=1: better, Δ = 0.30 pp [95% CI 0.10, 0.50]"
    );
    assert_eq!(
        Verdict::Inconclusive.sentence("d=3", "d=1", -0.001, Interval { lo: -0.3, hi: 0.2 }),
        "d=3 vs d=1: inconclusive, Δ = 0.00 pp [95% CI −0.30, 0.20]"
    );
    // Tests run on fractions, sentence in pp: scale the margin.
    let v = Verdict::Equivalent { margin: 0.005 }.scaled(100.0);
    assert_eq!(v.label(), "equivalent within ±0.50 pp");
    assert_eq!(Verdict::Worse.scaled(100.0), Verdict::Worse);
}
