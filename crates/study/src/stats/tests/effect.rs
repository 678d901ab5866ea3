use super::*;
use crate::stats::{bootstrap_diff_ci, hedges_g, mean_sd};

#[test]
fn hedges_g_matches_the_formula_in_reference_values() {
    // data/fixtures/stats_reference.py (hand computation with numpy): d with pooled sd,
    // J = 1 − 3/(4(n1+n2)−9), se = J·√((n1+n2)/(n1 n2) + d²/(2(n1+n2))), CI g ± 1.96·se.
    let e = hedges_g(&D4, &D1, 0.95).unwrap();
    assert_rel(e.d, -6.6817649898438018, 1e-9);
    assert_rel(e.g, -6.399436891681388, 1e-9);
    assert_rel(e.se, 1.0987608824599353, 1e-9);
    assert_rel(e.ci.lo, -8.5529686489243097, 1e-9);
    assert_rel(e.ci.hi, -4.2459051344384671, 1e-9);
    let e = hedges_g(&SMALL_X, &SMALL_Y, 0.95).unwrap();
    assert_rel(e.d, -1.2294017127971522, 1e-12);
    assert_rel(e.g, -1.1348323502742943, 1e-12);
    assert_rel(e.se, 0.58804661088050447, 1e-12);
    assert_rel(e.ci.lo, -2.2873825288309226, 1e-12);
    assert_rel(e.ci.hi, 0.017717828282334036, 1e-9);
}

#[test]
fn hedges_g_correction_by_hand() {
    // a = [1, 3], b = [0, 2]: both sd √2, pooled √2, d = 1/√2; J = 1 − 3/7 = 4/7.
    let e = hedges_g(&[1.0, 3.0], &[0.0, 2.0], 0.95).unwrap();
    assert_rel(e.d, 0.5f64.sqrt(), 1e-15);
    assert_rel(e.g, 4.0 / 7.0 * 0.5f64.sqrt(), 1e-15);
    assert_rel(e.se, 4.0 / 7.0 * (1.0f64 + 0.5 / 8.0).sqrt(), 1e-15);
    // Wider level, wider interval; sign flips with the order of the groups.
    let e99 = hedges_g(&[1.0, 3.0], &[0.0, 2.0], 0.99).unwrap();
    assert!(e99.ci.width() > e.ci.width());
    assert_rel(hedges_g(&[0.0, 2.0], &[1.0, 3.0], 0.95).unwrap().g, -e.g, 1e-15);
}

#[test]
fn hedges_g_edge_cases() {
    assert!(hedges_g(&[1.0], &D1, 0.95).is_none());
    assert!(hedges_g(&[1.0, 1.0], &[2.0, 2.0], 0.95).is_none()); // pooled sd 0
    // One constant group still has a pooled sd.
    assert!(hedges_g(&[1.0, 1.0], &[2.0, 3.0], 0.95).is_some());
}

#[test]
fn bootstrap_is_pinned_for_a_fixed_seed() {
    // data/fixtures/stats_reference.py replays the same xorshift64* and resampling order (a then b in each
    // replicate) and takes np.percentile (linear) at 2.5 and 97.5.
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let ci = bootstrap_diff_ci(&D4, &D1, 2000, 0.95, &mut |n| rng.draw(n)).unwrap();
    assert_rel(ci.lo, -0.91299999999999704, 1e-12);
    assert_rel(ci.hi, -0.71300000000000774, 1e-12);
    let mut rng = XorShift(42);
    let ci = bootstrap_diff_ci(&SMALL_X, &SMALL_Y, 999, 0.95, &mut |n| rng.draw(n)).unwrap();
    assert_rel(ci.lo, -5.8328571428571419, 1e-12);
    assert_rel(ci.hi, -0.82857142857142918, 1e-12);
    // Same seed, same interval; another seed, another one.
    let run = |seed| {
        let mut rng = XorShift(seed);
        bootstrap_diff_ci(&SMALL_X, &SMALL_Y, 999, 0.95, &mut |n| rng.draw(n)).unwrap()
    };
    assert_eq!(run(42), ci);
    assert_ne!(run(43), ci);
}

#[test]
fn bootstrap_is_close_to_the_welch_interval_and_covers_the_estimate() {
    let mut rng = XorShift(7);
    let ci = bootstrap_diff_ci(&D4, &D1, 4000, 0.95, &mut |n| rng.draw(n)).unwrap();
    let observed = mean_sd(&D4).0 - mean_sd(&D1).0;
    assert!(ci.contains(observed), "{ci:?} misses {observed}");
    // The percentile bootstrap is a little narrower than Welch's t interval for n = 10
    // (−0.933, −0.695): it uses the plug-in variance and normal-like tails.
    assert!(ci.width() < 0.2389 && ci.width() > 0.8 * 0.2389, "{ci:?}");
    assert!(ci.lo > -0.95 && ci.hi < -0.68, "{ci:?}");
}

#[test]
fn bootstrap_narrows_with_more_data_and_lower_level() {
    let four = |xs: &[f64]| xs.iter().cycle().take(4 * xs.len()).copied().collect::<Vec<_>>();
    let (a4, b4) = (four(&D4), four(&D1));
    let mut rng = XorShift(11);
    let small = bootstrap_diff_ci(&D4, &D1, 3000, 0.95, &mut |n| rng.draw(n)).unwrap();
    let large = bootstrap_diff_ci(&a4, &b4, 3000, 0.95, &mut |n| rng.draw(n)).unwrap();
    // Four times the data: about half the width (√4), certainly less than 0.6 of it.
    assert!(large.width() < 0.6 * small.width() && large.width() > 0.4 * small.width());
    let narrow = bootstrap_diff_ci(&D4, &D1, 3000, 0.5, &mut |n| rng.draw(n)).unwrap();
    assert!(narrow.width() < 0.5 * small.width());
}

#[test]
fn bootstrap_edge_cases() {
    let mut draw = |n: usize| n - 1;
    assert!(bootstrap_diff_ci(&[], &D1, 10, 0.95, &mut draw).is_none());
    assert!(bootstrap_diff_ci(&D1, &D4, 0, 0.95, &mut draw).is_none());
    // Constant groups and a single replicate: the interval is the point difference.
    let ci = bootstrap_diff_ci(&[2.0, 2.0], &[0.5], 1, 0.95, &mut draw).unwrap();
    assert_eq!((ci.lo, ci.hi), (1.5, 1.5));
    // The draws go a then b, each group's own length.
    let mut seen = Vec::new();
    let _ = bootstrap_diff_ci(&[1.0, 2.0, 3.0], &[1.0, 2.0], 2, 0.95, &mut |n| {
        seen.push(n);
        0
    });
    assert_eq!(seen, vec![3, 3, 3, 2, 2, 3, 3, 3, 2, 2]);
}
