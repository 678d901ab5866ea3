//! Softmax cross-entropy, fused: mean over the batch of `−log_softmax(x)[n, y_n]`.
//!
//! Fusing keeps it stable (log-softmax subtracts the row maximum) and makes the gradient the
//! simple `(softmax(x) − onehot(y)) / N`.

use crate::error::shape_error;
use crate::tape::{Op, Tape, Var};
use crate::{AutogradError, Result};
use atrous_tensor::Tensor;
use atrous_tensor::reduce::log_softmax_rows;

#[derive(Debug)]
pub(crate) struct CrossEntropyOp {
    logits: Var,
    labels: Vec<usize>,
    /// `log_softmax(logits)`, kept from the forward pass.
    log_probs: Tensor,
}

impl Tape {
    /// Mean cross-entropy of `logits [N, C]` against integer `labels` (each in `0..C`), as `[1]`.
    pub fn cross_entropy(&mut self, logits: Var, labels: &[usize]) -> Result<Var> {
        let x = self.value(logits);
        let &[n, c] = x.dims() else {
            return Err(shape_error("cross_entropy", "logits must be [N, classes]", &[x.shape()]));
        };
        if labels.len() != n || n == 0 {
            return Err(AutogradError::Shape {
                op: "cross_entropy",
                why: "one label per item, at least one item",
                shapes: format!("{} logits and {} labels", x.shape(), labels.len()),
            });
        }
        if let Some((item, &class)) = labels.iter().enumerate().find(|(_, k)| **k >= c) {
            return Err(AutogradError::Class { op: "cross_entropy", item, class, classes: c });
        }
        let mut log_probs = Tensor::zeros(x.dims());
        log_softmax_rows(x.as_slice(), c, log_probs.as_mut_slice());
        let nll: f64 =
            labels.iter().enumerate().map(|(i, &k)| -f64::from(log_probs.as_slice()[i * c + k])).sum();
        let loss = Tensor::full(&[1], (nll / n as f64) as f32);
        let labels = labels.to_vec();
        Ok(self.push(loss, &[logits], || Op::CrossEntropy(CrossEntropyOp { logits, labels, log_probs })))
    }
}

impl CrossEntropyOp {
    pub(crate) fn backward(&self, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let dims = self.log_probs.dims();
        let (n, c) = (dims[0], dims[1]);
        let g = grad.as_slice()[0] / n as f32;
        let mut dx = Tensor::zeros(dims);
        for (i, (row, lp)) in
            dx.as_mut_slice().chunks_exact_mut(c).zip(self.log_probs.as_slice().chunks_exact(c)).enumerate()
        {
            for (d, &l) in row.iter_mut().zip(lp) {
                *d = g * l.exp();
            }
            row[self.labels[i]] -= g;
        }
        Ok(vec![(self.logits, dx)])
    }
}
