//! Attribution methods on tiny hand-built networks whose maps are known in closed form.

use atrous_autograd::{Classifier, Tape, Var};
use atrous_conv::{Conv2dParams, Pool2dParams};
use atrous_saliency::attribution::grad_cam::upsample_bilinear;
use atrous_saliency::attribution::{IntegratedGradients, Method, Occlusion, attribute};
use atrous_saliency::saliency::Target;
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// A network given by its parameters and a forward function, for hand-built cases.
struct Tiny {
    params: Vec<Tensor>,
    dims: [usize; 3],
    classes: usize,
    forward: fn(&mut Tape, &[Var], Var) -> atrous_autograd::Result<Var>,
}

impl Classifier for Tiny {
    fn parameters(&self) -> Vec<&Tensor> {
        self.params.iter().collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.params.iter_mut().collect()
    }
    fn forward(&self, tape: &mut Tape, p: &[Var], x: Var) -> atrous_autograd::Result<Var> {
        (self.forward)(tape, p, x)
    }
    fn input_dims(&self) -> [usize; 3] {
        self.dims
    }
    fn classes(&self) -> usize {
        self.classes
    }
}

/// `S = flatten(x)·Wᵀ + b`.
fn linear(w: Tensor, b: Tensor, dims: [usize; 3]) -> Tiny {
    let classes = w.dims()[0];
    let forward: fn(&mut Tape, &[Var], Var) -> atrous_autograd::Result<Var> = |tape, p, x| {
        let h = tape.flatten(x)?;
        tape.linear(h, p[0], Some(p[1]))
    };
    Tiny { params: vec![w, b], dims, classes, forward }
}

/// `S = relu(flatten(x)·W1ᵀ + b1)·W2ᵀ + b2`.
fn relu_net(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, dims: [usize; 3]) -> Tiny {
    let classes = w2.dims()[0];
    let forward: fn(&mut Tape, &[Var], Var) -> atrous_autograd::Result<Var> = |tape, p, x| {
        let h = tape.flatten(x)?;
        let h = tape.linear(h, p[0], Some(p[1]))?;
        let h = tape.relu(h);
        tape.linear(h, p[2], Some(p[3]))
    };
    Tiny { params: vec![w1, b1, w2, b2], dims, classes, forward }
}

fn t(dims: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(dims, v.to_vec()).unwrap()
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: {g} vs {w}");
    }
}

#[test]
fn grad_x_input_of_a_linear_model_is_input_times_weight() {
    let mut rng = Rng::seed_from(3);
    let (c, h, w) = (2, 3, 4);
    let d = c * h * w;
    let net = linear(
        Tensor::uniform(&[5, d], -1.0, 1.0, &mut rng),
        Tensor::uniform(&[5], -1.0, 1.0, &mut rng),
        [c, h, w],
    );
    let x = Tensor::uniform(&[3, c, h, w], 0.0, 1.0, &mut rng);
    let a = attribute(&net, &x, Target::Class(4), None, &Method::GradientTimesInput).unwrap();
    assert_eq!(a.maps.dims(), &[3, h, w]);
    // ∂S_4/∂x = W[4], so the map is Σ_channels x ⊙ W[4].
    let w4 = &net.params[0].as_slice()[4 * d..5 * d];
    let mut want = vec![0.0; 3 * h * w];
    for n in 0..3 {
        for ch in 0..c {
            for p in 0..h * w {
                want[n * h * w + p] += x.as_slice()[n * d + ch * h * w + p] * w4[ch * h * w + p];
            }
        }
    }
    assert_close(a.maps.as_slice(), &want, 1e-6, "grad-x-input");
    assert_eq!(a.targets, vec![4; 3]);

    // Integrated gradients from 0 of a linear model is the same map, whatever the steps, and
    // complete: Σ map = S(x) − S(0) = x·W[4].
    let ig = Method::IntegratedGradients(IntegratedGradients { steps: 3, ..Default::default() });
    let b = attribute(&net, &x, Target::Class(4), None, &ig).unwrap();
    assert_close(b.maps.as_slice(), &want, 1e-5, "integrated gradients");
    assert!(b.completeness_gap.unwrap().iter().all(|&g| g < 1e-5));
}

