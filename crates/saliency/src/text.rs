//! Text in pictures: the one embedded font of the workspace and a way to draw with it into an
//! [`RgbImage`].
//!
//! The font is DejaVu Sans (`assets/DejaVuSans.ttf`, its licence beside it), compiled into the
//! binary so figures look the same on every machine and need no system font library. It is
//! registered with `plotters` under [`FONT`], so `plotters` charts (the study's, the evaluation's)
//! and the labelled figures of [`crate::figure`] share it; it lives in this crate, the lowest one
//! that draws text, so every crate above embeds the same bytes once.
//!
//! Text in figures is laid out and rasterised with `ab_glyph` (kerning and side bearings
//! kept). Coordinates are picture pixels; a line of text of size `s` occupies the rows
//! `top .. top + line_height(s)`, its tallest glyphs reaching `top`.

use crate::picture::RgbImage;
use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters::style::{FontStyle, register_font as plotters_register};
use std::sync::{Once, OnceLock};

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

/// The embedded font, parsed once (`None` only if the embedded bytes were not a font).
fn face() -> Option<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok()).as_ref()
}

/// Height of one line of text of `size` pixels, leading included.
pub fn line_height(size: usize) -> usize {
    // At `size` px DejaVu's ascent + descent is `size`; a quarter more keeps lines apart.
    (size * 5).div_ceil(4)
}

/// The pen position of each glyph of `text` (kerning included) and the advance after the last.
fn layout(font: &impl ScaleFont<&'static FontRef<'static>>, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let mut x = 0.0;
    let mut prev = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            x += font.kern(p, id);
        }
        glyphs.push((id, x));
        x += font.h_advance(id);
        prev = Some(id);
    }
    (glyphs, x)
}

/// Width in pixels of `text` at `size` (0 if the font could not be loaded).
pub fn width(text: &str, size: usize) -> usize {
    face().map_or(0, |f| layout(&f.as_scaled(PxScale::from(size as f32)), text).1.ceil() as usize)
}

/// Draws `text` with its left edge at column `left` and its line starting at row `top`,
/// blending `colour` over the picture by the glyphs' coverage; pixels outside are skipped.
pub fn draw(image: &mut RgbImage, text: &str, left: usize, top: usize, size: usize, colour: [u8; 3]) {
    let Some(face) = face() else { return };
    let scale = PxScale::from(size as f32);
    let font = face.as_scaled(scale);
    // The baseline sits the font's ascent below the line's top, so the tallest glyph reaches
    // `top` and descenders end `size` below it, inside the line.
    let baseline = top as f32 + font.ascent();
    for (id, x) in layout(&font, text).0 {
        let glyph = id.with_scale_and_position(scale, point(left as f32 + x, baseline));
        let Some(outline) = face.outline_glyph(glyph) else { continue };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let (c, r) = (bounds.min.x as i64 + i64::from(gx), bounds.min.y as i64 + i64::from(gy));
            if (0..image.width as i64).contains(&c) && (0..image.height as i64).contains(&r) {
                let (r, c) = (r as usize, c as usize);
                let a = coverage.clamp(0.0, 1.0);
                let old = image.pixel(r, c);
                let new = std::array::from_fn(|k| {
                    (a * f32::from(colour[k]) + (1.0 - a) * f32::from(old[k])).round() as u8
                });
                image.set(r, c, new);
            }
        });
    }
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
        // Capitals start just below the line's top (the ascent leaves room for accents),
        // descenders stay inside the line.
        assert!(r0 >= top && r0 <= top + 3, "first inked row {r0}, line top {top}");
        assert!(r1 < top + line_height(size), "last inked row {r1}, line ends {}", top + line_height(size));
        let measured = width("Hg 0.41", size);
        assert!(c0 >= left && c0 <= left + 2, "first inked column {c0}");
        assert!(c1 < left + measured + 2 && c1 + 4 > left + measured, "ink ends at {c1}, width {measured}");
    }
}
