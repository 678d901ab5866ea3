//! Fully connected layer `y = x·Wᵀ + b` (PyTorch's `nn.Linear` layout, `W [out, in]`).

use crate::Result;
use crate::error::shape_error;
use crate::tape::{Op, Tape, Var};
use atrous_tensor::Tensor;
use atrous_tensor::gemm::{MatMut, MatRef, par_gemm};
use atrous_tensor::reduce::column_sums;

#[derive(Debug)]
pub(crate) struct LinearOp {
    x: Var,
    w: Var,
    b: Option<Var>,
}

impl Tape {
    /// `x·Wᵀ + b` for `x [N, in]`, `w [out, in]`, `b [out]`.
    pub fn linear(&mut self, x: Var, w: Var, b: Option<Var>) -> Result<Var> {
        let (xv, wv) = (self.value(x), self.value(w));
        let (&[n, d_in], &[d_out, w_in]) = (xv.dims(), wv.dims()) else {
            return Err(shape_error(
                "linear",
                "x must be [N, in] and w [out, in]",
                &[xv.shape(), wv.shape()],
            ));
        };
        if d_in != w_in {
            return Err(shape_error(
                "linear",
                "x's features must equal w's inputs",
                &[xv.shape(), wv.shape()],
            ));
        }
        // Written whole: the bias rows, or the product with β = 0, which never reads `y`.
        let mut y = Tensor::for_overwrite(&[n, d_out]);
        if let Some(b) = b {
            let bv = self.value(b);
            if bv.dims() != [d_out] {
                return Err(shape_error("linear", "bias must be [out]", &[bv.shape(), wv.shape()]));
            }
            for row in y.as_mut_slice().chunks_exact_mut(d_out) {
                row.copy_from_slice(bv.as_slice());
            }
        }
        let beta = if b.is_some() { 1.0 } else { 0.0 };
        par_gemm(
            1.0,
            MatRef::row_major(xv.as_slice(), n, d_in)?,
            MatRef::row_major(wv.as_slice(), d_out, d_in)?.t(),
            beta,
            MatMut::row_major(y.as_mut_slice(), n, d_out)?,
        );
        let inputs: Vec<Var> = [x, w].into_iter().chain(b).collect();
        Ok(self.push(y, &inputs, || Op::Linear(LinearOp { x, w, b })))
    }
}

impl LinearOp {
    pub(crate) fn backward(&self, tape: &Tape, grad: &Tensor) -> Result<Vec<(Var, Tensor)>> {
        let (xv, wv) = (tape.value(self.x), tape.value(self.w));
        let (n, d_in, d_out) = (xv.dims()[0], xv.dims()[1], wv.dims()[0]);
        let dy = MatRef::row_major(grad.as_slice(), n, d_out)?;
        let mut out = Vec::with_capacity(3);
        // Parameter gradients only for tracked parameters: an input gradient (saliency) with
        // constant weights costs no dW.
        if tape.requires_grad(self.w) {
            // dW = dYᵀ · x
            let mut dw = Tensor::for_overwrite(wv.dims());
            par_gemm(
                1.0,
                dy.t(),
                MatRef::row_major(xv.as_slice(), n, d_in)?,
                0.0,
                MatMut::row_major(dw.as_mut_slice(), d_out, d_in)?,
            );
            out.push((self.w, dw));
        }
        if tape.requires_grad(self.x) {
            // dx = dY · W
            let mut dx = Tensor::for_overwrite(xv.dims());
            par_gemm(
                1.0,
                dy,
                MatRef::row_major(wv.as_slice(), d_out, d_in)?,
                0.0,
                MatMut::row_major(dx.as_mut_slice(), n, d_in)?,
            );
            out.push((self.x, dx));
        }
        if let Some(b) = self.b.filter(|&b| tape.requires_grad(b)) {
            let mut db = Tensor::zeros(&[d_out]);
            column_sums(grad.as_slice(), db.as_mut_slice());
            out.push((b, db));
        }
        Ok(out)
    }
}
