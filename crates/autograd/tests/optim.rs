//! The optimisers against PyTorch: parameters after each of three steps of SGD (momentum,
//! weight decay) and Adam (bias correction, weight decay) on one small vector with fixed
//! gradients, compared with values recorded from `torch.optim` by
//! `data/fixtures/optim_reference.py` (the script prints the constants below; rerun it and paste
//! to update). A flipped update sign, a dropped bias correction or a dropped weight decay each
//! move some value by far more than the tolerance.
#![allow(clippy::excessive_precision)]

use atrous_autograd::optim::{Adam, Optimizer, Sgd};
use atrous_tensor::Tensor;

/// The script's `P0` and `GRADS`.
const P0: [f32; 5] = [0.5, -1.0, 2.0, 0.25, -0.125];
const GRADS: [[f32; 5]; 3] =
    [[0.3, -0.2, 0.01, 1.5, 0.4], [0.1, 0.25, -0.02, 1.0, -0.6], [-0.2, 0.05, 0.03, 0.5, 0.2]];

// Printed by data/fixtures/optim_reference.py with torch 2.15.0+cu132
const SGD_MOMENTUM: [[f32; 5]; 3] = [
    [0.4699999988079071, -0.9800000190734863, 1.9989999532699585, 0.09999999403953552, -0.16500000655651093],
    [0.43299999833106995, -0.987000048160553, 2.0000998973846436, -0.13500000536441803, -0.14100000262260437],
    [0.4196999967098236, -0.9983000755310059, 1.9980899095535278, -0.39649999141693115, -0.13940000534057617],
];
const SGD_MOMENTUM_WD: [[f32; 5]; 3] = [
    [0.4449999928474426, -0.9300000071525574, 1.8990000486373901, 0.08749999850988388, -0.1587499976158142],
    [0.3632499873638153, -0.8454999923706055, 1.715149998664856, -0.16312499344348907, -0.1211874932050705],
    [
        0.29151248931884766,
        -0.7321749925613403,
        1.4609274864196777,
        -0.43053123354911804,
        -0.10132186859846115,
    ],
];
const ADAM: [[f32; 5]; 3] = [
    [0.49000000953674316, -0.9900000095367432, 1.9900000095367432, 0.23999999463558197, -0.13500000536441803],
    [0.4812893569469452, -0.9916273355484009, 1.9936610460281372, 0.23029647767543793, -0.13252298533916473],
    [0.47901710867881775, -0.9938565492630005, 1.9902286529541016, 0.22136026620864868, -0.13238631188869476],
];
const ADAM_WD: [[f32; 5]; 3] = [
    [0.49000000953674316, -0.9900000095367432, 1.9900000095367432, 0.23999999463558197, -0.13500000536441803],
    [0.4803689122200012, -0.9812166094779968, 1.980010747909546, 0.23025940358638763, -0.13138079643249512],
    [0.47254329919815063, -0.9721157550811768, 1.9700086116790771, 0.22116917371749878, -0.12975691258907318],
];

/// Runs three steps of `opt` from `P0` and compares each step's parameters with `expected`
/// (a few float32 rounding steps of slack: PyTorch's kernels order some operations differently).
fn check(label: &str, mut opt: Optimizer, expected: &[[f32; 5]; 3]) {
    let mut p = Tensor::from_vec(&[5], P0.to_vec()).unwrap();
    for (step, (g, want)) in GRADS.iter().zip(expected).enumerate() {
        let g = Tensor::from_vec(&[5], g.to_vec()).unwrap();
        opt.step(&mut [&mut p], &[&g]).unwrap();
        for (i, (&got, &want)) in p.as_slice().iter().zip(want).enumerate() {
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{label}: step {} element {i}: {got} but PyTorch gives {want}",
                step + 1
            );
        }
    }
}

#[test]
fn sgd_with_momentum_matches_pytorch() {
    check("SGD lr 0.1 momentum 0.9", Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.0)), &SGD_MOMENTUM);
}

#[test]
fn sgd_with_momentum_and_weight_decay_matches_pytorch() {
    check("SGD lr 0.1 momentum 0.9 wd 0.5", Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.5)), &SGD_MOMENTUM_WD);
}

#[test]
fn adam_with_bias_correction_matches_pytorch() {
    check("Adam lr 0.01", Optimizer::Adam(Adam::new(0.01, 0.0)), &ADAM);
}

#[test]
fn adam_with_weight_decay_matches_pytorch() {
    check("Adam lr 0.01 wd 0.5", Optimizer::Adam(Adam::new(0.01, 0.5)), &ADAM_WD);
}

/// The fixtures tell the cases apart (else a dropped weight decay could pass against them).
#[test]
fn weight_decay_changes_the_reference_values() {
    assert!(SGD_MOMENTUM[2].iter().zip(&SGD_MOMENTUM_WD[2]).any(|(a, b)| (a - b).abs() > 1e-3));
    assert!(ADAM[2].iter().zip(&ADAM_WD[2]).any(|(a, b)| (a - b).abs() > 1e-3));
}

/// `ParamUpdate::update` of an `Optimizer` is its `step` (a training loop calls the trait): the
/// same three steps land on PyTorch's values. Pins the mutant that made `update` do nothing.
#[test]
fn update_through_the_trait_matches_pytorch() {
    use atrous_autograd::optim::ParamUpdate;
    let mut opt = Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.5));
    let mut p = Tensor::from_vec(&[5], P0.to_vec()).unwrap();
    for (g, want) in GRADS.iter().zip(&SGD_MOMENTUM_WD) {
        let g = Tensor::from_vec(&[5], g.to_vec()).unwrap();
        opt.update(&mut [&mut p], &[&g]).unwrap();
        assert!(p.as_slice().iter().zip(want).all(|(a, b)| (a - b).abs() <= 1e-6), "{p:?} vs {want:?}");
    }
}

