//! Numbers of one saliency map (pure functions of pixels): share on ink and spread (the
//! report's existing statistics, [`map_statistics`]), the gridding index, the axis power
//! spectrum, and the baseline maps every metric is compared with (uniform, the image itself,
//! its Sobel edge magnitude).

use crate::measure::map_statistics;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Periods `k` of the gridding index.
pub const GRID_PERIODS: [usize; 3] = [2, 3, 4];
/// Frequencies (cycles per pixel) whose spectral energy is reported: `1/d` for d = 2, 3, 4.
pub const LATTICE_FREQUENCIES: [f64; 3] = [0.5, 1.0 / 3.0, 0.25];
/// The axis spectrum is evaluated at `j / SPECTRUM_DENOMINATOR`, `j = 1..=SPECTRUM_DENOMINATOR/2`
/// (84 holds 1/2, 1/3 and 1/4 exactly).
pub const SPECTRUM_DENOMINATOR: usize = 84;

/// Gridding index for period `k`: the share of the map's mass in its most loaded phase
/// `(x mod k, y mod k)`, times `k²`. A map without a lattice gives about 1; a map whose mass sits
/// on one phase gives `k²` (less on a side not divisible by `k`, where phases differ in size).
pub fn gridding_index(map: &[f32], side: usize, k: usize) -> f64 {
    let mut phase = vec![0.0f64; k * k];
    for (i, &v) in map.iter().enumerate() {
        let (y, x) = (i / side, i % side);
        phase[(y % k) * k + x % k] += f64::from(v);
    }
    let total: f64 = phase.iter().sum();
    if total <= 0.0 {
        return f64::NAN;
    }
    phase.iter().copied().fold(0.0, f64::max) / total * (k * k) as f64
}

/// Sine and cosine tables of the axis spectrum, `[frequency][position]`.
pub struct SpectrumTables {
    side: usize,
    cos: Vec<Vec<f64>>,
    sin: Vec<Vec<f64>>,
}

impl SpectrumTables {
    /// Tables for `side`-pixel rows at `j / SPECTRUM_DENOMINATOR`, `j = 1..=42`.
    pub fn new(side: usize) -> Self {
        let freqs = spectrum_frequencies();
        let table = |f: fn(f64) -> f64| {
            freqs.iter().map(|&q| (0..side).map(|x| f(2.0 * PI * q * x as f64)).collect()).collect()
        };
        SpectrumTables { side, cos: table(f64::cos), sin: table(f64::sin) }
    }
}

/// The frequencies of [`axis_spectrum`], cycles per pixel.
pub fn spectrum_frequencies() -> Vec<f64> {
    (1..=SPECTRUM_DENOMINATOR / 2).map(|j| j as f64 / SPECTRUM_DENOMINATOR as f64).collect()
}

/// Axis power spectrum of a map with its mean removed: at each frequency `f`, the summed power
/// `|Σ_x m(y, x) e^{−2πifx}|²` over rows plus the same over columns, divided by the mean over
/// all frequencies of the table (so a flat spectrum is 1 everywhere; NaN for a constant map).
pub fn axis_spectrum(map: &[f32], t: &SpectrumTables) -> Vec<f64> {
    let side = t.side;
    let mean = map.iter().map(|&v| f64::from(v)).sum::<f64>() / map.len() as f64;
    let at = |y: usize, x: usize| f64::from(map[y * side + x]) - mean;
    let mut power = vec![0.0; t.cos.len()];
    for (j, p) in power.iter_mut().enumerate() {
        for line in 0..side {
            let (mut rc, mut rs, mut cc, mut cs) = (0.0, 0.0, 0.0, 0.0);
            for x in 0..side {
                let (c, s) = (t.cos[j][x], t.sin[j][x]);
                rc += at(line, x) * c;
                rs += at(line, x) * s;
                cc += at(x, line) * c;
                cs += at(x, line) * s;
            }
            *p += rc * rc + rs * rs + cc * cc + cs * cs;
        }
    }
    let norm = power.iter().sum::<f64>() / power.len() as f64;
    power.iter().map(|p| p / norm).collect()
}

