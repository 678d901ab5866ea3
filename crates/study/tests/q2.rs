//! Q2's measuring instruments on synthetic inputs whose answers are known in closed form: the
//! gridding index of a lattice, the effective receptive field of a linear dilated conv stack,
//! and the noise-floor rule.

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_study::q2::erf::{erf_shape, unit_gradient};
use atrous_study::q2::floor::{across, floor_verdict, percentile, rank_scores, within};
use atrous_study::q2::maps::{SpectrumTables, axis_spectrum, gridding_index, sobel, spectrum_at};
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// A `side × side` map that is `peak` where `y ≡ 0` and `x ≡ 0 (mod period)`, `floor` elsewhere.
fn lattice(side: usize, period: usize, peak: f32, floor: f32) -> Vec<f32> {
    (0..side * side)
        .map(|i| if (i / side) % period == 0 && (i % side) % period == 0 { peak } else { floor })
        .collect()
}

#[test]
fn gridding_index_of_a_lattice_equals_its_closed_form() {
    let side = 24; // divisible by 2, 3 and 4: every phase has (side/k)² pixels
    for period in 2..=4 {
        let (peak, floor) = (5.0f32, 0.5f32);
        let map = lattice(side, period, peak, floor);
        let on = (side / period).pow(2) as f64;
        let total = f64::from(peak) * on + f64::from(floor) * ((side * side) as f64 - on);
        // k = period: the loaded phase holds exactly the lattice points.
        let expected = f64::from(peak) * on / total * (period * period) as f64;
        let got = gridding_index(&map, side, period);
        assert!((got - expected).abs() < 1e-12, "period {period}: {got} vs {expected}");
        // A pure lattice (floor 0) puts all its mass on one phase: k².
        let pure = lattice(side, period, 1.0, 0.0);
        assert!((gridding_index(&pure, side, period) - (period * period) as f64).abs() < 1e-12);
    }
    // A period-4 lattice seen with k = 2: its points all sit on phase (0, 0) mod 2, which also
    // holds (side/2)² − (side/4)² floor pixels.
    let (peak, floor) = (3.0f32, 1.0f32);
    let map = lattice(side, 4, peak, floor);
    let on = (side / 4).pow(2) as f64;
    let phase = f64::from(peak) * on + f64::from(floor) * ((side / 2).pow(2) as f64 - on);
    let total = f64::from(peak) * on + f64::from(floor) * ((side * side) as f64 - on);
    assert!((gridding_index(&map, side, 2) - 4.0 * phase / total).abs() < 1e-12);
    // No lattice: exactly 1.
    assert_eq!(gridding_index(&vec![2.0; side * side], side, 3), 1.0);
}

#[test]
fn the_spectrum_of_a_lattice_peaks_at_its_frequency() {
    let side = 28;
    let t = SpectrumTables::new(side);
    for (period, f) in [(2, 0.5), (4, 0.25)] {
        let s = axis_spectrum(&lattice(side, period, 1.0, 0.0), &t);
        let peak = spectrum_at(&s, f);
        assert!(s.iter().all(|&v| v <= peak + 1e-9), "period {period}");
        assert!(peak > 5.0, "period {period}: {peak}");
    }
}

#[test]
fn sobel_of_a_vertical_step_is_four_on_both_sides_of_it() {
    let side = 6;
    let image: Vec<f32> = (0..36).map(|i| if i % side >= 3 { 1.0 } else { 0.0 }).collect();
    let e = sobel(&image, side);
    // Interior rows: columns 2 and 3 see the step with weights 1 + 2 + 1.
    assert_eq!(e[2 * side + 2], 4.0);
    assert_eq!(e[2 * side + 3], 4.0);
    assert_eq!(e[2 * side], 0.0);
}

/// The tap pattern of `layers` 3×3 convolutions with all-ones weights and dilation `d`: the
/// number of paths from input offset `(d·i, d·j)` to the centre, `c(i)·c(j)` with `c` the
/// `layers`-fold convolution of `[1, 1, 1]` with itself.
fn taps(layers: usize) -> Vec<f64> {
    let mut c = vec![1.0];
    for _ in 0..layers {
        let mut next = vec![0.0; c.len() + 2];
        for (i, v) in c.iter().enumerate() {
            for k in 0..3 {
                next[i + k] += v;
            }
        }
        c = next;
    }
    c
}

