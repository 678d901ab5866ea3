//! The arithmetic of the evaluation against values computed elsewhere: SciPy 1.17.1
//! (`scipy.stats.spearmanr`), scikit-image 0.26.0 (`skimage.metrics.structural_similarity`
//! with `data_range=1.0, win_size=7`, its defaults otherwise: uniform window, sample
//! covariance) on NumPy 2.4.6, and hand derivations written beside the assertions.

use atrous_saliency::evaluation::metrics::{Summary, average_ranks, rescale_unit, spearman, ssim, trapezoid};

#[test]
fn trapezoid_matches_a_hand_computed_area() {
    // Points (0, 1), (0.25, 0.5), (1, 0.5): 0.25·(1 + 0.5)/2 + 0.75·(0.5 + 0.5)/2 = 0.1875 + 0.375.
    assert_eq!(trapezoid(&[0.0, 0.25, 1.0], &[1.0, 0.5, 0.5]), 0.5625);
    // A repeated x adds nothing (the last deletion steps all sit at x = 1).
    assert_eq!(trapezoid(&[0.0, 1.0, 1.0], &[1.0, 0.0, 7.0]), 0.5);
}

#[test]
fn ties_get_their_average_rank() {
    assert_eq!(average_ranks(&[5.0, 1.0, 5.0, 5.0, 0.0]), vec![4.0, 2.0, 4.0, 4.0, 1.0]);
}

#[test]
fn spearman_matches_scipy_with_ties() {
    // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).statistic = 0.9486832980505139
    // (by hand: ranks [1, 2.5, 2.5, 4] and [1, 3, 2, 4], 4.5 / √(4.5 · 5)).
    let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
    assert!((rho - 0.948_683_298_050_513_9).abs() < 1e-12, "{rho}");
    // scipy.stats.spearmanr([1,2,2,3,5,5,5,0], [2,1,4,3,3,6,0,7]).statistic = -0.24698888173699812
    let rho = spearman(&[1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 0.0], &[2.0, 1.0, 4.0, 3.0, 3.0, 6.0, 0.0, 7.0]);
    assert!((rho - -0.246_988_881_736_998_12).abs() < 1e-12, "{rho}");
    // A map equals itself exactly; a constant map has no rank correlation.
    let m = [0.3, 0.1, 0.1, 0.9, 0.0];
    assert_eq!(spearman(&m, &m), 1.0);
    assert!(spearman(&m, &[2.0; 5]).is_nan());
}

/// The 8×9 test images: `a[i] = (37 i mod 17) / 16`, `b[i] = (11 i + 3 mod 13) / 12`.
fn pair() -> (Vec<f64>, Vec<f64>) {
    let a = (0..72).map(|i| ((i * 37) % 17) as f64 / 16.0).collect();
    let b = (0..72).map(|i| ((i * 11 + 3) % 13) as f64 / 12.0).collect();
    (a, b)
}

#[test]
fn ssim_matches_scikit_image() {
    let (a, b) = pair();
    // structural_similarity(A, B, data_range=1.0, win_size=7) = 0.17057009656116282
    let s = ssim(&a, &b, 9, 1.0);
    assert!((s - 0.170_570_096_561_162_82).abs() < 1e-12, "{s}");
    // structural_similarity(A, 0.5*A + 0.25, data_range=1.0, win_size=7) = 0.8014802982850471
    let half: Vec<f64> = a.iter().map(|v| 0.5 * v + 0.25).collect();
    let s = ssim(&a, &half, 9, 1.0);
    assert!((s - 0.801_480_298_285_047_1).abs() < 1e-12, "{s}");
    assert_eq!(ssim(&a, &a, 9, 1.0), 1.0);
    // Smaller than one window: undefined.
    assert!(ssim(&a[..36], &b[..36], 6, 1.0).is_nan());
}

#[test]
fn maps_are_rescaled_by_their_own_range() {
    assert_eq!(rescale_unit(&[-1.0, 0.0, 3.0]), vec![0.0, 0.25, 1.0]);
    assert_eq!(rescale_unit(&[2.0, 2.0]), vec![0.0, 0.0]);
}

#[test]
fn summary_has_the_student_t_interval() {
    // Mean 2.5, sd √(5/3); t(0.975, df 3) = 3.182446305284263 (scipy.stats.t.ppf).
    let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
    assert_eq!((s.n, s.undefined, s.mean), (4, 1, 2.5));
    assert!((s.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    let half = 3.182_446_305_284_263 * (5.0f64 / 3.0).sqrt() / 2.0;
    assert!((s.lo - (2.5 - half)).abs() < 1e-9 && (s.hi - (2.5 + half)).abs() < 1e-9, "{s:?}");
}