#[test]
fn integrated_gradients_across_one_kink_matches_the_closed_form() {
    // S = relu(w·x − 0.78125) with w·x = 2.5 at the image: the path from 0 crosses the kink at
    // α* = 0.3125, so IG = x ⊙ w · (1 − α*) and Σ IG = S(x) − S(0). The integrand is a step;
    // with α* halfway between two of 8 steps' points the trapezoid rule is exact, in general
    // it misses by up to half a step.
    let x = t(&[1, 1, 1, 4], &[0.5, 1.0, 0.25, 0.75]);
    let w = [2.0, 1.0, 4.0, -0.666_666_7];
    let net = relu_net(t(&[1, 4], &w), t(&[1], &[-0.78125]), t(&[1, 1], &[1.0]), t(&[1], &[0.0]), [1, 1, 4]);
    let wx: f32 = x.as_slice().iter().zip(&w).map(|(a, b)| a * b).sum();
    assert_eq!(wx, 2.5);
    let alpha = 0.78125 / wx;
    let want: Vec<f32> = x.as_slice().iter().zip(&w).map(|(a, b)| a * b * (1.0 - alpha)).collect();
    for steps in [8, 400] {
        let ig = Method::IntegratedGradients(IntegratedGradients { steps, ..Default::default() });
        let a = attribute(&net, &x, Target::Class(0), None, &ig).unwrap();
        let tol = if steps == 8 { 1e-6 } else { 0.5 / steps as f32 + 1e-6 };
        for (p, (&g, &e)) in a.maps.as_slice().iter().zip(&want).enumerate() {
            assert!(
                (g - e).abs() <= tol * (x.as_slice()[p] * w[p]).abs(),
                "{steps} steps, pixel {p}: {g} vs {e}"
            );
        }
    }
}

#[test]
fn integrated_gradients_is_complete_on_a_small_relu_net_with_enough_steps() {
    let mut rng = Rng::seed_from(5);
    let (d, hidden) = (36, 24);
    let net = relu_net(
        Tensor::uniform(&[hidden, d], -1.0, 1.0, &mut rng),
        Tensor::uniform(&[hidden], -1.0, 1.0, &mut rng),
        Tensor::uniform(&[3, hidden], -1.0, 1.0, &mut rng),
        Tensor::uniform(&[3], -1.0, 1.0, &mut rng),
        [1, 6, 6],
    );
    let x = Tensor::uniform(&[4, 1, 6, 6], 0.0, 1.0, &mut rng);
    let method = Method::IntegratedGradients(IntegratedGradients { steps: 4000, ..Default::default() });
    let a = attribute(&net, &x, Target::Predicted, None, &method).unwrap();
    let at_zero = net.predict(&Tensor::zeros(&[1, 1, 6, 6])).unwrap();
    let gaps = a.completeness_gap.clone().unwrap();
    assert_eq!(gaps.len(), 4);
    for (n, (map, gap)) in a.maps.as_slice().chunks(36).zip(gaps).enumerate() {
        let sum: f32 = map.iter().sum();
        let rise = a.scores[n] - at_zero.as_slice()[a.targets[n]];
        assert!((sum - rise).abs() < 1e-3, "image {n}: Σ IG {sum} vs S(x) − S(0) {rise}");
        assert!(gap < 1e-3, "image {n}: reported gap {gap}");
    }
    // With few steps the same net is visibly incomplete, and the gap says so.
    let coarse = Method::IntegratedGradients(IntegratedGradients { steps: 2, ..Default::default() });
    let gaps = attribute(&net, &x, Target::Predicted, None, &coarse).unwrap().completeness_gap.unwrap();
    assert!(gaps.iter().any(|&g| g > 1e-2), "2-step gaps {gaps:?}");
}

