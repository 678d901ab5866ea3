//! The test oracle: direct nested-loop convolution and its gradients, accumulating in f64.
//!
//! Nothing here is fast and nothing shares code with the fast path: each function is the
//! definition written as loops, `y[n,o,oh,ow] = b[o] + Σ_{c,i,j} w[o,c,i,j] ·
//! x[n, c, oh·s_h − p_h + i·d_h, ow·s_w − p_w + j·d_w]` (zero outside the image), and the
//! gradients are the same sum read the other way.

use crate::{Conv2dParams, ConvError, ConvGeometry};
use atrous_tensor::Tensor;

/// Visits every (output pixel, tap) pair that reads inside the image:
/// `f(y_index, x_index, w_index)` with flat indices into `y`, `x` and `w`.
fn for_each_tap(geo: &ConvGeometry, mut f: impl FnMut(usize, usize, usize)) {
    let p = geo.params;
    let (k_h, k_w) = p.kernel;
    for n in 0..geo.n {
        for o in 0..geo.c_out {
            for oh in 0..geo.h_out {
                for ow in 0..geo.w_out {
                    let y_at = ((n * geo.c_out + o) * geo.h_out + oh) * geo.w_out + ow;
                    for c in 0..geo.c_in {
                        for i in 0..k_h {
                            for j in 0..k_w {
                                let ih = (oh * p.stride.0 + i * p.dilation.0) as isize - p.padding.0 as isize;
                                let iw = (ow * p.stride.1 + j * p.dilation.1) as isize - p.padding.1 as isize;
                                if ih < 0 || iw < 0 || ih >= geo.h as isize || iw >= geo.w as isize {
                                    continue;
                                }
                                let x_at = ((n * geo.c_in + c) * geo.h + ih as usize) * geo.w + iw as usize;
                                let w_at = ((o * geo.c_in + c) * k_h + i) * k_w + j;
                                f(y_at, x_at, w_at);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn to_tensor(dims: &[usize], v: Vec<f64>) -> Tensor {
    Tensor::from_vec(dims, v.into_iter().map(|a| a as f32).collect()).expect("oracle sizes its own buffers")
}

/// Direct convolution: `conv2d(x, w) + b`.
pub fn conv2d_naive(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    params: &Conv2dParams,
) -> Result<Tensor, ConvError> {
    let geo = ConvGeometry::new(*params, x.dims(), w.dims())?;
    // The same operand check as the fast path: a short bias must be an error, not an index panic.
    crate::forward::check_bias("conv2d_naive", &geo, b.map(Tensor::dims))?;
    let (xs, ws) = (x.as_slice(), w.as_slice());
    let mut y = vec![0.0f64; geo.n * geo.output_item()];
    for_each_tap(&geo, |y_at, x_at, w_at| y[y_at] += f64::from(xs[x_at]) * f64::from(ws[w_at]));
    if let Some(b) = b {
        let hw = geo.col_cols();
        for (idx, v) in y.iter_mut().enumerate() {
            *v += f64::from(b.as_slice()[idx / hw % geo.c_out]);
        }
    }
    Ok(to_tensor(&geo.output_dims(), y))
}

/// Direct gradients `(dx, dw, db)` of [`conv2d_naive`] for the output gradient `dy`.
pub fn conv2d_naive_backward(
    x: &Tensor,
    w: &Tensor,
    dy: &Tensor,
    params: &Conv2dParams,
) -> Result<(Tensor, Tensor, Tensor), ConvError> {
    let geo = ConvGeometry::new(*params, x.dims(), w.dims())?;
    let (xs, ws, gs) = (x.as_slice(), w.as_slice(), dy.as_slice());
    let mut dx = vec![0.0f64; xs.len()];
    let mut dw = vec![0.0f64; ws.len()];
    for_each_tap(&geo, |y_at, x_at, w_at| {
        dx[x_at] += f64::from(gs[y_at]) * f64::from(ws[w_at]);
        dw[w_at] += f64::from(gs[y_at]) * f64::from(xs[x_at]);
    });
    let hw = geo.col_cols();
    let mut db = vec![0.0f64; geo.c_out];
    for (idx, &g) in gs.iter().enumerate() {
        db[idx / hw % geo.c_out] += f64::from(g);
    }
    Ok((to_tensor(x.dims(), dx), to_tensor(w.dims(), dw), to_tensor(&[geo.c_out], db)))
}
