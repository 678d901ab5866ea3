//! Reverse-mode automatic differentiation for atrous, with the layers, optimisers and model files
//! needed to train and inspect dilated CNNs.
//!
//! A [`Tape`] records operations as they run. Values are plain [`Tensor`](atrous_tensor::Tensor)s;
//! a [`Var`] is a handle to one on the tape. Leaves made with [`Tape::param`] (or
//! [`Tape::leaf`] with `true`) want gradients; an operation records what its backward pass needs
//! only when one of its inputs does. [`Tape::backward`] returns the gradient of a scalar with
//! respect to every such leaf, including an input image: the saliency map of Simonyan et al. is
//! `∂S_c/∂x` for the class score `S_c` ([`Tape::pick_class`]).
//!
//! ```
//! use atrous_autograd::Tape;
//! use atrous_tensor::Tensor;
//!
//! // y = relu(x ⊙ w), L = Σ y  ⇒  ∂L/∂x = w where x·w > 0, else 0.
//! let mut tape = Tape::new();
//! let x = tape.param(Tensor::from_vec(&[3], vec![1.0, -2.0, 3.0])?);
//! let w = tape.constant(Tensor::from_vec(&[3], vec![2.0, 2.0, -1.0])?);
//! let xw = tape.mul(x, w)?;
//! let y = tape.relu(xw);
//! let loss = tape.sum(y);
//! let grads = tape.backward(loss)?;
//! assert_eq!(grads.get(x).unwrap().as_slice(), &[2.0, 0.0, 0.0]);
//! # Ok::<(), atrous_autograd::AutogradError>(())
//! ```
//!
//! Modules: [`Classifier`] (what any network on the tape provides), [`nn`] (layers, DilNet),
//! [`optim`] (SGD, Adam), [`train`] (the one training and evaluation loop), [`checkpoint`] (the
//! resumable state of a run), [`io`] (safetensors model files), [`gradcheck`] (finite
//! differences), [`dilation_search`] and [`continuous_dilation`] (learning the dilation
//! factor: a mixture over integer candidates, or one real dilation per layer).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod bilevel_search;
pub mod checkpoint;
mod classifier;
pub mod continuous_dilation;
pub mod dilation_search;
mod error;
pub mod gradcheck;
pub mod io;
pub mod nn;
mod ops;
pub mod optim;
mod tape;
pub mod train;

pub use classifier::Classifier;
pub use error::{ArchitectureError, AutogradError, ModelFileError, Result};
pub use tape::{BackwardRules, Grads, ReluBackward, Tape, Var};
