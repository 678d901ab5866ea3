//! Labelled figures: the one layout of every picture the explanation commands write
//! (`atrous saliency`, `class-model`, `localize`), so a reader learns it once.
//!
//! ```text
//!  title: what was computed · method · the model's dilation
//!  subtitle lines: the model file, the target, what a map holds
//!           ┌─────────┬─────────┬─────┐
//!           │ #0      │ #1      │ …   │   header: one column per item (an image, a class),
//!           │ label 7 │ label 2 │     │   with its label, prediction, score, scale
//!  ┌────────┼─────────┼─────────┼─────┼──────────┐
//!  │ input  │  tile   │  tile   │     │ ▮ 1      │   one row per view of the items; a row
//!  │ map    │  tile   │  tile   │     │ ▮ 0.41   │   drawn through a colour scale has its
//!  │        │         │         │     │ ▮ 0      │   colour bar at its right, with numbers
//!  └────────┴─────────┴─────────┴─────┴──────────┘
//!  legend: a swatch per colour that is not a scale (boxes, foreground)
//!  notes: how the colours are scaled
//! ```
//!
//! Items beyond [`Figure::max_columns`] continue in a band below, with its own header. The
//! figure is built from tiles that are already coloured and upscaled ([`crate::picture`]);
//! text is drawn with the embedded font ([`crate::text`]). [`Figure::render`] returns the
//! picture and where it put things ([`Geometry`]), which the tests read.
//!
//! The builders of the three commands' figures are in [`explain`].

pub mod explain;

use crate::picture::{GAP_COLOUR, RgbImage, draw_box};
use crate::text::{draw, line_height, width};
use crate::{Result, SaliencyError};
use colorous::Gradient;

/// Size of the title, in pixels.
pub const TITLE_SIZE: usize = 16;
/// Size of every other text, in pixels.
pub const TEXT_SIZE: usize = 13;
/// Outer margin.
const MARGIN: usize = 8;
/// Space between tiles, and between a block of text and the next thing.
const GAP: usize = 4;
/// Width of a colour bar.
const BAR_WIDTH: usize = 12;
/// Space between the last column and the colour bars.
const BAR_OFFSET: usize = 12;
/// Length of a tick mark beside a colour bar.
const TICK: usize = 4;
/// Colour of text and of the colour bars' frames and ticks.
const INK: [u8; 3] = [20, 20, 20];
/// Colour of labels that flag something (a wrong prediction).
pub const WARN: [u8; 3] = [200, 20, 20];

/// One line of a column's header.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// Its colour.
    pub colour: [u8; 3],
}

impl Label {
    /// A label in the text colour.
    pub fn plain(text: impl Into<String>) -> Self {
        Label { text: text.into(), colour: INK }
    }

    /// A label in [`WARN`] red.
    pub fn warn(text: impl Into<String>) -> Self {
        Label { text: text.into(), colour: WARN }
    }
}

/// The colours of a colour bar, bottom (0) to top (1).
#[derive(Clone, Copy)]
pub enum BarColours {
    /// A `colorous` gradient.
    Gradient(Gradient),
    /// Black to white.
    Grey,
}

impl BarColours {
    /// The colour at `t` in `[0, 1]`.
    pub fn at(self, t: f64) -> [u8; 3] {
        match self {
            BarColours::Gradient(g) => {
                let c = g.eval_continuous(t);
                [c.r, c.g, c.b]
            }
            BarColours::Grey => [(t.clamp(0.0, 1.0) * 255.0).round() as u8; 3],
        }
    }
}

impl std::fmt::Debug for BarColours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BarColours::Gradient(_) => f.write_str("Gradient"),
            BarColours::Grey => f.write_str("Grey"),
        }
    }
}

/// The colour scale of a row: its colours and numbered ticks.
#[derive(Clone, Debug)]
pub struct ColourBar {
    /// The colours, bottom to top.
    pub colours: BarColours,
    /// `(position, text)`: position 0 is the bar's bottom, 1 its top.
    pub ticks: Vec<(f32, String)>,
}

