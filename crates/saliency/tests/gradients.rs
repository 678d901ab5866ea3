//! Input gradients, saliency maps and class models on networks whose answers are known.

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::{BackwardRules, Classifier};
use atrous_saliency::SaliencyError;
use atrous_saliency::class_model::{ClassModelConfig, class_models};
use atrous_saliency::gradient::score_gradient;
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

const SIDE: usize = 28;
const STD: f32 = 0.5;
const MEAN: f32 = 0.25;

/// A DilNet that is linear around any image with distinct pixels:
/// every convolution has one channel, a centre tap of 1 and bias 10 (so every ReLU is on and
/// each conv adds 10), fc1 is the 49×49 identity with bias 10, and fc2 is random. Two 2×2
/// poolings take the maximum of each 4×4 block `j`, so
/// `S_c(x) = Σ_j fc2[c, j] · (max_{p ∈ block j} (x_p − mean)/std + 30) + 10·Σ_j fc2[c, j] + b_c`
/// and therefore `∂S_c/∂x_p = fc2[c, block(p)] / std` when `p` is its block's largest pixel,
/// and 0 otherwise.
fn linear_dilnet(rng: &mut Rng) -> DilNet {
    let config = DilNetConfig {
        channels: [1, 1, 1],
        dilations: [2, 1, 3],
        kernels: [3, 3, 3],
        hidden: 49,
        classes: 10,
        side: SIDE,
        mean: MEAN,
        std: STD,
    };
    let mut net = DilNet::new(config, rng).unwrap();
    for conv in [&mut net.conv1, &mut net.conv2, &mut net.conv3] {
        let mut w = vec![0.0; 9];
        w[4] = 1.0;
        conv.weight = Tensor::from_vec(&[1, 1, 3, 3], w).unwrap();
        conv.bias = Tensor::full(&[1], 10.0);
    }
    let mut eye = vec![0.0; 49 * 49];
    (0..49).for_each(|i| eye[i * 49 + i] = 1.0);
    net.fc1.weight = Tensor::from_vec(&[49, 49], eye).unwrap();
    net.fc1.bias = Tensor::full(&[49], 10.0);
    net
}

#[test]
fn saliency_of_a_linear_network_matches_its_closed_form() {
    let mut rng = Rng::seed_from(11);
    let net = linear_dilnet(&mut rng);
    // Distinct pixels, so each 4×4 block has one winner.
    let mut order = rng.permutation(2 * SIDE * SIDE);
    order.truncate(2 * SIDE * SIDE);
    let x =
        Tensor::from_vec(&[2, 1, SIDE, SIDE], order.iter().map(|&v| v as f32 / 1568.0).collect()).unwrap();
    let classes = [3usize, 8];
    let fwd = score_gradient(&net, &x, |_| Ok(classes.to_vec()), BackwardRules::default()).unwrap();
    let grad = &fwd.gradient;
    let fc2 = net.fc2.weight.as_slice();
    for (n, &c) in classes.iter().enumerate() {
        let img = &x.as_slice()[n * 784..(n + 1) * 784];
        for by in 0..7 {
            for bx in 0..7 {
                let block: Vec<usize> = (0..16).map(|t| (by * 4 + t / 4) * SIDE + bx * 4 + t % 4).collect();
                let winner = *block.iter().max_by(|&&a, &&b| img[a].total_cmp(&img[b])).unwrap();
                for &p in &block {
                    let expected = if p == winner { fc2[c * 49 + by * 7 + bx] / STD } else { 0.0 };
                    let got = grad.as_slice()[n * 784 + p];
                    assert!(
                        (got - expected).abs() <= 1e-6 * expected.abs().max(1.0),
                        "item {n} pixel {p}: {got} vs {expected}"
                    );
                }
            }
        }
        // The score itself follows the same closed form.
        let s: f32 = (0..49)
            .map(|j| {
                let (by, bx) = (j / 7, j % 7);
                let m = (0..16)
                    .map(|t| img[(by * 4 + t / 4) * SIDE + bx * 4 + t % 4])
                    .fold(f32::NEG_INFINITY, f32::max);
                fc2[c * 49 + j] * ((m - MEAN) / STD + 40.0)
            })
            .sum::<f32>()
            + net.fc2.bias.as_slice()[c];
        let got = fwd.logits.as_slice()[n * 10 + c];
        assert!((got - s).abs() < 1e-3 * s.abs().max(1.0), "score {got} vs closed form {s}");
    }
}

