//! The dilation-search network: a single candidate reduces it to DilNet, and a training step
//! moves the mixing weights.

use atrous_autograd::Classifier;
use atrous_autograd::dilation_search::DilationSearchNet;
use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::{Adam, Optimizer, Sgd, SplitOptimizer};
use atrous_autograd::train::train_step;
use atrous_tensor::mnist::Batch;
use atrous_tensor::{Tensor, rng::Rng};

#[test]
fn one_candidate_is_exactly_dilnet() {
    let search = DilationSearchNet::new(&[3], &mut Rng::seed_from(4)).unwrap();
    let plain = DilNet::new(DilNetConfig::reference(3), &mut Rng::seed_from(4)).unwrap();
    let x = Tensor::uniform(&[3, 1, 28, 28], 0.0, 1.0, &mut Rng::seed_from(5));
    // softmax of one logit is exactly 1, so the mixture is the single convolution.
    assert_eq!(search.predict(&x).unwrap(), plain.predict(&x).unwrap());
}

#[test]
fn training_steps_move_mixing_weights_and_chosen_is_argmax() {
    let mut net = DilationSearchNet::new(&[1, 2, 4], &mut Rng::seed_from(1)).unwrap();
    assert_eq!(net.weights()[0], vec![1.0 / 3.0; 3]);
    let mut opt = SplitOptimizer {
        split: DilationSearchNet::WEIGHTS,
        head: Optimizer::Sgd(Sgd::new(0.05, 0.9, 0.0)),
        tail: Optimizer::Adam(Adam::new(0.05, 0.0)),
    };
    let mut rng = Rng::seed_from(2);
    let before = net.net.clone();
    for _ in 0..3 {
        let x = Tensor::uniform(&[8, 1, 28, 28], 0.0, 1.0, &mut rng);
        let labels: Vec<usize> = (0..8).map(|i| i % 10).collect();
        let stats = train_step(&mut net, &mut opt, &Batch { x, labels }).unwrap();
        assert!(stats.loss.is_finite());
    }
    assert_ne!(net.net.fc2.weight, before.fc2.weight, "the weights did not move");
    for w in net.weights() {
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(w.iter().any(|&v| (v - 1.0 / 3.0).abs() > 1e-4), "mixing weights did not move: {w:?}");
    }
    net.logits[1] = Tensor::from_vec(&[3], vec![0.0, 0.0, 5.0]).unwrap();
    assert_eq!(net.chosen()[1], 4);
    assert!(DilationSearchNet::new(&[], &mut Rng::seed_from(0)).is_err());
    assert!(
        DilationSearchNet::new(&[1, 14], &mut Rng::seed_from(0)).is_err(),
        "d=14 reads only padding in conv3"
    );
}