/// The value of [`axis_spectrum`] at frequency `f` (one of its table frequencies).
pub fn spectrum_at(spectrum: &[f64], f: f64) -> f64 {
    let j = (f * SPECTRUM_DENOMINATOR as f64).round() as usize;
    spectrum.get(j.wrapping_sub(1)).copied().unwrap_or(f64::NAN)
}

/// Every number of one map that the Q2 study averages over images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapNumbers {
    /// Share of the map's mass on ink (pixels above the ink threshold).
    pub ink_share: f64,
    /// Mass-weighted mean distance from the map's centroid (pixels).
    pub spread: f64,
    /// Gridding index for k = 2, 3, 4.
    pub grid: [f64; 3],
    /// Normalised axis-spectrum energy at 1/2, 1/3, 1/4 cycles per pixel.
    pub lattice_energy: [f64; 3],
}

/// The numbers of one map of `image` (both `side × side`), and the map's axis spectrum.
pub fn map_numbers(
    image: &[f32],
    map: &[f32],
    side: usize,
    ink: f32,
    t: &SpectrumTables,
) -> (MapNumbers, Vec<f64>) {
    let (ink_share, spread) = map_statistics(image, map, side, ink);
    let spectrum = axis_spectrum(map, t);
    let numbers = MapNumbers {
        ink_share,
        spread,
        grid: GRID_PERIODS.map(|k| gridding_index(map, side, k)),
        lattice_energy: LATTICE_FREQUENCIES.map(|f| spectrum_at(&spectrum, f)),
    };
    (numbers, spectrum)
}

/// Means over maps of [`MapNumbers`] (NaN entries skipped), and the mean axis spectrum.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapMeans {
    /// Mean numbers.
    pub numbers: MapNumbers,
    /// Mean axis spectrum.
    pub spectrum: Vec<f64>,
}

/// [`MapMeans`] of `maps` over `images` (both `n · side²`).
pub fn map_means(images: &[f32], maps: &[f32], side: usize, ink: f32) -> MapMeans {
    let t = SpectrumTables::new(side);
    let plane = side * side;
    let mut rows: Vec<[f64; 8]> = Vec::new();
    let mut spectrum = vec![0.0; t.cos.len()];
    let mut counted = 0usize;
    for (img, map) in images.chunks_exact(plane).zip(maps.chunks_exact(plane)) {
        let (m, s) = map_numbers(img, map, side, ink, &t);
        if s.iter().all(|v| v.is_finite()) {
            spectrum.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
            counted += 1;
        }
        let [g2, g3, g4] = m.grid;
        let [e2, e3, e4] = m.lattice_energy;
        rows.push([m.ink_share, m.spread, g2, g3, g4, e2, e3, e4]);
    }
    let mean = |c: usize| {
        let v: Vec<f64> = rows.iter().map(|r| r[c]).filter(|x| x.is_finite()).collect();
        if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
    };
    spectrum.iter_mut().for_each(|s| *s /= counted.max(1) as f64);
    MapMeans {
        numbers: MapNumbers {
            ink_share: mean(0),
            spread: mean(1),
            grid: [mean(2), mean(3), mean(4)],
            lattice_energy: [mean(5), mean(6), mean(7)],
        },
        spectrum,
    }
}

/// The uniform baseline map (every pixel 1).
pub fn uniform_map(side: usize) -> Vec<f32> {
    vec![1.0; side * side]
}

/// Sobel edge magnitude `√(Gx² + Gy²)` of an image, zero padding at the border.
pub fn sobel(image: &[f32], side: usize) -> Vec<f32> {
    let px = |y: isize, x: isize| {
        if y < 0 || x < 0 || y >= side as isize || x >= side as isize {
            0.0
        } else {
            image[y as usize * side + x as usize]
        }
    };
    let mut out = Vec::with_capacity(side * side);
    for y in 0..side as isize {
        for x in 0..side as isize {
            let gx = px(y - 1, x + 1) + 2.0 * px(y, x + 1) + px(y + 1, x + 1)
                - px(y - 1, x - 1)
                - 2.0 * px(y, x - 1)
                - px(y + 1, x - 1);
            let gy = px(y + 1, x - 1) + 2.0 * px(y + 1, x) + px(y + 1, x + 1)
                - px(y - 1, x - 1)
                - 2.0 * px(y - 1, x)
                - px(y - 1, x + 1);
            out.push(gx.hypot(gy));
        }
    }
    out
}
