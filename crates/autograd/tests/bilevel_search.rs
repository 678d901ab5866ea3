//! The bilevel search network and its normalisation op: the op against a plain per-channel
//! reference and central finite differences; one candidate reduces the mixture to a normalised
//! DilNet; each half of a bilevel step moves only its own group; Gumbel-softmax mixing reduces
//! to the plain softmax without noise at τ = 1, its gradient matches finite differences, and a
//! seed draws the same sample.

use atrous_autograd::bilevel_search::{BilevelSearchNet, gumbel_mix, partial_step};
use atrous_autograd::gradcheck::check_gradients;
use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::{Adam, Optimizer, Sgd};
use atrous_autograd::{Classifier, Tape, Var};
use atrous_conv::Conv2dParams;
use atrous_tensor::mnist::Batch;
use atrous_tensor::{Tensor, rng::Rng};

/// Per channel, with the textbook formula written element by element in f64.
fn reference_norm(x: &Tensor) -> Vec<f64> {
    let &[n, c, h, w] = x.dims() else { panic!("4-D") };
    let at = |i: usize, ch: usize, p: usize| f64::from(x.as_slice()[(i * c + ch) * h * w + p]);
    let mut y = vec![0.0; x.len()];
    for ch in 0..c {
        let vals: Vec<f64> =
            (0..n).flat_map(|i| (0..h * w).map(move |p| (i, p))).map(|(i, p)| at(i, ch, p)).collect();
        let m = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / m;
        let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / m;
        for i in 0..n {
            for p in 0..h * w {
                y[(i * c + ch) * h * w + p] = (at(i, ch, p) - mean) / (var + 1e-5).sqrt();
            }
        }
    }
    y
}

#[test]
fn channel_norm_matches_the_per_channel_formula() {
    // An offset and scale per channel, so a wrong axis would show.
    let mut x = Tensor::uniform(&[3, 4, 5, 6], -1.0, 1.0, &mut Rng::seed_from(1));
    for (i, v) in x.as_mut_slice().iter_mut().enumerate() {
        let ch = (i / 30) % 4;
        *v = *v * (1.0 + ch as f32) + 10.0 * ch as f32;
    }
    let mut tape = Tape::new();
    let xv = tape.constant(x.clone());
    let y = tape.channel_norm(xv).unwrap();
    let want = reference_norm(&x);
    for (k, (&got, &w)) in tape.value(y).as_slice().iter().zip(&want).enumerate() {
        assert!((f64::from(got) - w).abs() < 1e-5, "element {k}: {got} vs {w}");
    }
    // Each channel of the output has mean 0 and variance 1 − ε/(σ² + ε).
    let ys = tape.value(y).as_slice();
    for ch in 0..4 {
        let vals: Vec<f64> = (0..3)
            .flat_map(|i| ys[(i * 4 + ch) * 30..(i * 4 + ch + 1) * 30].iter())
            .map(|&v| f64::from(v))
            .collect();
        let mean = vals.iter().sum::<f64>() / 90.0;
        let var = vals.iter().map(|v| v * v).sum::<f64>() / 90.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-3, "channel {ch}: mean {mean} var {var}");
    }
    let flat = tape.constant(Tensor::zeros(&[4, 5]));
    assert!(tape.channel_norm(flat).is_err(), "a 2-D input is refused");
}

#[test]
fn channel_norm_gradient_matches_finite_differences() {
    for (dims, seed) in [([2usize, 3, 4, 3], 7u64), ([1, 2, 5, 5], 8), ([4, 1, 2, 3], 9)] {
        let x = Tensor::uniform(&dims, -2.0, 2.0, &mut Rng::seed_from(seed));
        let report = check_gradients(&[x], |t, v| t.channel_norm(v[0]), 1e-2, 1e-2, seed).unwrap();
        assert!(report.checked == dims.iter().product::<usize>());
        assert!(report.passes(2e-2), "{dims:?}: {report:?}");
    }
    // Inside a small mixture (conv → norm → mix), in the kernels and the logits together.
    let x = Tensor::uniform(&[2, 2, 6, 6], -1.0, 1.0, &mut Rng::seed_from(3));
    let w1 = Tensor::uniform(&[2, 2, 3, 3], -1.0, 1.0, &mut Rng::seed_from(4));
    let w2 = Tensor::uniform(&[2, 2, 3, 3], -1.0, 1.0, &mut Rng::seed_from(5));
    let a = Tensor::from_vec(&[2], vec![0.3, -0.2]).unwrap();
    let report = check_gradients(
        &[x, w1, w2, a],
        |t, v| {
            let p1 = t.conv2d(v[0], v[1], None, Conv2dParams::same(3, 1)?)?;
            let p2 = t.conv2d(v[0], v[2], None, Conv2dParams::same(3, 2)?)?;
            let (n1, n2) = (t.channel_norm(p1)?, t.channel_norm(p2)?);
            t.mix(&[n1, n2], v[3])
        },
        1e-2,
        1e-2,
        11,
    )
    .unwrap();
    assert!(report.passes(2e-2), "conv-norm-mix: {report:?}");
}

