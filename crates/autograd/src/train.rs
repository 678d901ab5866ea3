//! The training and evaluation loops of DilNet on MNIST-shaped data, free of any file or terminal
//! concern (the CLI adds progress, checkpoints and files around them).
//!
//! An epoch visits the training set in an order fixed by `(seed, epoch)` alone, in batches of a
//! fixed size (the last one may be smaller), so a run can be resumed at any epoch boundary and
//! reproduce the uninterrupted run bit for bit.

use crate::nn::DilNet;
use crate::optim::Optimizer;
use crate::{AutogradError, Result, Tape};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::{IMAGE_SIDE, MnistSplit};
use atrous_tensor::rng::Rng;

/// Pixels of the chosen images as `[B, 1, 28, 28]` floats in `[0, 1]`.
pub fn images_to_tensor(split: &MnistSplit, indices: &[usize]) -> Tensor {
    let pixels = IMAGE_SIDE * IMAGE_SIDE;
    let mut data = Vec::with_capacity(indices.len() * pixels);
    for &i in indices {
        data.extend(split.image(i).iter().map(|&p| f32::from(p) / 255.0));
    }
    Tensor::from_vec(&[indices.len(), 1, IMAGE_SIDE, IMAGE_SIDE], data).expect("sized from the indices")
}

/// Labels of the chosen images.
pub fn labels_of(split: &MnistSplit, indices: &[usize]) -> Vec<usize> {
    indices.iter().map(|&i| usize::from(split.labels[i])).collect()
}

/// The visiting order of epoch `epoch` (0-based) of a run seeded with `seed`.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    Rng::seed_from(seed).fork(epoch as u64).permutation(n)
}

/// Loss and hits of one batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchStats {
    /// Mean cross-entropy over the batch.
    pub loss: f32,
    /// Correctly classified items.
    pub correct: usize,
    /// Items in the batch.
    pub count: usize,
}

fn hits(logits: &Tensor, labels: &[usize]) -> Result<usize> {
    Ok(logits.argmax_last()?.iter().zip(labels).filter(|(p, y)| p == y).count())
}

/// One SGD/Adam step on a batch. A non-finite loss is reported as an error before any
/// parameter is touched, so the model stays at its last good state.
pub fn train_step(
    model: &mut DilNet,
    optimizer: &mut Optimizer,
    x: Tensor,
    labels: &[usize],
) -> Result<BatchStats> {
    let mut tape = Tape::new();
    let params = model.bind(&mut tape, true);
    let xv = tape.constant(x);
    let logits = model.forward(&mut tape, &params, xv)?;
    let loss = tape.cross_entropy(logits, labels)?;
    let loss_value = tape.value(loss).as_slice()[0];
    if !loss_value.is_finite() {
        return Err(AutogradError::NonFiniteLoss(loss_value));
    }
    let correct = hits(tape.value(logits), labels)?;
    let mut grads = tape.backward(loss)?;
    let grads: Vec<Tensor> =
        params.0.iter().map(|&v| grads.take(v).expect("every parameter is on the loss path")).collect();
    let grad_refs: Vec<&Tensor> = grads.iter().collect();
    optimizer.step(&mut model.parameters_mut(), &grad_refs)?;
    Ok(BatchStats { loss: loss_value, correct, count: labels.len() })
}

/// Images per forward pass when evaluating: large enough to keep both cores busy, small enough
/// that the activations of one pass stay near 50 MB (they scale with the batch).
pub const EVAL_BATCH: usize = 250;

/// Accuracy and mean loss over a data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalStats {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Items evaluated.
    pub count: usize,
}

/// Evaluates `model` on every item of `split`, `batch` items at a time.
pub fn evaluate(model: &DilNet, split: &MnistSplit, batch: usize) -> Result<EvalStats> {
    let batch = batch.max(1);
    let (mut loss, mut correct) = (0.0f64, 0usize);
    let all: Vec<usize> = (0..split.n).collect();
    for chunk in all.chunks(batch) {
        let logits = model.predict(&images_to_tensor(split, chunk))?;
        let labels = labels_of(split, chunk);
        let mut tape = Tape::new();
        let lv = tape.constant(logits.clone());
        let l = tape.cross_entropy(lv, &labels)?;
        loss += f64::from(tape.value(l).as_slice()[0]) * chunk.len() as f64;
        correct += hits(&logits, &labels)?;
    }
    let n = split.n.max(1) as f64;
    Ok(EvalStats { loss: loss / n, accuracy: correct as f64 / n, count: split.n })
}
