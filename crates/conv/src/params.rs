//! Convolution and pooling parameters, validated, and the output-size arithmetic they imply.
//!
//! A dilated kernel of size `k` with dilation `d` spans `d·(k−1)+1` input pixels (its effective
//! size). With stride `s` and zero padding `p` on both sides, an input of `n` pixels gives
//! `(n + 2p − (d·(k−1)+1)) / s + 1` outputs. [`ConvGeometry::new`] refuses any setting where the
//! effective kernel is larger than the padded input, so that subtraction can never underflow.

use crate::ConvError;
use atrous_tensor::Shape;

/// Kernel, stride, zero padding and dilation of a 2-D convolution, per axis `(height, width)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    /// Kernel size `(k_h, k_w)`.
    pub kernel: (usize, usize),
    /// Stride `(s_h, s_w)`.
    pub stride: (usize, usize),
    /// Zero padding added on each side `(p_h, p_w)`.
    pub padding: (usize, usize),
    /// Dilation `(d_h, d_w)`: the gap between kernel taps is `d − 1` pixels.
    pub dilation: (usize, usize),
}

impl Conv2dParams {
    /// Validated parameters: kernel, stride and dilation must be at least 1.
    pub fn new(
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
        dilation: (usize, usize),
    ) -> Result<Self, ConvError> {
        for (name, (a, b)) in [("kernel", kernel), ("stride", stride), ("dilation", dilation)] {
            if a == 0 || b == 0 {
                return Err(ConvError::ZeroParam { name, value: (a, b) });
            }
        }
        Ok(Conv2dParams { kernel, stride, padding, dilation })
    }

    /// A square `k×k` kernel with equal stride, padding and dilation on both axes.
    pub fn square(k: usize, stride: usize, padding: usize, dilation: usize) -> Result<Self, ConvError> {
        Self::new((k, k), (stride, stride), (padding, padding), (dilation, dilation))
    }

    /// A `k×k` kernel at stride 1 whose padding keeps the spatial size ("same"): `p = d·(k−1)/2`.
    /// Needs an odd `k`.
    pub fn same(k: usize, dilation: usize) -> Result<Self, ConvError> {
        if k % 2 == 0 {
            return Err(ConvError::EvenSameKernel { k });
        }
        Self::square(k, 1, dilation * (k - 1) / 2, dilation)
    }

    /// Effective kernel extent `(d_h·(k_h−1)+1, d_w·(k_w−1)+1)`.
    pub fn effective_kernel(&self) -> (usize, usize) {
        (effective(self.kernel.0, self.dilation.0), effective(self.kernel.1, self.dilation.1))
    }
}

fn effective(k: usize, d: usize) -> usize {
    d.saturating_mul(k - 1).saturating_add(1)
}

/// Output length along one axis, or `None` when the effective kernel exceeds the padded input.
fn output_len(input: usize, k: usize, stride: usize, padding: usize, dilation: usize) -> Option<usize> {
    let padded = input.checked_add(padding.checked_mul(2)?)?;
    let span = effective(k, dilation);
    (padded >= span).then(|| (padded - span) / stride + 1)
}

/// Every size of one convolution call, checked once: batch, channels, spatial sizes in and out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// The parameters.
    pub params: Conv2dParams,
    /// Batch size `N`.
    pub n: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output height.
    pub h_out: usize,
    /// Output width.
    pub w_out: usize,
}

impl ConvGeometry {
    /// Checks an input `[N, C_in, H, W]` against a weight `[C_out, C_in, k_h, k_w]`.
    pub fn new(params: Conv2dParams, input: &[usize], weight: &[usize]) -> Result<Self, ConvError> {
        let &[n, c_in, h, w] = input else {
            return Err(ConvError::Rank {
                what: "input",
                expected: "[N, C, H, W]",
                shape: Shape::new(input),
            });
        };
        let &[c_out, wc_in, k_h, k_w] = weight else {
            return Err(ConvError::Rank {
                what: "weight",
                expected: "[C_out, C_in, k_h, k_w]",
                shape: Shape::new(weight),
            });
        };
        if [c_in, h, w].contains(&0) {
            return Err(ConvError::Empty { what: "input", shape: Shape::new(input) });
        }
        if c_out == 0 {
            return Err(ConvError::Empty { what: "weight", shape: Shape::new(weight) });
        }
        if wc_in != c_in {
            return Err(ConvError::Channels { input: Shape::new(input), weight: Shape::new(weight) });
        }
        if (k_h, k_w) != params.kernel {
            return Err(ConvError::KernelMismatch { weight: Shape::new(weight), kernel: params.kernel });
        }
        let (p, s, d) = (params.padding, params.stride, params.dilation);
        let too_large = |axis, input, padding, span| ConvError::KernelTooLarge { axis, input, padding, span };
        let h_out = output_len(h, k_h, s.0, p.0, d.0)
            .ok_or_else(|| too_large("height", h, p.0, params.effective_kernel().0))?;
        let w_out = output_len(w, k_w, s.1, p.1, d.1)
            .ok_or_else(|| too_large("width", w, p.1, params.effective_kernel().1))?;
        Ok(ConvGeometry { params, n, c_in, c_out, h, w, h_out, w_out })
    }

    /// Rows of one image's column matrix: `C_in · k_h · k_w`.
    pub fn col_rows(&self) -> usize {
        self.c_in * self.params.kernel.0 * self.params.kernel.1
    }

    /// Columns of one image's column matrix: `H_out · W_out`.
    pub fn col_cols(&self) -> usize {
        self.h_out * self.w_out
    }

    /// Elements of one input image.
    pub fn input_item(&self) -> usize {
        self.c_in * self.h * self.w
    }

    /// Elements of one output image.
    pub fn output_item(&self) -> usize {
        self.c_out * self.h_out * self.w_out
    }

    /// Output shape `[N, C_out, H_out, W_out]`.
    pub fn output_dims(&self) -> [usize; 4] {
        [self.n, self.c_out, self.h_out, self.w_out]
    }

    /// Floating-point operations of the forward pass: `2·N·C_out·H_out·W_out·C_in·k_h·k_w`.
    pub fn forward_flops(&self) -> u64 {
        2 * (self.n * self.output_item() * self.col_rows()) as u64
    }
}

/// Window and stride of a 2-D max pooling, per axis; no padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dParams {
    /// Window `(k_h, k_w)`.
    pub kernel: (usize, usize),
    /// Stride `(s_h, s_w)`.
    pub stride: (usize, usize),
}

impl Pool2dParams {
    /// Validated pooling parameters (all at least 1).
    pub fn new(kernel: (usize, usize), stride: (usize, usize)) -> Result<Self, ConvError> {
        for (name, (a, b)) in [("pool kernel", kernel), ("pool stride", stride)] {
            if a == 0 || b == 0 {
                return Err(ConvError::ZeroParam { name, value: (a, b) });
            }
        }
        Ok(Pool2dParams { kernel, stride })
    }

    /// Output `(H_out, W_out)` for an `H × W` input; an error if the window is larger than it.
    pub fn output_size(&self, h: usize, w: usize) -> Result<(usize, usize), ConvError> {
        let h_out = output_len(h, self.kernel.0, self.stride.0, 0, 1);
        let w_out = output_len(w, self.kernel.1, self.stride.1, 0, 1);
        match (h_out, w_out) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(ConvError::PoolTooLarge { kernel: self.kernel, h, w }),
        }
    }
}
