//! The randomisation sanity checks on a small DilNet trained for a moment on MNIST, and
//! max-sensitivity of a linear model's Grad×Input against its closed-form bound.

use atrous_autograd::nn::{DilNet, DilNetConfig, MNIST_MEAN, MNIST_STD};
use atrous_autograd::optim::{Optimizer, Sgd};
use atrous_autograd::train::{epoch_order, fit_epoch};
use atrous_autograd::{Classifier, Tape, Var};
use atrous_saliency::attribution::Method;
use atrous_saliency::evaluation::maps_for;
use atrous_saliency::evaluation::randomisation::{
    CASCADE, LabelRandomisation, Layer, cascade, compare_maps, reinitialise, train_on_permuted_labels,
};
use atrous_saliency::evaluation::sensitivity::{Explained, Sensitivity, max_sensitivity};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::Mnist;
use atrous_tensor::rng::Rng;

/// A narrow DilNet(2) after 100 SGD steps of 32 images, and MNIST.
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
    order.truncate(100 * 32);
    fit_epoch(&mut model, &mut opt, &mnist.train, &order, 32, |_, _| {}).unwrap();
    (model, mnist)
}

#[test]
fn cascading_randomisation_changes_the_vanilla_map_and_nothing_else_does() {
    let (model, mnist) = trained();
    let x = mnist.test.batch(&(0..12).collect::<Vec<_>>()).x;
    let classes = model.predict(&x).unwrap().argmax_last().unwrap();
    let vanilla = Method::Vanilla;
    let original = maps_for(&model, &x, &classes, &vanilla, 64).unwrap();

    // Randomising nothing: the same maps, every similarity exactly 1.
    let again = compare_maps(&original, &maps_for(&model, &x, &classes, &vanilla, 5).unwrap()).unwrap();
    for v in [&again.spearman, &again.spearman_abs, &again.ssim, &again.ssim_abs] {
        assert!(v.iter().all(|&s| s == 1.0), "{v:?}");
    }

    // fc2 re-initialised: the maps move.
    let steps = cascade(&model, 7);
    assert_eq!(steps.len(), CASCADE.len());
    let fc2 = compare_maps(&original, &maps_for(&steps[0], &x, &classes, &vanilla, 64).unwrap()).unwrap();
    let mean = fc2.summary().spearman.mean;
    assert!(mean < 0.95, "mean Spearman after fc2 {mean}");
    assert!(fc2.spearman.iter().all(|&s| s < 1.0));
    // Every layer re-initialised: the maps have little to do with the original.
    let all = compare_maps(&original, &maps_for(&steps[4], &x, &classes, &vanilla, 64).unwrap()).unwrap();
    assert!(all.summary().spearman_abs.mean < mean, "{:?}", all.summary());
}

#[test]
fn the_seed_decides_the_reinitialisation() {
    let model = DilNet::new(DilNetConfig::reference(1), &mut Rng::seed_from(0)).unwrap();
    let a = reinitialise(&model, Layer::Fc2, 7);
    assert_eq!(a, reinitialise(&model, Layer::Fc2, 7));
    assert_ne!(a.fc2, reinitialise(&model, Layer::Fc2, 8).fc2);
    assert_ne!(a.fc2, model.fc2);
    // Only fc2 moved, and its new values come from U(±1/√fan_in), fan_in = 128.
    assert_eq!(
        (&a.conv1, &a.conv2, &a.conv3, &a.fc1),
        (&model.conv1, &model.conv2, &model.conv3, &model.fc1)
    );
    let bound = 1.0 / 128f32.sqrt();
    assert!(a.fc2.weight.as_slice().iter().chain(a.fc2.bias.as_slice()).all(|v| v.abs() <= bound));
    // The cascade is cumulative: step 2 keeps step 1's fc2 and re-draws fc1.
    let steps = cascade(&model, 7);
    assert_eq!(steps[1].fc2, a.fc2);
    assert_ne!(steps[1].fc1, model.fc1);
    assert_eq!(steps[1].conv3, model.conv3);
    assert_eq!(steps[4].conv1, reinitialise(&model, Layer::Conv1, 7).conv1);
}

