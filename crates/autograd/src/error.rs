//! The typed error of the autograd crate.

use atrous_tensor::Shape;

/// What went wrong while building, differentiating or storing a computation.
#[derive(Debug, thiserror::Error)]
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
    /// The loss of a training step is NaN or infinite: the run diverged.
    #[error("loss is {0}")]
    NonFiniteLoss(f32),
    /// `backward` was asked to start from a node with no gradient path or a wrong seed.
    #[error("backward: {0}")]
    Backward(String),
    /// A model file that cannot be read or does not match the architecture.
    #[error("model file: {0}")]
    Model(String),
    /// A model or configuration value that makes no sense.
    #[error("config: {0}")]
    Config(String),
}

/// Result alias of the autograd crate.
pub type Result<T> = std::result::Result<T, AutogradError>;

pub(crate) fn shape_error(op: &'static str, why: &'static str, shapes: &[&Shape]) -> AutogradError {
    let shapes = shapes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" and ");
    AutogradError::Shape { op, why, shapes }
}
