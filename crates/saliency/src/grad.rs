//! Input gradients of a DilNet: `∂(Σ_n Σ_k seed[n,k]·logits[n,k]) / ∂x` for a batch of images.
//!
//! Saliency maps and class models need the gradient with respect to the *input* only. The
//! autograd tape also computes every weight gradient, a third of the backward arithmetic that
//! would be thrown away, so this module runs DilNet's forward pass keeping just what the input
//! gradient needs (ReLU outputs, pooling winners, fc1 pre-activations) and a backward pass that
//! computes `dX = col2im(Wᵀ·dY)` per convolution and `dX = dY·W` per linear layer, nothing else.
//! [`input_gradient_tape`] is the same quantity through the tape, kept as the test oracle.

use crate::{Result, SaliencyError};
use atrous_autograd::nn::{Conv2d, DilNet};
use atrous_autograd::{Classifier, Tape};
use atrous_conv::im2col::col2im_add;
use atrous_conv::{ConvGeometry, Pool2dParams, conv2d_forward, max_pool2d_backward, max_pool2d_forward};
use atrous_tensor::Tensor;
use atrous_tensor::gemm::{MatMut, MatRef, gemm, par_gemm};
use atrous_tensor::simd;
use rayon::prelude::*;

/// A forward pass of DilNet that remembers what the input gradient needs.
#[derive(Debug)]
pub struct Forward<'m> {
    model: &'m DilNet,
    x_dims: Vec<usize>,
    /// Inputs of conv1..conv3 (only their shapes are needed for `col2im`).
    conv_in_dims: [Vec<usize>; 3],
    r1: Tensor,
    r2: Tensor,
    arg2: Vec<u32>,
    r3: Tensor,
    arg3: Vec<u32>,
    pooled3_dims: Vec<usize>,
    r4: Tensor,
    logits: Tensor,
}

fn check_input(model: &DilNet, x: &Tensor) -> Result<()> {
    let side = model.config.side;
    match *x.dims() {
        [n, 1, h, w] if n > 0 && h == side && w == side => Ok(()),
        _ => Err(SaliencyError::Shape {
            what: "images",
            expected: format!("[N, 1, {side}, {side}]"),
            found: x.shape().clone(),
        }),
    }
}

/// `x·Wᵀ + b` for `x [N, in]`, `W [out, in]`.
fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (n, d_in, d_out) = (x.dims()[0], x.dims()[1], w.dims()[0]);
    let mut y = Tensor::zeros(&[n, d_out]);
    for row in y.as_mut_slice().chunks_exact_mut(d_out) {
        row.copy_from_slice(b.as_slice());
    }
    par_gemm(
        1.0,
        MatRef::row_major(x.as_slice(), n, d_in)?,
        MatRef::row_major(w.as_slice(), d_out, d_in)?.t(),
        1.0,
        MatMut::row_major(y.as_mut_slice(), n, d_out)?,
    );
    Ok(y)
}

/// `dX = dY·W` for `dY [N, out]`, `W [out, in]`.
fn linear_dx(dy: &Tensor, w: &Tensor) -> Result<Tensor> {
    let (n, d_out, d_in) = (dy.dims()[0], w.dims()[0], w.dims()[1]);
    let mut dx = Tensor::zeros(&[n, d_in]);
    par_gemm(
        1.0,
        MatRef::row_major(dy.as_slice(), n, d_out)?,
        MatRef::row_major(w.as_slice(), d_out, d_in)?,
        0.0,
        MatMut::row_major(dx.as_mut_slice(), n, d_in)?,
    );
    Ok(dx)
}

/// `dX_n = col2im(Wᵀ·dY_n)` for every image, in parallel over images.
fn conv_dx(layer: &Conv2d, x_dims: &[usize], dy: &Tensor) -> Result<Tensor> {
    let geo = ConvGeometry::new(layer.params, x_dims, layer.weight.dims())?;
    let (k, hw, c_out) = (geo.col_rows(), geo.col_cols(), geo.c_out);
    let mut dx = Tensor::zeros(x_dims);
    let w_t = MatRef::row_major(layer.weight.as_slice(), c_out, k)?.t();
    dx.as_mut_slice()
        .par_chunks_mut(geo.input_item())
        .zip(dy.as_slice().par_chunks(geo.output_item()))
        .for_each_init(
            || vec![0.0f32; k * hw],
            |dcols, (dx_n, dy_n)| {
                let dy_mat = MatRef::row_major(dy_n, c_out, hw).expect("output item length");
                gemm(1.0, w_t, dy_mat, 0.0, MatMut::row_major(dcols, k, hw).expect("scratch length"));
                col2im_add(&geo, dcols, dx_n);
            },
        );
    Ok(dx)
}

/// `dy ⊙ [y > 0]` in place, for the output `y` of a ReLU.
fn relu_back(y: &Tensor, dy: &mut Tensor) {
    let g = dy.clone();
    simd::relu_backward(y.as_slice(), g.as_slice(), dy.as_mut_slice());
}