/// A split optimiser gives `params[..split]` to `head` and the rest to `tail`: SGD's values on
/// the first parameter and Adam's on the second, the same as each alone. `split` may equal the
/// parameter count (an empty tail), not exceed it.
#[test]
fn split_optimizer_updates_each_group_by_its_own_rule_up_to_an_inclusive_split() {
    use atrous_autograd::optim::{ParamUpdate, SplitOptimizer};
    let mut opt = SplitOptimizer {
        split: 1,
        head: Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.0)),
        tail: Optimizer::Adam(Adam::new(0.01, 0.0)),
    };
    let mut a = Tensor::from_vec(&[5], P0.to_vec()).unwrap();
    let mut b = Tensor::from_vec(&[5], P0.to_vec()).unwrap();
    for (step, g) in GRADS.iter().enumerate() {
        let g = Tensor::from_vec(&[5], g.to_vec()).unwrap();
        opt.update(&mut [&mut a, &mut b], &[&g, &g]).unwrap();
        for (got, want) in [(&a, &SGD_MOMENTUM[step]), (&b, &ADAM[step])] {
            assert!(got.as_slice().iter().zip(want).all(|(x, y)| (x - y).abs() <= 1e-6), "step {step}");
        }
    }
    let g = Tensor::from_vec(&[5], GRADS[0].to_vec()).unwrap();
    let mut whole = SplitOptimizer {
        split: 1,
        head: Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.0)),
        tail: Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.0)),
    };
    let mut p = Tensor::from_vec(&[5], P0.to_vec()).unwrap();
    whole.update(&mut [&mut p], &[&g]).expect("split == number of parameters is allowed");
    assert!(p.as_slice().iter().zip(&SGD_MOMENTUM[0]).all(|(x, y)| (x - y).abs() <= 1e-6));
    whole.split = 2;
    let err = whole.update(&mut [&mut p], &[&g]).unwrap_err();
    assert!(err.to_string().contains("split at 2 of 1 parameters"), "{err}");
}

/// Parameters and gradients that do not pair up are refused, by count and by shape, before any
/// parameter moves.
#[test]
fn unpaired_parameters_and_gradients_are_refused_before_any_update() {
    for mut opt in [Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.0)), Optimizer::Adam(Adam::new(0.01, 0.0))] {
        let mut p = Tensor::from_vec(&[5], P0.to_vec()).unwrap();
        let g = Tensor::from_vec(&[5], GRADS[0].to_vec()).unwrap();
        let short = Tensor::from_vec(&[4], vec![1.0; 4]).unwrap();
        let err = opt.step(&mut [&mut p], &[&g, &g]).unwrap_err();
        assert!(err.to_string().contains("1 parameters and 2 gradients"), "{err}");
        let err = opt.step(&mut [&mut p], &[&short]).unwrap_err();
        assert!(err.to_string().contains("has gradient of shape"), "{err}");
        assert_eq!(p.as_slice(), P0, "a refused step moved the parameters");
        opt.step(&mut [&mut p], &[&g]).unwrap();
        assert_ne!(p.as_slice(), P0);
    }
}

/// The kinds build what their names say, with PyTorch's Adam defaults.
#[test]
fn optimizer_kinds_build_with_their_settings_and_names() {
    use atrous_autograd::optim::OptimizerKind;
    assert_eq!((OptimizerKind::Sgd.name(), OptimizerKind::Adam.name()), ("sgd", "adam"));
    assert_eq!(OptimizerKind::Sgd.build(0.1, 0.9, 0.5), Optimizer::Sgd(Sgd::new(0.1, 0.9, 0.5)));
    let Optimizer::Adam(a) = OptimizerKind::Adam.build(0.01, 0.9, 0.5) else { panic!("not Adam") };
    assert_eq!((a.lr, a.beta1, a.beta2, a.eps, a.weight_decay, a.steps), (0.01, 0.9, 0.999, 1e-8, 0.5, 0));
    let Optimizer::Sgd(s) = OptimizerKind::Sgd.build(0.1, 0.9, 0.5) else { panic!("not SGD") };
    assert_eq!((s.lr, s.momentum, s.weight_decay, s.velocity.len()), (0.1, 0.9, 0.5, 0));
}

/// Adam's ε where it matters: gradients as small as ε. On the first step m̂ = g and
/// √v̂ = |g|, so the update is −lr·g/(|g| + ε): with g = 1e-8 (≈ ε) that is −lr/2, and with
/// g = −3e-8 it is +lr·3/4. PyTorch 2.15 gives −0.004999999422580004 and 0.007499999832361937
/// (`torch.optim.Adam([p], lr=0.01)` on zeros with these gradients). A dropped or negated ε
/// divides by zero or doubles the step.
#[test]
fn adam_epsilon_guards_gradients_as_small_as_itself() {
    let mut opt = Optimizer::Adam(Adam::new(0.01, 0.0));
    let mut p = Tensor::zeros(&[2]);
    let g = Tensor::from_vec(&[2], vec![1e-8, -3e-8]).unwrap();
    opt.step(&mut [&mut p], &[&g]).unwrap();
    for (&got, want) in p.as_slice().iter().zip([-0.004999999422580004f32, 0.007499999832361937]) {
        assert!((got - want).abs() <= 1e-6 * want.abs(), "{got} but PyTorch gives {want}");
    }
}
