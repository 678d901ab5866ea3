//! Text in pictures: the one embedded font of the workspace and a way to draw with it into an
//! [`RgbImage`].
//!
//! The font is DejaVu Sans (`assets/DejaVuSans.ttf`, its licence beside it), compiled into the
//! binary so figures look the same on every machine and need no system font library. It is
//! registered with `plotters` under [`FONT`], so `plotters` charts (the study's, the evaluation's)
//! and the labelled figures of [`crate::figure`] share it; it lives in this crate, the lowest one
//! that draws text, so every crate above embeds the same bytes once.
//!
//! Coordinates are picture pixels; a line of text of size `s` occupies the rows
//! `top .. top + line_height(s)`, capitals starting about a pixel below `top`.

use crate::picture::RgbImage;
use plotters::style::{FontDesc, FontFamily, FontStyle, register_font as plotters_register};
use std::sync::Once;

/// The family name the embedded font is registered under.
pub const FONT: &str = "sans-serif";

/// The embedded font file.
const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font with `plotters` (once per process; later calls do nothing).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is valid; a failure would only leave text out of pictures.
        let _ = plotters_register(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

fn font(size: usize) -> FontDesc<'static> {
    register_font();
    FontDesc::new(FontFamily::Name(FONT), size as f64, FontStyle::Normal)
}

/// Height of one line of text of `size` pixels, leading included.
pub fn line_height(size: usize) -> usize {
    // DejaVu's ascent + descent is about 1.16 em; a quarter em more keeps lines apart.
    (size * 5).div_ceil(4)
}

/// Width in pixels of `text` at `size` (0 if the font could not be loaded).
pub fn width(text: &str, size: usize) -> usize {
    font(size).box_size(text).map_or(0, |(w, _)| w as usize)
}

/// Draws `text` with its left edge at column `left` and its line starting at row `top`,
/// blending `colour` over the picture by the glyphs' coverage; pixels outside are skipped.
pub fn draw(image: &mut RgbImage, text: &str, left: usize, top: usize, size: usize, colour: [u8; 3]) {
    // plotters puts the baseline `size / 2` below the given y, and DejaVu's capitals and digits
    // are about 0.63·size tall: y = top + size/5 puts the baseline at 0.7·size, their tops a
    // pixel below `top`, and leaves room under the baseline for descenders (0.2·size).
    let y = (top + size.div_ceil(5)) as i32;
    let (w, h) = (image.width as i32, image.height as i32);
    let _ = font(size).draw(text, (left as i32, y), |x, y, coverage| {
        if (0..w).contains(&x) && (0..h).contains(&y) {
            let (x, y) = (x as usize, y as usize);
            let a = coverage.clamp(0.0, 1.0);
            let old = image.pixel(y, x);
            let new = std::array::from_fn(|k| {
                (a * f32::from(colour[k]) + (1.0 - a) * f32::from(old[k])).round() as u8
            });
            image.set(y, x, new);
        }
        Ok::<(), ()>(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_inside_its_line_and_is_as_wide_as_measured() {
        let mut img = RgbImage::filled(200, 40, [255; 3]);
        let (left, top, size) = (10, 10, 14);
        draw(&mut img, "Hg 0.41", left, top, size, [0; 3]);
        let inked: Vec<(usize, usize)> = (0..img.height)
            .flat_map(|r| (0..img.width).map(move |c| (r, c)))
            .filter(|&(r, c)| img.pixel(r, c) != [255; 3])
            .collect();
        assert!(!inked.is_empty(), "nothing drawn");
        let (rows, cols): (Vec<usize>, Vec<usize>) = inked.into_iter().unzip();
        let (r0, r1) = (*rows.iter().min().unwrap(), *rows.iter().max().unwrap());
        let (c0, c1) = (*cols.iter().min().unwrap(), *cols.iter().max().unwrap());
        // Capitals start just below the line's top, descenders stay inside the line.
        assert!(r0 >= top && r0 <= top + 2, "first inked row {r0}, line top {top}");
        assert!(r1 < top + line_height(size), "last inked row {r1}, line ends {}", top + line_height(size));
        let measured = width("Hg 0.41", size);
        assert!(c0 >= left && c0 <= left + 2, "first inked column {c0}");
        assert!(c1 < left + measured + 2 && c1 + 4 > left + measured, "ink ends at {c1}, width {measured}");
    }
}