#[test]
fn guided_backprop_and_deconvnet_follow_their_relu_rules() {
    // h = relu(W1·x) with W1 rows (1, 0), (0, −1), (1, 1) at x = (1, 1): pre-activations
    // (1, −1, 2), so the second unit is off. S = (−2, 3, 0.5)·h, so dS/dh = (−2, 3, 0.5).
    //   gradient: dh·[h > 0] = (−2, 0, 0.5)        → dx = W1ᵀ·that = (−1.5, 0.5)
    //   guided:   max(dh, 0)·[h > 0] = (0, 0, 0.5) → dx = (0.5, 0.5)
    //   deconv:   max(dh, 0) = (0, 3, 0.5)         → dx = (0.5, −2.5)
    let net = relu_net(
        t(&[3, 2], &[1.0, 0.0, 0.0, -1.0, 1.0, 1.0]),
        t(&[3], &[0.0; 3]),
        t(&[1, 3], &[-2.0, 3.0, 0.5]),
        t(&[1], &[0.0]),
        [1, 1, 2],
    );
    let x = t(&[1, 1, 1, 2], &[1.0, 1.0]);
    let map = |m: Method| attribute(&net, &x, Target::Class(0), None, &m).unwrap().maps.into_vec();
    assert_eq!(map(Method::GradientTimesInput), vec![-1.5, 0.5]);
    assert_eq!(map(Method::GuidedBackprop), vec![0.5, 0.5]);
    assert_eq!(map(Method::Deconvnet), vec![0.5, -2.5]);
    assert_eq!(map(Method::Vanilla), vec![1.5, 0.5]);
}

/// `S_0 = 3·x[r, c] − 1` on a `side × side` image.
fn one_pixel(side: usize, r: usize, c: usize) -> Tiny {
    let mut w = vec![0.0; side * side];
    w[r * side + c] = 3.0;
    linear(t(&[1, side * side], &w), t(&[1], &[-1.0]), [1, side, side])
}

/// Windows `(top, left)` of `occlusion` on a `side` image, by brute force.
fn windows(o: &Occlusion, side: usize) -> Vec<(usize, usize)> {
    let starts: Vec<usize> =
        (0..side).step_by(o.stride).take_while(|&s| s + o.window < side + o.stride).collect();
    starts.iter().flat_map(|&r| starts.iter().map(move |&c| (r, c))).collect()
}

#[test]
fn occlusion_of_a_one_pixel_model_spreads_its_drop_over_the_shared_windows() {
    let (side, (pr, pc)) = (28, (10, 13));
    let net = one_pixel(side, pr, pc);
    let mut x = Tensor::full(&[1, 1, side, side], 0.5);
    x.as_mut_slice()[pr * side + pc] = 0.8;
    for o in [Occlusion::default(), Occlusion { window: 5, stride: 2 }, Occlusion { window: 3, stride: 3 }] {
        let a = attribute(&net, &x, Target::Class(0), None, &Method::Occlusion(o)).unwrap();
        let covers = |(r0, c0): (usize, usize), r: usize, c: usize| {
            (r0..r0 + o.window).contains(&r) && (c0..c0 + o.window).contains(&c)
        };
        let all = windows(&o, side);
        for r in 0..side {
            for c in 0..side {
                // A window that hides the pixel drops S_0 by 3·0.8; any other window by nothing.
                let mine: Vec<_> = all.iter().filter(|&&win| covers(win, r, c)).collect();
                assert!(!mine.is_empty(), "{o:?}: pixel ({r}, {c}) uncovered");
                let shared = mine.iter().filter(|&&&win| covers(win, pr, pc)).count();
                let want = 3.0 * 0.8 * shared as f32 / mine.len() as f32;
                let got = a.maps.as_slice()[r * side + c];
                assert!((got - want).abs() < 1e-5, "{o:?} ({r}, {c}): {got} vs {want}");
            }
        }
        assert!((a.maps.as_slice()[pr * side + pc] - 2.4).abs() < 1e-5);
    }
}