#[test]
fn batched_maps_equal_one_image_at_a_time() {
    let mut rng = Rng::seed_from(5);
    let net = DilNet::new(DilNetConfig::reference(2), &mut rng).unwrap();
    let x = Tensor::uniform(&[3, 1, SIDE, SIDE], 0.0, 1.0, &mut rng);
    let all = saliency_maps(&net, &x, Target::Predicted, None).unwrap();
    for n in 0..3 {
        let one = saliency_maps(&net, &x.to_batch(n..n + 1).unwrap(), Target::Predicted, None).unwrap();
        assert_eq!(one.targets[0], all.targets[n]);
        assert_eq!(one.predictions[0], all.predictions[n]);
        for (a, b) in one.maps.as_slice().iter().zip(&all.maps.as_slice()[n * 784..(n + 1) * 784]) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1e-3));
        }
        assert!(one.maps.as_slice().iter().zip(one.gradient.as_slice()).all(|(m, g)| *m == g.abs()));
    }
}

#[test]
fn targets_resolve_and_bad_classes_are_refused() {
    let mut rng = Rng::seed_from(6);
    let net = DilNet::new(DilNetConfig::reference(1), &mut rng).unwrap();
    let x = Tensor::uniform(&[2, 1, SIDE, SIDE], 0.0, 1.0, &mut rng);
    let by_label = saliency_maps(&net, &x, Target::Label, Some(&[7, 1])).unwrap();
    assert_eq!(by_label.targets, vec![7, 1]);
    let logits = net.predict(&x).unwrap();
    assert_eq!(by_label.scores, vec![logits.as_slice()[7], logits.as_slice()[11]]);
    assert!(matches!(
        saliency_maps(&net, &x, Target::Class(10), None),
        Err(SaliencyError::Class { class: 10, classes: 10 })
    ));
    assert!(saliency_maps(&net, &x, Target::Label, None).is_err());
    assert!("eleven".parse::<Target>().is_err());
    assert_eq!("label".parse::<Target>().unwrap(), Target::Label);
    assert_eq!("4".parse::<Target>().unwrap(), Target::Class(4));
}

#[test]
fn class_model_objective_rises_monotonically_with_a_small_step() {
    let mut rng = Rng::seed_from(9);
    let net = DilNet::new(DilNetConfig::reference(2), &mut rng).unwrap();
    let mean = Tensor::uniform(&[1, 1, SIDE, SIDE], 0.0, 0.3, &mut rng);
    let config = ClassModelConfig { lambda: 0.01, lr: 0.01, steps: 60 };
    let out = class_models(&net, &mean, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], &config).unwrap();
    for (c, trace) in out.objective.iter().enumerate() {
        assert_eq!(trace.len(), 61);
        for (step, w) in trace.windows(2).enumerate() {
            assert!(w[1] >= w[0] - 1e-5 * w[0].abs().max(1.0), "class {c} step {step}: {} → {}", w[0], w[1]);
        }
        assert!(
            out.scores[c] > out.initial_scores[c],
            "class {c}: {} → {}",
            out.initial_scores[c],
            out.scores[c]
        );
    }
    // The final images are what was scored, and the first objective is S_c(m) at I = 0.
    let seen: Vec<f32> = out
        .images
        .as_slice()
        .chunks(784)
        .flat_map(|i| i.iter().zip(mean.as_slice()).map(|(a, b)| a + b))
        .collect();
    let logits = net.predict(&Tensor::from_vec(&[10, 1, SIDE, SIDE], seen).unwrap()).unwrap();
    for c in 0..10 {
        assert!((logits.as_slice()[c * 10 + c] - out.scores[c]).abs() < 1e-4 * out.scores[c].abs().max(1.0));
        assert_eq!(out.objective[c][0], out.initial_scores[c]);
    }
    assert!(class_models(&net, &mean, &[10], &config).is_err());
    assert!(class_models(&net, &mean, &[1], &ClassModelConfig { lr: -1.0, ..config }).is_err());
}
