//! The typed error of the saliency crate.

use std::path::PathBuf;

/// What went wrong while explaining a model or writing its pictures.
#[derive(Debug, thiserror::Error)]
pub enum SaliencyError {
    /// An error from the network (shapes, classes, model files).
    #[error(transparent)]
    Autograd(#[from] atrous_autograd::AutogradError),
    /// An error from a convolution or pooling kernel.
    #[error(transparent)]
    Conv(#[from] atrous_conv::ConvError),
    /// An error from a tensor operation.
    #[error(transparent)]
    Tensor(#[from] atrous_tensor::Error),
    /// A setting that makes no sense (negative step, empty batch, quantiles out of order…).
    #[error("{0}")]
    Config(String),
    /// A class index outside the model's classes.
    #[error("class {class} is outside 0..{classes}")]
    Class {
        /// The class given.
        class: usize,
        /// Number of classes of the model.
        classes: usize,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The PNG encoder refused a picture.
    #[error("cannot encode {}: {message}", path.display())]
    Png {
        /// The file.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
}

/// Result alias of the saliency crate.
pub type Result<T> = std::result::Result<T, SaliencyError>;
