//! Convolution with a real-valued, learnable dilation (He et al. 2017; the 1-D view of DCLS,
//! Khalfaoui-Hassani et al. 2023): tap `(i, j)` of an odd `k_h × k_w` kernel reads the input at
//! the offset `((i − c_h)·d, (j − c_w)·d)` from the output pixel, by bilinear interpolation, with
//! zeros outside the image. Stride 1; the output keeps the input's size. At an integer `d` this is
//! the integer dilated convolution with "same" padding `d·c`; in between, the output is a smooth
//! function of `d`, so `∂L/∂d` exists and the dilation can be trained with the weights.
//!
//! Every tap's offset is the same for all output pixels, so its interpolation weights are four
//! numbers per tap, and the column matrix is four shifted copies of each input plane blended by
//! them. Forward and backward are the column-matrix products of the integer convolution
//! (`Y = W·cols`, `dW = dY·colsᵀ`, `dcols = Wᵀ·dY`, `dX = adjoint of the sampling`), plus
//! `∂L/∂d = ⟨dcols, ∂cols/∂d⟩`, where `∂cols/∂d` comes from the same four samples. The
//! interpolation is linear in each fractional offset, so `∂cols/∂d` is the right derivative where
//! `(i − c)·d` crosses an integer.
//!
//! Images run in parallel; per-image weight, bias and dilation gradients are summed in image
//! order, so results do not depend on the thread count.

use crate::ConvError;
use atrous_tensor::Tensor;
use atrous_tensor::gemm::{MatMut, MatRef, gemm};
use rayon::prelude::*;

/// The shapes of one continuous-dilation convolution, checked once.
#[derive(Clone, Copy, Debug)]
struct Shapes {
    n: usize,
    c_in: usize,
    c_out: usize,
    h: usize,
    w: usize,
    k_h: usize,
    k_w: usize,
}

impl Shapes {
    fn new(x: &Tensor, w: &Tensor, dilation: f32) -> Result<Self, ConvError> {
        let &[n, c_in, h, wd] = x.dims() else {
            return Err(ConvError::Rank {
                what: "input",
                expected: "[N, C_in, H, W]",
                shape: x.shape().clone(),
            });
        };
        let &[c_out, c_w, k_h, k_w] = w.dims() else {
            return Err(ConvError::Rank {
                what: "weight",
                expected: "[C_out, C_in, k_h, k_w]",
                shape: w.shape().clone(),
            });
        };
        if c_in == 0 || h == 0 || wd == 0 {
            return Err(ConvError::Empty { what: "input", shape: x.shape().clone() });
        }
        if c_out == 0 || k_h == 0 || k_w == 0 {
            return Err(ConvError::Empty { what: "weight", shape: w.shape().clone() });
        }
        if c_w != c_in {
            return Err(ConvError::Channels { input: x.shape().clone(), weight: w.shape().clone() });
        }
        for k in [k_h, k_w] {
            if k % 2 == 0 {
                return Err(ConvError::EvenSameKernel { k });
            }
        }
        // Far beyond the image a tap reads only padding; the bound keeps the zero frame the
        // sampling pads each plane with small.
        let reach = ((k_h.max(k_w) - 1) / 2) as f32 * dilation;
        if !(dilation.is_finite() && dilation > 0.0 && reach <= 2.0 * h.max(wd) as f32) {
            return Err(ConvError::BadDilation { value: dilation });
        }
        Ok(Shapes { n, c_in, c_out, h, w: wd, k_h, k_w })
    }

    fn hw(&self) -> usize {
        self.h * self.w
    }

    /// Rows of the column matrix: `C_in·k_h·k_w`.
    fn taps(&self) -> usize {
        self.c_in * self.k_h * self.k_w
    }
}

/// Where tap `(i, j)` reads at dilation `d`: the integer part of its offset on each axis, the
/// fractional parts, and the offset's derivative in `d` (the tap's distance from the centre).
#[derive(Clone, Copy, Debug)]
struct TapOffset {
    y0: isize,
    x0: isize,
    fy: f32,
    fx: f32,
    dy_dd: f32,
    dx_dd: f32,
}

impl TapOffset {
    fn new(i: usize, j: usize, s: &Shapes, d: f32) -> Self {
        let a_i = i as f32 - ((s.k_h - 1) / 2) as f32;
        let a_j = j as f32 - ((s.k_w - 1) / 2) as f32;
        let (oy, ox) = (a_i * d, a_j * d);
        let (fy0, fx0) = (oy.floor(), ox.floor());
        TapOffset { y0: fy0 as isize, x0: fx0 as isize, fy: oy - fy0, fx: ox - fx0, dy_dd: a_i, dx_dd: a_j }
    }
}

/// Zero margin around each plane so that every bilinear read at dilation `d` lands inside the
/// padded plane: the farthest tap's offset, rounded up, plus the interpolation's second pixel.
fn margin(s: &Shapes, d: f32) -> usize {
    let reach = ((s.k_h.max(s.k_w) - 1) / 2) as f32 * d;
    reach.ceil() as usize + 1
}

