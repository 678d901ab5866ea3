//! The continuous-dilation convolution against a direct f64 reference (one bilinear read per tap
//! and output pixel, no column matrix), against the integer dilated convolution at integer
//! dilations, and its dilation gradient against central differences.

use atrous_conv::{
    Conv2dParams, ConvError, GradsWanted, continuous_conv2d_backward, continuous_conv2d_forward,
    conv2d_backward, conv2d_forward,
};
use atrous_tensor::Tensor;
use atrous_tensor::parallel::with_threads;
use atrous_tensor::rng::Rng;

/// A problem: input, weight, bias and an output gradient.
struct Problem {
    x: Tensor,
    w: Tensor,
    b: Tensor,
    dy: Tensor,
}

fn problem(rng: &mut Rng, [n, c_in, c_out, h, w, k_h, k_w]: [usize; 7]) -> Problem {
    Problem {
        x: Tensor::uniform(&[n, c_in, h, w], -1.0, 1.0, rng),
        w: Tensor::uniform(&[c_out, c_in, k_h, k_w], -1.0, 1.0, rng),
        b: Tensor::uniform(&[c_out], -1.0, 1.0, rng),
        dy: Tensor::uniform(&[n, c_out, h, w], -1.0, 1.0, rng),
    }
}

/// The input at real coordinates `(y, x)` of plane `(n, c)`, bilinear, zero outside.
fn bilinear(x: &Tensor, n: usize, c: usize, y: f64, xx: f64) -> f64 {
    let [_, c_in, h, w] = x.dims().try_into().unwrap();
    let at = |yi: i64, xi: i64| -> f64 {
        if yi < 0 || xi < 0 || yi >= h as i64 || xi >= w as i64 {
            return 0.0;
        }
        f64::from(x.as_slice()[((n * c_in + c) * h + yi as usize) * w + xi as usize])
    };
    let (y0, x0) = (y.floor(), xx.floor());
    let (fy, fx) = (y - y0, xx - x0);
    let (y0, x0) = (y0 as i64, x0 as i64);
    (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
        + fy * ((1.0 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1))
}

/// `y` by the definition, in f64.
fn reference_forward(p: &Problem, d: f64) -> Vec<f64> {
    let [n, c_in, h, w] = p.x.dims().try_into().unwrap();
    let [c_out, _, k_h, k_w] = p.w.dims().try_into().unwrap();
    let mut y = vec![0.0; n * c_out * h * w];
    for img in 0..n {
        for o in 0..c_out {
            for oy in 0..h {
                for ox in 0..w {
                    let mut s = f64::from(p.b.as_slice()[o]);
                    for c in 0..c_in {
                        for i in 0..k_h {
                            for j in 0..k_w {
                                let a_i = i as f64 - ((k_h - 1) / 2) as f64;
                                let a_j = j as f64 - ((k_w - 1) / 2) as f64;
                                let wv = f64::from(p.w.as_slice()[((o * c_in + c) * k_h + i) * k_w + j]);
                                s += wv * bilinear(&p.x, img, c, oy as f64 + a_i * d, ox as f64 + a_j * d);
                            }
                        }
                    }
                    y[((img * c_out + o) * h + oy) * w + ox] = s;
                }
            }
        }
    }
    y
}

/// `L = Σ dy ⊙ y` by the reference.
fn reference_loss(p: &Problem, d: f64) -> f64 {
    reference_forward(p, d).iter().zip(p.dy.as_slice()).map(|(y, &g)| y * f64::from(g)).sum()
}

fn assert_close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((f64::from(g) - w).abs() <= tol * scale, "{what}[{i}]: {g} vs {w} (scale {scale})");
    }
}

/// Shapes: `[N, C_in, C_out, H, W, k_h, k_w]`, small enough for the f64 reference.
const SHAPES: [[usize; 7]; 4] =
    [[2, 3, 4, 7, 9, 3, 3], [1, 2, 3, 10, 6, 3, 5], [3, 1, 2, 5, 5, 5, 3], [1, 4, 2, 8, 8, 1, 3]];

#[test]
fn forward_and_input_and_weight_gradients_match_the_direct_reference() {
    let mut rng = Rng::seed_from(7);
    for shape in SHAPES {
        for d in [0.4f32, 1.0, 1.37, 2.5, 3.82] {
            let p = problem(&mut rng, shape);
            let y = continuous_conv2d_forward(&p.x, &p.w, Some(&p.b), d).unwrap();
            assert_close(
                &format!("y {shape:?} d={d}"),
                y.as_slice(),
                &reference_forward(&p, f64::from(d)),
                1e-5,
            );

            // dL/dx and dL/dw of L = Σ dy ⊙ y by central differences of the f64 reference, which is
            // linear in x and w, so the differences are exact up to rounding.
            let g = continuous_conv2d_backward(&p.x, &p.w, d, &p.dy).unwrap();
            let h = 1e-2;
            for (what, len, got) in [("dx", p.x.len(), &g.dx), ("dw", p.w.len(), &g.dw)] {
                let mut want = Vec::new();
                for idx in 0..len {
                    let moved = |delta: f32| {
                        let mut q =
                            Problem { x: p.x.clone(), w: p.w.clone(), b: p.b.clone(), dy: p.dy.clone() };
                        let t = if what == "dx" { &mut q.x } else { &mut q.w };
                        t.as_mut_slice()[idx] += delta;
                        reference_loss(&q, f64::from(d))
                    };
                    want.push((moved(h) - moved(-h)) / (2.0 * f64::from(h)));
                }
                assert_close(&format!("{what} {shape:?} d={d}"), got.as_slice(), &want, 1e-4);
            }
            let db: Vec<f64> = {
                let [n, c_out, hh, ww] = p.dy.dims().try_into().unwrap();
                (0..c_out)
                    .map(|o| {
                        (0..n)
                            .map(|img| {
                                let start = (img * c_out + o) * hh * ww;
                                p.dy.as_slice()[start..start + hh * ww]
                                    .iter()
                                    .map(|&v| f64::from(v))
                                    .sum::<f64>()
                            })
                            .sum()
                    })
                    .collect()
            };
            assert_close(&format!("db {shape:?} d={d}"), g.db.as_slice(), &db, 1e-5);
        }
    }
}

