//! Pictures as pixel buffers: tiles (grey images, heat maps, overlays, signed images), boxes,
//! and plain grids of tiles (the study's saliency sheet and class-model grid).
//!
//! Everything here builds an [`RgbImage`] in memory; [`crate::writer`] turns it into a PNG, and
//! [`crate::figure`] lays tiles out with titles, labels and colour bars. Heat maps use
//! `colorous`' perceptually uniform INFERNO map on `0..=max`, where `max` is the map's own maximum
//! ([`heat`]) or a scale shared by several maps ([`heat_upto`]); signed images use the diverging
//! RED_BLUE map centred on zero. Tiles are upscaled with nearest neighbour so a 28×28 map stays
//! sharp and legible.

use crate::localize::quantile;
use colorous::Gradient;

/// An 8-bit RGB picture, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `3 · width · height` bytes, `R, G, B` per pixel.
    pub data: Vec<u8>,
}

/// Colour of the gaps between tiles.
pub const GAP_COLOUR: [u8; 3] = [255, 255, 255];

impl RgbImage {
    /// A picture filled with one colour.
    pub fn filled(width: usize, height: usize, colour: [u8; 3]) -> Self {
        RgbImage { width, height, data: colour.repeat(width * height) }
    }

    /// The colour at `(row, col)`.
    pub fn pixel(&self, row: usize, col: usize) -> [u8; 3] {
        let i = 3 * (row * self.width + col);
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    pub(crate) fn set(&mut self, row: usize, col: usize, colour: [u8; 3]) {
        let i = 3 * (row * self.width + col);
        self.data[i..i + 3].copy_from_slice(&colour);
    }

    /// Nearest-neighbour upscaling by an integer factor.
    pub fn upscale(&self, factor: usize) -> RgbImage {
        let factor = factor.max(1);
        let mut out = RgbImage::filled(self.width * factor, self.height * factor, [0; 3]);
        for r in 0..out.height {
            for c in 0..out.width {
                out.set(r, c, self.pixel(r / factor, c / factor));
            }
        }
        out
    }

    /// Copies `tile` with its top-left corner at `(row, col)`, clipped to the picture.
    pub fn paste(&mut self, tile: &RgbImage, row: usize, col: usize) {
        for r in 0..tile.height.min(self.height.saturating_sub(row)) {
            for c in 0..tile.width.min(self.width.saturating_sub(col)) {
                self.set(row + r, col + c, tile.pixel(r, c));
            }
        }
    }
}

fn rgb(c: colorous::Color) -> [u8; 3] {
    [c.r, c.g, c.b]
}

fn grey_byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// A grey picture of `values` (`side`-wide, rows of `values.len()/side`), `lo` black, `hi` white.
pub fn grey(values: &[f32], side: usize, lo: f32, hi: f32) -> RgbImage {
    let span = if hi > lo { hi - lo } else { 1.0 };
    let data = values.iter().flat_map(|&v| [grey_byte((v - lo) / span); 3]).collect();
    RgbImage { width: side, height: values.len() / side.max(1), data }
}

/// The largest value of `values`, at least 0.
pub fn max_of(values: &[f32]) -> f32 {
    values.iter().copied().fold(0.0f32, f32::max)
}

/// `values` scaled to `[0, 1]` by `max`: values above it are clipped, all zeros when `max` is 0.
fn scaled_to(values: &[f32], max: f32) -> Vec<f32> {
    values.iter().map(|&v| if max > 0.0 { (v / max).clamp(0.0, 1.0) } else { 0.0 }).collect()
}

/// A heat map of a non-negative map through `gradient`, scaled by the map's maximum.
pub fn heat(map: &[f32], side: usize, gradient: Gradient) -> RgbImage {
    heat_upto(map, side, gradient, max_of(map))
}

/// A heat map of a non-negative map through `gradient` on the scale `0..=max` (larger values
/// take the top colour), so maps drawn with one `max` compare.
pub fn heat_upto(map: &[f32], side: usize, gradient: Gradient, max: f32) -> RgbImage {
    let data =
        scaled_to(map, max).iter().flat_map(|&t| rgb(gradient.eval_continuous(f64::from(t)))).collect();
    RgbImage { width: side, height: map.len() / side.max(1), data }
}

/// The heat map on `0..=max` (as [`heat_upto`]) blended over the grey image, with the scaled
/// map value as opacity.
pub fn overlay(image: &[f32], map: &[f32], side: usize, gradient: Gradient, max: f32) -> RgbImage {
    let data = image
        .iter()
        .zip(scaled_to(map, max))
        .flat_map(|(&v, t)| {
            let g = f32::from(grey_byte(v));
            let h = rgb(gradient.eval_continuous(f64::from(t)));
            // Opacity √t lifts faint evidence enough to be seen without hiding the strokes.
            let a = t.sqrt();
            h.map(|c| (a * f32::from(c) + (1.0 - a) * g).round() as u8)
        })
        .collect();
    RgbImage { width: side, height: image.len() / side.max(1), data }
}

/// Share of extreme pixels clipped at each end of a class-model tile's display range.
pub const DISPLAY_CLIP: f64 = 0.01;

/// A signed image through a diverging map centred on zero; the symmetric range `±r` has `r` the
/// 99th percentile of `|v|`, larger values are clipped.
pub fn diverging(values: &[f32], side: usize, gradient: Gradient) -> RgbImage {
    diverging_within(values, side, gradient, display_range(values))
}

/// The half-width `r` of [`diverging`]'s display range: the 99th percentile of `|v|`.
pub fn display_range(values: &[f32]) -> f32 {
    let abs: Vec<f32> = values.iter().map(|v| v.abs()).collect();
    quantile(&abs, 1.0 - DISPLAY_CLIP)
}

/// A signed image through a diverging map on `-max..=max`, zero at the centre, larger values
/// clipped.
pub fn diverging_within(values: &[f32], side: usize, gradient: Gradient, max: f32) -> RgbImage {
    let data = values
        .iter()
        .flat_map(|&v| {
            let t = if max > 0.0 { (0.5 + 0.5 * v / max).clamp(0.0, 1.0) } else { 0.5 };
            rgb(gradient.eval_continuous(f64::from(t)))
        })
        .collect();
    RgbImage { width: side, height: values.len() / side.max(1), data }
}

/// Lays out `rows` of equally sized tiles with `gap` pixels between and around them, after
/// upscaling each tile by `scale`.
pub fn grid(rows: &[Vec<RgbImage>], scale: usize, gap: usize) -> RgbImage {
    let tile_w = rows.iter().flatten().map(|t| t.width).max().unwrap_or(0) * scale;
    let tile_h = rows.iter().flatten().map(|t| t.height).max().unwrap_or(0) * scale;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = cols * (tile_w + gap) + gap;
    let height = rows.len() * (tile_h + gap) + gap;
    let mut out = RgbImage::filled(width, height, GAP_COLOUR);
    for (r, row) in rows.iter().enumerate() {
        for (c, tile) in row.iter().enumerate() {
            out.paste(&tile.upscale(scale), gap + r * (tile_h + gap), gap + c * (tile_w + gap));
        }
    }
    out
}

/// Saliency maps laid out `per_row` to a row, each input beside its map: the compact picture
/// of many images.
pub fn saliency_sheet(images: &[f32], maps: &[f32], side: usize, per_row: usize, scale: usize) -> RgbImage {
    let plane = side * side;
    let pairs: Vec<RgbImage> = images
        .chunks_exact(plane)
        .zip(maps.chunks_exact(plane))
        .flat_map(|(img, map)| [grey(img, side, 0.0, 1.0), heat(map, side, colorous::INFERNO)])
        .collect();
    let rows: Vec<Vec<RgbImage>> = pairs.chunks(2 * per_row.max(1)).map(<[RgbImage]>::to_vec).collect();
    grid(&rows, scale, 2)
}

/// The class-model grid: one column per class; the top row shows `I*` (diverging colours,
/// red negative, blue positive, white zero), the bottom row `I* + m` in grey between its 1st and
/// 99th percentiles, as the paper shows its class models. The unbounded ascent leaves a few
/// extreme pixels; clipping 1 % at each end keeps them from flattening the rest of the tile.
pub fn class_model_grid(images: &[f32], mean: &[f32], side: usize, scale: usize) -> RgbImage {
    let plane = side * side;
    let tiles: Vec<&[f32]> = images.chunks_exact(plane).collect();
    let top = tiles.iter().map(|t| diverging(t, side, colorous::RED_BLUE)).collect();
    let bottom = tiles
        .iter()
        .map(|t| {
            let seen: Vec<f32> = t.iter().zip(mean).map(|(a, b)| a + b).collect();
            grey(&seen, side, quantile(&seen, DISPLAY_CLIP), quantile(&seen, 1.0 - DISPLAY_CLIP))
        })
        .collect();
    grid(&[top, bottom], scale, 2)
}

/// Draws the outline of the box rows `top..bottom`, columns `left..right` (half-open, in
/// picture pixels), clipped to the picture.
pub fn draw_box(image: &mut RgbImage, top: usize, left: usize, bottom: usize, right: usize, colour: [u8; 3]) {
    if top >= bottom || left >= right {
        return;
    }
    let (bottom, right) = (bottom.min(image.height), right.min(image.width));
    for c in left..right {
        for r in [top, bottom - 1] {
            if r < image.height {
                image.set(r, c, colour);
            }
        }
    }
    for r in top..bottom {
        for c in [left, right - 1] {
            if c < image.width {
                image.set(r, c, colour);
            }
        }
    }
}

/// Colour of the segmentation's box in the localisation figure.
pub const SEGMENT_BOX: [u8; 3] = [230, 30, 30];
/// Colour of the ink's box in the localisation figure.
pub const INK_BOX: [u8; 3] = [40, 200, 60];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_box_outlines_only() {
        let mut img = RgbImage::filled(5, 5, [0; 3]);
        draw_box(&mut img, 1, 1, 4, 4, [9; 3]);
        assert_eq!(img.pixel(1, 1), [9; 3]);
        assert_eq!(img.pixel(3, 2), [9; 3]);
        assert_eq!(img.pixel(2, 2), [0; 3]);
        assert_eq!(img.pixel(0, 0), [0; 3]);
    }

