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
    assert!(matches!(tape.backward(x), Err(AutogradError::NotScalar { .. })), "non-scalar backward");
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

#[test]
fn architecture_size_is_bounded_before_anything_is_allocated() {
    use atrous_autograd::ArchitectureError;
    use atrous_autograd::nn::DilNetConfig;
    // Each width alone is legal; their product (activations of one 4096² image, fc1's 64·1024²
    // inputs) is not.
    let huge = DilNetConfig { side: 4096, ..DilNetConfig::reference(1) };
    assert!(matches!(huge.validate(), Err(ArchitectureError::TooLarge { .. })), "{:?}", huge.validate());
    let wide = DilNetConfig { channels: [16, 32, 4096], side: 1024, ..DilNetConfig::reference(1) };
    assert!(matches!(wide.validate(), Err(ArchitectureError::TooLarge { .. })));
    assert!(DilNetConfig::reference(4).validate().is_ok());
}

#[test]
fn relu_backward_rules_guided_and_deconvnet_on_a_hand_built_case() {
    use atrous_autograd::{BackwardRules, ReluBackward};
    // y = relu(x) with x = [2, -1, 3, -4] and incoming signal g = [1, 5, -2, -3]:
    // gradient  g·[x > 0]         = [1, 0, 0, 0]... with x₂ = 3 active and g₂ = −2: [1, 0, −2, 0];
    // guided    max(g, 0)·[x > 0] = [1, 0, 0, 0];
    // deconvnet max(g, 0)         = [1, 5, 0, 0].
    let run = |rule| {
        let mut tape = Tape::new();
        let x = tape.param(Tensor::from_vec(&[4], vec![2.0, -1.0, 3.0, -4.0]).unwrap());
        let y = tape.relu(x);
        let seed = Tensor::from_vec(&[4], vec![1.0, 5.0, -2.0, -3.0]).unwrap();
        let grads = tape.backward_with_rules(y, seed, BackwardRules::with_relu(rule)).unwrap();
        grads.get(x).unwrap().as_slice().to_vec()
    };
    assert_eq!(run(ReluBackward::Gradient), vec![1.0, 0.0, -2.0, 0.0]);
    assert_eq!(run(ReluBackward::Guided), vec![1.0, 0.0, 0.0, 0.0]);
    assert_eq!(run(ReluBackward::Deconvnet), vec![1.0, 5.0, 0.0, 0.0]);
}

#[test]
fn constant_parameters_get_no_gradient_and_tracked_ones_do() {
    use atrous_conv::Conv2dParams;
    // Input gradients with constant weights (saliency) must not compute dW or db; with tracked
    // weights they must.
    for trainable in [false, true] {
        let mut tape = Tape::new();
        let x = tape.param(Tensor::full(&[2, 1, 6, 6], 0.5));
        let w = tape.leaf(Tensor::full(&[3, 1, 3, 3], 0.1), trainable);
        let b = tape.leaf(Tensor::full(&[3], 0.2), trainable);
        let h = tape.conv2d(x, w, Some(b), Conv2dParams::same(3, 2).unwrap()).unwrap();
        let h = tape.flatten(h).unwrap();
        let fw = tape.leaf(Tensor::full(&[4, 108], 0.01), trainable);
        let fb = tape.leaf(Tensor::full(&[4], 0.0), trainable);
        let y = tape.linear(h, fw, Some(fb)).unwrap();
        let loss = tape.sum(y);
        let grads = tape.backward(loss).unwrap();
        assert!(grads.get(x).is_some(), "the input gradient is always computed");
        for v in [w, b, fw, fb] {
            assert_eq!(grads.get(v).is_some(), trainable, "trainable = {trainable}");
        }
    }
}