/// One input plane copied into a zero frame `margin` wide, so the sampling loops read without
/// bounds tests (a read outside the image finds a zero, as the definition asks).
struct Padded {
    data: Vec<f32>,
    width: usize,
    margin: usize,
}

impl Padded {
    fn new(s: &Shapes, margin: usize) -> Self {
        let width = s.w + 2 * margin;
        Padded { data: vec![0.0; (s.h + 2 * margin) * width], width, margin }
    }

    fn fill(&mut self, s: &Shapes, plane: &[f32]) {
        for (y, row) in plane.chunks_exact(s.w).enumerate() {
            let at = (y + self.margin) * self.width + self.margin;
            self.data[at..at + s.w].copy_from_slice(row);
        }
    }

    /// Start of output row `oy`'s reads for offset `(y0, x0)`: the padded index of input pixel
    /// `(oy + y0, x0)`.
    fn row_start(&self, oy: usize, y0: isize, x0: isize) -> usize {
        let m = self.margin as isize;
        ((oy as isize + y0 + m) * self.width as isize + x0 + m) as usize
    }
}

/// Fills `cols [C_in·k_h·k_w, H·W]` with the bilinear samples of one image `x_n [C_in, H, W]`,
/// and `dcols_dd` (same shape) with their derivative in `d` when given.
fn sample(s: &Shapes, x_n: &[f32], d: f32, cols: &mut [f32], mut dcols_dd: Option<&mut [f32]>) {
    let (w, hw) = (s.w, s.hw());
    let mut padded = Padded::new(s, margin(s, d));
    let pw = padded.width;
    for (c, plane) in x_n.chunks_exact(hw).enumerate() {
        padded.fill(s, plane);
        let p = &padded.data;
        for i in 0..s.k_h {
            for j in 0..s.k_w {
                let t = TapOffset::new(i, j, s, d);
                let row = ((c * s.k_h + i) * s.k_w + j) * hw;
                let (gy, gx) = (1.0 - t.fy, 1.0 - t.fx);
                for oy in 0..s.h {
                    let at = padded.row_start(oy, t.y0, t.x0);
                    let (top, bottom) = (&p[at..at + w + 1], &p[at + pw..at + pw + w + 1]);
                    let out = &mut cols[row + oy * w..row + (oy + 1) * w];
                    for (ox, o) in out.iter_mut().enumerate() {
                        let (v00, v01, v10, v11) = (top[ox], top[ox + 1], bottom[ox], bottom[ox + 1]);
                        *o = gy * (gx * v00 + t.fx * v01) + t.fy * (gx * v10 + t.fx * v11);
                    }
                    if let Some(dd) = dcols_dd.as_deref_mut() {
                        let out = &mut dd[row + oy * w..row + (oy + 1) * w];
                        for (ox, o) in out.iter_mut().enumerate() {
                            let (v00, v01, v10, v11) = (top[ox], top[ox + 1], bottom[ox], bottom[ox + 1]);
                            let along_y = gx * (v10 - v00) + t.fx * (v11 - v01);
                            let along_x = gy * (v01 - v00) + t.fy * (v11 - v10);
                            *o = t.dy_dd * along_y + t.dx_dd * along_x;
                        }
                    }
                }
            }
        }
    }
}

/// Adds the adjoint of [`sample`] applied to `dcols` into `dx_n [C_in, H, W]`: each sample's
/// gradient goes to its four pixels in a padded plane, whose frame (reads of the zero padding)
/// is then dropped.
fn scatter(s: &Shapes, dcols: &[f32], d: f32, dx_n: &mut [f32]) {
    let (w, hw) = (s.w, s.hw());
    let mut padded = Padded::new(s, margin(s, d));
    let pw = padded.width;
    for (c, plane) in dx_n.chunks_exact_mut(hw).enumerate() {
        padded.data.fill(0.0);
        for i in 0..s.k_h {
            for j in 0..s.k_w {
                let t = TapOffset::new(i, j, s, d);
                let row = ((c * s.k_h + i) * s.k_w + j) * hw;
                let (gy, gx) = (1.0 - t.fy, 1.0 - t.fx);
                let weights = [gy * gx, gy * t.fx, t.fy * gx, t.fy * t.fx];
                for oy in 0..s.h {
                    let at = padded.row_start(oy, t.y0, t.x0);
                    let g_row = &dcols[row + oy * w..row + (oy + 1) * w];
                    for (corner, &wgt) in [0, 1, pw, pw + 1].iter().zip(&weights) {
                        let dst = &mut padded.data[at + corner..at + corner + w];
                        for (o, &g) in dst.iter_mut().zip(g_row) {
                            *o += wgt * g;
                        }
                    }
                }
            }
        }
        let m = padded.margin;
        for (y, row) in plane.chunks_exact_mut(w).enumerate() {
            let at = (y + m) * pw + m;
            for (o, &g) in row.iter_mut().zip(&padded.data[at..at + w]) {
                *o += g;
            }
        }
    }
}

