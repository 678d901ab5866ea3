//! Explaining atrous' MNIST networks the way Simonyan, Vedaldi & Zisserman (2014, "Deep Inside
//! Convolutional Networks", arXiv 1312.6034) explain ImageNet ones.
//!
//! - [`images`]: which images of a split to explain ([`images::ImageRange`]).
//! - [`saliency`]: image-specific class saliency `|∂S_c/∂x|` for the logit `S_c` of the
//!   predicted class, the true label or a given class; one backward pass per batch.
//! - [`attribution`]: the other attribution methods Captum users expect (Grad×Input,
//!   integrated gradients, SmoothGrad, SmoothGrad², VarGrad, guided backpropagation, the
//!   deconvnet, occlusion, Grad-CAM), with the paper's map as `vanilla`.
//! - [`evaluation`]: whether maps explain the model: deletion/insertion, the randomisation
//!   sanity checks, max-sensitivity, and what `atrous evaluate` writes.
//! - [`class_model`]: the image a network scores highest for a class,
//!   `argmax_I S_c(I + m) − λ‖I‖²`, by plain gradient ascent from `I = 0`.
//! - [`localize`]: saliency-seeded graph-cut segmentation (minimum cut by [`maxflow`]) and its
//!   box, scored against the digit's ink.
//! - [`picture`]: heat maps and grids as pixel buffers; [`figure`]: the labelled layout
//!   (title, column and row labels, colour bars, legend) of every explanation's PNG; [`writer`]: the crate's only file I/O
//!   (PNG, `.npy`, JSON, atomic); [`outputs`]: the files each explanation writes (the `atrous`
//!   commands' layouts); [`text`]: the embedded font every picture with text uses.
//!
//! Every method works on any [`Classifier`] (DilNet, the dilation-search network, …): images are
//! pixels in `[0, 1]`, `[N, C, H, W]`, exactly what the model takes, and input gradients come
//! from the autograd tape ([`gradient`]) with the parameters bound as constants, so no weight
//! gradient is computed.
//!
//! ```
//! use atrous_autograd::nn::{DilNet, DilNetConfig};
//! use atrous_saliency::saliency::{Target, saliency_maps};
//! use atrous_tensor::{Tensor, rng::Rng};
//!
//! let model = DilNet::new(DilNetConfig::reference(2), &mut Rng::seed_from(0))?;
//! let x = Tensor::uniform(&[2, 1, 28, 28], 0.0, 1.0, &mut Rng::seed_from(1));
//! let s = saliency_maps(&model, &x, Target::Class(3), None)?;
//! assert_eq!(s.maps.dims(), &[2, 28, 28]);
//! assert_eq!(s.targets, vec![3, 3]);
//! assert!(s.maps.as_slice().iter().all(|&m| m >= 0.0));
//! # Ok::<(), atrous_saliency::SaliencyError>(())
//! ```
//!
//! [`Classifier`]: atrous_autograd::Classifier
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod attribution;
pub mod class_model;
mod error;
pub mod evaluation;
pub mod figure;
pub mod gradient;
pub mod images;
pub mod localize;
pub mod maxflow;
pub mod outputs;
pub mod picture;
pub mod saliency;
pub mod text;
pub mod writer;

pub use error::{Result, SaliencyError};
