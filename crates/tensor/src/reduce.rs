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

/// Row-wise softmax, via [`log_softmax_rows`].
pub fn softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    log_softmax_rows(x, cols, out);
    for v in out.iter_mut() {
        *v = v.exp();
    }
}

/// Sum over the leading axis: `x` is `rows × cols`, `out[j] = Σ_i x[i, j]` summed in row order.
///
/// # Panics
/// If `out.len()` is zero or does not divide `x.len()`.
pub fn sum_rows(x: &[f32], out: &mut [f32]) {
    let cols = out.len();
    assert!(cols > 0 && x.len() % cols == 0, "sum_rows: {} elements are not rows of {cols}", x.len());
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
    fn argmax_takes_first_of_ties_and_max_sees_nan() {
        assert_eq!(argmax_rows(&[1.0, 3.0, 3.0, 5.0, 0.0, 0.0], 3), vec![1, 0]);
        assert_eq!(max(&[1.0, 7.0, -2.0]), Some(7.0));
        assert!(max(&[1.0, f32::NAN, 2.0]).unwrap().is_nan());
        assert_eq!(max(&[]), None);
    }

    #[test]
    fn sum_rows_adds_columns() {
        let mut out = [0.0; 2];
        sum_rows(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut out);
        assert_eq!(out, [9.0, 12.0]);
    }
}
