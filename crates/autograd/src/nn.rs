//! Layers and the reference network DilNet.
//!
//! DilNet(d) = normalise → conv1(d) → ReLU → conv2(d) → ReLU → max-pool 2 → conv3(d) → ReLU →
//! max-pool 2 → flatten (NCHW) → fc1 → ReLU → fc2, on `[N, 1, 28, 28]` pixels in `[0, 1]`. Every
//! convolution is k×k (3×3 in the reference network; the receptive-field controls of the study use
//! 5×5, 7×7, 9×9) with padding `d·(k−1)/2`, so spatial sizes are kept and every dilation costs the
//! same arithmetic. Parameter names and layouts are PyTorch's
//! (`conv1.weight [16, 1, 3, 3]`, …, `fc1.weight [128, 3136]`), so a model file loads into the
//! equivalent `torch.nn` network unchanged.

use crate::classifier::Classifier;
use crate::error::{ArchitectureError, ModelFileError};
use crate::tape::{Tape, Var};
use crate::{AutogradError, Result};
use atrous_conv::{Conv2dParams, Pool2dParams};
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// A 2-D convolution layer: weight `[C_out, C_in, k_h, k_w]`, bias `[C_out]`, and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    /// Weight `[C_out, C_in, k_h, k_w]`.
    pub weight: Tensor,
    /// Bias `[C_out]`.
    pub bias: Tensor,
    /// Kernel, stride, padding, dilation.
    pub params: Conv2dParams,
}

impl Conv2d {
    /// A layer with PyTorch's default initialisation: `U(−1/√fan_in, 1/√fan_in)` for weight and bias.
    pub fn new(c_in: usize, c_out: usize, params: Conv2dParams, rng: &mut Rng) -> Self {
        let (k_h, k_w) = params.kernel;
        let fan_in = c_in * k_h * k_w;
        let weight = Tensor::kaiming_uniform(&[c_out, c_in, k_h, k_w], fan_in, rng);
        let bias = Tensor::kaiming_uniform(&[c_out], fan_in, rng);
        Conv2d { weight, bias, params }
    }
}

/// A fully connected layer `y = x·Wᵀ + b`: weight `[out, in]`, bias `[out]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// Weight `[out, in]`.
    pub weight: Tensor,
    /// Bias `[out]`.
    pub bias: Tensor,
}

impl Linear {
    /// A layer with PyTorch's default initialisation.
    pub fn new(d_in: usize, d_out: usize, rng: &mut Rng) -> Self {
        Linear {
            weight: Tensor::kaiming_uniform(&[d_out, d_in], d_in, rng),
            bias: Tensor::kaiming_uniform(&[d_out], d_in, rng),
        }
    }
}

/// The architecture of a DilNet: everything a model file must record to be rebuilt.
#[derive(Clone, Debug, PartialEq)]
pub struct DilNetConfig {
    /// Output channels of conv1, conv2, conv3.
    pub channels: [usize; 3],
    /// Dilation of conv1, conv2, conv3.
    pub dilations: [usize; 3],
    /// Kernel side of conv1, conv2, conv3 (odd; `[3, 3, 3]` in the reference network).
    pub kernels: [usize; 3],
    /// Width of the hidden fully connected layer.
    pub hidden: usize,
    /// Number of classes.
    pub classes: usize,
    /// Side of the square input images.
    pub side: usize,
    /// Input normalisation: `(x − mean) / std`.
    pub mean: f32,
    /// Input normalisation: `(x − mean) / std`.
    pub std: f32,
}

/// MNIST training-set pixel mean, for inputs scaled to `[0, 1]`.
pub const MNIST_MEAN: f32 = 0.1307;
/// MNIST training-set pixel standard deviation, for inputs scaled to `[0, 1]`.
pub const MNIST_STD: f32 = 0.3081;

impl DilNetConfig {
    /// The reference network on MNIST: channels 16, 32, 64, every conv dilated by `d`.
    pub fn reference(d: usize) -> Self {
        DilNetConfig {
            channels: [16, 32, 64],
            dilations: [d; 3],
            kernels: [3; 3],
            hidden: 128,
            classes: 10,
            side: 28,
            mean: MNIST_MEAN,
            std: MNIST_STD,
        }
    }

    /// Input side of each conv layer: conv1 and conv2 see the full image, conv3 half of it.
    pub fn conv_input_sides(&self) -> [usize; 3] {
        [self.side, self.side, self.side / 2]
    }

    /// Features entering fc1: `channels[2] · (side/4)²` (two 2×2 poolings).
    pub fn flat_features(&self) -> usize {
        self.channels[2] * (self.side / 4) * (self.side / 4)
    }

