//! Learning the dilation factor as a real number (research question 1, the continuous method of
//! He et al. 2017): each convolution of a DilNet reads its 3×3 taps at a real dilation `d` by
//! bilinear interpolation (`Tape::conv2d_continuous`), and the three dilations are parameters
//! trained with the weights. Between integers the output is smooth in `d`, so plain gradient
//! descent moves it; at an integer it is the integer dilated convolution. The dilations are kept
//! in a range `[lo, hi]` by projection after every step ([`DilationProjection`]).

use crate::classifier::Classifier;
use crate::error::ArchitectureError;
use crate::nn::{DilNet, DilNetConfig};
use crate::optim::ParamUpdate;
use crate::{AutogradError, Result, Tape, Var};
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// A DilNet whose three convolutions have learnable real dilations. As a [`Classifier`] its
/// parameters are DilNet's ten, then the three one-element dilation tensors; train it with a
/// [`crate::optim::SplitOptimizer`] split at [`Self::WEIGHTS`], wrapped in a
/// [`DilationProjection`].
#[derive(Clone, Debug, PartialEq)]
pub struct ContinuousDilationNet {
    /// The weights (its own integer dilations are not used).
    pub net: DilNet,
    /// The dilations of conv1, conv2, conv3, each `[1]`.
    pub dilations: [Tensor; 3],
    /// The range the dilations are kept in.
    pub range: (f32, f32),
}

impl ContinuousDilationNet {
    /// Number of weight tensors before the dilations in the parameter list.
    pub const WEIGHTS: usize = 10;

    /// A network with DilNet's initialisation (the weights a DilNet of this seed gets) and the
    /// given starting dilations, which must lie in `range` (`0 < lo ≤ hi`, finite).
    pub fn new(initial: [f32; 3], range: (f32, f32), rng: &mut Rng) -> Result<Self> {
        let (lo, hi) = range;
        let valid = lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi;
        if !valid || initial.iter().any(|d| !(lo..=hi).contains(d)) {
            return Err(ArchitectureError::DilationRange { lo, hi, initial }.into());
        }
        let net = DilNet::new(DilNetConfig::reference(1), rng)?;
        Ok(ContinuousDilationNet { net, dilations: initial.map(|d| Tensor::full(&[1], d)), range })
    }

    /// The current dilation of each layer.
    pub fn current(&self) -> [f32; 3] {
        std::array::from_fn(|l| self.dilations[l].as_slice()[0])
    }
}

impl Classifier for ContinuousDilationNet {
    fn parameters(&self) -> Vec<&Tensor> {
        self.net.parameters().into_iter().chain(&self.dilations).collect()
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.net.parameters_mut().into_iter().chain(&mut self.dilations).collect()
    }

    fn forward(&self, tape: &mut Tape, params: &[Var], x: Var) -> Result<Var> {
        if params.len() != Self::WEIGHTS + 3 {
            return Err(AutogradError::Shape {
                op: "ContinuousDilationNet::forward",
                why: "needs DilNet's ten parameters and three dilations",
                shapes: format!("{} variables", params.len()),
            });
        }
        let (weights, d) = params.split_at(Self::WEIGHTS);
        self.net.forward_with(tape, weights, x, |tape, layer, h, w, b| {
            tape.conv2d_continuous(h, w, Some(b), d[layer])
        })
    }

    fn input_dims(&self) -> [usize; 3] {
        self.net.input_dims()
    }

    fn classes(&self) -> usize {
        self.net.classes()
    }
}

/// An update that runs `inner` and then clamps the parameters from `first` on (the dilations)
/// into `range`: projected gradient descent on the box `[lo, hi]`.
#[derive(Clone, Debug)]
pub struct DilationProjection<U> {
    /// The update of all parameters.
    pub inner: U,
    /// Index of the first clamped parameter.
    pub first: usize,
    /// The box.
    pub range: (f32, f32),
}

impl<U: ParamUpdate> ParamUpdate for DilationProjection<U> {
    fn update(&mut self, params: &mut [&mut Tensor], grads: &[&Tensor]) -> Result<()> {
        self.inner.update(params, grads)?;
        for p in params.iter_mut().skip(self.first) {
            p.as_mut_slice().iter_mut().for_each(|d| *d = d.clamp(self.range.0, self.range.1));
        }
        Ok(())
    }
}