#[test]
fn label_randomisation_trains_on_permuted_labels_reproducibly() {
    let mnist = Mnist::load_default().unwrap();
    let like = DilNet::new(
        DilNetConfig { channels: [4, 4, 4], hidden: 16, ..DilNetConfig::reference(1) },
        &mut Rng::seed_from(0),
    )
    .unwrap();
    let config = LabelRandomisation { images: 64, epochs: 2, lr: 1e-3, batch: 32, seed: 3 };
    let a = train_on_permuted_labels(&like, &mnist.train, &config).unwrap();
    let b = train_on_permuted_labels(&like, &mnist.train, &config).unwrap();
    assert_eq!(a.model, b.model);
    assert!((0.0..=1.0).contains(&a.train_accuracy) && a.train_loss.is_finite());
    assert!(
        train_on_permuted_labels(&like, &mnist.train, &LabelRandomisation { epochs: 0, ..config }).is_err()
    );
}

/// `S_0 = w·x`, `S_1 = 0`, on 28×28 images.
struct Linear {
    params: Vec<Tensor>,
}

impl Classifier for Linear {
    fn parameters(&self) -> Vec<&Tensor> {
        self.params.iter().collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.params.iter_mut().collect()
    }
    fn forward(&self, tape: &mut Tape, p: &[Var], x: Var) -> atrous_autograd::Result<Var> {
        let h = tape.flatten(x)?;
        tape.linear(h, p[0], Some(p[1]))
    }
    fn input_dims(&self) -> [usize; 3] {
        [1, 28, 28]
    }
    fn classes(&self) -> usize {
        2
    }
}

#[test]
fn max_sensitivity_of_grad_x_input_on_a_linear_model_is_within_its_bound() {
    // Φ(x) = x ⊙ w, so Φ(x + δ) − Φ(x) = δ ⊙ w and ‖δ ⊙ w‖ ≤ r‖w‖: SENS ≤ r‖w‖ / ‖x ⊙ w‖.
    // With δ_i ~ U(−r, r), E‖δ ⊙ w‖² = r²‖w‖²/3, and over 784 pixels the norm concentrates, so
    // the maximum of 50 draws lies just above r‖w‖/√3 / ‖x ⊙ w‖.
    let mut rng = Rng::seed_from(5);
    let mut w = Tensor::uniform(&[1, 784], -1.0, 1.0, &mut rng).into_vec();
    w.extend(vec![0.0; 784]);
    let model = Linear { params: vec![Tensor::from_vec(&[2, 784], w.clone()).unwrap(), Tensor::zeros(&[2])] };
    let x = Tensor::uniform(&[3, 1, 28, 28], 0.0, 1.0, &mut rng);
    let method = Method::GradientTimesInput;
    let classes = [0, 0, 0];
    let maps = maps_for(&model, &x, &classes, &method, 64).unwrap();
    let config = Sensitivity { radius: 0.05, samples: 50, seed: 1 };
    let e = Explained { x: &x, maps: &maps, classes: &classes, ids: &[0, 1, 2] };
    let sens = max_sensitivity(&model, &e, &method, &config, 64).unwrap();
    let w_norm = w[..784].iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt();
    for (i, s) in sens.iter().enumerate() {
        let xw = x.as_slice()[i * 784..(i + 1) * 784]
            .iter()
            .zip(&w)
            .map(|(a, b)| f64::from(a * b).powi(2))
            .sum::<f64>()
            .sqrt();
        let bound = 0.05 * w_norm / xw;
        assert!(*s <= bound * (1.0 + 1e-4), "image {i}: {s} above the bound {bound}");
        let typical = bound / 3f64.sqrt();
        assert!(*s >= typical && *s <= 1.15 * typical, "image {i}: {s} vs r‖w‖/√3/‖x⊙w‖ = {typical}");
    }
    // The seed decides the perturbations; a larger ball moves the map proportionally more.
    let again = max_sensitivity(&model, &e, &method, &config, 7).unwrap();
    assert_eq!(sens, again);
    let wide = Sensitivity { radius: 0.1, ..config };
    let doubled = max_sensitivity(&model, &e, &method, &wide, 64).unwrap();
    for (a, b) in sens.iter().zip(&doubled) {
        assert!((b / a - 2.0).abs() < 1e-3, "{a} {b}");
    }
    // Nonsense settings are refused.
    for bad in [
        Sensitivity { radius: 0.0, ..config },
        Sensitivity { radius: f32::NAN, ..config },
        Sensitivity { samples: 0, ..config },
    ] {
        assert!(max_sensitivity(&model, &e, &method, &bad, 64).is_err());
    }
}