    /// The shapes of the parameters in [`PARAM_NAMES`] order.
    pub fn param_shapes(&self) -> [Vec<usize>; 10] {
        let [c1, c2, c3] = self.channels;
        let [k1, k2, k3] = self.kernels;
        [
            vec![c1, 1, k1, k1],
            vec![c1],
            vec![c2, c1, k2, k2],
            vec![c2],
            vec![c3, c2, k3, k3],
            vec![c3],
            vec![self.hidden, self.flat_features()],
            vec![self.hidden],
            vec![self.classes, self.hidden],
            vec![self.classes],
        ]
    }

    /// Refuses architectures that cannot work, with one readable reason.
    pub fn validate(&self) -> std::result::Result<(), ArchitectureError> {
        if self.channels.contains(&0) || self.hidden == 0 || self.classes == 0 {
            return Err(ArchitectureError::EmptyLayer {
                channels: self.channels,
                hidden: self.hidden,
                classes: self.classes,
            });
        }
        // Bounds far beyond any MNIST network, checked before anything is allocated, so a damaged
        // or hostile model file cannot ask for gigabytes: each width, the parameter count and
        // the activations of one image (each bounded alone, their products are not).
        const MAX_WIDTH: usize = 4096;
        const MAX_PARAMETERS: usize = 1 << 26;
        const MAX_ACTIVATIONS_PER_IMAGE: usize = 1 << 24;
        const MAX_KERNEL: usize = 64;
        let too_large = |what, value, limit| Err(ArchitectureError::TooLarge { what, value, limit });
        for (what, value) in [
            ("conv1 channels", self.channels[0]),
            ("conv2 channels", self.channels[1]),
            ("conv3 channels", self.channels[2]),
            ("hidden width", self.hidden),
            ("classes", self.classes),
            ("input side", self.side),
        ] {
            if value > MAX_WIDTH {
                return too_large(what, value, MAX_WIDTH);
            }
        }
        if self.side < 4 {
            return Err(ArchitectureError::InputTooSmall(self.side));
        }
        for (what, value) in [
            ("conv1 kernel", self.kernels[0]),
            ("conv2 kernel", self.kernels[1]),
            ("conv3 kernel", self.kernels[2]),
        ] {
            if value > MAX_KERNEL {
                return too_large(what, value, MAX_KERNEL);
            }
        }
        let activations = self.side * self.side * self.channels.iter().max().copied().unwrap_or(1);
        if activations > MAX_ACTIVATIONS_PER_IMAGE {
            return too_large("activations per image", activations, MAX_ACTIVATIONS_PER_IMAGE);
        }
        let parameters: usize = self.param_shapes().iter().map(|s| s.iter().product::<usize>()).sum();
        if parameters > MAX_PARAMETERS {
            return too_large("parameter count", parameters, MAX_PARAMETERS);
        }
        if !(self.std > 0.0 && self.std.is_finite() && self.mean.is_finite()) {
            return Err(ArchitectureError::Normalisation { mean: self.mean, std: self.std });
        }
        for (layer, (&dilation, &side)) in self.dilations.iter().zip(&self.conv_input_sides()).enumerate() {
            if dilation == 0 {
                return Err(ArchitectureError::ZeroDilation { layer: layer + 1 });
            }
            // With padding d·(k−1)/2, the nearest off-centre tap (offset ±d) reads inside the
            // image only if d < side. (An even or zero kernel side is refused by
            // `Conv2dParams::same` when the layer is built.)
            if dilation >= side {
                return Err(ArchitectureError::DilationTooLarge { layer: layer + 1, dilation, side });
            }
        }
        Ok(())
    }
}

/// The reference network; see the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct DilNet {
    /// The architecture.
    pub config: DilNetConfig,
    /// First convolution.
    pub conv1: Conv2d,
    /// Second convolution.
    pub conv2: Conv2d,
    /// Third convolution.
    pub conv3: Conv2d,
    /// Hidden fully connected layer.
    pub fc1: Linear,
    /// Output layer (class scores).
    pub fc2: Linear,
}

/// Parameter names in PyTorch's order (the order of `model.parameters()`).
pub const PARAM_NAMES: [&str; 10] = [
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "conv3.weight",
    "conv3.bias",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
];

impl DilNet {
    /// A freshly initialised network, drawing every parameter from `rng` in [`PARAM_NAMES`] order.
    pub fn new(config: DilNetConfig, rng: &mut Rng) -> Result<Self> {
        config.validate()?;
        let [c1, c2, c3] = config.channels;
        let [d1, d2, d3] = config.dilations;
        let [k1, k2, k3] = config.kernels;
        let conv1 = Conv2d::new(1, c1, Conv2dParams::same(k1, d1)?, rng);
        let conv2 = Conv2d::new(c1, c2, Conv2dParams::same(k2, d2)?, rng);
        let conv3 = Conv2d::new(c2, c3, Conv2dParams::same(k3, d3)?, rng);
        let fc1 = Linear::new(config.flat_features(), config.hidden, rng);
        let fc2 = Linear::new(config.hidden, config.classes, rng);
        Ok(DilNet { config, conv1, conv2, conv3, fc1, fc2 })
    }

