//! Statistics of the dilation study: summaries across seeds, paired t-tests, McNemar's test, and
//! Holm's correction for testing several dilations against one baseline.
//!
//! Runs with the same seed share their initial weights (DilNet's parameter shapes do not depend
//! on the dilation) and their shuffling order, so comparisons across dilations are paired by
//! seed. McNemar's test pairs the two models' verdicts on each test image.

use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

/// Mean and sample standard deviation (0 for a single value).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Two-sided paired t-test of `a − b`: (mean difference, t, p). `None` with fewer than two
/// pairs; p = 1 when all differences are equal to zero, p = 0 when equal and non-zero.
pub fn paired_t_test(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (mean, sd) = mean_sd(&diffs);
    let n = diffs.len() as f64;
    if sd == 0.0 {
        return Some((
            mean,
            if mean == 0.0 { 0.0 } else { f64::INFINITY * mean.signum() },
            if mean == 0.0 { 1.0 } else { 0.0 },
        ));
    }
    let t = mean / (sd / n.sqrt());
    let dist = StudentsT::new(0.0, 1.0, n - 1.0).ok()?;
    Some((mean, t, 2.0 * (1.0 - dist.cdf(t.abs()))))
}

/// McNemar's test with continuity correction on paired verdicts: `b` = items only the first
/// model gets right, `c` = items only the second gets right. Returns (χ², p).
pub fn mcnemar(b: usize, c: usize) -> (f64, f64) {
    if b + c == 0 {
        return (0.0, 1.0);
    }
    let (b, c) = (b as f64, c as f64);
    let chi2 = ((b - c).abs() - 1.0).max(0.0).powi(2) / (b + c);
    let p = ChiSquared::new(1.0).map(|d| 1.0 - d.cdf(chi2)).unwrap_or(f64::NAN);
    (chi2, p)
}

/// Holm–Bonferroni adjusted p-values, in the input order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sd_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample variance 32/7.
        let (m, s) = mean_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!((m - 5.0).abs() < 1e-12 && (s - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn paired_t_matches_a_textbook_value() {
        // Differences 1, 2, 3: mean 2, sd 1, t = 2/(1/√3) = 3.4641; two-sided p with 2 dof = 0.0742.
        let (d, t, p) = paired_t_test(&[2.0, 4.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
        assert!((d - 2.0).abs() < 1e-12);
        assert!((t - 3.464_101_6).abs() < 1e-6);
        assert!((p - 0.074_180).abs() < 1e-4, "p = {p}");
        assert!(paired_t_test(&[1.0], &[2.0]).is_none());
    }

    #[test]
    fn mcnemar_matches_a_textbook_value() {
        // b = 25, c = 10: χ² = (15 − 1)²/35 = 5.6, p = 0.01797.
        let (chi2, p) = mcnemar(25, 10);
        assert!((chi2 - 5.6).abs() < 1e-12);
        assert!((p - 0.017_97).abs() < 1e-4, "p = {p}");
        assert_eq!(mcnemar(0, 0), (0.0, 1.0));
    }

    #[test]
    fn holm_adjusts_in_rank_order() {
        // Sorted 0.01, 0.02, 0.04 → 0.03, 0.04, 0.04 (monotone).
        let adj = holm(&[0.04, 0.01, 0.02]);
        assert!(
            (adj[1] - 0.03).abs() < 1e-12 && (adj[2] - 0.04).abs() < 1e-12 && (adj[0] - 0.04).abs() < 1e-12
        );
    }
}