/// A row-major view that cannot fail: the callers size every buffer from the checked shapes.
fn view(data: &[f32], rows: usize, cols: usize) -> MatRef<'_> {
    MatRef::row_major(data, rows, cols).expect("buffer sized from the checked shapes")
}

fn view_mut(data: &mut [f32], rows: usize, cols: usize) -> MatMut<'_> {
    MatMut::row_major(data, rows, cols).expect("buffer sized from the checked shapes")
}

/// `y [N, C_out, H, W] = conv(x [N, C_in, H, W], w [C_out, C_in, k_h, k_w]) + b` at the real
/// dilation `dilation` (finite, positive; kernels odd on both axes).
pub fn continuous_conv2d_forward(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    dilation: f32,
) -> Result<Tensor, ConvError> {
    let s = Shapes::new(x, w, dilation)?;
    if let Some(b) = b
        && b.dims() != [s.c_out]
    {
        return Err(ConvError::Operand {
            op: "continuous_conv2d_forward",
            what: "bias",
            expected: [s.c_out].into(),
            found: b.shape().clone(),
        });
    }
    let (hw, k) = (s.hw(), s.taps());
    let mut y = Tensor::zeros(&[s.n, s.c_out, s.h, s.w]);
    y.as_mut_slice().par_chunks_mut(s.c_out * hw).zip(x.as_slice().par_chunks(s.c_in * hw)).for_each(
        |(y_n, x_n)| {
            let mut cols = vec![0.0f32; k * hw];
            sample(&s, x_n, dilation, &mut cols, None);
            gemm(1.0, view(w.as_slice(), s.c_out, k), view(&cols, k, hw), 0.0, view_mut(y_n, s.c_out, hw));
            if let Some(b) = b {
                for (row, &bias) in y_n.chunks_exact_mut(hw).zip(b.as_slice()) {
                    row.iter_mut().for_each(|v| *v += bias);
                }
            }
        },
    );
    Ok(y)
}

/// Gradients of a continuous-dilation convolution.
#[derive(Clone, Debug)]
pub struct ContinuousGrads {
    /// `∂L/∂x`, shaped like the input.
    pub dx: Tensor,
    /// `∂L/∂w`, shaped like the weight.
    pub dw: Tensor,
    /// `∂L/∂b`, `[C_out]`.
    pub db: Tensor,
    /// `∂L/∂d` (the right derivative where a tap's offset crosses a pixel).
    pub dd: f32,
}

/// The gradients of [`continuous_conv2d_forward`] for the output gradient `dy`.
pub fn continuous_conv2d_backward(
    x: &Tensor,
    w: &Tensor,
    dilation: f32,
    dy: &Tensor,
) -> Result<ContinuousGrads, ConvError> {
    let s = Shapes::new(x, w, dilation)?;
    if dy.dims() != [s.n, s.c_out, s.h, s.w] {
        return Err(ConvError::Operand {
            op: "continuous_conv2d_backward",
            what: "output gradient",
            expected: [s.n, s.c_out, s.h, s.w].into(),
            found: dy.shape().clone(),
        });
    }
    let (hw, k) = (s.hw(), s.taps());
    let mut dx = Tensor::zeros(x.dims());
    // Per image: dW_n [C_out·k], db_n [C_out], dd_n; summed in image order below.
    let per_image: Vec<(Vec<f32>, Vec<f32>, f64)> = dx
        .as_mut_slice()
        .par_chunks_mut(s.c_in * hw)
        .zip(x.as_slice().par_chunks(s.c_in * hw))
        .zip(dy.as_slice().par_chunks(s.c_out * hw))
        .map(|((dx_n, x_n), dy_n)| {
            let mut cols = vec![0.0f32; k * hw];
            let mut cols_dd = vec![0.0f32; k * hw];
            sample(&s, x_n, dilation, &mut cols, Some(&mut cols_dd));
            let dy_v = view(dy_n, s.c_out, hw);
            let mut dw_n = vec![0.0f32; s.c_out * k];
            gemm(1.0, dy_v, view(&cols, k, hw).t(), 0.0, view_mut(&mut dw_n, s.c_out, k));
            let db_n = dy_n.chunks_exact(hw).map(atrous_tensor::simd::sum).collect();
            let mut dcols = vec![0.0f32; k * hw];
            gemm(1.0, view(w.as_slice(), s.c_out, k).t(), dy_v, 0.0, view_mut(&mut dcols, k, hw));
            scatter(&s, &dcols, dilation, dx_n);
            let dd_n = dcols.iter().zip(&cols_dd).map(|(&g, &c)| f64::from(g) * f64::from(c)).sum::<f64>();
            (dw_n, db_n, dd_n)
        })
        .collect();
    let mut dw = Tensor::zeros(w.dims());
    let mut db = Tensor::zeros(&[s.c_out]);
    let mut dd = 0.0f64;
    for (dw_n, db_n, dd_n) in &per_image {
        atrous_tensor::simd::add_assign(dw.as_mut_slice(), dw_n);
        atrous_tensor::simd::add_assign(db.as_mut_slice(), db_n);
        dd += dd_n;
    }
    Ok(ContinuousGrads { dx, dw, db, dd: dd as f32 })
}