    /// A network of architecture `config` holding `params` (in [`PARAM_NAMES`] order), after
    /// checking each shape against the architecture; nothing else is allocated.
    pub fn from_parameters(config: DilNetConfig, params: [Tensor; 10]) -> Result<Self> {
        config.validate()?;
        for ((name, t), expected) in PARAM_NAMES.iter().zip(&params).zip(config.param_shapes()) {
            if t.dims() != expected.as_slice() {
                return Err(ModelFileError::TensorShape {
                    name: name.to_string(),
                    found: t.shape().clone(),
                    expected: atrous_tensor::Shape::new(&expected),
                }
                .into());
            }
        }
        let [d1, d2, d3] = config.dilations;
        let [k1, k2, k3] = config.kernels;
        let [w1, b1, w2, b2, w3, b3, f1w, f1b, f2w, f2b] = params;
        Ok(DilNet {
            conv1: Conv2d { weight: w1, bias: b1, params: Conv2dParams::same(k1, d1)? },
            conv2: Conv2d { weight: w2, bias: b2, params: Conv2dParams::same(k2, d2)? },
            conv3: Conv2d { weight: w3, bias: b3, params: Conv2dParams::same(k3, d3)? },
            fc1: Linear { weight: f1w, bias: f1b },
            fc2: Linear { weight: f2w, bias: f2b },
            config,
        })
    }

    /// The parameters in [`PARAM_NAMES`] order.
    pub fn parameters(&self) -> [&Tensor; 10] {
        [
            &self.conv1.weight,
            &self.conv1.bias,
            &self.conv2.weight,
            &self.conv2.bias,
            &self.conv3.weight,
            &self.conv3.bias,
            &self.fc1.weight,
            &self.fc1.bias,
            &self.fc2.weight,
            &self.fc2.bias,
        ]
    }

    /// The parameters in [`PARAM_NAMES`] order, writable (for optimisers and loading).
    pub fn parameters_mut(&mut self) -> [&mut Tensor; 10] {
        [
            &mut self.conv1.weight,
            &mut self.conv1.bias,
            &mut self.conv2.weight,
            &mut self.conv2.bias,
            &mut self.conv3.weight,
            &mut self.conv3.bias,
            &mut self.fc1.weight,
            &mut self.fc1.bias,
            &mut self.fc2.weight,
            &mut self.fc2.bias,
        ]
    }

    /// DilNet's layer sequence with each convolution computed by `conv(tape, layer, input,
    /// weight, bias)` (`layer` 0, 1, 2): the one place the architecture is written down, shared
    /// by the plain network and the dilation search. `p` holds the ten parameters in
    /// [`PARAM_NAMES`] order.
    pub fn forward_with(
        &self,
        tape: &mut Tape,
        p: &[Var],
        x: Var,
        mut conv: impl FnMut(&mut Tape, usize, Var, Var, Var) -> Result<Var>,
    ) -> Result<Var> {
        let &[w1, b1, w2, b2, w3, b3, f1w, f1b, f2w, f2b] = p else {
            return Err(AutogradError::Shape {
                op: "DilNet::forward",
                why: "needs the ten parameters in PARAM_NAMES order",
                shapes: format!("{} variables", p.len()),
            });
        };
        let pool = Pool2dParams::new((2, 2), (2, 2))?;
        let h = tape.normalize(x, self.config.mean, self.config.std);
        let h = conv(tape, 0, h, w1, b1)?;
        let h = tape.relu(h);
        let h = conv(tape, 1, h, w2, b2)?;
        let h = tape.relu(h);
        let h = tape.max_pool2d(h, pool)?;
        let h = conv(tape, 2, h, w3, b3)?;
        let h = tape.relu(h);
        let h = tape.max_pool2d(h, pool)?;
        let h = tape.flatten(h)?;
        let h = tape.linear(h, f1w, Some(f1b))?;
        let h = tape.relu(h);
        tape.linear(h, f2w, Some(f2b))
    }
}

impl Classifier for DilNet {
    fn parameters(&self) -> Vec<&Tensor> {
        DilNet::parameters(self).to_vec()
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        DilNet::parameters_mut(self).into_iter().collect()
    }

    fn forward(&self, tape: &mut Tape, params: &[Var], x: Var) -> Result<Var> {
        let layers = [&self.conv1, &self.conv2, &self.conv3];
        self.forward_with(tape, params, x, |tape, layer, h, w, b| {
            tape.conv2d(h, w, Some(b), layers[layer].params)
        })
    }

    fn input_dims(&self) -> [usize; 3] {
        [1, self.config.side, self.config.side]
    }

    fn classes(&self) -> usize {
        self.config.classes
    }
}
