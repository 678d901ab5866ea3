//! Recycled tensor buffers never leak into results: with every recycled buffer filled with NaN
//! before use ([`atrous_tensor::recycle::set_poison`]), training and input gradients give the same
//! bits as without. An operation that skipped writing an element of a buffer it took "for
//! overwrite" would show NaN here. A steady training step takes every big buffer from the pool.
//! One test in its own process, since the switch and the counters are global.

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::OptimizerKind;
use atrous_autograd::train::train_step;
use atrous_autograd::{Classifier, Tape};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::Batch;
use atrous_tensor::recycle::{requests, set_poison};
use atrous_tensor::rng::Rng;

/// Three SGD steps at dilation `d`, then the input gradient of the summed logits: every
/// parameter's and the gradient's bits.
fn run(d: usize) -> Vec<u32> {
    let mut rng = Rng::seed_from(11);
    let mut net = DilNet::new(DilNetConfig::reference(d), &mut Rng::seed_from(3)).unwrap();
    let mut sgd = OptimizerKind::Sgd.build(0.05, 0.9, 0.0);
    let mut batch = || {
        let x = (0..6 * 784).map(|_| (rng.next_f32() * 3.0 - 2.0).max(0.0)).collect();
        let labels = (0..6).map(|i| i % 10).collect();
        Batch { x: Tensor::from_vec(&[6, 1, 28, 28], x).unwrap(), labels }
    };
    for _ in 0..3 {
        let stats = train_step(&mut net, &mut sgd, &batch()).unwrap();
        assert!(stats.loss.is_finite());
    }
    let mut tape = Tape::new();
    let params = net.bind(&mut tape, false);
    let x = tape.param(batch().x);
    let logits = net.forward(&mut tape, &params, x).unwrap();
    let total = tape.sum(logits);
    let grads = tape.backward(total).unwrap();
    let dx = grads.get(x).unwrap();
    net.parameters().iter().flat_map(|p| p.as_slice()).chain(dx.as_slice()).map(|v| v.to_bits()).collect()
}

/// Pool requests (served, not served) of one training step after two warm-up steps.
fn steady_step_requests() -> (u64, u64) {
    let mut net = DilNet::new(DilNetConfig::reference(2), &mut Rng::seed_from(5)).unwrap();
    let mut sgd = OptimizerKind::Sgd.build(0.05, 0.9, 0.0);
    let batch = Batch { x: Tensor::full(&[6, 1, 28, 28], 0.5), labels: vec![1; 6] };
    for _ in 0..2 {
        train_step(&mut net, &mut sgd, &batch).unwrap();
    }
    let before = requests();
    train_step(&mut net, &mut sgd, &batch).unwrap();
    let after = requests();
    (after.0 - before.0, after.1 - before.1)
}

// One test, so nothing else in this process touches the pool's switch and counters meanwhile.
#[test]
fn poisoned_recycled_buffers_change_no_bit_of_training_or_input_gradients() {
    let (served, missed) = steady_step_requests();
    assert_eq!(missed, 0, "a steady training step finds every buffer in the pool");
    assert!(served > 10, "and takes its big buffers from there ({served})");

    for d in [1, 3] {
        let clean = run(d);
        set_poison(true);
        let poisoned = run(d);
        set_poison(false);
        assert!(clean.iter().all(|&b| f32::from_bits(b).is_finite()), "d = {d}: clean run finite");
        assert_eq!(clean, poisoned, "d = {d}");
    }
}
