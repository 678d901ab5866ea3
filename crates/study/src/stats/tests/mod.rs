//! Tests of the statistics module. Numbers marked "data/fixtures/stats_reference.py" were
//! printed by that script (`python3 data/fixtures/stats_reference.py`: SciPy 1.17.1 /
//! statsmodels 0.15.0, or the hand computation it labels) and are pinned here; rerun it to
//! regenerate them.

// The pinned numbers are copied verbatim (17 significant digits) from the script's output so
// that each can be found there with a text search.
#![allow(clippy::excessive_precision)]

mod difference;
mod effect;
mod power;
mod summary;
mod trend;
mod verdict;

/// Accuracies (%) of ten seeds at d = 1 (same arrays as in data/fixtures/stats_reference.py).
const D1: [f64; 10] = [98.91, 99.02, 98.87, 98.95, 99.05, 98.99, 98.93, 99.01, 98.89, 98.97];
/// Ten seeds at d = 4.
const D4: [f64; 10] = [98.10, 98.32, 97.95, 98.21, 98.05, 98.40, 98.15, 97.88, 98.27, 98.12];
/// Twelve seeds at d = 2 (unequal n).
const D2: [f64; 12] = [98.95, 99.10, 98.80, 99.00, 98.85, 99.12, 98.92, 98.78, 99.05, 98.98, 98.90, 99.03];
/// Small groups with very different spreads.
const SMALL_X: [f64; 5] = [1.0, 2.0, 3.0, 4.0, 5.0];
const SMALL_Y: [f64; 7] = [2.0, 4.0, 4.0, 6.0, 8.0, 9.0, 11.0];

/// Asserts `|actual − expected| ≤ rel · |expected|` (plus 1e-300 so that 0 = 0 passes).
#[track_caller]
fn assert_rel(actual: f64, expected: f64, rel: f64) {
    assert!(
        (actual - expected).abs() <= rel * expected.abs() + 1e-300,
        "actual {actual:e} vs expected {expected:e} (relative error {:e}, allowed {rel:e})",
        ((actual - expected) / expected).abs()
    );
}

/// Asserts `|actual − expected| ≤ abs`.
#[track_caller]
fn assert_abs(actual: f64, expected: f64, abs: f64) {
    assert!(
        (actual - expected).abs() <= abs,
        "actual {actual:e} vs expected {expected:e} (allowed ±{abs:e})"
    );
}

/// xorshift64* with `draw(n) = ((next >> 32) · n) >> 32`; the same generator as the `XorShift`
/// class of data/fixtures/stats_reference.py.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut s = self.0;
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        self.0 = s;
        s.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn draw(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}