/// One row of tiles (one view of every item) with its label and colour bar.
#[derive(Clone, Debug)]
pub struct Row {
    /// What the row shows, left of its tiles.
    pub label: String,
    /// One tile per item, coloured and upscaled.
    pub tiles: Vec<RgbImage>,
    /// The row's colour scale, if its colours are one.
    pub bar: Option<ColourBar>,
}

/// A legend entry's swatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swatch {
    /// A box outline of this colour (as drawn on tiles).
    Outline([u8; 3]),
    /// A filled square of this colour.
    Fill([u8; 3]),
}

/// One legend entry: a swatch and what it means.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    /// The swatch.
    pub swatch: Swatch,
    /// Its meaning.
    pub text: String,
}

/// A figure before rendering (see the module documentation for the layout).
#[derive(Clone, Debug)]
pub struct Figure {
    /// The first line, larger.
    pub title: String,
    /// Lines under the title.
    pub subtitle: Vec<String>,
    /// Each column's header lines (columns may have fewer lines than others).
    pub columns: Vec<Vec<Label>>,
    /// The rows of tiles.
    pub rows: Vec<Row>,
    /// Swatches under the tiles.
    pub legend: Vec<LegendEntry>,
    /// Lines at the bottom.
    pub notes: Vec<String>,
    /// Columns per band; further items start another band below.
    pub max_columns: usize,
}

/// Columns per band unless a figure says otherwise.
pub const MAX_COLUMNS: usize = 16;

/// A rectangle in picture pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// First row.
    pub top: usize,
    /// First column.
    pub left: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

/// Where [`Figure::render`] put things.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Height of the title and subtitle block (margin included).
    pub title_height: usize,
    /// Height of each band's column header (0 when no column has a label).
    pub header_height: usize,
    /// Height of the legend and notes block (margin included).
    pub footer_height: usize,
    /// Every tile, by band, row and column: `tiles[b][r][c]`.
    pub tiles: Vec<Vec<Vec<Rect>>>,
    /// Every colour bar (inside its frame), in band then row order.
    pub bars: Vec<Rect>,
}

/// A rendered figure and its geometry.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The picture.
    pub image: RgbImage,
    /// Where things are in it.
    pub geometry: Geometry,
}

