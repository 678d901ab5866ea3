//! Properties every attribution method must keep on DilNet: the default is the paper's map
//! bit for bit, SmoothGrad reduces to it without noise, seeded noise repeats, batching changes
//! nothing, Grad-CAM finds conv3's ReLU, and settings that cannot work are refused by name.

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::{BackwardRules, Classifier, Tape};
use atrous_saliency::SaliencyError;
use atrous_saliency::attribution::grad_cam::last_feature_map;
use atrous_saliency::attribution::integrated::gaussian_blur;
use atrous_saliency::attribution::{
    Baseline, IntegratedGradients, METHOD_NAMES, Method, Noise, Occlusion, attribute, attribute_split,
};
use atrous_saliency::saliency::{Target, saliency_maps, saliency_of_split};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;

fn small_net(d: usize) -> DilNet {
    let mut config = DilNetConfig::reference(d);
    config.channels = [4, 8, 8];
    config.hidden = 16;
    DilNet::new(config, &mut Rng::seed_from(d as u64)).unwrap()
}

fn images(n: usize, seed: u64) -> Tensor {
    Tensor::uniform(&[n, 1, 28, 28], 0.0, 1.0, &mut Rng::seed_from(seed))
}

/// A split of `n` random "digits", enough for `attribute_split`.
fn split(n: usize) -> MnistSplit {
    let mut rng = Rng::seed_from(42);
    let pixels = (0..n * 784).map(|_| rng.below(256) as u8).collect();
    let labels = (0..n).map(|i| (i % 10) as u8).collect();
    MnistSplit { images: pixels, labels, n }
}