#[test]
fn bilinear_upsampling_matches_pytorch_half_pixel_centres() {
    let m = t(&[1, 2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let up = upsample_bilinear(&m, 4, 4).unwrap();
    #[rustfmt::skip]
    let want = [1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0];
    assert_eq!(up.as_slice(), &want);
    // A ratio that is not a whole number (3×3 → 7×5), values recorded with PyTorch by
    // `check_attribution_captum.py --bilinear-fixture`.
    let m = t(&[1, 3, 3], &[1.0, 2.0, 0.0, 3.0, 4.0, -1.0, 0.0, 1.0, 5.0]);
    // PyTorch's float32 values as the script prints them (8 significant digits).
    #[rustfmt::skip]
    #[allow(clippy::excessive_precision)]
    let want = [
        1.0, 1.4000001, 2.0, 0.79999971, 0.0,
        1.2857143, 1.6857144, 2.2857144, 0.82857108, -0.14285715,
        2.1428571, 2.5428572, 3.1428571, 0.91428518, -0.5714286,
        3.0, 3.4000001, 4.0, 0.99999928, -1.0,
        1.7142856, 2.1142857, 2.7142856, 2.0285714, 1.5714288,
        0.42857122, 0.82857132, 1.4285712, 3.0571432, 4.1428576,
        0.0, 0.40000004, 1.0, 3.4000006, 5.0,
    ];
    assert_close(upsample_bilinear(&m, 7, 5).unwrap().as_slice(), &want, 2e-6, "3×3 → 7×5");
}

#[test]
fn grad_cam_of_a_hand_built_feature_map() {
    // x [1, 8, 8] → 2×2 max-pool P [4, 4] → 1×1 conv to two channels (+1, −1) → ReLU:
    // A_0 = relu(P), A_1 = relu(−P). Global average pooling and V = [[2, 3], [−1, 0.5]] give
    // S_c = Σ_k V[c, k]·mean(A_k), so ∂S_c/∂A_k = V[c, k]/16 at every position (also where
    // A_k = 0: the gradient arriving at the ReLU's output, before its mask), α_k = V[c, k]/16,
    // and the map is relu(Σ_k α_k A_k) upsampled from 4×4 to 8×8.
    let forward: fn(&mut Tape, &[Var], Var) -> atrous_autograd::Result<Var> = |tape, p, x| {
        let h = tape.max_pool2d(x, Pool2dParams::new((2, 2), (2, 2))?)?;
        let h = tape.conv2d(h, p[0], Some(p[1]), Conv2dParams::same(1, 1)?)?;
        let h = tape.relu(h);
        let h = tape.global_avg_pool(h)?;
        tape.linear(h, p[2], None)
    };
    let net = Tiny {
        params: vec![
            t(&[2, 1, 1, 1], &[1.0, -1.0]),
            t(&[2], &[0.0, 0.0]),
            t(&[2, 2], &[2.0, 3.0, -1.0, 0.5]),
        ],
        dims: [1, 8, 8],
        classes: 2,
        forward,
    };
    let x = Tensor::uniform(&[2, 1, 8, 8], -1.0, 1.0, &mut Rng::seed_from(9));
    for class in [0usize, 1] {
        let a = attribute(&net, &x, Target::Class(class), None, &Method::GradCam).unwrap();
        let v = [[2.0f32, 3.0], [-1.0, 0.5]][class];
        let mut cams = Vec::new();
        for n in 0..2 {
            let img = &x.as_slice()[n * 64..(n + 1) * 64];
            for r in 0..4 {
                for c in 0..4 {
                    let p = [0, 1, 8, 9].iter().map(|&o| img[16 * r + 2 * c + o]).fold(f32::MIN, f32::max);
                    cams.push((v[0] / 16.0 * p.max(0.0) + v[1] / 16.0 * (-p).max(0.0)).max(0.0));
                }
            }
        }
        let want = upsample_bilinear(&t(&[2, 4, 4], &cams), 8, 8).unwrap();
        assert_close(a.maps.as_slice(), want.as_slice(), 1e-6, "grad-cam");
        assert!(a.maps.as_slice().iter().any(|&m| m > 0.0));
    }
}