/// A number as a tick or label shows it: 3 significant digits, scientific when very small or
/// large (`0.0412`, `12.3`, `2530`, `3.1e-5`).
pub fn number(v: f32) -> String {
    let a = v.abs();
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

impl Figure {
    /// The figure's lines of text that span its width (title excluded).
    fn wide_lines(&self) -> impl Iterator<Item = &str> {
        self.subtitle.iter().chain(&self.notes).map(String::as_str)
    }

    /// Draws the figure.
    pub fn render(&self) -> Rendered {
        let lh = line_height(TEXT_SIZE);
        let n_items = self.rows.iter().map(|r| r.tiles.len()).max().unwrap_or(0).max(self.columns.len());
        let per_band = self.max_columns.max(1).min(n_items.max(1));
        let bands = n_items.div_ceil(per_band).max(1);
        let tile_w = self.rows.iter().flat_map(|r| &r.tiles).map(|t| t.width).max().unwrap_or(0);
        let tile_h = self.rows.iter().flat_map(|r| &r.tiles).map(|t| t.height).max().unwrap_or(0);
        let label_w = self.columns.iter().flatten().map(|l| width(&l.text, TEXT_SIZE)).max().unwrap_or(0);
        let col_w = tile_w.max(label_w + GAP);
        let row_label_w = match self.rows.iter().map(|r| width(&r.label, TEXT_SIZE)).max() {
            Some(w) if w > 0 => w + 2 * GAP,
            _ => 0,
        };
        let header_lines = self.columns.iter().map(Vec::len).max().unwrap_or(0);
        let header_height = if header_lines > 0 { header_lines * lh + GAP } else { 0 };
        let tick_w = self
            .rows
            .iter()
            .filter_map(|r| r.bar.as_ref())
            .flat_map(|b| &b.ticks)
            .map(|(_, t)| width(t, TEXT_SIZE))
            .max();
        let bars_w = tick_w.map_or(0, |w| BAR_OFFSET + BAR_WIDTH + 1 + TICK + 3 + w);
        let body_w = row_label_w + per_band * (col_w + GAP) - GAP + bars_w;
        let row_h = tile_h + GAP;
        let band_h = header_height + self.rows.len() * row_h + GAP;
        let title_height = MARGIN + line_height(TITLE_SIZE) + self.subtitle.len() * lh + GAP;
        let footer_lines = self.legend.len() + self.notes.len();
        let footer_height = if footer_lines > 0 { GAP + footer_lines * lh + MARGIN } else { MARGIN };
        let text_w = self
            .wide_lines()
            .map(|t| width(t, TEXT_SIZE))
            .chain([width(&self.title, TITLE_SIZE)])
            .chain(self.legend.iter().map(|e| lh + GAP + width(&e.text, TEXT_SIZE)))
            .max()
            .unwrap_or(0);
        let total_w = 2 * MARGIN + body_w.max(text_w);
        let total_h = title_height + bands * band_h + footer_height;
        let mut image = RgbImage::filled(total_w, total_h, GAP_COLOUR);

        // Title block.
        draw(&mut image, &self.title, MARGIN, MARGIN, TITLE_SIZE, INK);
        for (i, line) in self.subtitle.iter().enumerate() {
            draw(&mut image, line, MARGIN, MARGIN + line_height(TITLE_SIZE) + i * lh, TEXT_SIZE, INK);
        }

        // Bands of columns.
        let mut geometry =
            Geometry { title_height, header_height, footer_height, tiles: Vec::new(), bars: Vec::new() };
        for band in 0..bands {
            let items = band * per_band..((band + 1) * per_band).min(n_items);
            let top = title_height + band * band_h;
            let col_left = |k: usize| MARGIN + row_label_w + k * (col_w + GAP);
            for (k, item) in items.clone().enumerate() {
                for (j, label) in self.columns.get(item).into_iter().flatten().enumerate() {
                    let w = width(&label.text, TEXT_SIZE);
                    let left = col_left(k) + (col_w - w.min(col_w)) / 2;
                    draw(&mut image, &label.text, left, top + j * lh, TEXT_SIZE, label.colour);
                }
            }
            let mut band_tiles = Vec::new();
            for (r, row) in self.rows.iter().enumerate() {
                let row_top = top + header_height + r * row_h;
                draw(&mut image, &row.label, MARGIN, row_top + tile_h.saturating_sub(lh) / 2, TEXT_SIZE, INK);
                let mut row_rects = Vec::new();
                for (k, item) in items.clone().enumerate() {
                    let Some(tile) = row.tiles.get(item) else { continue };
                    let left = col_left(k) + (col_w - tile.width) / 2;
                    image.paste(tile, row_top, left);
                    row_rects.push(Rect { top: row_top, left, height: tile.height, width: tile.width });
                }
                band_tiles.push(row_rects);
                if let Some(bar) = &row.bar {
                    let left = col_left(items.len()) - GAP + BAR_OFFSET;
                    let rect = Rect { top: row_top, left, height: tile_h, width: BAR_WIDTH };
                    draw_bar(&mut image, rect, bar);
                    geometry.bars.push(rect);
                }
            }
            geometry.tiles.push(band_tiles);
        }

        // Legend and notes.
        let mut y = title_height + bands * band_h + GAP;
        for entry in &self.legend {
            let side = lh - 2;
            let (top, left) = (y + 1, MARGIN);
            match entry.swatch {
                Swatch::Outline(c) => {
                    draw_box(&mut image, top, left, top + side, left + side, c);
                    draw_box(&mut image, top + 1, left + 1, top + side - 1, left + side - 1, c);
                }
                Swatch::Fill(c) => {
                    image.paste(&RgbImage::filled(side, side, c), top, left);
                    draw_box(&mut image, top, left, top + side, left + side, INK);
                }
            }
            draw(&mut image, &entry.text, MARGIN + lh + GAP, y, TEXT_SIZE, INK);
            y += lh;
        }
        for note in &self.notes {
            draw(&mut image, note, MARGIN, y, TEXT_SIZE, INK);
            y += lh;
        }
        Rendered { image, geometry }
    }
}

/// Paints `bar` into `rect` (top = position 1), frames it just outside and writes its ticks.
fn draw_bar(image: &mut RgbImage, rect: Rect, bar: &ColourBar) {
    let Rect { top, left, height, width: w } = rect;
    for r in 0..height {
        let t = if height > 1 { 1.0 - r as f64 / (height - 1) as f64 } else { 1.0 };
        image.paste(&RgbImage::filled(w, 1, bar.colours.at(t)), top + r, left);
    }
    draw_box(image, top - 1, left - 1, top + height + 1, left + w + 1, INK);
    let lh = line_height(TEXT_SIZE);
    for (pos, text) in &bar.ticks {
        let y = top + ((1.0 - pos.clamp(0.0, 1.0)) * height.saturating_sub(1) as f32).round() as usize;
        image.paste(&RgbImage::filled(TICK, 1, INK), y, left + w + 1);
        // Centred on its tick, but kept beside the bar so the end ticks of two rows' bars
        // cannot run into each other.
        let text_top = y
            .saturating_sub(lh / 2)
            .clamp(top.saturating_sub(2), (top + height + 2).saturating_sub(lh).max(top.saturating_sub(2)));
        draw(image, text, left + w + 1 + TICK + 3, text_top, TEXT_SIZE, INK);
    }
}

/// How the maps of a figure are coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum MapScale {
    /// Each map on its own scale, 0 to its own maximum (the paper's figures); each column
    /// prints its maximum. The default: every map uses the whole colour range.
    #[default]
    PerMap,
    /// Every map of the figure on one scale, 0 to the largest value among them.
    Shared,
    /// Every map on `0..=max` (larger values clipped), so figures of different models compare.
    Fixed(f32),
}

