//! Every differentiable op against central finite differences (f64 differences of f32 passes).

use atrous_autograd::gradcheck::check_gradients;
use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::{Classifier, Result, Tape, Var};
use atrous_conv::{Conv2dParams, Pool2dParams};
use atrous_tensor::{Tensor, rng::Rng};

const EPS: f32 = 1e-2;
const ATOL: f64 = 1e-2;
const TOL: f64 = 2e-2;

fn rand(dims: &[usize], seed: u64) -> Tensor {
    Tensor::uniform(dims, -1.0, 1.0, &mut Rng::seed_from(seed))
}

fn assert_grads(name: &str, inputs: &[Tensor], f: impl Fn(&mut Tape, &[Var]) -> Result<Var>) {
    assert_grads_eps(name, inputs, EPS, f);
}

fn assert_grads_eps(name: &str, inputs: &[Tensor], eps: f32, f: impl Fn(&mut Tape, &[Var]) -> Result<Var>) {
    let report = check_gradients(inputs, f, eps, ATOL, 99).unwrap();
    assert!(report.checked > 0, "{name}: nothing checked");
    assert!(report.passes(TOL), "{name}: worst {report:?}");
}

#[test]
fn conv2d_at_dilations_strides_and_paddings() {
    for (d, s, p) in [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 1, 4), (2, 3, 0)] {
        let params = Conv2dParams::square(3, s, p, d).unwrap();
        let inputs = [rand(&[2, 2, 9, 8], d as u64), rand(&[3, 2, 3, 3], 10 + d as u64), rand(&[3], 20)];
        assert_grads(&format!("conv2d d{d} s{s} p{p}"), &inputs, |t, v| {
            t.conv2d(v[0], v[1], Some(v[2]), params)
        });
    }
}

/// The continuous-dilation convolution in x, w, b and the dilation itself, at dilations whose
/// taps stay inside one pixel cell within ±EPS (there the output is smooth in d).
#[test]
fn conv2d_continuous_in_all_inputs_including_the_dilation() {
    for (k, d) in [(3, 1.37f32), (3, 2.44), (5, 0.73)] {
        let inputs =
            [rand(&[2, 2, 8, 7], 30), rand(&[3, 2, k, k], 31), rand(&[3], 32), Tensor::full(&[1], d)];
        assert_grads_eps(&format!("conv2d_continuous k{k} d{d}"), &inputs, 1e-3, |t, v| {
            t.conv2d_continuous(v[0], v[1], Some(v[2]), v[3])
        });
    }
}

#[test]
fn linear_relu_and_elementwise() {
    assert_grads("linear", &[rand(&[4, 5], 1), rand(&[3, 5], 2), rand(&[3], 3)], |t, v| {
        t.linear(v[0], v[1], Some(v[2]))
    });
    // Inputs kept at least 0.1 from ReLU's kink, so ±ε never crosses it.
    let away_from_zero = rand(&[40], 4).as_slice().iter().map(|v| v + 0.1 * v.signum()).collect();
    assert_grads("relu", &[Tensor::from_vec(&[40], away_from_zero).unwrap()], |t, v| Ok(t.relu(v[0])));
    assert_grads("add", &[rand(&[6], 5), rand(&[6], 6)], |t, v| t.add(v[0], v[1]));
    assert_grads("mul", &[rand(&[6], 7), rand(&[6], 8)], |t, v| t.mul(v[0], v[1]));
    assert_grads("affine", &[rand(&[6], 9)], |t, v| Ok(t.affine(v[0], -1.5, 0.25)));
    assert_grads("normalize", &[rand(&[6], 10)], |t, v| Ok(t.normalize(v[0], 0.1307, 0.3081)));
    assert_grads("reshape", &[rand(&[2, 3, 2], 11)], |t, v| t.reshape(v[0], &[3, 4]));
    assert_grads("flatten", &[rand(&[2, 3, 2, 2], 12)], |t, v| t.flatten(v[0]));
    // A value used twice: gradients must add up.
    assert_grads("x*x + x", &[rand(&[5], 13)], |t, v| {
        let sq = t.mul(v[0], v[0])?;
        t.add(sq, v[0])
    });
}

#[test]
fn pooling_reductions_and_losses() {
    // Values spread apart so no pooling window has a near-tie that ε could flip.
    let spread =
        Tensor::from_vec(&[1, 2, 4, 4], (0..32).map(|i| ((i * 7) % 32) as f32 * 0.1).collect()).unwrap();
    assert_grads("max_pool2d", std::slice::from_ref(&spread), |t, v| {
        t.max_pool2d(v[0], Pool2dParams::new((2, 2), (2, 2)).unwrap())
    });
    assert_grads("global_avg_pool", &[rand(&[2, 3, 3, 2], 14)], |t, v| t.global_avg_pool(v[0]));
    assert_grads("sum", &[rand(&[7], 15)], |t, v| Ok(t.sum(v[0])));
    assert_grads("mean", &[rand(&[7], 16)], |t, v| Ok(t.mean(v[0])));
    assert_grads("pick_class", &[rand(&[3, 4], 17)], |t, v| t.pick_class(v[0], &[0, 3, 2]));
    assert_grads("cross_entropy", &[rand(&[3, 4], 18)], |t, v| t.cross_entropy(v[0], &[1, 0, 3]));
    assert_grads(
        "mix",
        &[rand(&[2, 3], 19), rand(&[2, 3], 20), rand(&[2, 3], 21), rand(&[3], 22)],
        |t, v| t.mix(&v[..3], v[3]),
    );
}

#[test]
fn whole_dilnet_input_gradient() {
    // A small DilNet (d = 2) end to end: the saliency gradient ∂S_c/∂x through every layer.
    let mut config = DilNetConfig::reference(2);
    config.channels = [2, 3, 4];
    config.hidden = 8;
    config.side = 8;
    let model = DilNet::new(config, &mut Rng::seed_from(1)).unwrap();
    let x = Tensor::uniform(&[2, 1, 8, 8], 0.0, 1.0, &mut Rng::seed_from(2));
    // A small step: a deep ReLU network has kinks everywhere, and a step of 1e-3 rarely crosses one.
    assert_grads_eps("dilnet ∂S/∂x", &[x], 1e-3, |t, v| {
        let p = model.bind(t, false);
        let logits = model.forward(t, &p, v[0])?;
        t.pick_class(logits, &[3, 7])
    });
}
