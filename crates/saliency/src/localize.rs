//! Weakly supervised localisation from saliency (Simonyan et al. 2014, §3.1, adapted to MNIST).
//!
//! The paper seeds a GraphCut colour segmentation with the saliency map: pixels in the top
//! saliency quantile (95 %) are foreground seeds, pixels in the bottom quantile (30 %) background
//! seeds; the box of the largest connected foreground component is the object's location. Here,
//! on one 28×28 grey image:
//!
//! - **seeds**: saliency ≥ the `fg_quantile` quantile → foreground, ≤ the `bg_quantile`
//!   quantile → background (defaults 0.95 and 0.30, the paper's), as hard constraints;
//! - **data term**: grey-level histograms (`bins` bins, add-one smoothing) of the two seed sets
//!   play the paper's colour models: `D_p(ℓ) = −ln P_ℓ(bin(I_p))`;
//! - **smoothness**: 4-neighbour Potts term `γ·exp(−(I_p − I_q)²/(2σ²))`, contrast-sensitive as
//!   in GrabCut, `σ²` the mean squared neighbour difference of the image;
//! - **minimisation**: one s–t minimum cut ([`crate::maxflow`]), exact for this binary energy;
//! - **box**: the bounding box of the largest 8-connected foreground component.
//!
//! The ground truth is the digit's own ink, pixels above `ink_threshold`: the box score is the
//! IoU of that box with the ink's bounding box, the mask score the IoU of the whole foreground
//! with the ink.

use crate::maxflow::FlowGraph;
use crate::{Result, SaliencyError};
use rayon::prelude::*;

/// Settings of the saliency-seeded segmentation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalizeConfig {
    /// Saliency quantile at or above which a pixel is a foreground seed (paper: 0.95).
    pub fg_quantile: f64,
    /// Saliency quantile at or below which a pixel is a background seed (paper: 0.30).
    pub bg_quantile: f64,
    /// Weight `γ` of the smoothness term.
    pub smoothness: f64,
    /// Bins of the grey-level histograms.
    pub bins: usize,
    /// Pixels above this value (in `[0, 1]`) are the digit's ink.
    pub ink_threshold: f32,
}

impl Default for LocalizeConfig {
    fn default() -> Self {
        LocalizeConfig { fg_quantile: 0.95, bg_quantile: 0.30, smoothness: 2.0, bins: 8, ink_threshold: 0.5 }
    }
}

impl LocalizeConfig {
    /// Refuses quantiles out of order or outside `[0, 1]`, a negative `γ`, zero bins, an ink
    /// threshold outside `[0, 1]`; the error names the setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |setting, value, rule| Err(SaliencyError::Setting { setting, value, rule });
        if !(0.0..=1.0).contains(&self.bg_quantile) {
            return bad("background quantile", self.bg_quantile, "must be in [0, 1]");
        }
        if !(0.0..=1.0).contains(&self.fg_quantile) || self.fg_quantile <= self.bg_quantile {
            return bad(
                "foreground quantile",
                self.fg_quantile,
                "must be in [0, 1] and above the background quantile",
            );
        }
        if !(self.smoothness.is_finite() && self.smoothness >= 0.0) {
            return bad("smoothness", self.smoothness, "must be finite and ≥ 0");
        }
        if self.bins == 0 {
            return bad("bins", 0.0, "must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.ink_threshold) {
            return bad("ink threshold", f64::from(self.ink_threshold), "must be in [0, 1]");
        }
        Ok(())
    }
}

/// A box of rows `top..bottom` and columns `left..right` (half-open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundingBox {
    /// First row.
    pub top: usize,
    /// First column.
    pub left: usize,
    /// One past the last row.
    pub bottom: usize,
    /// One past the last column.
    pub right: usize,
}

impl BoundingBox {
    /// The smallest box holding every `true` pixel of a `side`-wide mask, if any.
    pub fn of_mask(mask: &[bool], side: usize) -> Option<Self> {
        let mut b: Option<BoundingBox> = None;
        for (i, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
            let (r, c) = (i / side, i % side);
            b = Some(match b {
                None => BoundingBox { top: r, left: c, bottom: r + 1, right: c + 1 },
                Some(b) => BoundingBox {
                    top: b.top.min(r),
                    left: b.left.min(c),
                    bottom: b.bottom.max(r + 1),
                    right: b.right.max(c + 1),
                },
            });
        }
        b
    }

    /// Pixels covered.
    pub fn area(&self) -> usize {
        (self.bottom - self.top) * (self.right - self.left)
    }

    /// Intersection over union with `other`.
    pub fn iou(&self, other: &BoundingBox) -> f64 {
        let h = self.bottom.min(other.bottom).saturating_sub(self.top.max(other.top));
        let w = self.right.min(other.right).saturating_sub(self.left.max(other.left));
        let inter = h * w;
        let union = self.area() + other.area() - inter;
        if union == 0 { 0.0 } else { inter as f64 / union as f64 }
    }
}

