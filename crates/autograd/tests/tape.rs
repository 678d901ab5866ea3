//! Tape mechanics: no recording without a gradient-requiring input, accumulation, errors.

use atrous_autograd::{AutogradError, Tape};
use atrous_tensor::Tensor;

#[test]
fn constants_only_record_nothing_and_give_no_gradient() {
    let mut tape = Tape::new();
    let a = tape.constant(Tensor::full(&[2], 3.0));
    let b = tape.relu(a);
    let s = tape.sum(b);
    assert!(!tape.requires_grad(s));
    let grads = tape.backward(s).unwrap();
    assert!(grads.get(a).is_none());
}

#[test]
fn gradient_accumulates_over_uses() {
    // L = Σ (x + x + x) ⇒ ∂L/∂x = 3.
    let mut tape = Tape::new();
    let x = tape.param(Tensor::full(&[4], 0.5));
    let two = tape.add(x, x).unwrap();
    let three = tape.add(two, x).unwrap();
    let loss = tape.sum(three);
    let grads = tape.backward(loss).unwrap();
    assert_eq!(grads.get(x).unwrap().as_slice(), &[3.0; 4]);
}

#[test]
fn cross_entropy_gradient_is_softmax_minus_onehot_over_n() {
    // Equal logits: softmax = 1/2 each; label 0 ⇒ ∂/∂x = [1/2 − 1, 1/2] / N with N = 1.
    let mut tape = Tape::new();
    let x = tape.param(Tensor::zeros(&[1, 2]));
    let loss = tape.cross_entropy(x, &[0]).unwrap();
    assert!((tape.value(loss).as_slice()[0] - std::f32::consts::LN_2).abs() < 1e-6);
    let grads = tape.backward(loss).unwrap();
    assert_eq!(grads.get(x).unwrap().as_slice(), &[-0.5, 0.5]);
}

#[test]
fn bad_requests_are_errors() {
    let mut tape = Tape::new();
    let x = tape.param(Tensor::zeros(&[2, 3]));
    assert!(matches!(tape.backward(x), Err(AutogradError::Backward(_))), "non-scalar backward");
    assert!(matches!(tape.cross_entropy(x, &[0, 3]), Err(AutogradError::Class { class: 3, .. })));
    assert!(matches!(tape.pick_class(x, &[0]), Err(AutogradError::Shape { .. })));
    let w = tape.param(Tensor::zeros(&[4, 2]));
    assert!(matches!(tape.linear(x, w, None), Err(AutogradError::Shape { .. })));
    assert!(tape.backward_with(x, Tensor::zeros(&[3])).is_err(), "seed of the wrong shape");
}

#[test]
fn model_files_with_absurd_or_damaged_architecture_are_refused() {
    use atrous_autograd::io::{load_dilnet, save_dilnet};
    use atrous_autograd::nn::{DilNet, DilNetConfig};
    use atrous_tensor::rng::Rng;
    let model = DilNet::new(DilNetConfig::reference(2), &mut Rng::seed_from(0)).unwrap();
    let bytes = save_dilnet(&model, &[]).unwrap();
    let (back, meta) = load_dilnet(&bytes).unwrap();
    assert_eq!(back, model);
    assert_eq!(meta["dilations"], "[2,2,2]");
    // Rewrite the architecture in place (same length, so the header stays valid): 9999 channels.
    let at = bytes.windows(10).position(|w| w == b"[16,32,64]").unwrap();
    let mut hostile = bytes.clone();
    hostile[at..at + 10].copy_from_slice(b"[9999,9,9]");
    let err = load_dilnet(&hostile).unwrap_err().to_string();
    assert!(err.contains("channels"), "{err}");
    let err = load_dilnet(&bytes[..bytes.len() - 7]).unwrap_err().to_string();
    assert!(err.contains("not a valid safetensors file"), "{err}");
}
