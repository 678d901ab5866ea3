//! The noise floor of map comparisons: how alike the maps of two networks trained with the same
//! dilation but different seeds are, next to how alike maps of different dilations are.
//!
//! Similarity of two networks = Spearman's rank correlation of their maps of the same image,
//! averaged over images (constant maps, which have no ranks, are skipped). For dilation `d` the
//! *within* set holds that similarity for every pair of its seeds; for `d ≠ d'` the *across* set
//! holds it for every pair (seed of `d`, seed of `d'`).
//!
//! **The rule, fixed before any result was seen**: the maps of `d` and `d'` differ for real
//! only when the mean of the across set lies below the 5th percentile ([`FLOOR_PERCENTILE`],
//! linear interpolation between order statistics) of the within set of `d` *and* of the within
//! set of `d'`, i.e. below the lower of the two floors. Otherwise the difference is "within the
//! noise floor": two seeds of one dilation can disagree as much.

use atrous_saliency::evaluation::metrics::average_ranks;

/// Percentile of the within-d similarities that an across-d similarity must fall below.
pub const FLOOR_PERCENTILE: f64 = 0.05;

/// Per map, its average ranks standardised to mean 0 and (population) sd 1, so that the mean of
/// a product of two such vectors is Spearman's ρ; a constant map gives NaNs.
pub fn rank_scores(maps: &[f32], plane: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(maps.len());
    for map in maps.chunks_exact(plane) {
        let wide: Vec<f64> = map.iter().map(|&v| f64::from(v)).collect();
        let ranks = average_ranks(&wide);
        let n = plane as f64;
        let mean = ranks.iter().sum::<f64>() / n;
        let sd = (ranks.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
        out.extend(ranks.iter().map(|r| if sd > 0.0 { ((r - mean) / sd) as f32 } else { f32::NAN }));
    }
    out
}

/// Mean over images of Spearman's ρ between two networks' maps, from their [`rank_scores`].
pub fn similarity(a: &[f32], b: &[f32], plane: usize) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for (x, y) in a.chunks_exact(plane).zip(b.chunks_exact(plane)) {
        if x[0].is_nan() || y[0].is_nan() {
            continue;
        }
        let dot: f64 = x.iter().zip(y).map(|(&p, &q)| f64::from(p) * f64::from(q)).sum();
        sum += dot / plane as f64;
        n += 1;
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Similarities of every pair of distinct networks of one group.
pub fn within(group: &[&[f32]], plane: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for i in 0..group.len() {
        for j in i + 1..group.len() {
            out.push(similarity(group[i], group[j], plane));
        }
    }
    out
}

/// Similarities of every pair (network of `a`, network of `b`).
pub fn across(a: &[&[f32]], b: &[&[f32]], plane: usize) -> Vec<f64> {
    a.iter().flat_map(|x| b.iter().map(move |y| similarity(x, y, plane))).collect()
}

/// The `q`-quantile of `values` (finite ones), linear interpolation between order statistics
/// (NumPy's default); NaN when there is none.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}

/// Mean of the finite values (NaN when there is none).
pub fn finite_mean(values: &[f64]) -> f64 {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

/// The rule applied to one pair of dilations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloorVerdict {
    /// Mean within-d similarity of the first dilation.
    pub within_a: f64,
    /// Mean within-d similarity of the second.
    pub within_b: f64,
    /// The floor: the lower of the two within-d 5th percentiles.
    pub floor: f64,
    /// Mean across-d similarity.
    pub across: f64,
    /// Whether the across mean is below the floor.
    pub real: bool,
}

/// [`FloorVerdict`] from the within sets of two dilations and their across set.
pub fn floor_verdict(within_a: &[f64], within_b: &[f64], across: &[f64]) -> FloorVerdict {
    let floor = percentile(within_a, FLOOR_PERCENTILE).min(percentile(within_b, FLOOR_PERCENTILE));
    let across_mean = finite_mean(across);
    FloorVerdict {
        within_a: finite_mean(within_a),
        within_b: finite_mean(within_b),
        floor,
        across: across_mean,
        real: across_mean < floor,
    }
}

impl FloorVerdict {
    /// Whether both the floor and the across mean exist (each dilation has two seeds or more).
    pub fn testable(&self) -> bool {
        self.floor.is_finite() && self.across.is_finite()
    }

    /// "clears the noise floor" / "within the noise floor" / "not testable".
    pub fn phrase(&self) -> &'static str {
        match (self.testable(), self.real) {
            (false, _) => "not testable (fewer than two seeds)",
            (true, true) => "clears the noise floor",
            (true, false) => "within the noise floor",
        }
    }
}
