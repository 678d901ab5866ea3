//! The numbers the checks compare maps and curves with: the trapezoid rule, Spearman's rank
//! correlation (ties get their average rank), SSIM (Wang et al. 2004), and a mean with its
//! Student-t 95% interval. Everything is computed in `f64`; an undefined value (a constant map
//! has no rank correlation) is `NaN`, which summaries skip and count.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// `∫ y dx` over the points `(x_k, y_k)` by the trapezoid rule (`x` ascending).
pub fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2).zip(y.windows(2)).map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1])).sum()
}

/// Ranks `1..=n` of `v`, equal values sharing the mean of the ranks they span (SciPy's
/// `rankdata(method="average")`).
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean is (start + 1 + end) / 2.
        let rank = (start + 1 + end) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = rank);
        start = end;
    }
    ranks
}

/// Pearson's correlation of `a` and `b`; `NaN` when either is constant (or empty).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa > 0.0 && sbb > 0.0 {
        // For a == b this is saa / √(saa²) = 1 exactly: IEEE √ of a rounded square is exact.
        sab / (saa * sbb).sqrt()
    } else {
        f64::NAN
    }
}

/// Spearman's rank correlation of two maps (Pearson's correlation of their average ranks);
/// `NaN` when either map is constant.
pub fn spearman(a: &[f32], b: &[f32]) -> f64 {
    let wide = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    pearson(&average_ranks(&wide(a)), &average_ranks(&wide(b)))
}

/// Side of the SSIM window (uniform weights), as `skimage.metrics.structural_similarity`'s
/// default `win_size=7`.
pub const SSIM_WINDOW: usize = 7;
/// `K₁` of Wang et al. 2004: `C₁ = (K₁ L)²`.
pub const SSIM_K1: f64 = 0.01;
/// `K₂` of Wang et al. 2004: `C₂ = (K₂ L)²`.
pub const SSIM_K2: f64 = 0.03;

/// `map` rescaled to `[0, 1]` by its own minimum and maximum (a constant map becomes zeros).
pub fn rescale_unit(map: &[f32]) -> Vec<f64> {
    let (lo, hi) = map
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(f64::from(v)), h.max(f64::from(v))));
    let span = hi - lo;
    map.iter().map(|&v| if span > 0.0 { (f64::from(v) - lo) / span } else { 0.0 }).collect()
}

/// Mean structural similarity of two `side`-wide images with values in a range of width
/// `data_range`: the SSIM of every 7×7 window lying inside the image (uniform weights, sample
/// covariances with `N − 1`), averaged, as `skimage.metrics.structural_similarity(a, b,
/// data_range=L)` computes it (its reflected borders are cropped before averaging). `NaN` if
/// the image is smaller than a window.
pub fn ssim(a: &[f64], b: &[f64], side: usize, data_range: f64) -> f64 {
    let w = SSIM_WINDOW;
    let rows = a.len() / side.max(1);
    if side < w || rows < w || a.len() != b.len() {
        return f64::NAN;
    }
    let (c1, c2) = ((SSIM_K1 * data_range).powi(2), (SSIM_K2 * data_range).powi(2));
    let np = (w * w) as f64;
    let cov_norm = np / (np - 1.0);
    let mut total = 0.0;
    for r0 in 0..=rows - w {
        for c0 in 0..=side - w {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for r in r0..r0 + w {
                for i in r * side + c0..r * side + c0 + w {
                    let (x, y) = (a[i], b[i]);
                    sa += x;
                    sb += y;
                    saa += x * x;
                    sbb += y * y;
                    sab += x * y;
                }
            }
            let (ma, mb) = (sa / np, sb / np);
            let va = cov_norm * (saa / np - ma * ma);
            let vb = cov_norm * (sbb / np - mb * mb);
            let vab = cov_norm * (sab / np - ma * mb);
            total += ((2.0 * ma * mb + c1) * (2.0 * vab + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        }
    }
    total / ((rows - w + 1) * (side - w + 1)) as f64
}

/// A mean over images with its spread and 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Values that were defined (finite).
    pub n: usize,
    /// Values left out because they were undefined (`NaN`).
    pub undefined: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (`n − 1`); `NaN` for one value.
    pub sd: f64,
    /// Lower end of the Student-t 95% interval of the mean.
    pub lo: f64,
    /// Upper end of the Student-t 95% interval of the mean.
    pub hi: f64,
}

impl Summary {
    /// The summary of the finite values of `v`.
    pub fn of(v: &[f64]) -> Summary {
        let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        let n = finite.len();
        let mean = if n > 0 { finite.iter().sum::<f64>() / n as f64 } else { f64::NAN };
        let sd = if n > 1 {
            (finite.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            f64::NAN
        };
        let half = match StudentsT::new(0.0, 1.0, (n.max(2) - 1) as f64) {
            Ok(t) if n > 1 => t.inverse_cdf(0.975) * sd / (n as f64).sqrt(),
            _ => f64::NAN,
        };
        Summary { n, undefined: v.len() - n, mean, sd, lo: mean - half, hi: mean + half }
    }

    /// The summary as JSON (`null` for what is undefined).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "mean": finite(self.mean), "sd": finite(self.sd),
            "ci95": [finite(self.lo), finite(self.hi)],
            "n": self.n, "undefined": self.undefined,
        })
    }
}

/// A finite number as JSON, `null` otherwise.
pub fn finite(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}