#[test]
fn erf_of_a_linear_dilated_stack_is_the_analytic_tap_pattern() {
    for d in 1..=3 {
        for layers in 1..=2 {
            let side = 2 * layers * d + 5;
            let params =
                DilNet::new(DilNetConfig::reference(d), &mut Rng::seed_from(0)).unwrap().conv1.params;
            let x = Tensor::uniform(&[2, 1, side, side], 0.0, 1.0, &mut Rng::seed_from(7));
            let erf = unit_gradient(&x, |tape, xv| {
                let mut h = xv;
                for _ in 0..layers {
                    let w = tape.constant(Tensor::full(&[1, 1, 3, 3], 1.0));
                    h = tape.conv2d(h, w, None, params)?;
                }
                Ok(h)
            })
            .unwrap();
            let c = taps(layers);
            let centre = side / 2;
            let reach = layers as isize;
            for y in 0..side {
                for x in 0..side {
                    let (dy, dx) = (y as isize - centre as isize, x as isize - centre as isize);
                    let d = d as isize;
                    let on = dy % d == 0 && dx % d == 0 && dy.abs() <= reach * d && dx.abs() <= reach * d;
                    let expected =
                        if on { c[(dy / d + reach) as usize] * c[(dx / d + reach) as usize] } else { 0.0 };
                    assert!(
                        (erf[y * side + x] - expected).abs() < 1e-4,
                        "d={d} layers={layers} ({y},{x}): {} vs {expected}",
                        erf[y * side + x]
                    );
                }
            }
        }
    }
}

#[test]
fn erf_radii_of_a_point_and_of_a_ring() {
    let side = 21;
    let mut point = vec![0.0; side * side];
    point[10 * side + 10] = 1.0;
    let s = erf_shape(&point, side);
    assert_eq!((s.r50, s.r90), (0.0, 0.0));
    assert_eq!(s.profile[0], 1.0);
}

/// Maps of `seeds` networks: a shared `pattern` plus independent noise of size `noise`.
fn group(pattern: &[f32], seeds: usize, noise: f32, images: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    (0..seeds)
        .map(|_| {
            (0..images)
                .flat_map(|_| pattern.iter().map(|&p| p + noise * rng.normal()).collect::<Vec<_>>())
                .collect()
        })
        .collect()
}

fn refs(g: &[Vec<f32>]) -> Vec<&[f32]> {
    g.iter().map(Vec::as_slice).collect()
}

#[test]
fn the_noise_floor_rule_separates_different_patterns_and_not_equal_ones() {
    let plane = 64;
    let mut rng = Rng::seed_from(3);
    let a: Vec<f32> = (0..plane).map(|i| i as f32 / plane as f32).collect();
    let b: Vec<f32> = (0..plane).map(|i| ((i * 37) % plane) as f32 / plane as f32).collect();
    let scores = |g: Vec<Vec<f32>>| g.iter().map(|m| rank_scores(m, plane)).collect::<Vec<_>>();
    let ga = scores(group(&a, 6, 0.2, 5, &mut rng));
    let ga2 = scores(group(&a, 6, 0.2, 5, &mut rng));
    let gb = scores(group(&b, 6, 0.2, 5, &mut rng));
    let (wa, wa2, wb) = (within(&refs(&ga), plane), within(&refs(&ga2), plane), within(&refs(&gb), plane));
    assert_eq!(wa.len(), 15);
    // Different patterns: the across mean is far below both floors.
    let real = floor_verdict(&wa, &wb, &across(&refs(&ga), &refs(&gb), plane));
    assert!(real.real && real.across < 0.3 && real.floor > 0.5, "{real:?}");
    // The same pattern in two groups: within the floor.
    let same = floor_verdict(&wa, &wa2, &across(&refs(&ga), &refs(&ga2), plane));
    assert!(!same.real, "{same:?}");
    // Identical maps correlate exactly.
    let one = rank_scores(&a, plane);
    assert!((atrous_study::q2::floor::similarity(&one, &one, plane) - 1.0).abs() < 1e-6);
    // The percentile interpolates between order statistics (NumPy's default).
    assert!((percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.05) - 1.2).abs() < 1e-12);
}
