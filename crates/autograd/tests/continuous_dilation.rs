//! The continuous-dilation network: at integer dilations it is DilNet, training moves its
//! dilations, and the projection keeps them in their range.

use atrous_autograd::Classifier;
use atrous_autograd::continuous_dilation::{ContinuousDilationNet, DilationProjection};
use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::{Optimizer, Sgd, SplitOptimizer};
use atrous_autograd::train::train_step;
use atrous_tensor::mnist::Batch;
use atrous_tensor::{Tensor, rng::Rng};

fn batch(rng: &mut Rng, n: usize) -> Batch {
    Batch { x: Tensor::uniform(&[n, 1, 28, 28], 0.0, 1.0, rng), labels: (0..n).map(|i| i % 10).collect() }
}

fn optimiser(lr_d: f32, range: (f32, f32)) -> DilationProjection<SplitOptimizer> {
    DilationProjection {
        inner: SplitOptimizer {
            split: ContinuousDilationNet::WEIGHTS,
            head: Optimizer::Sgd(Sgd::new(0.05, 0.9, 0.0)),
            tail: Optimizer::Sgd(Sgd::new(lr_d, 0.0, 0.0)),
        },
        first: ContinuousDilationNet::WEIGHTS,
        range,
    }
}

#[test]
fn integer_dilations_give_dilnet_with_the_same_weights() {
    for d in [1usize, 2, 3] {
        let net =
            ContinuousDilationNet::new([d as f32; 3], (1.0, 4.0), &mut Rng::seed_from(d as u64)).unwrap();
        let weights: [Tensor; 10] = std::array::from_fn(|i| net.net.parameters()[i].clone());
        let plain = DilNet::from_parameters(DilNetConfig::reference(d), weights).unwrap();
        let x = Tensor::uniform(&[3, 1, 28, 28], 0.0, 1.0, &mut Rng::seed_from(9));
        let (got, want) = (net.predict(&x).unwrap(), plain.predict(&x).unwrap());
        for (g, w) in got.as_slice().iter().zip(want.as_slice()) {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "d={d}: {g} vs {w}");
        }
    }
}

#[test]
fn training_moves_the_dilations_and_the_projection_keeps_them_in_range() {
    let mut rng = Rng::seed_from(3);
    let mut net = ContinuousDilationNet::new([1.5, 2.3, 2.7], (1.0, 4.0), &mut Rng::seed_from(1)).unwrap();
    let mut opt = optimiser(0.05, net.range);
    for _ in 0..3 {
        let stats = train_step(&mut net, &mut opt, &batch(&mut rng, 8)).unwrap();
        assert!(stats.loss.is_finite());
    }
    let moved = net.current();
    assert!(moved.iter().zip([1.5, 2.3, 2.7]).all(|(a, b)| *a != b), "dilations did not move: {moved:?}");
    assert!(moved.iter().all(|d| (1.0..=4.0).contains(d)));

    // A huge step on a narrow box lands every dilation on an end of it.
    let mut net = ContinuousDilationNet::new([2.0, 2.0, 2.0], (1.95, 2.05), &mut Rng::seed_from(1)).unwrap();
    let mut opt = optimiser(1e4, net.range);
    train_step(&mut net, &mut opt, &batch(&mut rng, 8)).unwrap();
    for d in net.current() {
        assert!(d == 1.95 || d == 2.05, "not projected onto the box: {d}");
    }
}

#[test]
fn ranges_that_are_empty_or_not_positive_are_refused() {
    let mut rng = Rng::seed_from(0);
    for (initial, range) in [
        ([1.0, 1.0, 1.0], (0.0, 2.0)),
        ([1.0, 1.0, 1.0], (2.0, 1.0)),
        ([1.0, 1.0, 1.0], (f32::NAN, 2.0)),
        ([1.0, 5.0, 1.0], (1.0, 4.0)),
    ] {
        let err = ContinuousDilationNet::new(initial, range, &mut rng).unwrap_err();
        assert!(err.to_string().contains("continuous dilations"), "{initial:?} {range:?}: {err}");
    }
}