impl<'m> Forward<'m> {
    /// Runs `model` on pixels `x [N, 1, side, side]` in `[0, 1]`.
    pub fn run(model: &'m DilNet, x: &Tensor) -> Result<Self> {
        check_input(model, x)?;
        let cfg = &model.config;
        let pool = Pool2dParams::new((2, 2), (2, 2))?;
        let mut h0 = x.clone();
        h0.as_mut_slice().iter_mut().for_each(|v| *v = (*v - cfg.mean) / cfg.std);
        let conv = |layer: &Conv2d, input: &Tensor| -> Result<Tensor> {
            Ok(conv2d_forward(input, &layer.weight, Some(&layer.bias), &layer.params)?.relu())
        };
        let r1 = conv(&model.conv1, &h0)?;
        let r2 = conv(&model.conv2, &r1)?;
        let p2 = max_pool2d_forward(&r2, &pool)?;
        let r3 = conv(&model.conv3, &p2.y)?;
        let p3 = max_pool2d_forward(&r3, &pool)?;
        let n = x.dims()[0];
        let flat = p3.y.reshape(&[n, p3.y.len() / n])?;
        let r4 = linear(&flat, &model.fc1.weight, &model.fc1.bias)?.relu();
        let logits = linear(&r4, &model.fc2.weight, &model.fc2.bias)?;
        Ok(Forward {
            model,
            x_dims: x.dims().to_vec(),
            conv_in_dims: [x.dims().to_vec(), r1.dims().to_vec(), p2.y.dims().to_vec()],
            r1,
            r2,
            arg2: p2.argmax,
            pooled3_dims: p3.y.dims().to_vec(),
            r3,
            arg3: p3.argmax,
            r4,
            logits,
        })
    }

    /// The class scores `[N, classes]`.
    pub fn logits(&self) -> &Tensor {
        &self.logits
    }

    /// Vector–Jacobian product: `∂(Σ seed ⊙ logits)/∂x`, shaped like the input.
    pub fn input_gradient(&self, seed: &Tensor) -> Result<Tensor> {
        if seed.dims() != self.logits.dims() {
            return Err(SaliencyError::Shape {
                what: "seed",
                expected: self.logits.shape().to_string(),
                found: seed.shape().clone(),
            });
        }
        let m = self.model;
        let mut d4 = linear_dx(seed, &m.fc2.weight)?;
        relu_back(&self.r4, &mut d4);
        let dflat = linear_dx(&d4, &m.fc1.weight)?;
        let dp3 = dflat.into_reshaped(&self.pooled3_dims)?;
        let mut d3 = max_pool2d_backward(&dp3, &self.arg3, self.r3.dims())?;
        relu_back(&self.r3, &mut d3);
        let dp2 = conv_dx(&m.conv3, &self.conv_in_dims[2], &d3)?;
        let mut d2 = max_pool2d_backward(&dp2, &self.arg2, self.r2.dims())?;
        relu_back(&self.r2, &mut d2);
        let mut d1 = conv_dx(&m.conv2, &self.conv_in_dims[1], &d2)?;
        relu_back(&self.r1, &mut d1);
        let dh0 = conv_dx(&m.conv1, &self.conv_in_dims[0], &d1)?;
        // x ↦ (x − mean)/std scales every input gradient by 1/std.
        let dx = dh0.scale(1.0 / m.config.std);
        debug_assert_eq!(dx.dims(), self.x_dims.as_slice());
        Ok(dx)
    }

    /// `∂S_{c_n}/∂x_n` for one class per item: the seed is one-hot in each row.
    pub fn class_gradient(&self, classes: &[usize]) -> Result<Tensor> {
        self.input_gradient(&one_hot(classes, self.logits.dims())?)
    }
}

/// One-hot rows `[N, C]` from one class per item, refusing classes out of range.
pub fn one_hot(classes: &[usize], dims: &[usize]) -> Result<Tensor> {
    let &[n, c] = dims else {
        return Err(SaliencyError::NoClass);
    };
    if classes.len() != n {
        return Err(SaliencyError::NoClass);
    }
    let mut seed = Tensor::zeros(&[n, c]);
    for (row, &k) in seed.as_mut_slice().chunks_exact_mut(c).zip(classes) {
        if k >= c {
            return Err(SaliencyError::Class { class: k, classes: c });
        }
        row[k] = 1.0;
    }
    Ok(seed)
}

/// Logits and `∂S_{c_n}/∂x_n` through the autograd tape: one backward pass of
/// `Σ_n S_{c_n}(x_n)` (no layer mixes batch items, so each image gets its own gradient).
pub fn input_gradient_tape(model: &DilNet, x: &Tensor, classes: &[usize]) -> Result<(Tensor, Tensor)> {
    check_input(model, x)?;
    let mut tape = Tape::new();
    let params = model.bind(&mut tape, false);
    let xv = tape.leaf(x.clone(), true);
    let logits = model.forward(&mut tape, &params, xv)?;
    let picked = tape.pick_class(logits, classes)?;
    let total = tape.sum(picked);
    let mut grads = tape.backward(total)?;
    let dx = grads.take(xv).unwrap_or_else(|| Tensor::zeros(x.dims()));
    Ok((tape.value(logits).clone(), dx))
}
