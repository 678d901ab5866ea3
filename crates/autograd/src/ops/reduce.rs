//! Sum, mean, and picking one class score per batch item (the `S_c` of saliency maps).

use crate::error::shape_error;
use crate::tape::{Op, Tape, Var};
use crate::{AutogradError, Result};
use atrous_tensor::Tensor;

#[derive(Debug)]
pub(crate) struct SumOp {
    x: Var,
}

#[derive(Debug)]
pub(crate) struct MeanOp {
    x: Var,
}

#[derive(Debug)]
pub(crate) struct PickClassOp {
    x: Var,
    classes: Vec<usize>,
}

impl Tape {
    /// Sum of all elements, as a `[1]` tensor.
    pub fn sum(&mut self, x: Var) -> Var {
        let s = f64_sum(self.value(x));
        self.push(Tensor::full(&[1], s as f32), &[x], || Op::Sum(SumOp { x }))
    }

    /// Mean of all elements, as a `[1]` tensor (0 for an empty tensor).
    pub fn mean(&mut self, x: Var) -> Var {
        let v = self.value(x);
        let m = if v.is_empty() { 0.0 } else { f64_sum(v) / v.len() as f64 };
        self.push(Tensor::full(&[1], m as f32), &[x], || Op::Mean(MeanOp { x }))
    }

    /// `y[n] = x[n, classes[n]]` for logits `x [N, C]`: the unnormalised score of one chosen class
    /// per item. Summing these and differentiating gives each image's `∂S_c/∂x` at once, since no
    /// layer mixes batch items.
    pub fn pick_class(&mut self, x: Var, classes: &[usize]) -> Result<Var> {
        let v = self.value(x);
        let &[n, c] = v.dims() else {
            return Err(shape_error("pick_class", "scores must be [N, classes]", &[v.shape()]));
        };
        if classes.len() != n {
            return Err(AutogradError::Shape {
                op: "pick_class",
                why: "one class per item",
                shapes: format!("{} scores and {} classes", v.shape(), classes.len()),
            });
        }
        if let Some((item, &class)) = classes.iter().enumerate().find(|(_, k)| **k >= c) {
            return Err(AutogradError::Class { op: "pick_class", item, class, classes: c });
        }
        let picked = classes.iter().enumerate().map(|(i, &k)| v.as_slice()[i * c + k]).collect();
        let y = Tensor::from_vec(&[n], picked)?;
        let classes = classes.to_vec();
        Ok(self.push(y, &[x], || Op::PickClass(PickClassOp { x, classes })))
    }
}

fn f64_sum(t: &Tensor) -> f64 {
    t.as_slice().iter().map(|&v| f64::from(v)).sum()
}

impl SumOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        Ok(vec![(self.x, Tensor::full(tape.value(self.x).dims(), grad.as_slice()[0]))])
    }
}

impl MeanOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let x = tape.value(self.x);
        let g = grad.as_slice()[0] / x.len().max(1) as f32;
        Ok(vec![(self.x, Tensor::full(x.dims(), g))])
    }
}

impl PickClassOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let x = tape.value(self.x);
        let c = x.dims()[1];
        let mut dx = Tensor::zeros(x.dims());
        for (i, (&k, &g)) in self.classes.iter().zip(grad.as_slice()).enumerate() {
            dx.as_mut_slice()[i * c + k] = g;
        }
        Ok(vec![(self.x, dx)])
    }
}
