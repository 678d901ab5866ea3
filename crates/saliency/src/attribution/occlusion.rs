//! Occlusion (Zeiler & Fergus 2014): slide a window of zeros over the image and watch the class
//! score fall. A pixel's score is the mean drop `S_c(x) − S_c(x with the window zeroed)` over the
//! windows that cover it. Windows start every `stride` pixels from the top-left corner, and one
//! more window is added where the last would stop short of the edge (it is clipped to the image),
//! so every pixel is covered. Forward passes only; all windows of an image go through one batch.

use super::{Attribution, Explained, items, picked};
use crate::saliency::Target;
use crate::{Result, SaliencyError};
use atrous_autograd::Classifier;
use atrous_tensor::Tensor;
use std::ops::Range;

/// The occluding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occlusion {
    /// Side of the square window, in pixels (default 4).
    pub window: usize,
    /// Step between window positions, `1..=window` so no pixel is skipped (default 2).
    pub stride: usize,
}

impl Default for Occlusion {
    fn default() -> Self {
        Occlusion { window: 4, stride: 2 }
    }
}

impl Occlusion {
    /// Refuses a zero window and a stride of 0 or beyond the window (pixels would be skipped).
    pub fn validate(&self) -> Result<()> {
        if self.window == 0 || self.window > 1024 {
            return Err(SaliencyError::Setting {
                setting: "occlusion window",
                value: self.window as f64,
                rule: "must be in 1..=1024 pixels",
            });
        }
        if self.stride == 0 || self.stride > self.window {
            return Err(SaliencyError::Setting {
                setting: "occlusion stride",
                value: self.stride as f64,
                rule: "must be in 1..=window, so that every pixel is covered",
            });
        }
        Ok(())
    }

    /// First pixel of each window position along an axis of `len` pixels (`len ≥ window`).
    pub fn offsets(&self, len: usize) -> Vec<usize> {
        let last = len.saturating_sub(self.window).div_ceil(self.stride.max(1));
        (0..=last).map(|k| k * self.stride).collect()
    }

    /// The window with its top-left corner at `(r0, c0)` in an `h × w` plane, clipped to the
    /// plane: one index range per row.
    pub fn spans(&self, (r0, c0): (usize, usize), h: usize, w: usize) -> impl Iterator<Item = Range<usize>> {
        let cols = c0..(c0 + self.window).min(w);
        (r0..(r0 + self.window).min(h)).map(move |r| r * w + cols.start..r * w + cols.end)
    }

    /// Window positions on a `side × side` image.
    pub fn windows(&self, side: usize) -> usize {
        self.offsets(side).len().pow(2)
    }
}

/// Occlusion maps of images `x [N, C, H, W]` for the chosen target; a window zeroes every
/// channel.
pub fn occlusion<M: Classifier + ?Sized>(
    model: &M,
    x: &Tensor,
    target: Target,
    labels: Option<&[usize]>,
    o: &Occlusion,
) -> Result<Attribution> {
    o.validate()?;
    let (n, [c, h, w]) = items(x)?;
    if o.window > h.min(w) {
        return Err(SaliencyError::Setting {
            setting: "occlusion window",
            value: o.window as f64,
            rule: "must fit in the image",
        });
    }
    let explained = Explained::at(model, x, target, labels)?;
    let windows: Vec<(usize, usize)> =
        o.offsets(h).into_iter().flat_map(|r| o.offsets(w).into_iter().map(move |q| (r, q))).collect();
    let (item, plane) = (c * h * w, h * w);
    let mut rows = Vec::with_capacity(n * windows.len() * item);
    for image in x.as_slice().chunks_exact(item) {
        for &window in &windows {
            let start = rows.len();
            rows.extend_from_slice(image);
            for channel in rows[start..].chunks_exact_mut(plane) {
                o.spans(window, h, w).for_each(|span| channel[span].fill(0.0));
            }
        }
    }
    let rows = Tensor::from_vec(&[n * windows.len(), c, h, w], rows)?;
    let classes: Vec<usize> =
        explained.targets.iter().flat_map(|&t| std::iter::repeat_n(t, windows.len())).collect();
    let occluded = picked(&model.predict(&rows)?, &classes);

    let mut maps = vec![0.0f32; n * plane];
    let mut cover = vec![0u32; plane];
    for &window in &windows {
        o.spans(window, h, w).for_each(|span| cover[span].iter_mut().for_each(|k| *k += 1));
    }
    for (i, map) in maps.chunks_exact_mut(plane).enumerate() {
        for (k, &window) in windows.iter().enumerate() {
            let drop = explained.scores[i] - occluded[i * windows.len() + k];
            o.spans(window, h, w).for_each(|span| map[span].iter_mut().for_each(|m| *m += drop));
        }
        map.iter_mut().zip(&cover).for_each(|(m, &k)| *m /= k.max(1) as f32);
    }
    Ok(explained.with_maps(Tensor::from_vec(&[n, h, w], maps)?))
}
