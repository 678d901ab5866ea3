//! Holm's step-down correction for the family of comparisons "each dilation vs the baseline".

/// Holm–Bonferroni adjusted p-values, in the input order.
///
/// With the m p-values sorted ascending, p_(1) ≤ … ≤ p_(m):
///
/// ```text
/// p̃_(k) = max_{j ≤ k} min( (m − j + 1) · p_(j), 1 )
/// ```
///
/// Ties keep their input order (the adjusted values of tied p-values come out equal anyway).
/// The p-values must be numbers in [0, 1]; use [`holm_optional`] when some tests could not
/// be run.
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

/// [`holm`] over the p-values that exist: `None` (a comparison that could not be tested, e.g.
/// a configuration with fewer than two seeds) stays `None` and does not count towards the
/// family size m, because no test was performed for it.
pub fn holm_optional(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let present: Vec<f64> = p.iter().flatten().copied().collect();
    let mut adjusted = holm(&present).into_iter();
    p.iter().map(|x| x.and_then(|_| adjusted.next())).collect()
}
