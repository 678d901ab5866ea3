//! Convolution and pooling on the tape, delegating the arithmetic to `atrous-conv`.

use crate::Result;
use crate::tape::{Op, Tape, Var};
use atrous_conv::{Conv2dParams, GradsWanted, Pool2dParams};
use atrous_tensor::Tensor;

#[derive(Debug)]
pub(crate) struct Conv2dOp {
    x: Var,
    w: Var,
    b: Option<Var>,
    params: Conv2dParams,
}

impl Tape {
    /// `conv2d(x, w) + b` for `x [N, C_in, H, W]`, `w [C_out, C_in, k_h, k_w]`, `b [C_out]`.
    pub fn conv2d(&mut self, x: Var, w: Var, b: Option<Var>, params: Conv2dParams) -> Result<Var> {
        let y = atrous_conv::conv2d_forward(self.value(x), self.value(w), b.map(|b| self.value(b)), &params)?;
        let inputs: Vec<Var> = [x, w].into_iter().chain(b).collect();
        Ok(self.push(y, &inputs, || Op::Conv2d(Conv2dOp { x, w, b, params })))
    }

    /// Max pooling with the given window and stride.
    pub fn max_pool2d(&mut self, x: Var, params: Pool2dParams) -> Result<Var> {
        let out = atrous_conv::max_pool2d_forward(self.value(x), &params)?;
        let argmax = out.argmax;
        Ok(self.push(out.y, &[x], || Op::MaxPool2d(MaxPoolOp { x, argmax })))
    }

    /// Global average pooling `[N, C, H, W] → [N, C]`.
    pub fn global_avg_pool(&mut self, x: Var) -> Result<Var> {
        let y = atrous_conv::global_avg_pool_forward(self.value(x))?;
        Ok(self.push(y, &[x], || Op::GlobalAvgPool(GlobalAvgPoolOp { x })))
    }
}

impl Conv2dOp {
    /// Computes only the gradients of tracked inputs: saliency (constant weights) pays for no
    /// dW, a first layer (data input) for no dX.
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let wanted = GradsWanted {
            dx: tape.requires_grad(self.x),
            dw: tape.requires_grad(self.w),
            db: self.b.is_some_and(|b| tape.requires_grad(b)),
        };
        let g =
            atrous_conv::conv2d_backward(tape.value(self.x), tape.value(self.w), grad, &self.params, wanted)?;
        let mut out = Vec::with_capacity(3);
        if let Some(dw) = g.dw {
            out.push((self.w, dw));
        }
        if let Some(dx) = g.dx {
            out.push((self.x, dx));
        }
        if let (Some(b), Some(db)) = (self.b, g.db) {
            out.push((b, db));
        }
        Ok(out)
    }
}

#[derive(Debug)]
pub(crate) struct MaxPoolOp {
    x: Var,
    argmax: Vec<u32>,
}

impl MaxPoolOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let dx = atrous_conv::max_pool2d_backward(grad, &self.argmax, tape.value(self.x).dims())?;
        Ok(vec![(self.x, dx)])
    }
}

#[derive(Debug)]
pub(crate) struct GlobalAvgPoolOp {
    x: Var,
}

impl GlobalAvgPoolOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let dx = atrous_conv::global_avg_pool_backward(grad, tape.value(self.x).dims())?;
        Ok(vec![(self.x, dx)])
    }
}
