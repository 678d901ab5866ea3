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

    /// `conv(x, w) + b` at the real dilation held by `d` (a one-element tensor, finite and
    /// positive), read by bilinear interpolation ([`atrous_conv::continuous_conv2d_forward`]):
    /// stride 1, odd kernels, the output keeps the input's size; `d` gets a gradient like any
    /// other input, so a dilation can be learned.
    pub fn conv2d_continuous(&mut self, x: Var, w: Var, b: Option<Var>, d: Var) -> Result<Var> {
        let dilation = one_value(self.value(d))?;
        let y = atrous_conv::continuous_conv2d_forward(
            self.value(x),
            self.value(w),
            b.map(|b| self.value(b)),
            dilation,
        )?;
        let inputs: Vec<Var> = [x, w, d].into_iter().chain(b).collect();
        Ok(self.push(y, &inputs, || Op::Conv2dContinuous(ContinuousConvOp { x, w, b, d })))
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

/// The value of a one-element tensor (a dilation).
fn one_value(t: &Tensor) -> Result<f32> {
    match t.as_slice() {
        [v] => Ok(*v),
        _ => Err(atrous_conv::ConvError::Operand {
            op: "conv2d_continuous",
            what: "dilation",
            expected: [1].into(),
            found: t.shape().clone(),
        }
        .into()),
    }
}

#[derive(Debug)]
pub(crate) struct ContinuousConvOp {
    x: Var,
    w: Var,
    b: Option<Var>,
    d: Var,
}

impl ContinuousConvOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let dilation = one_value(tape.value(self.d))?;
        let g =
            atrous_conv::continuous_conv2d_backward(tape.value(self.x), tape.value(self.w), dilation, grad)?;
        let mut out = vec![(self.w, g.dw), (self.x, g.dx), (self.d, Tensor::full(&[1], g.dd))];
        if let Some(b) = self.b {
            out.push((b, g.db));
        }
        out.retain(|(v, _)| tape.requires_grad(*v));
        Ok(out)
    }
}

#[derive(Debug)]
pub(crate) struct MaxPoolOp {
    x: Var,
    argmax: Vec<u32>,
}

impl Drop for MaxPoolOp {
    fn drop(&mut self) {
        // The next step's pooling reuses the indices' buffer.
        atrous_tensor::recycle::give_indices(std::mem::take(&mut self.argmax));
    }
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