#[test]
fn one_candidate_is_a_dilnet_with_normalised_convolutions() {
    for shared in [false, true] {
        let search = BilevelSearchNet::new(&[2], shared, &mut Rng::seed_from(4)).unwrap();
        let plain = DilNet::new(DilNetConfig::reference(2), &mut Rng::seed_from(4)).unwrap();
        assert_eq!(search.net, plain, "DilNet's weights are drawn first, as a DilNet draws them");
        let x = Tensor::uniform(&[5, 1, 28, 28], 0.0, 1.0, &mut Rng::seed_from(5));
        let mut tape = Tape::new();
        let p = plain.bind(&mut tape, false);
        let xv = tape.constant(x.clone());
        let convs = [plain.conv1.params, plain.conv2.params, plain.conv3.params];
        let out = plain
            .forward_with(&mut tape, &p, xv, |t, layer, h, w, b| {
                let y = t.conv2d(h, w, Some(b), convs[layer])?;
                t.channel_norm(y)
            })
            .unwrap();
        // softmax of one logit is exactly 1, and 1·y adds to 0 exactly.
        assert_eq!(search.predict(&x).unwrap(), *tape.value(out), "shared = {shared}");
    }
}

#[test]
fn unshared_candidates_have_their_own_kernels_and_steps_move_only_their_group() {
    let mut net = BilevelSearchNet::new(&[1, 2, 4], false, &mut Rng::seed_from(1)).unwrap();
    assert_eq!(net.extra.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2]);
    assert_ne!(net.extra[0][0].weight, net.net.conv1.weight);
    assert_eq!(net.weight_range(), 0..22);
    assert_eq!(net.logit_range(), 22..25);
    assert_eq!(net.parameters().len(), 25);
    let shared = BilevelSearchNet::new(&[1, 2, 4], true, &mut Rng::seed_from(1)).unwrap();
    assert_eq!((shared.weight_range(), shared.parameters().len()), (0..10, 13));

    let batch = || Batch {
        x: Tensor::uniform(&[8, 1, 28, 28], 0.0, 1.0, &mut Rng::seed_from(3)),
        labels: (0..8).map(|i| i % 10).collect(),
    };
    let mut sgd = Optimizer::Sgd(Sgd::new(0.05, 0.9, 0.0));
    let mut adam = Optimizer::Adam(Adam::new(0.05, 0.0));
    let before = net.clone();
    let (weights, logits) = (net.weight_range(), net.logit_range());
    let stats = partial_step(&mut net, &mut sgd, &batch(), weights).unwrap();
    assert!(stats.loss.is_finite() && stats.count == 8);
    assert_eq!(net.logits, before.logits, "a weight step left the logits alone");
    assert_ne!(net.extra[1][1].weight, before.extra[1][1].weight, "an extra kernel moved");
    assert_ne!(net.net.fc2.weight, before.net.fc2.weight);
    let after_weights = net.clone();
    partial_step(&mut net, &mut adam, &batch(), logits).unwrap();
    assert_eq!(net.net, after_weights.net, "a logit step left the weights alone");
    assert_eq!(net.extra, after_weights.extra);
    for w in net.weights() {
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(w.iter().any(|&v| (v - 1.0 / 3.0).abs() > 1e-4), "mixing weights did not move: {w:?}");
    }
    net.logits[2] = Tensor::from_vec(&[3], vec![0.0, 4.0, 1.0]).unwrap();
    assert_eq!(net.chosen()[2], 2);
    assert!(BilevelSearchNet::new(&[], false, &mut Rng::seed_from(0)).is_err());
    assert!(BilevelSearchNet::new(&[1, 14], false, &mut Rng::seed_from(0)).is_err());
}

/// conv → norm → gumbel_mix over two dilations: the parts, kernels and logits of a small mixture.
fn small_mixture(noise: Tensor, tau: f32) -> impl Fn(&mut Tape, &[Var]) -> atrous_autograd::Result<Var> {
    move |t, v| {
        let p1 = t.conv2d(v[0], v[1], None, Conv2dParams::same(3, 1)?)?;
        let p2 = t.conv2d(v[0], v[2], None, Conv2dParams::same(3, 2)?)?;
        let (n1, n2) = (t.channel_norm(p1)?, t.channel_norm(p2)?);
        gumbel_mix(t, &[n1, n2], v[3], &noise, tau)
    }
}

