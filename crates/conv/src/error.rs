//! The typed error of the convolution crate: every variant names the offending shape or value.

use atrous_tensor::Shape;

/// What is wrong with a convolution or pooling call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvError {
    /// A kernel, stride or dilation of zero.
    #[error("conv2d: {name} must be at least 1 on both axes, got {value:?}")]
    ZeroParam {
        /// Which parameter.
        name: &'static str,
        /// Its value `(height, width)`.
        value: (usize, usize),
    },
    /// "Same" padding asked for an even kernel, which cannot be centred.
    #[error("conv2d: 'same' padding needs an odd kernel, got {k}")]
    EvenSameKernel {
        /// The kernel size.
        k: usize,
    },
    /// A continuous dilation that is not a finite positive number, or that moves the outer taps
    /// further than twice the image's side.
    #[error(
        "continuous conv2d: the dilation must be finite, positive, and keep the outer taps within twice the image's side, got {value}"
    )]
    BadDilation {
        /// The value given.
        value: f32,
    },
    /// A tensor of the wrong rank.
    #[error("conv2d: {what} must be {expected}, got {shape}")]
    Rank {
        /// Which operand.
        what: &'static str,
        /// The expected layout.
        expected: &'static str,
        /// The shape given.
        shape: Shape,
    },
    /// An input with no channels or no pixels, or a weight with no output channels.
    #[error("conv2d: {what} {shape} has an empty channel or spatial axis")]
    Empty {
        /// Which operand.
        what: &'static str,
        /// Its shape.
        shape: Shape,
    },
    /// Input and weight disagree on the number of input channels.
    #[error("conv2d: input {input} has {} channels, weight {weight} expects {}", input.dims()[1], weight.dims()[1])]
    Channels {
        /// Input shape `[N, C, H, W]`.
        input: Shape,
        /// Weight shape `[C_out, C_in, k_h, k_w]`.
        weight: Shape,
    },
    /// The weight's spatial size is not the kernel size in the parameters.
    #[error("conv2d: weight {weight} does not have the kernel size {kernel:?} of the parameters")]
    KernelMismatch {
        /// Weight shape.
        weight: Shape,
        /// Kernel size in the parameters.
        kernel: (usize, usize),
    },
    /// The effective (dilated) kernel is larger than the padded input.
    #[error(
        "conv2d: effective kernel {span} (dilation·(k−1)+1) is larger than the padded {axis} {input} + 2·{padding}"
    )]
    KernelTooLarge {
        /// `"height"` or `"width"`.
        axis: &'static str,
        /// Input size on that axis.
        input: usize,
        /// Padding on each side.
        padding: usize,
        /// Effective kernel size.
        span: usize,
    },
    /// A pooling window larger than the input.
    #[error("max_pool2d: window {kernel:?} is larger than the input {h}×{w}")]
    PoolTooLarge {
        /// Window size.
        kernel: (usize, usize),
        /// Input height.
        h: usize,
        /// Input width.
        w: usize,
    },
    /// Some operand does not have the shape the call implies.
    #[error("{op}: {what} must have shape {expected}, got {found}")]
    Operand {
        /// The function.
        op: &'static str,
        /// Which operand.
        what: &'static str,
        /// The shape it must have.
        expected: Shape,
        /// The shape it has.
        found: Shape,
    },
    /// An error from the tensor crate.
    #[error(transparent)]
    Tensor(#[from] atrous_tensor::Error),
}
