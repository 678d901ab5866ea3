//! ReLU. Its backward reads the output: `y > 0` exactly where `x > 0`, so the input need not be kept.

use crate::Result;
use crate::tape::{Op, Tape, Var};
use atrous_tensor::{Tensor, simd};

#[derive(Debug)]
pub(crate) struct ReluOp {
    x: Var,
}

impl Tape {
    /// `max(x, 0)` elementwise.
    pub fn relu(&mut self, x: Var) -> Var {
        let y = self.value(x).relu();
        self.push(y, &[x], || Op::Relu(ReluOp { x }))
    }
}

impl ReluOp {
    pub(crate) fn backward(&self, out: &Tensor, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let mut dx = Tensor::zeros(out.dims());
        simd::relu_backward(out.as_slice(), grad.as_slice(), dx.as_mut_slice());
        Ok(vec![(self.x, dx)])
    }
}