/// Intersection over union of two masks (1 when both are empty).
pub fn mask_iou(a: &[bool], b: &[bool]) -> f64 {
    let inter = a.iter().zip(b).filter(|(x, y)| **x && **y).count();
    let union = a.iter().zip(b).filter(|(x, y)| **x || **y).count();
    if union == 0 { 1.0 } else { inter as f64 / union as f64 }
}

/// The value at quantile `q` of the finite `values` (nearest rank on the sorted values; 0 when
/// none is finite): saliency seeds here, display ranges in [`crate::picture`].
pub fn quantile(values: &[f32], q: f64) -> f32 {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f32::total_cmp);
    let at = ((sorted.len().saturating_sub(1)) as f64 * q).round() as usize;
    sorted.get(at).copied().unwrap_or(0.0)
}

/// The largest 8-connected component of a `side`-wide mask (ties: the one met first).
pub fn largest_component(mask: &[bool], side: usize) -> Vec<bool> {
    let mut label = vec![usize::MAX; mask.len()];
    let (mut best, mut best_size) = (usize::MAX, 0);
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || label[start] != usize::MAX {
            continue;
        }
        let mut size = 0;
        label[start] = start;
        stack.push(start);
        while let Some(p) = stack.pop() {
            size += 1;
            let (r, c) = ((p / side) as isize, (p % side) as isize);
            for dr in -1..=1 {
                for dc in -1..=1 {
                    let (rr, cc) = (r + dr, c + dc);
                    let rows = (mask.len() / side) as isize;
                    if rr < 0 || cc < 0 || rr >= rows || cc >= side as isize {
                        continue;
                    }
                    let q = rr as usize * side + cc as usize;
                    if mask[q] && label[q] == usize::MAX {
                        label[q] = start;
                        stack.push(q);
                    }
                }
            }
        }
        if size > best_size {
            (best, best_size) = (start, size);
        }
    }
    label.iter().map(|&l| l == best && best != usize::MAX).collect()
}

/// Saliency-seeded graph-cut segmentation of one `side × side` image (pixels in `[0, 1]`):
/// `true` = foreground. A constant saliency map gives no seeds and an empty mask.
pub fn segment(image: &[f32], saliency: &[f32], side: usize, config: &LocalizeConfig) -> Result<Vec<bool>> {
    config.validate()?;
    let n = side * side;
    if image.len() != n || saliency.len() != n {
        return Err(SaliencyError::Length {
            what: "segment: image and saliency",
            dims: vec![side, side],
            expected: n,
            found: if image.len() != n { image.len() } else { saliency.len() },
        });
    }
    let hi = quantile(saliency, config.fg_quantile);
    let lo = quantile(saliency, config.bg_quantile);
    if hi <= lo {
        return Ok(vec![false; n]);
    }
    let fg_seed: Vec<bool> = saliency.iter().map(|&s| s >= hi).collect();
    let bg_seed: Vec<bool> = saliency.iter().map(|&s| s <= lo).collect();

    // Grey-level models of the two seed sets, with add-one smoothing.
    let bin = |v: f32| ((v.clamp(0.0, 1.0) * config.bins as f32) as usize).min(config.bins - 1);
    let model = |seeds: &[bool]| {
        let mut h = vec![1.0f64; config.bins];
        image.iter().zip(seeds).filter(|(_, s)| **s).for_each(|(&v, _)| h[bin(v)] += 1.0);
        let total: f64 = h.iter().sum();
        h.iter().map(|c| -(c / total).ln()).collect::<Vec<f64>>()
    };
    let (cost_fg, cost_bg) = (model(&fg_seed), model(&bg_seed));

    // σ² of the contrast term: mean squared difference of 4-neighbours.
    let neighbours = |p: usize| {
        let (r, c) = (p / side, p % side);
        [(c + 1 < side).then(|| p + 1), (r + 1 < side).then(|| p + side)].into_iter().flatten()
    };
    let (mut sq, mut pairs) = (0.0f64, 0usize);
    for p in 0..n {
        for q in neighbours(p) {
            sq += f64::from(image[p] - image[q]).powi(2);
            pairs += 1;
        }
    }
    let two_sigma2 = 2.0 * (sq / pairs.max(1) as f64).max(1e-6);

    // Node p is pixel p; the source is foreground, the sink background. Cutting s→p labels p
    // background and costs D_p(bg); cutting p→t labels it foreground and costs D_p(fg).
    const HARD: f64 = 1e9;
    let (s, t) = (n, n + 1);
    let mut g = FlowGraph::new(n + 2);
    for p in 0..n {
        let b = bin(image[p]);
        let (to_src, to_sink) = if fg_seed[p] {
            (HARD, 0.0)
        } else if bg_seed[p] {
            (0.0, HARD)
        } else {
            (cost_bg[b], cost_fg[b])
        };
        g.add_edge(s, p, to_src, 0.0);
        g.add_edge(p, t, to_sink, 0.0);
        for q in neighbours(p) {
            let w = config.smoothness * (-f64::from(image[p] - image[q]).powi(2) / two_sigma2).exp();
            g.add_edge(p, q, w, w);
        }
    }
    g.max_flow(s, t);
    let side_of = g.source_side(s);
    Ok(side_of[..n].to_vec())
}

