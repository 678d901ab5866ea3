//! The typed errors of the autograd crate: each variant names the operation, value or file part
//! that is wrong, so callers can match on it and the message reads on one line.

use atrous_tensor::Shape;

/// What went wrong while building, differentiating, training or storing a computation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AutogradError {
    /// An error from a convolution or pooling kernel.
    #[error(transparent)]
    Conv(#[from] atrous_conv::ConvError),
    /// An error from a tensor operation.
    #[error(transparent)]
    Tensor(#[from] atrous_tensor::Error),
    /// Operands whose shapes do not fit the operation.
    #[error("{op}: {why}, got {shapes}")]
    Shape {
        /// The operation.
        op: &'static str,
        /// The rule that was broken.
        why: &'static str,
        /// The shapes involved, formatted.
        shapes: String,
    },
    /// A class index or label outside the logits' class axis.
    #[error("{op}: class {class} of item {item} is outside 0..{classes}")]
    Class {
        /// The operation.
        op: &'static str,
        /// Batch item.
        item: usize,
        /// The class given.
        class: usize,
        /// Number of classes.
        classes: usize,
    },
    /// Images that do not fit a classifier's input.
    #[error("input images must be [N ≥ 1, {}, {}, {}], got {found}", expected[0], expected[1], expected[2])]
    Input {
        /// `[C, H, W]` of one image, as the classifier reads it.
        expected: [usize; 3],
        /// The shape given.
        found: Shape,
    },
    /// The loss of a training step is NaN or infinite.
    #[error("loss is {0}")]
    NonFiniteLoss(f32),
    /// A training epoch stopped at a step whose loss was not finite; the parameters are those of
    /// the step before.
    #[error("training diverged: loss is {loss} at step {step}")]
    Diverged {
        /// The 1-based step within the epoch.
        step: usize,
        /// The loss.
        loss: f32,
    },
    /// `backward` started from a value that is not a scalar.
    #[error("backward needs a scalar to start from, got shape {shape}; use backward_with and a seed")]
    NotScalar {
        /// The shape of the value.
        shape: Shape,
    },
    /// `backward_with` got a seed shaped unlike the output.
    #[error("backward: seed shape {seed} differs from output shape {output}")]
    SeedShape {
        /// The seed's shape.
        seed: Shape,
        /// The output's shape.
        output: Shape,
    },
    /// A parameter that should be on the loss path received no gradient.
    #[error("parameter {index} got no gradient: it is not on the path to the loss")]
    MissingGradient {
        /// Position of the parameter in the model's parameter list.
        index: usize,
    },
    /// An optimiser was handed parameters and gradients that do not pair up.
    #[error("optimiser: {0}")]
    Optimizer(String),
    /// An architecture that cannot work.
    #[error(transparent)]
    Architecture(#[from] ArchitectureError),
    /// A model or checkpoint file that cannot be read or does not match its architecture.
    #[error(transparent)]
    ModelFile(#[from] ModelFileError),
}

/// Why an architecture cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ArchitectureError {
    /// A layer with no units.
    #[error("channels {channels:?}, hidden {hidden} and classes {classes} must all be at least 1")]
    EmptyLayer {
        /// Conv widths.
        channels: [usize; 3],
        /// Hidden width.
        hidden: usize,
        /// Classes.
        classes: usize,
    },
    /// A width or input size beyond any MNIST network (a damaged or hostile model file).
    #[error("{what} {value} exceeds the limit {limit}")]
    TooLarge {
        /// Which size.
        what: &'static str,
        /// Its value.
        value: usize,
        /// The largest accepted.
        limit: usize,
    },
    /// An input too small for the two 2×2 poolings.
    #[error("input side {0} is too small for two 2×2 poolings")]
    InputTooSmall(usize),
    /// Normalisation constants that are not finite or a non-positive standard deviation.
    #[error("normalisation mean {mean} / std {std} must be finite with std > 0")]
    Normalisation {
        /// Mean.
        mean: f32,
        /// Standard deviation.
        std: f32,
    },
    /// A dilation of 0.
    #[error("dilation of conv{layer} must be at least 1")]
    ZeroDilation {
        /// 1-based layer.
        layer: usize,
    },
    /// A dilation whose off-centre taps read only padding.
    #[error(
        "dilation {dilation} of conv{layer} is at least its input size {side}: every off-centre tap would read only padding"
    )]
    DilationTooLarge {
        /// 1-based layer.
        layer: usize,
        /// The dilation.
        dilation: usize,
        /// The layer's input side.
        side: usize,
    },
    /// A dilation search with nothing to choose from.
    #[error("a dilation search needs at least one candidate dilation")]
    NoCandidate,
    /// A Gumbel-softmax temperature that is not a positive number.
    #[error("Gumbel-softmax temperature must be a positive number, got {0}")]
    Temperature(f32),
    /// A continuous dilation range that is empty or not positive, or a start outside it.
    #[error(
        "continuous dilations {initial:?} must lie in a range [lo, hi] with 0 < lo ≤ hi, finite; got [{lo}, {hi}]"
    )]
    DilationRange {
        /// Lower end of the range.
        lo: f32,
        /// Upper end of the range.
        hi: f32,
        /// The starting dilations.
        initial: [f32; 3],
    },
}

/// What is wrong with a model or checkpoint file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelFileError {
    /// Not safetensors at all, or truncated.
    #[error("not a valid safetensors file ({0})")]
    NotSafetensors(String),
    /// A tensor of another element type than f32.
    #[error("tensor {name} has dtype {dtype}, expected F32")]
    Dtype {
        /// Tensor name.
        name: String,
        /// The dtype found.
        dtype: String,
    },
    /// A metadata entry that is missing.
    #[error("metadata has no \"{0}\" entry")]
    MissingMetadata(String),
    /// A metadata entry that does not parse.
    #[error("metadata \"{key}\" = {value:?} is not {expected}")]
    BadMetadata {
        /// The key.
        key: String,
        /// Its raw value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A file of another architecture.
    #[error("architecture \"{0}\" is not \"dilnet\"")]
    Architecture(String),
    /// A tensor the architecture needs is absent.
    #[error("tensor {0} is missing")]
    MissingTensor(String),
    /// A tensor whose shape is not the architecture's.
    #[error("tensor {name} has shape {found}, the architecture needs {expected}")]
    TensorShape {
        /// Tensor name.
        name: String,
        /// Shape in the file.
        found: Shape,
        /// Shape the architecture needs.
        expected: Shape,
    },
    /// A NaN or infinite parameter.
    #[error("tensor {name} holds a non-finite value at element {index}")]
    NonFinite {
        /// Tensor name.
        name: String,
        /// Index of the first non-finite element.
        index: usize,
    },
    /// A tensor that is not part of the architecture.
    #[error("unexpected tensor {0} (not part of a DilNet)")]
    UnexpectedTensor(String),
    /// The safetensors writer refused the tensors.
    #[error("cannot serialise: {0}")]
    Serialise(String),
}

/// Result alias of the autograd crate.
pub type Result<T> = std::result::Result<T, AutogradError>;

pub(crate) fn shape_error(op: &'static str, why: &'static str, shapes: &[&Shape]) -> AutogradError {
    let shapes = shapes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" and ");
    AutogradError::Shape { op, why, shapes }
}
