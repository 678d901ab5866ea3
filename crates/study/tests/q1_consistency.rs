//! Question 1's consistency statistics against published worked examples and exact values.
//!
//! Sources of the expected numbers:
//! - Wilson intervals: Newcombe (1998), "Two-sided confidence intervals for the single
//!   proportion: comparison of seven methods", Statistics in Medicine 17:857–872, Table II,
//!   method 3 (score interval without continuity correction), printed to 4 decimals:
//!   81/263 → 0.2553–0.3662, 15/148 → 0.0624–0.1605, 0/20 → 0–0.1611, 1/29 → 0.0061–0.1718.
//! - Fleiss' κ: the worked example of the Wikipedia article "Fleiss' kappa" (10 subjects,
//!   14 raters, 5 categories; P̄ = 0.378, P̄e = 0.213, κ = 0.210). Exactly, with fractions:
//!   P̄ = 0.378021978…, P̄e = 0.212755102…, κ = 4211/20059 = 0.2099307044…
//! - Binomial and largest-count tails: exact rationals by enumeration (Python `fractions` and
//!   `itertools.product` over all 4^n outcomes), e.g. P(Bin(10, 1/4) ≥ 5) = 40961/524288 and
//!   P(max of 4 uniform counts over 10 draws ≥ 5) = 10193/32768.

use atrous_study::q1::consistency::{
    Z95, binomial_sf, fleiss_kappa, fleiss_kappa_of_choices, max_count_sf, modal_agreement,
    normalised_entropy, random_search_hit_rate, wilson,
};

fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want} (±{tol})");
}

#[test]
fn wilson_matches_newcombe_1998_table_ii() {
    for (k, n, lo, hi) in
        [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)]
    {
        let p = wilson(k, n, Z95).unwrap();
        close(p.lo, lo, 5e-5);
        close(p.hi, hi, 5e-5);
    }
    // 10/10 and 3/3: the upper end is exactly 1, the lower end (n/(n + z²)) 0.7225 and 0.4385.
    let p = wilson(10, 10, Z95).unwrap();
    assert_eq!(p.hi, 1.0);
    close(p.lo, 10.0 / (10.0 + Z95 * Z95), 1e-12);
    close(wilson(3, 3, Z95).unwrap().lo, 0.438_503, 1e-6);
    assert!(wilson(1, 0, Z95).is_none());
    assert!(wilson(4, 3, Z95).is_none());
}

#[test]
fn binomial_tail_is_exact() {
    close(binomial_sf(3, 3, 0.25).unwrap(), 1.0 / 64.0, 1e-15);
    close(binomial_sf(5, 10, 0.25).unwrap(), 40961.0 / 524288.0, 1e-14);
    close(binomial_sf(7, 10, 0.25).unwrap(), 919.0 / 262144.0, 1e-15);
    close(binomial_sf(10, 10, 0.25).unwrap(), 1.0 / 1048576.0, 1e-18);
    close(binomial_sf(2, 3, 0.25).unwrap(), 5.0 / 32.0, 1e-15);
    assert_eq!(binomial_sf(0, 5, 0.25), Some(1.0));
    assert_eq!(binomial_sf(6, 5, 0.25), Some(0.0));
    assert_eq!(binomial_sf(1, 5, 1.5), None);
}

#[test]
fn largest_count_tail_is_exact() {
    // 3 seeds, 4 candidates: all three agree with probability 4/64; at least two 1 − 24/64.
    close(max_count_sf(3, 3, 4).unwrap(), 1.0 / 16.0, 1e-15);
    close(max_count_sf(2, 3, 4).unwrap(), 5.0 / 8.0, 1e-15);
    close(max_count_sf(5, 10, 4).unwrap(), 10193.0 / 32768.0, 1e-13);
    close(max_count_sf(4, 6, 4).unwrap(), 77.0 / 512.0, 1e-14);
    // Above n/2 the cells cannot both reach k, so the tail is K times the binomial one.
    close(max_count_sf(7, 10, 4).unwrap(), 4.0 * 919.0 / 262144.0, 1e-14);
    assert_eq!(max_count_sf(1, 10, 4), Some(1.0));
    assert_eq!(max_count_sf(11, 10, 4), Some(0.0));
}