/// Localisation of one image and its scores against the ink.
#[derive(Clone, Debug, PartialEq)]
pub struct Localization {
    /// The graph-cut foreground.
    pub mask: Vec<bool>,
    /// Box of the largest connected foreground component.
    pub bbox: Option<BoundingBox>,
    /// Bounding box of the ink.
    pub ink_box: Option<BoundingBox>,
    /// IoU of `bbox` with `ink_box` (0 when either is missing).
    pub box_iou: f64,
    /// IoU of `mask` with the ink.
    pub mask_iou: f64,
    /// Baseline without the graph cut: box IoU of the largest component of the foreground seeds
    /// alone (saliency ≥ the `fg_quantile` quantile).
    pub seed_box_iou: f64,
}

/// Segments one image from its saliency map and scores it against its ink.
pub fn localize(
    image: &[f32],
    saliency: &[f32],
    side: usize,
    config: &LocalizeConfig,
) -> Result<Localization> {
    let mask = segment(image, saliency, side, config)?;
    let bbox = BoundingBox::of_mask(&largest_component(&mask, side), side);
    let ink: Vec<bool> = image.iter().map(|&v| v > config.ink_threshold).collect();
    let ink_box = BoundingBox::of_mask(&ink, side);
    let box_iou = match (&bbox, &ink_box) {
        (Some(a), Some(b)) => a.iou(b),
        _ => 0.0,
    };
    let mask_iou = mask_iou(&mask, &ink);
    let hi = quantile(saliency, config.fg_quantile);
    let seeds: Vec<bool> = saliency.iter().map(|&v| v >= hi && v > 0.0).collect();
    let seed_box_iou = match (BoundingBox::of_mask(&largest_component(&seeds, side), side), &ink_box) {
        (Some(a), Some(b)) => a.iou(b),
        _ => 0.0,
    };
    Ok(Localization { mask, bbox, ink_box, box_iou, mask_iou, seed_box_iou })
}

/// Localises every image of `images` (pixels in `[0, 1]`, `side²` each) from its map in `maps`,
/// images in parallel; the results are in image order and do not depend on the thread count.
pub fn localize_all(
    images: &[f32],
    maps: &[f32],
    side: usize,
    config: &LocalizeConfig,
) -> Result<Vec<Localization>> {
    config.validate()?;
    let plane = side * side;
    if plane == 0 || images.len() != maps.len() || images.len() % plane != 0 {
        return Err(SaliencyError::Length {
            what: "localize_all: images and maps",
            dims: vec![images.len() / plane.max(1), side, side],
            expected: images.len(),
            found: maps.len(),
        });
    }
    images
        .par_chunks(plane)
        .zip(maps.par_chunks(plane))
        .map(|(img, map)| localize(img, map, side, config))
        .collect()
}

/// The means of a set of localisations, with the two baselines that say what they are worth:
/// the box of the foreground seeds alone (no graph cut) and a box covering the whole image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalizeSummary {
    /// Images localised.
    pub images: usize,
    /// Fraction whose predicted class is their label (the maps explain the prediction).
    pub accuracy: f64,
    /// Mean box IoU against the ink's box.
    pub mean_box_iou: f64,
    /// Mean mask IoU against the ink.
    pub mean_mask_iou: f64,
    /// Mean box IoU of the largest component of the foreground seeds alone.
    pub seed_only_box_iou: f64,
    /// Mean IoU of a box covering the whole `side × side` image against the ink's box.
    pub whole_image_box_iou: f64,
}

