//! Reductions over dense row-major data: sums, maxima, row-wise arg-max and log-softmax.
//!
//! Row-wise functions see the data as `rows × cols` with `cols` contiguous, the layout of a
//! batch of logits `[N, classes]`.

/// Largest element, `None` for an empty slice. NaN wins over numbers so it cannot hide.
pub fn max(x: &[f32]) -> Option<f32> {
    x.iter().copied().reduce(|m, v| if v > m || v.is_nan() { v } else { m })
}

/// Index of the largest element of each row (the first one on ties).
///
/// # Panics
/// If `cols` is zero or does not divide `x.len()`.
pub fn argmax_rows(x: &[f32], cols: usize) -> Vec<usize> {
    assert!(cols > 0 && x.len() % cols == 0, "argmax_rows: {} elements are not rows of {cols}", x.len());
    x.chunks_exact(cols)
        .map(|row| {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// Row-wise `log_softmax`: `out[i, j] = x[i, j] − max_i − ln Σ_j exp(x[i, j] − max_i)`.
/// Subtracting the row maximum keeps `exp` from overflowing; the sum runs in f64.
///
/// # Panics
/// If `cols` is zero, does not divide `x.len()`, or `out` has another length.
pub fn log_softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    assert!(cols > 0 && x.len() % cols == 0, "log_softmax_rows: {} elements are not rows of {cols}", x.len());
    assert_eq!(x.len(), out.len(), "log_softmax_rows: output length");
    for (row, out_row) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = max(row).unwrap_or(0.0);
        let log_sum = row.iter().map(|&v| f64::from(v - m).exp()).sum::<f64>().ln();
        for (o, &v) in out_row.iter_mut().zip(row) {
            *o = (f64::from(v - m) - log_sum) as f32;
        }
    }
}

/// Softmax of one short row (class scores, mixing logits): `exp(x_j − max) / Σ exp(x_k − max)`,
/// the exponentials and their sum in f64. The one softmax of the workspace.
pub fn softmax(row: &[f32]) -> Vec<f32> {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f64> = row.iter().map(|&v| f64::from(v - m).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| (e / total) as f32).collect()
}

/// Column sums of a `rows × cols` matrix: `out[j] = Σ_i x[i, j]`, added in row order (e.g. a
/// bias gradient from a batch of output gradients).
///
/// # Panics
/// If `out.len()` is zero or does not divide `x.len()`.
pub fn column_sums(x: &[f32], out: &mut [f32]) {
    let cols = out.len();
    assert!(cols > 0 && x.len() % cols == 0, "column_sums: {} elements are not rows of {cols}", x.len());
    out.fill(0.0);
    for row in x.chunks_exact(cols) {
        crate::simd::add_assign(out, row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_softmax_matches_hand_values_and_survives_huge_logits() {
        // log_softmax([0, ln 3]) = [ln 1/4, ln 3/4] since e^0 + e^{ln 3} = 4.
        let x = [0.0f32, 3.0f32.ln(), 1000.0, 1000.0];
        let mut out = [0.0; 4];
        log_softmax_rows(&x, 2, &mut out);
        assert!((out[0] - 0.25f32.ln()).abs() < 1e-6);
        assert!((out[1] - 0.75f32.ln()).abs() < 1e-6);
        assert!((out[2] - 0.5f32.ln()).abs() < 1e-6 && (out[3] - 0.5f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn softmax_matches_hand_values_and_survives_huge_logits() {
        // softmax([0, ln 3]) = [1/4, 3/4]; equal huge logits split evenly.
        let p = softmax(&[0.0, 3.0f32.ln()]);
        assert!((p[0] - 0.25).abs() < 1e-7 && (p[1] - 0.75).abs() < 1e-7, "{p:?}");
        assert_eq!(softmax(&[1000.0, 1000.0]), vec![0.5, 0.5]);
        assert!(softmax(&[]).is_empty());
    }

    #[test]
    fn argmax_takes_first_of_ties_and_max_sees_nan() {
        assert_eq!(argmax_rows(&[1.0, 3.0, 3.0, 5.0, 0.0, 0.0], 3), vec![1, 0]);
        assert_eq!(max(&[1.0, 7.0, -2.0]), Some(7.0));
        assert!(max(&[1.0, f32::NAN, 2.0]).unwrap().is_nan());
        assert_eq!(max(&[]), None);
    }

    #[test]
    fn column_sums_add_each_column() {
        let mut out = [0.0; 2];
        column_sums(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut out);
        assert_eq!(out, [9.0, 12.0]);
    }
}