fn small_inputs() -> Vec<Tensor> {
    vec![
        Tensor::uniform(&[2, 2, 6, 6], -1.0, 1.0, &mut Rng::seed_from(3)),
        Tensor::uniform(&[2, 2, 3, 3], -1.0, 1.0, &mut Rng::seed_from(4)),
        Tensor::uniform(&[2, 2, 3, 3], -1.0, 1.0, &mut Rng::seed_from(5)),
        Tensor::from_vec(&[2], vec![0.3, -0.2]).unwrap(),
    ]
}

#[test]
fn gumbel_mix_without_noise_at_unit_temperature_is_the_softmax_mixture() {
    let grads = |gumbel: bool| {
        let mut tape = Tape::new();
        let vars: Vec<Var> = small_inputs().into_iter().map(|t| tape.param(t)).collect();
        let out = if gumbel {
            small_mixture(Tensor::zeros(&[2]), 1.0)(&mut tape, &vars).unwrap()
        } else {
            let p1 = tape.conv2d(vars[0], vars[1], None, Conv2dParams::same(3, 1).unwrap()).unwrap();
            let p2 = tape.conv2d(vars[0], vars[2], None, Conv2dParams::same(3, 2).unwrap()).unwrap();
            let (n1, n2) = (tape.channel_norm(p1).unwrap(), tape.channel_norm(p2).unwrap());
            tape.mix(&[n1, n2], vars[3]).unwrap()
        };
        let sum = tape.sum(out);
        let mut g = tape.backward(sum).unwrap();
        (tape.value(out).clone(), vars.iter().map(|&v| g.take(v).unwrap()).collect::<Vec<_>>())
    };
    assert_eq!(grads(true), grads(false), "value and every gradient, bit for bit");
}

#[test]
fn gumbel_mix_gradient_matches_finite_differences() {
    // Noise off at a fixed τ = 0.5, then with a fixed noise draw at τ = 2.
    for (noise, tau) in [(vec![0.0, 0.0], 0.5), (vec![0.7, -0.4], 2.0)] {
        let noise = Tensor::from_vec(&[2], noise).unwrap();
        let report = check_gradients(&small_inputs(), small_mixture(noise, tau), 1e-2, 1e-2, 11).unwrap();
        assert!(report.passes(2e-2), "τ = {tau}: {report:?}");
    }
    let mut tape = Tape::new();
    let (a, p) = (tape.param(Tensor::zeros(&[2])), tape.constant(Tensor::zeros(&[2, 1, 1, 1])));
    assert!(gumbel_mix(&mut tape, &[p, p], a, &Tensor::zeros(&[2]), 0.0).is_err());
}

#[test]
fn a_gumbel_sample_sums_to_one_repeats_per_seed_and_leaves_the_choice_noiseless() {
    let mut net = BilevelSearchNet::new(&[1, 2, 4], false, &mut Rng::seed_from(1)).unwrap();
    net.logits[0] = Tensor::from_vec(&[3], vec![0.5, 0.0, -0.5]).unwrap();
    let (plain, chosen) = (net.weights(), net.chosen());
    net.sample_gumbel(0.5, &mut Rng::seed_from(9)).unwrap();
    let first = net.mixing_weights();
    for w in &first {
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{w:?}");
    }
    assert_ne!(first, plain, "the sample is not softmax(a)");
    assert_eq!((net.weights(), net.chosen()), (plain.clone(), chosen), "the reported weights are noiseless");
    // The sample is softmax((a + g)/τ) of the stored noise.
    let g = net.gumbel.clone().unwrap();
    let z: Vec<f32> =
        (0..3).map(|k| (net.logits[0].as_slice()[k] + g.noise[0].as_slice()[k]) / 0.5).collect();
    let e: Vec<f32> = z.iter().map(|v| v.exp()).collect();
    let total: f32 = e.iter().sum();
    for k in 0..3 {
        assert!((first[0][k] - e[k] / total).abs() < 1e-6);
    }
    let mut again = BilevelSearchNet::new(&[1, 2, 4], false, &mut Rng::seed_from(1)).unwrap();
    again.logits[0] = net.logits[0].clone();
    again.sample_gumbel(0.5, &mut Rng::seed_from(9)).unwrap();
    assert_eq!(again.gumbel, net.gumbel, "the same seed draws the same noise");
    net.sample_gumbel(0.5, &mut Rng::seed_from(10)).unwrap();
    assert_ne!(again.gumbel, net.gumbel);
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert!(net.sample_gumbel(bad, &mut Rng::seed_from(9)).is_err(), "τ = {bad}");
    }
    net.clear_gumbel();
    assert_eq!(net.mixing_weights(), plain);
}