impl LocalizeSummary {
    /// Means over `results` (NaN when empty), with the predictions and labels of the images.
    pub fn from_results(
        results: &[Localization],
        predictions: &[usize],
        labels: &[usize],
        side: usize,
    ) -> Self {
        let n = results.len() as f64;
        let mean = |f: &dyn Fn(&Localization) -> f64| results.iter().map(f).sum::<f64>() / n;
        let whole = BoundingBox { top: 0, left: 0, bottom: side, right: side };
        LocalizeSummary {
            images: results.len(),
            accuracy: predictions.iter().zip(labels).filter(|(p, y)| p == y).count() as f64 / n,
            mean_box_iou: mean(&|r| r.box_iou),
            mean_mask_iou: mean(&|r| r.mask_iou),
            seed_only_box_iou: mean(&|r| r.seed_box_iou),
            whole_image_box_iou: mean(&|r| r.ink_box.map_or(0.0, |b| whole.iou(&b))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_iou_of_known_boxes() {
        let a = BoundingBox { top: 0, left: 0, bottom: 2, right: 2 };
        let b = BoundingBox { top: 1, left: 1, bottom: 3, right: 3 };
        // Overlap 1 pixel, union 4 + 4 − 1 = 7.
        assert!((a.iou(&b) - 1.0 / 7.0).abs() < 1e-12);
        assert_eq!(a.iou(&a), 1.0);
    }

    #[test]
    fn largest_component_uses_8_connectivity() {
        // A diagonal of three pixels (one 8-component) beats two 4-adjacent pixels elsewhere.
        let side = 5;
        let mut mask = vec![false; 25];
        for p in [0, 6, 12, 4, 9] {
            mask[p] = true;
        }
        let comp = largest_component(&mask, side);
        let on: Vec<usize> = (0..25).filter(|&i| comp[i]).collect();
        assert_eq!(on, vec![0, 6, 12]);
    }

    #[test]
    fn segmentation_recovers_a_bright_square_seeded_by_its_centre() {
        // A 4×4 bright square on black; saliency peaks at the square's centre and fades away.
        let side = 12;
        let mut image = vec![0.0f32; side * side];
        let mut sal = vec![0.0f32; side * side];
        for r in 0..side {
            for c in 0..side {
                if (4..8).contains(&r) && (4..8).contains(&c) {
                    image[r * side + c] = 1.0;
                }
                let d = (r as f32 - 5.5).abs() + (c as f32 - 5.5).abs();
                sal[r * side + c] = 1.0 / (1.0 + d);
            }
        }
        let loc = localize(&image, &sal, side, &LocalizeConfig::default()).unwrap();
        assert_eq!(loc.bbox, Some(BoundingBox { top: 4, left: 4, bottom: 8, right: 8 }));
        assert_eq!(loc.box_iou, 1.0);
        assert_eq!(loc.mask_iou, 1.0);
    }

    #[test]
    fn summary_means_and_baselines_of_known_results() {
        // Two 4×4 images: ink in the top-left 2×2 square, then in the whole image.
        let ink_a = BoundingBox { top: 0, left: 0, bottom: 2, right: 2 };
        let ink_b = BoundingBox { top: 0, left: 0, bottom: 4, right: 4 };
        let result = |ink, box_iou, mask_iou, seed_box_iou| Localization {
            mask: vec![false; 16],
            bbox: None,
            ink_box: Some(ink),
            box_iou,
            mask_iou,
            seed_box_iou,
        };
        let results = [result(ink_a, 1.0, 0.5, 0.25), result(ink_b, 0.5, 0.25, 0.75)];
        let s = LocalizeSummary::from_results(&results, &[3, 1], &[3, 2], 4);
        assert_eq!(s.images, 2);
        assert_eq!(s.accuracy, 0.5);
        assert_eq!(s.mean_box_iou, 0.75);
        assert_eq!(s.mean_mask_iou, 0.375);
        assert_eq!(s.seed_only_box_iou, 0.5);
        // The whole 4×4 box against a 2×2 ink box: 4/16; against the whole image: 1.
        assert_eq!(s.whole_image_box_iou, (0.25 + 1.0) / 2.0);
    }

    #[test]
    fn localize_all_equals_one_by_one() {
        let side = 6;
        let images: Vec<f32> = (0..3 * 36).map(|i| ((i * 7) % 11) as f32 / 10.0).collect();
        let maps: Vec<f32> = (0..3 * 36).map(|i| ((i * 5) % 13) as f32).collect();
        let config = LocalizeConfig::default();
        let all = localize_all(&images, &maps, side, &config).unwrap();
        for (i, r) in all.iter().enumerate() {
            let one = localize(&images[i * 36..(i + 1) * 36], &maps[i * 36..(i + 1) * 36], side, &config);
            assert_eq!(r, &one.unwrap());
        }
        assert!(localize_all(&images, &maps[..36], side, &config).is_err());
        let bad = LocalizeConfig { ink_threshold: 2.0, ..config };
        assert!(matches!(
            localize_all(&images, &maps, side, &bad),
            Err(SaliencyError::Setting { setting: "ink threshold", .. })
        ));
    }

    #[test]
    fn constant_saliency_gives_an_empty_mask() {
        let loc = localize(&[0.5; 16], &[1.0; 16], 4, &LocalizeConfig::default()).unwrap();
        assert!(loc.mask.iter().all(|m| !m));
        assert_eq!(loc.bbox, None);
    }
}
