//! The one training loop and the one evaluation loop of atrous, for any [`Classifier`], free of
//! any file or terminal concern (callers add progress, checkpoints and files around them).
//!
//! An epoch visits the training set in an order fixed by `(seed, epoch)` alone ([`epoch_order`]),
//! in batches of a fixed size (the last one may be smaller), so a run can be resumed at any epoch
//! boundary and reproduce the uninterrupted run bit for bit.

use crate::classifier::Classifier;
use crate::optim::ParamUpdate;
use crate::{AutogradError, Result, Tape};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::{Batch, MnistSplit};
use atrous_tensor::rng::Rng;
use std::time::Instant;

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

fn hits(logits: &Tensor, labels: &[usize]) -> Result<Vec<bool>> {
    Ok(logits.argmax_last()?.iter().zip(labels).map(|(p, y)| p == y).collect())
}

/// One optimisation step on a batch. A non-finite loss is an error raised before any parameter
/// is touched, so the model stays at its last good state.
pub fn train_step<M, U>(model: &mut M, update: &mut U, batch: &Batch) -> Result<BatchStats>
where
    M: Classifier + ?Sized,
    U: ParamUpdate + ?Sized,
{
    model.check_input(&batch.x)?;
    let mut tape = Tape::new();
    let params = model.bind(&mut tape, true);
    let xv = tape.constant(batch.x.clone());
    let logits = model.forward(&mut tape, &params, xv)?;
    let loss = tape.cross_entropy(logits, &batch.labels)?;
    let loss_value = tape.value(loss).as_slice()[0];
    if !loss_value.is_finite() {
        return Err(AutogradError::NonFiniteLoss(loss_value));
    }
    let correct = hits(tape.value(logits), &batch.labels)?.iter().filter(|&&c| c).count();
    let mut grads = tape.backward(loss)?;
    let grads = params
        .iter()
        .enumerate()
        .map(|(index, &v)| grads.take(v).ok_or(AutogradError::MissingGradient { index }))
        .collect::<Result<Vec<Tensor>>>()?;
    let grad_refs: Vec<&Tensor> = grads.iter().collect();
    update.update(&mut model.parameters_mut(), &grad_refs)?;
    Ok(BatchStats { loss: loss_value, correct, count: batch.labels.len() })
}

/// Where an epoch stands after a step, for progress displays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepProgress {
    /// Steps done in this epoch (1-based).
    pub step: usize,
    /// Steps in the epoch.
    pub steps: usize,
    /// Loss of the step's batch.
    pub loss: f32,
    /// Images seen in this epoch so far.
    pub images: usize,
    /// Seconds since the epoch started.
    pub seconds: f64,
}

/// What one pass over the training data measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochStats {
    /// Mean cross-entropy over the images seen (each batch weighted by its size).
    pub loss: f64,
    /// Fraction of training images classified correctly during the pass.
    pub accuracy: f64,
    /// Images seen.
    pub images: usize,
    /// Wall time of the pass.
    pub seconds: f64,
}

/// One pass over `data` in `order`, `batch_size` images per step, reporting each step and the
/// model after it to `on_step`. A step whose loss is not finite stops the pass with
/// [`AutogradError::Diverged`].
pub fn fit_epoch<M, U>(
    model: &mut M,
    update: &mut U,
    data: &MnistSplit,
    order: &[usize],
    batch_size: usize,
    mut on_step: impl FnMut(&StepProgress, &M),
) -> Result<EpochStats>
where
    M: Classifier + ?Sized,
    U: ParamUpdate + ?Sized,
{
    let batch_size = batch_size.max(1);
    let steps = order.len().div_ceil(batch_size);
    let start = Instant::now();
    let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
    for (step, indices) in order.chunks(batch_size).enumerate() {
        let stats = match train_step(model, update, &data.batch(indices)) {
            Err(AutogradError::NonFiniteLoss(loss)) => {
                return Err(AutogradError::Diverged { step: step + 1, loss });
            }
            other => other?,
        };
        loss_sum += f64::from(stats.loss) * stats.count as f64;
        correct += stats.correct;
        seen += stats.count;
        let seconds = start.elapsed().as_secs_f64();
        on_step(&StepProgress { step: step + 1, steps, loss: stats.loss, images: seen, seconds }, model);
    }
    let denominator = seen.max(1) as f64;
    Ok(EpochStats {
        loss: loss_sum / denominator,
        accuracy: correct as f64 / denominator,
        images: seen,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Images per forward pass when evaluating: large enough to keep both cores busy, small enough
/// that the activations of one pass stay near 50 MB (they scale with the batch).
pub const EVAL_BATCH: usize = 250;

/// Accuracy and mean loss over a data set, with the verdict on every item (paired tests compare
/// two models image by image).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Items evaluated.
    pub count: usize,
    /// Per item, in data order: classified correctly.
    pub correct: Vec<bool>,
}

/// Evaluates `model` on every item of `data`, `batch` items at a time.
pub fn evaluate<M: Classifier + ?Sized>(model: &M, data: &MnistSplit, batch: usize) -> Result<Evaluation> {
    // A phase boundary: training's kept buffers would otherwise sit beside evaluation's working
    // set (and evaluation's beside training's afterwards), raising peak memory.
    atrous_tensor::recycle::release();
    let all: Vec<usize> = (0..data.n).collect();
    let mut loss = 0.0f64;
    let mut correct = Vec::with_capacity(data.n);
    for chunk in all.chunks(batch.max(1)) {
        let b = data.batch(chunk);
        let logits = model.predict(&b.x)?;
        let mut tape = Tape::new();
        let lv = tape.constant(logits.clone());
        let l = tape.cross_entropy(lv, &b.labels)?;
        loss += f64::from(tape.value(l).as_slice()[0]) * chunk.len() as f64;
        correct.extend(hits(&logits, &b.labels)?);
    }
    atrous_tensor::recycle::release();
    let n = data.n.max(1) as f64;
    let right = correct.iter().filter(|&&c| c).count();
    Ok(Evaluation { loss: loss / n, accuracy: right as f64 / n, count: data.n, correct })
}