impl MapScale {
    /// Refuses a fixed maximum that is not a positive finite number.
    pub fn validate(self) -> Result<()> {
        match self {
            MapScale::Fixed(m) if !(m.is_finite() && m > 0.0) => Err(SaliencyError::Setting {
                setting: "shared scale maximum",
                value: f64::from(m),
                rule: "must be a positive finite number",
            }),
            _ => Ok(()),
        }
    }

    /// The top of the scale of a map whose own top is `own`, among maps whose largest top is
    /// `all`.
    pub fn top(self, own: f32, all: f32) -> f32 {
        match self {
            MapScale::PerMap => own,
            MapScale::Shared => all,
            MapScale::Fixed(m) => m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(colour: [u8; 3]) -> RgbImage {
        RgbImage::filled(20, 20, colour)
    }

    fn figure(columns: Vec<Vec<Label>>) -> Figure {
        Figure {
            title: "title".into(),
            subtitle: vec!["subtitle".into()],
            columns,
            rows: vec![
                Row { label: "input".into(), tiles: vec![tile([0; 3]); 3], bar: None },
                Row {
                    label: "map".into(),
                    tiles: vec![tile([1, 2, 3]); 3],
                    bar: Some(ColourBar {
                        colours: BarColours::Gradient(colorous::INFERNO),
                        ticks: vec![(0.0, "0".into()), (1.0, "0.41".into())],
                    }),
                },
            ],
            legend: vec![],
            notes: vec!["note".into()],
            max_columns: MAX_COLUMNS,
        }
    }

    #[test]
    fn colour_bar_ends_are_the_colour_map_ends() {
        let r = figure(vec![]).render();
        let bar = r.geometry.bars[0];
        let rgb = |t: f64| {
            let c = colorous::INFERNO.eval_continuous(t);
            [c.r, c.g, c.b]
        };
        // The bar runs beside the map row, top = the scale's top colour, bottom = colour of 0.
        assert_eq!(bar.top, r.geometry.tiles[0][1][0].top);
        assert_eq!(bar.height, 20);
        for c in bar.left..bar.left + bar.width {
            assert_eq!(r.image.pixel(bar.top, c), rgb(1.0));
            assert_eq!(r.image.pixel(bar.top + bar.height - 1, c), rgb(0.0));
        }
        // Framed just outside, so the ends are the colour map's, not the frame's.
        assert_eq!(r.image.pixel(bar.top - 1, bar.left), INK);
        assert_eq!(r.image.pixel(bar.top + bar.height, bar.left), INK);
    }

    #[test]
    fn column_labels_grow_the_figure_by_their_band() {
        let bare = figure(vec![]).render();
        let labels = vec![vec![Label::plain("#0"), Label::plain("label 7"), Label::warn("pred 1")]; 3];
        let labelled = figure(labels).render();
        let band = 3 * line_height(TEXT_SIZE) + GAP;
        assert_eq!(bare.geometry.header_height, 0);
        assert_eq!(labelled.geometry.header_height, band);
        assert_eq!(labelled.image.height, bare.image.height + band);
        // The tiles moved down by the band, and the label text is drawn above them.
        let (t0, t1) = (bare.geometry.tiles[0][0][0], labelled.geometry.tiles[0][0][0]);
        assert_eq!(t1.top, t0.top + band);
        assert_eq!(labelled.image.pixel(t1.top, t1.left), [0; 3]);
        let header = t1.top - band..t1.top;
        let inked = header
            .flat_map(|r| (t1.left..t1.left + t1.width).map(move |c| (r, c)))
            .filter(|&(r, c)| labelled.image.pixel(r, c) != GAP_COLOUR)
            .count();
        assert!(inked > 20, "only {inked} header pixels carry text");
        // The warning line is red: some of its pixels are much redder than green.
        let third = t1.top - band + 2 * line_height(TEXT_SIZE);
        let red = (third..third + line_height(TEXT_SIZE))
            .flat_map(|r| (t1.left..t1.left + t1.width).map(move |c| (r, c)))
            .map(|(r, c)| labelled.image.pixel(r, c))
            .any(|p| p[0] > 150 && p[1] < 100);
        assert!(red, "the wrong prediction is not drawn in red");
    }

    #[test]
    fn more_items_than_max_columns_continue_in_another_band() {
        let mut f = figure(vec![vec![Label::plain("x")]; 3]);
        f.max_columns = 2;
        let r = f.render();
        assert_eq!(r.geometry.tiles.len(), 2);
        assert_eq!(r.geometry.tiles[0][0].len(), 2);
        assert_eq!(r.geometry.tiles[1][0].len(), 1);
        // The third item starts the second band, under the first, with its own header.
        let (first, third) = (r.geometry.tiles[0][0][0], r.geometry.tiles[1][0][0]);
        assert_eq!(third.left, first.left);
        let band_h = r.geometry.header_height + 2 * (20 + GAP) + GAP;
        assert_eq!(third.top, first.top + band_h);
        // Each band has its colour bar.
        assert_eq!(r.geometry.bars.len(), 2);
    }

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.041234), "0.0412");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(2530.4), "2530");
        assert_eq!(number(-0.5), "-0.500");
        assert_eq!(number(3.1e-5), "3.1e-5");
    }

    #[test]
    fn a_fixed_scale_must_be_positive_and_finite() {
        assert!(MapScale::Fixed(0.5).validate().is_ok());
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            assert!(MapScale::Fixed(bad).validate().is_err(), "{bad}");
        }
        assert_eq!(MapScale::PerMap.top(0.2, 0.9), 0.2);
        assert_eq!(MapScale::Shared.top(0.2, 0.9), 0.9);
        assert_eq!(MapScale::Fixed(3.0).top(0.2, 0.9), 3.0);
    }
}