fn max_abs(v: &[f32]) -> f32 {
    v.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

#[test]
fn vanilla_is_the_papers_map_bit_for_bit() {
    let net = small_net(2);
    let x = images(3, 1);
    let paper = saliency_maps(&net, &x, Target::Predicted, None).unwrap();
    let a = attribute(&net, &x, Target::Predicted, None, &Method::Vanilla).unwrap();
    assert_eq!(a.maps, paper.maps);
    assert_eq!((a.targets, a.scores, a.predictions), (paper.targets, paper.scores, paper.predictions));
    let data = split(7);
    let indices: Vec<usize> = (1..7).collect();
    let old = saliency_of_split(&net, &data, &indices, Target::Label, 4).unwrap();
    let new = attribute_split(&net, &data, &indices, Target::Label, &Method::Vanilla, 4).unwrap();
    assert_eq!(new.maps.as_slice(), old.maps.as_slice());
    assert_eq!(new.targets, old.targets);
}

#[test]
fn smoothgrad_without_noise_is_the_plain_gradient() {
    let net = small_net(1);
    let x = images(2, 2);
    let vanilla = attribute(&net, &x, Target::Predicted, None, &Method::Vanilla).unwrap().maps;
    let quiet = Noise { samples: 4, sigma: 0.0, seed: 7 };
    let scale = max_abs(vanilla.as_slice());
    let sg = attribute(&net, &x, Target::Predicted, None, &Method::SmoothGrad(quiet)).unwrap().maps;
    let sq = attribute(&net, &x, Target::Predicted, None, &Method::SmoothGradSquared(quiet)).unwrap().maps;
    let var = attribute(&net, &x, Target::Predicted, None, &Method::VarGrad(quiet)).unwrap().maps;
    for (i, &v) in vanilla.as_slice().iter().enumerate() {
        assert!((sg.as_slice()[i] - v).abs() <= 1e-6 * scale, "smoothgrad {i}");
        assert!((sq.as_slice()[i] - v * v).abs() <= 1e-6 * scale * scale, "smoothgrad² {i}");
        assert!(var.as_slice()[i].abs() <= 1e-10 * scale * scale, "vargrad {i}");
    }
    // With noise, SmoothGrad is another map.
    let noisy = attribute(&net, &x, Target::Predicted, None, &Method::SmoothGrad(Noise::default())).unwrap();
    assert!(noisy.maps.as_slice().iter().zip(vanilla.as_slice()).any(|(a, b)| (a - b).abs() > 1e-3 * scale));
}

#[test]
fn seeded_noise_repeats_and_does_not_depend_on_the_batch() {
    let net = small_net(2);
    let x = images(3, 3);
    let noise = Noise { samples: 8, ..Noise::default() };
    let run = |x: &Tensor, noise: Noise| {
        attribute(&net, x, Target::Class(4), None, &Method::VarGrad(noise)).unwrap().maps
    };
    let first = run(&x, noise);
    assert_eq!(first, run(&x, noise), "same seed, same maps");
    let other = run(&x, Noise { seed: 1, ..noise });
    assert_ne!(first, other, "another seed, other noise");
    // An image's noise comes from its pixels, not its position: alone it gets the same map.
    let alone = run(&x.to_batch(2..3).unwrap(), noise);
    let scale = max_abs(alone.as_slice());
    for (a, b) in alone.as_slice().iter().zip(&first.as_slice()[2 * 784..]) {
        assert!((a - b).abs() <= 1e-5 * scale, "{a} vs {b}");
    }
}

#[test]
fn split_attribution_is_per_image_attribution_in_order() {
    let net = small_net(1);
    let data = split(5);
    let indices = [4usize, 0, 3];
    let methods = [
        Method::IntegratedGradients(IntegratedGradients { steps: 6, ..Default::default() }),
        Method::Occlusion(Occlusion { window: 7, stride: 7 }),
        Method::GradCam,
        Method::GuidedBackprop,
    ];
    for method in methods {
        // Batch 10: integrated gradients and occlusion get one image per pass, the others all.
        let all = attribute_split(&net, &data, &indices, Target::Label, &method, 10).unwrap();
        assert_eq!(all.maps.dims(), &[3, 28, 28]);
        assert_eq!(all.targets, vec![4, 0, 3]);
        let scale = max_abs(all.maps.as_slice()).max(1e-6);
        for (slot, &i) in indices.iter().enumerate() {
            let b = data.batch(&[i]);
            let one = attribute(&net, &b.x, Target::Label, Some(&b.labels), &method).unwrap();
            let got = &all.maps.as_slice()[slot * 784..(slot + 1) * 784];
            assert!(
                got.iter().zip(one.maps.as_slice()).all(|(a, b)| (a - b).abs() <= 1e-5 * scale),
                "{method:?}"
            );
            if let Some(gap) = &all.completeness_gap {
                assert!(
                    (gap[slot] - one.completeness_gap.as_ref().unwrap()[0]).abs() <= 1e-4 * (1.0 + gap[slot])
                );
            }
        }
        assert_eq!(all.completeness_gap.is_some(), matches!(method, Method::IntegratedGradients(_)));
    }
}

#[test]
fn integrated_gradients_from_a_mean_or_blurred_baseline_is_complete_with_enough_steps() {
    let net = small_net(2);
    let x = images(2, 4);
    let mean = Tensor::uniform(&[1, 1, 28, 28], 0.0, 0.3, &mut Rng::seed_from(8));
    for baseline in [Baseline::Mean(mean.clone()), Baseline::Blur { sigma: 2.0 }] {
        let b = baseline.of(&x).unwrap();
        let ig = IntegratedGradients { steps: 1000, baseline };
        let a = attribute(&net, &x, Target::Predicted, None, &Method::IntegratedGradients(ig)).unwrap();
        let at_b = net.predict(&b).unwrap();
        for n in 0..2 {
            let sum: f32 = a.maps.as_slice()[n * 784..(n + 1) * 784].iter().sum();
            let rise = a.scores[n] - at_b.as_slice()[n * 10 + a.targets[n]];
            assert!((sum - rise).abs() < 2e-3 * (1.0 + rise.abs()), "Σ IG {sum} vs rise {rise}");
        }
    }
    let wrong = Baseline::Mean(Tensor::zeros(&[27, 28]));
    assert!(matches!(wrong.of(&x), Err(SaliencyError::Shape { .. })));
}

#[test]
fn the_blur_keeps_constants_and_spreads_a_point_symmetrically() {
    let flat = gaussian_blur(&Tensor::full(&[1, 1, 9, 9], 0.3), 1.5).unwrap();
    assert!(flat.as_slice().iter().all(|&v| (v - 0.3).abs() < 1e-6));
    // σ = 2 cuts the kernel at 6 pixels: every pixel the point reaches has all its taps inside a
    // 25×25 image, so no renormalisation changes the mass.
    let mut point = Tensor::zeros(&[1, 1, 25, 25]);
    point.as_mut_slice()[12 * 25 + 12] = 1.0;
    let b = gaussian_blur(&point, 2.0).unwrap();
    let v = |r: usize, c: usize| b.as_slice()[r * 25 + c];
    let mass = b.as_slice().iter().sum::<f32>();
    assert!((mass - 1.0).abs() < 1e-5, "mass {mass}");
    assert!((v(12, 14) - v(14, 12)).abs() < 1e-7 && (v(12, 14) - v(10, 12)).abs() < 1e-7);
    // exp(−d²/2σ²) along an axis: the ratio of the peak to two pixels away is e^(1/2).
    assert!((v(12, 12) / v(12, 14) - 0.5f32.exp()).abs() < 1e-4);
}

#[test]
fn grad_cam_reads_conv3s_relu_on_dilnet() {
    let net = small_net(2);
    let mut tape = Tape::new();
    let params = net.bind(&mut tape, false);
    let x = tape.leaf(images(2, 5), true);
    net.forward(&mut tape, &params, x).unwrap();
    let a = last_feature_map(&tape).unwrap();
    assert_eq!(tape.value(a).dims(), &[2, 8, 14, 14]);
    let cam = attribute(&net, &images(2, 5), Target::Predicted, None, &Method::GradCam).unwrap();
    assert_eq!(cam.maps.dims(), &[2, 28, 28]);
    assert!(cam.maps.as_slice().iter().all(|&m| m >= 0.0 && m.is_finite()));
}

#[test]
fn a_kept_gradient_is_the_one_arriving_before_the_relu_mask() {
    // y = relu(x), L = Σ w ⊙ y: ∂L/∂y = w everywhere, also where y = 0; ∂L/∂x is masked.
    let mut tape = Tape::new();
    let x = tape.param(Tensor::from_vec(&[4], vec![1.0, -1.0, 2.0, -3.0]).unwrap());
    let y = tape.relu(x);
    let w = tape.constant(Tensor::from_vec(&[4], vec![0.5, 2.0, -1.0, 4.0]).unwrap());
    let wy = tape.mul(y, w).unwrap();
    let loss = tape.sum(wy);
    assert_eq!(tape.relu_outputs(), vec![y]);
    let grads = tape.backward_keeping(loss, Tensor::full(&[1], 1.0), BackwardRules::default(), &[y]).unwrap();
    assert_eq!(grads.get(y).unwrap().as_slice(), &[0.5, 2.0, -1.0, 4.0]);
    assert_eq!(grads.get(x).unwrap().as_slice(), &[0.5, 0.0, -1.0, 0.0]);
    let plain = tape.backward(loss).unwrap();
    assert!(plain.get(y).is_none(), "without keep, intermediate gradients are dropped");
}

#[test]
fn a_backward_pass_until_the_feature_maps_gives_their_gradient_and_stops_there() {
    // On DilNet the gradient at conv3's ReLU output is the same whether the pass goes on to the
    // input or stops at it; stopping leaves the input without a gradient (nothing below ran).
    let net = small_net(2);
    let mut tape = Tape::new();
    let params = net.bind(&mut tape, false);
    let x = tape.leaf(images(3, 7), true);
    let logits = net.forward(&mut tape, &params, x).unwrap();
    let a = last_feature_map(&tape).unwrap();
    let picked = tape.pick_class(logits, &[1, 4, 9]).unwrap();
    let total = tape.sum(picked);
    let seed = || Tensor::full(&[1], 1.0);
    let full = tape.backward_keeping(total, seed(), BackwardRules::default(), &[a]).unwrap();
    let until = tape.backward_until(total, seed(), BackwardRules::default(), &[a]).unwrap();
    let (want, got) = (full.get(a).unwrap(), until.get(a).unwrap());
    assert!(want.as_slice().iter().any(|&g| g != 0.0));
    assert_eq!(got.as_slice(), want.as_slice());
    assert!(full.get(x).is_some());
    assert!(until.get(x).is_none(), "the input gradient was not computed");
}

#[test]
fn settings_that_cannot_work_are_refused_by_name() {
    let net = small_net(1);
    let x = images(1, 6);
    let refused = |m: Method| match attribute(&net, &x, Target::Predicted, None, &m) {
        Err(SaliencyError::Setting { setting, .. }) => setting,
        other => panic!("{m:?} gave {other:?}"),
    };
    let ig = |steps| Method::IntegratedGradients(IntegratedGradients { steps, ..Default::default() });
    assert_eq!(refused(ig(0)), "number of integration steps");
    assert_eq!(refused(ig(10_001)), "number of integration steps");
    let blur = |sigma| IntegratedGradients { baseline: Baseline::Blur { sigma }, ..Default::default() };
    assert_eq!(refused(Method::IntegratedGradients(blur(f32::NAN))), "blur width (sigma, pixels)");
    assert_eq!(refused(Method::IntegratedGradients(blur(0.0))), "blur width (sigma, pixels)");
    let noise = |samples, sigma| Noise { samples, sigma, seed: 0 };
    assert_eq!(refused(Method::SmoothGrad(noise(0, 0.1))), "number of noisy samples");
    assert_eq!(refused(Method::VarGrad(noise(5, -0.1))), "noise level (sigma, pixel units)");
    assert_eq!(
        refused(Method::SmoothGradSquared(noise(5, f32::INFINITY))),
        "noise level (sigma, pixel units)"
    );
    let occ = |window, stride| Method::Occlusion(Occlusion { window, stride });
    assert_eq!(refused(occ(0, 1)), "occlusion window");
    assert_eq!(refused(occ(29, 2)), "occlusion window");
    assert_eq!(refused(occ(4, 5)), "occlusion stride");
    assert_eq!(refused(occ(4, 0)), "occlusion stride");

    for name in METHOD_NAMES {
        assert_eq!(name.parse::<Method>().unwrap().name(), name);
    }
    let e = "lime".parse::<Method>().unwrap_err().to_string();
    assert!(e.contains("\"lime\"") && e.contains("integrated-gradients, smoothgrad"), "{e}");
}

#[test]
fn grad_cam_needs_a_rectified_feature_map() {
    // A network without ReLU after a convolution (a linear read-out) has nothing to look at.
    struct Flat(Vec<Tensor>);
    impl Classifier for Flat {
        fn parameters(&self) -> Vec<&Tensor> {
            self.0.iter().collect()
        }
        fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
            self.0.iter_mut().collect()
        }
        fn forward(
            &self,
            tape: &mut Tape,
            p: &[atrous_autograd::Var],
            x: atrous_autograd::Var,
        ) -> atrous_autograd::Result<atrous_autograd::Var> {
            let h = tape.flatten(x)?;
            let h = tape.relu(h);
            tape.linear(h, p[0], None)
        }
        fn input_dims(&self) -> [usize; 3] {
            [1, 2, 2]
        }
        fn classes(&self) -> usize {
            2
        }
    }
    let net = Flat(vec![Tensor::full(&[2, 4], 1.0)]);
    let r = attribute(&net, &Tensor::full(&[1, 1, 2, 2], 0.5), Target::Predicted, None, &Method::GradCam);
    assert!(matches!(r, Err(SaliencyError::NoFeatureMap)), "{r:?}");
}
