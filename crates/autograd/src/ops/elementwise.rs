//! Reshape, addition, elementwise product and the constant affine map `a·x + b`.

use crate::Result;
use crate::error::shape_error;
use crate::tape::{Op, Tape, Var};
use atrous_tensor::Tensor;

#[derive(Debug)]
pub(crate) struct ReshapeOp {
    x: Var,
}

#[derive(Debug)]
pub(crate) struct AddOp {
    a: Var,
    b: Var,
}

#[derive(Debug)]
pub(crate) struct MulOp {
    a: Var,
    b: Var,
}

#[derive(Debug)]
pub(crate) struct AffineOp {
    x: Var,
    scale: f32,
}

impl Tape {
    /// The same values under another shape of equal element count (e.g. flatten `[N, C, H, W]`
    /// to `[N, C·H·W]` in NCHW order).
    pub fn reshape(&mut self, x: Var, dims: &[usize]) -> Result<Var> {
        let y = self.value(x).reshape(dims)?;
        Ok(self.push(y, &[x], || Op::Reshape(ReshapeOp { x })))
    }

    /// Flattens all axes after the first: `[N, …] → [N, ∏…]`.
    pub fn flatten(&mut self, x: Var) -> Result<Var> {
        let shape = self.value(x).shape().clone();
        let Some(&n) = shape.dims().first() else {
            return Err(shape_error("flatten", "needs a batch axis", &[&shape]));
        };
        self.reshape(x, &[n, shape.item_len()])
    }

    /// `a + b` (equal shapes).
    pub fn add(&mut self, a: Var, b: Var) -> Result<Var> {
        let y = self.value(a).add(self.value(b))?;
        Ok(self.push(y, &[a, b], || Op::Add(AddOp { a, b })))
    }

    /// `a ⊙ b` (equal shapes).
    pub fn mul(&mut self, a: Var, b: Var) -> Result<Var> {
        let y = self.value(a).mul(self.value(b))?;
        Ok(self.push(y, &[a, b], || Op::Mul(MulOp { a, b })))
    }

    /// `scale · x + shift` with constants `scale`, `shift` (input normalisation, scaling).
    pub fn affine(&mut self, x: Var, scale: f32, shift: f32) -> Var {
        let mut y = self.value(x).scale(scale);
        y.as_mut_slice().iter_mut().for_each(|v| *v += shift);
        self.push(y, &[x], || Op::Affine(AffineOp { x, scale }))
    }

    /// `(x − mean) / std` elementwise, as PyTorch's `transforms.Normalize` computes it.
    pub fn normalize(&mut self, x: Var, mean: f32, std: f32) -> Var {
        let mut y = self.value(x).clone();
        y.as_mut_slice().iter_mut().for_each(|v| *v = (*v - mean) / std);
        self.push(y, &[x], || Op::Affine(AffineOp { x, scale: 1.0 / std }))
    }
}

impl ReshapeOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        Ok(vec![(self.x, grad.reshape(tape.value(self.x).dims())?)])
    }
}

impl AddOp {
    pub(crate) fn backward(&self, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        Ok(vec![(self.a, grad.clone()), (self.b, grad.clone())])
    }
}

impl MulOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        Ok(vec![(self.a, grad.mul(tape.value(self.b))?), (self.b, grad.mul(tape.value(self.a))?)])
    }
}

impl AffineOp {
    pub(crate) fn backward(&self, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        Ok(vec![(self.x, grad.scale(self.scale))])
    }
}