#[test]
fn dilation_gradient_matches_central_differences() {
    let mut rng = Rng::seed_from(11);
    for shape in SHAPES {
        // Dilations whose taps stay inside one pixel cell for d ± h, so L is a smooth
        // (piecewise-quadratic) function there and the central difference is exact up to rounding.
        for d in [0.43f32, 1.37, 2.21, 3.62] {
            let p = problem(&mut rng, shape);
            let g = continuous_conv2d_backward(&p.x, &p.w, d, &p.dy).unwrap();
            let h = 1e-3;
            let d64 = f64::from(d);
            let want = (reference_loss(&p, d64 + h) - reference_loss(&p, d64 - h)) / (2.0 * h);
            let scale = want.abs().max(1.0);
            assert!(
                (f64::from(g.dd) - want).abs() <= 1e-3 * scale,
                "dd {shape:?} d={d}: {} vs central difference {want}",
                g.dd
            );
        }
    }
}

#[test]
fn integer_dilations_give_the_integer_dilated_convolution() {
    let mut rng = Rng::seed_from(3);
    for shape in [[2, 3, 5, 12, 11, 3, 3], [1, 4, 2, 9, 9, 5, 5]] {
        for d in 1..=3usize {
            let p = problem(&mut rng, shape);
            let params = Conv2dParams::new(
                (shape[5], shape[6]),
                (1, 1),
                (d * (shape[5] - 1) / 2, d * (shape[6] - 1) / 2),
                (d, d),
            )
            .unwrap();
            let want = conv2d_forward(&p.x, &p.w, Some(&p.b), &params).unwrap();
            let got = continuous_conv2d_forward(&p.x, &p.w, Some(&p.b), d as f32).unwrap();
            let wide = |t: &Tensor| t.as_slice().iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
            assert_close(&format!("y {shape:?} d={d}"), got.as_slice(), &wide(&want), 1e-5);
            let int = conv2d_backward(&p.x, &p.w, &p.dy, &params, GradsWanted::ALL).unwrap();
            let cont = continuous_conv2d_backward(&p.x, &p.w, d as f32, &p.dy).unwrap();
            assert_close("dx", cont.dx.as_slice(), &wide(&int.dx.unwrap()), 1e-5);
            assert_close("dw", cont.dw.as_slice(), &wide(&int.dw.unwrap()), 1e-5);
            assert_close("db", cont.db.as_slice(), &wide(&int.db.unwrap()), 1e-5);
        }
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let p = problem(&mut Rng::seed_from(5), [6, 3, 4, 9, 9, 3, 3]);
    let run = |threads| {
        with_threads(threads, || {
            let y = continuous_conv2d_forward(&p.x, &p.w, Some(&p.b), 1.7).unwrap();
            let g = continuous_conv2d_backward(&p.x, &p.w, 1.7, &p.dy).unwrap();
            (y, g.dx, g.dw, g.db, g.dd.to_bits())
        })
        .unwrap()
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn bad_dilations_and_shapes_are_refused() {
    let p = problem(&mut Rng::seed_from(1), [1, 2, 3, 5, 5, 3, 3]);
    // The 5×5 image: a 3×3 kernel's outer taps at d = 10.5 reach past twice its side.
    for d in [0.0f32, -1.0, f32::NAN, f32::INFINITY, 10.5, 1e30] {
        let err = continuous_conv2d_forward(&p.x, &p.w, None, d).unwrap_err();
        assert!(matches!(err, ConvError::BadDilation { .. }), "{d}: {err}");
        assert!(continuous_conv2d_backward(&p.x, &p.w, d, &p.dy).is_err());
    }
    let even = Tensor::zeros(&[3, 2, 2, 3]);
    assert!(matches!(
        continuous_conv2d_forward(&p.x, &even, None, 1.0),
        Err(ConvError::EvenSameKernel { k: 2 })
    ));
    let other_channels = Tensor::zeros(&[3, 4, 3, 3]);
    assert!(matches!(
        continuous_conv2d_forward(&p.x, &other_channels, None, 1.0),
        Err(ConvError::Channels { .. })
    ));
    let wrong_dy = Tensor::zeros(&[1, 3, 4, 5]);
    assert!(matches!(continuous_conv2d_backward(&p.x, &p.w, 1.0, &wrong_dy), Err(ConvError::Operand { .. })));
    let wrong_bias = Tensor::zeros(&[2]);
    assert!(matches!(
        continuous_conv2d_forward(&p.x, &p.w, Some(&wrong_bias), 1.0),
        Err(ConvError::Operand { .. })
    ));
}