    #[test]
    fn upscale_repeats_each_pixel() {
        let img = grey(&[0.0, 1.0], 2, 0.0, 1.0);
        let up = img.upscale(3);
        assert_eq!((up.width, up.height), (6, 3));
        assert_eq!(up.pixel(2, 2), [0; 3]);
        assert_eq!(up.pixel(0, 3), [255; 3]);
    }

    #[test]
    fn heat_map_ends_are_the_colour_map_ends() {
        let h = heat(&[0.0, 2.0], 2, colorous::INFERNO);
        assert_eq!(h.pixel(0, 0), rgb(colorous::INFERNO.eval_continuous(0.0)));
        assert_eq!(h.pixel(0, 1), rgb(colorous::INFERNO.eval_continuous(1.0)));
    }

    #[test]
    fn grid_places_tiles_with_gaps() {
        let black = RgbImage::filled(2, 2, [0; 3]);
        let g = grid(&[vec![black.clone(), black]], 2, 1);
        // Two 4×4 tiles, gaps of 1 around and between: 1 + 4 + 1 + 4 + 1 = 11 wide, 6 high.
        assert_eq!((g.width, g.height), (11, 6));
        assert_eq!(g.pixel(0, 0), GAP_COLOUR);
        assert_eq!(g.pixel(1, 1), [0; 3]);
        assert_eq!(g.pixel(1, 5), GAP_COLOUR);
        assert_eq!(g.pixel(1, 6), [0; 3]);
    }
}
