//! Saliency, class models and localisation on a small DilNet trained for a moment on MNIST.

use atrous_autograd::nn::{DilNet, DilNetConfig, MNIST_MEAN, MNIST_STD};
use atrous_autograd::optim::{Optimizer, Sgd};
use atrous_autograd::train::{epoch_order, fit_epoch};
use atrous_saliency::class_model::{ClassModelConfig, class_models, mean_image};
use atrous_saliency::localize::{LocalizeConfig, localize};
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_tensor::mnist::Mnist;
use atrous_tensor::rng::Rng;

/// A narrow DilNet(2) after 300 SGD steps of 32 images (about 95 % test accuracy).
fn trained() -> (DilNet, Mnist) {
    let mnist = Mnist::load_default().expect("the repository ships MNIST");
    let config = DilNetConfig {
        channels: [8, 16, 16],
        dilations: [2, 2, 2],
        kernels: [3, 3, 3],
        hidden: 64,
        classes: 10,
        side: 28,
        mean: MNIST_MEAN,
        std: MNIST_STD,
    };
    let mut model = DilNet::new(config, &mut Rng::seed_from(0)).unwrap();
    let mut opt = Optimizer::Sgd(Sgd::new(0.05, 0.9, 0.0));
    let mut order = epoch_order(0, 0, mnist.train.n);
    order.truncate(300 * 32);
    fit_epoch(&mut model, &mut opt, &mnist.train, &order, 32, |_, _| {}).unwrap();
    (model, mnist)
}

#[test]
fn trained_network_explains_itself() {
    let (model, mnist) = trained();
    let idx: Vec<usize> = (0..200).collect();
    let batch = mnist.test.batch(&idx);
    let (x, labels) = (batch.x, batch.labels);
    let s = saliency_maps(&model, &x, Target::Predicted, None).unwrap();
    let accuracy = s.predictions.iter().zip(&labels).filter(|(p, y)| p == y).count() as f64 / 200.0;
    assert!(accuracy > 0.85, "accuracy {accuracy}");

    // Saliency concentrates on the digit: the mean map value on ink pixels (> 0.5) exceeds the
    // mean on the background far from any ink.
    let (mut on, mut n_on, mut off, mut n_off) = (0.0f64, 0usize, 0.0f64, 0usize);
    for (img, map) in x.as_slice().chunks(784).zip(s.maps.as_slice().chunks(784)) {
        for (&p, &m) in img.iter().zip(map) {
            if p > 0.5 {
                on += f64::from(m);
                n_on += 1;
            } else if p == 0.0 {
                off += f64::from(m);
                n_off += 1;
            }
        }
    }
    let ratio = (on / n_on as f64) / (off / n_off as f64);
    // Vanilla gradients of an MNIST net are large on the background next to strokes too (adding
    // ink there would change the score), so the contrast is modest; it must still favour ink.
    assert!(ratio > 1.0, "ink/background saliency ratio {ratio}");

    // Localisation: a box that covers the whole image scores about 0.38 against the ink box on
    // MNIST; the graph cut must not do worse, and its mask must overlap the ink.
    let config = LocalizeConfig::default();
    let (mut box_iou, mut mask_iou) = (0.0, 0.0);
    for (img, map) in x.as_slice().chunks(784).zip(s.maps.as_slice().chunks(784)) {
        let loc = localize(img, map, 28, &config).unwrap();
        box_iou += loc.box_iou / 200.0;
        mask_iou += loc.mask_iou / 200.0;
    }
    assert!(box_iou > 0.3 && mask_iou > 0.15, "box IoU {box_iou}, mask IoU {mask_iou}");

    // Class models: the paper's ascent with the default settings raises every class score far
    // above its value at the mean image.
    let mean = mean_image(&mnist.train).unwrap();
    let classes: Vec<usize> = (0..10).collect();
    let cm = class_models(&model, &mean, &classes, &ClassModelConfig::default()).unwrap();
    for c in 0..10 {
        assert!(
            cm.scores[c] > cm.initial_scores[c] + 10.0,
            "class {c}: S_c {} → {}",
            cm.initial_scores[c],
            cm.scores[c]
        );
    }
    // A small step makes the objective rise at every step.
    let small = ClassModelConfig { lambda: 0.01, lr: 0.002, steps: 40 };
    let cm = class_models(&model, &mean, &classes, &small).unwrap();
    for (c, trace) in cm.objective.iter().enumerate() {
        for (step, w) in trace.windows(2).enumerate() {
            assert!(w[1] >= w[0] - 1e-5 * w[0].abs().max(1.0), "class {c} step {step}: {} → {}", w[0], w[1]);
        }
    }
    eprintln!("accuracy {accuracy}, ink ratio {ratio:.2}, box IoU {box_iou:.3}, mask IoU {mask_iou:.3}");
}
