//! The typed error of the saliency crate: each variant names the setting, shape or file at fault.

use atrous_tensor::Shape;
use std::path::PathBuf;

/// What went wrong while explaining a model or writing its pictures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaliencyError {
    /// An error from the network (shapes, classes, model files).
    #[error(transparent)]
    Autograd(#[from] atrous_autograd::AutogradError),
    /// An error from a tensor operation.
    #[error(transparent)]
    Tensor(#[from] atrous_tensor::Error),
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] atrous_tensor::files::WriteError),
    /// A class index outside the model's classes.
    #[error("class {class} is outside 0..{classes}")]
    Class {
        /// The class given.
        class: usize,
        /// Number of classes of the model.
        classes: usize,
    },
    /// A target that is not `predicted`, `label` or a class number.
    #[error("target {0:?} is not \"predicted\", \"label\" or a class number")]
    UnknownTarget(String),
    /// An attribution method name that is not one of [`crate::attribution::METHOD_NAMES`].
    #[error("method {0:?} is not one of {names}", names = crate::attribution::METHOD_NAMES.join(", "))]
    UnknownMethod(String),
    /// A network on whose tape no rectified feature map `[N, C, H, W]` was recorded, where
    /// Grad-CAM looks.
    #[error(
        "grad-cam needs a ReLU after a convolution; the network recorded no rectified [N, C, H, W] feature map"
    )]
    NoFeatureMap,
    /// Target `label` without labels, or with a label count unlike the image count.
    #[error("target \"label\" needs one label per image: {labels} labels for {images} images")]
    Labels {
        /// Labels given.
        labels: usize,
        /// Images.
        images: usize,
    },
    /// An image range that does not parse or is empty.
    #[error("image range {text:?}: {reason}")]
    ImageRange {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An image range reaching past the end of its split.
    #[error("image range {start}..{end} reaches past the {images} images of the split")]
    PastEnd {
        /// First index.
        start: usize,
        /// One past the last index.
        end: usize,
        /// Images in the split.
        images: usize,
    },
    /// Nothing to explain.
    #[error("no image selected")]
    NoImage,
    /// No class to visualise.
    #[error("no class to visualise")]
    NoClass,
    /// A numeric setting outside its range.
    #[error("{setting} = {value} is out of range: {rule}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        rule: &'static str,
    },
    /// An array whose shape does not fit.
    #[error("{what} must be {expected}, got {found}")]
    Shape {
        /// What the array is.
        what: &'static str,
        /// The expected layout.
        expected: String,
        /// The shape given.
        found: Shape,
    },
    /// A split with no images where a statistic of its images is needed.
    #[error("the mean image of an empty split is undefined")]
    EmptySplit,
    /// Data whose length does not match the shape it is written with.
    #[error("{what}: shape {dims:?} needs {expected} values, got {found}")]
    Length {
        /// What is written.
        what: &'static str,
        /// The shape.
        dims: Vec<usize>,
        /// Values the shape needs.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// A result that is NaN or infinite (e.g. a model whose weights are finite but so large that
    /// its class scores overflow), refused rather than written.
    #[error(
        "{what} {index} is {value}, not a finite number: the model's class scores or the computation overflow f32"
    )]
    NotFinite {
        /// What holds it, e.g. `"the class score of test image"`.
        what: &'static str,
        /// Which image or class.
        index: usize,
        /// The first non-finite value.
        value: f32,
    },
    /// A forward pass that computed a NaN or an infinity (weights so large that values
    /// overflow `f32`; a ReLU can hide it from the class scores by mapping NaN to 0).
    #[error(
        "the network computes {value} (tape node {node}): its weights are so large that values overflow f32"
    )]
    Overflow {
        /// The tape node holding the value.
        node: usize,
        /// The first non-finite value.
        value: f32,
    },
    /// A file's content could not be encoded.
    #[error("cannot encode {}: {message}", path.display())]
    Encode {
        /// The file.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
}

/// `Err(NotFinite)` naming the first item (`index_of` its position among `values.chunks(per_item)`)
/// that holds a NaN or an infinity.
pub(crate) fn check_finite(
    what: &'static str,
    values: &[f32],
    per_item: usize,
    index_of: impl Fn(usize) -> usize,
) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => {
            Err(SaliencyError::NotFinite { what, index: index_of(i / per_item.max(1)), value: values[i] })
        }
    }
}

/// Result alias of the saliency crate.
pub type Result<T> = std::result::Result<T, SaliencyError>;