#[test]
fn modal_agreement_counts_the_mode_and_uses_both_nulls() {
    let m = modal_agreement(&[2, 2, 2, 1, 2, 3, 2, 2, 2, 2], 4).unwrap();
    assert_eq!(m.mode, 2);
    assert_eq!((m.share.k, m.share.n), (8, 10));
    close(m.binomial_p, binomial_sf(8, 10, 0.25).unwrap(), 1e-15);
    close(m.mode_p, max_count_sf(8, 10, 4).unwrap(), 1e-15);
    assert!(m.mode_p > m.binomial_p, "picking the mode after the fact must cost: {m:?}");
    // Ties go to the smallest choice.
    assert_eq!(modal_agreement(&[3, 1, 3, 1], 4).unwrap().mode, 1);
    assert!(modal_agreement(&[], 4).is_none());
}

#[test]
fn fleiss_kappa_matches_the_worked_example() {
    let table: Vec<Vec<usize>> = vec![
        vec![0, 0, 0, 0, 14],
        vec![0, 2, 6, 4, 2],
        vec![0, 0, 3, 5, 6],
        vec![0, 3, 9, 2, 0],
        vec![2, 2, 8, 1, 1],
        vec![7, 7, 0, 0, 0],
        vec![3, 2, 6, 3, 0],
        vec![2, 5, 3, 2, 2],
        vec![6, 5, 2, 1, 0],
        vec![0, 2, 2, 3, 7],
    ];
    close(fleiss_kappa(&table).unwrap(), 4211.0 / 20059.0, 1e-12);
    // Unequal raters per item, one rater, or every rating in one category: undefined.
    assert!(fleiss_kappa(&[vec![2, 1], vec![1, 1]]).is_none());
    assert!(fleiss_kappa(&[vec![1, 0], vec![0, 1]]).is_none());
    assert!(fleiss_kappa(&[vec![3, 0], vec![3, 0]]).is_none());
}

#[test]
fn fleiss_kappa_of_seed_choices() {
    // Perfect agreement within every layer, different choices across layers: κ = 1.
    let perfect = [[1, 2, 3], [1, 2, 3], [1, 2, 3]];
    close(fleiss_kappa_of_choices(&perfect, &[1, 2, 3, 4]).unwrap(), 1.0, 1e-12);
    // Two seeds that never agree, over two categories in every layer: P̄ = 0, P̄e = 1/2, κ = −1.
    let never = [[1, 1, 1], [2, 2, 2]];
    close(fleiss_kappa_of_choices(&never, &[1, 2]).unwrap(), -1.0, 1e-12);
    assert!(fleiss_kappa_of_choices(&[[1, 1, 5]], &[1, 2]).is_none());
}

#[test]
fn normalised_entropy_spans_zero_to_one() {
    close(normalised_entropy(&[0.25; 4]).unwrap(), 1.0, 1e-12);
    close(normalised_entropy(&[1.0, 0.0, 0.0, 0.0]).unwrap(), 0.0, 1e-12);
    // H(½, ½, 0, 0) = ln 2, over ln 4 = ½.
    close(normalised_entropy(&[0.5, 0.5, 0.0, 0.0]).unwrap(), 0.5, 1e-12);
    assert!(normalised_entropy(&[1.0]).is_none());
    assert!(normalised_entropy(&[0.5, -0.1]).is_none());
}

#[test]
fn random_search_hit_rate_matches_hand_cases() {
    // Two configurations, one seed each; only the better one is in the set. k = 2 always finds
    // it; k = 1 finds it half the time.
    let val = vec![vec![0.99], vec![0.98]];
    let set = [true, false];
    assert_eq!(random_search_hit_rate(&val, &set, 2, 1000, 7).unwrap().0, 1.0);
    let (p, se) = random_search_hit_rate(&val, &set, 1, 20_000, 7).unwrap();
    assert!((p - 0.5).abs() < 4.0 * se, "{p} ± {se}");
    // A configuration without runs is never drawn.
    let val = vec![vec![0.99], vec![]];
    assert_eq!(random_search_hit_rate(&val, &[true, false], 1, 500, 1).unwrap().0, 1.0);
    // The same seed gives the same estimate.
    let val = vec![vec![0.99, 0.97], vec![0.98, 0.985], vec![0.96]];
    let a = random_search_hit_rate(&val, &[true, true, false], 2, 3000, 3);
    assert_eq!(a, random_search_hit_rate(&val, &[true, true, false], 2, 3000, 3));
    assert!(random_search_hit_rate(&[vec![]], &[true], 1, 10, 0).is_none());
}
