//! ReLU. Its backward reads the output: `y > 0` exactly where `x > 0`, so the input need not be
//! kept. The backward rule can be swapped for guided backpropagation's or the deconvnet's
//! ([`ReluBackward`]).

use crate::Result;
use crate::tape::{Op, ReluBackward, Tape, Var};
use atrous_tensor::Tensor;

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
    pub(crate) fn backward(
        &self,
        out: &Tensor,
        grad: &Tensor,
        rule: ReluBackward,
    ) -> Result<Vec<(Var, Tensor)>> {
        let dx = match rule {
            ReluBackward::Gradient => out.relu_backward(grad)?,
            // Only positive gradient, and only where the unit was active.
            ReluBackward::Guided => out.relu_backward(&grad.relu())?,
            // The deconvnet passes a signal back through the ReLU as a forward ReLU would.
            ReluBackward::Deconvnet => grad.relu(),
        };
        Ok(vec![(self.x, dx)])
    }
}
