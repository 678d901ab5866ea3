//! `atrous localize`: weakly supervised localisation from saliency (Simonyan et al. 2014, §3.1,
//! adapted to MNIST): saliency-seeded graph-cut segmentation of each test image, the box of its
//! largest connected component, scored against the digit's ink by box IoU and mask IoU.

use crate::cmd_saliency::{ExplainArgs, ImageRange};
use crate::data::data_dir;
use anyhow::Result;
use atrous_saliency::SaliencyError;
use atrous_saliency::localize::{BoundingBox, Localization, LocalizeConfig, localize};
use atrous_saliency::picture::{LocalizedView, localization_grid};
use atrous_saliency::saliency::Target;
use atrous_saliency::saliency::saliency_of_split;
use atrous_saliency::writer::{write_json, write_png};
use atrous_study::data::load_test;
use rayon::prelude::*;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `atrous localize`. Seeds follow the paper: the top 5 % most salient pixels are
/// foreground, the bottom 30 % background.
#[derive(Clone, Debug, clap::Args)]
pub struct LocalizeArgs {
    /// Model, data, pictures, threads.
    #[command(flatten)]
    pub common: ExplainArgs,
    /// Test images, START..END (half-open) or one index (default: all 10,000).
    #[arg(long)]
    pub images: Option<ImageRange>,
    /// Saliency quantile at or above which a pixel is a foreground seed.
    #[arg(long, default_value_t = 0.95)]
    pub fg_quantile: f64,
    /// Saliency quantile at or below which a pixel is a background seed.
    #[arg(long, default_value_t = 0.30)]
    pub bg_quantile: f64,
    /// Weight γ of the contrast-sensitive smoothness term.
    #[arg(long, default_value_t = 2.0)]
    pub smoothness: f64,
    /// Pixels above this value (in [0, 1]) are the digit's ink, the ground truth.
    #[arg(long, default_value_t = 0.5)]
    pub ink: f32,
    /// Rows of the PNG grid (the first images of the range).
    #[arg(long, default_value_t = 8)]
    pub show: usize,
    /// Output folder: localize.json, localize.png.
    #[arg(long)]
    pub out: PathBuf,
}

fn corners(b: &Option<BoundingBox>) -> Option<(usize, usize, usize, usize)> {
    b.map(|b| (b.top, b.left, b.bottom, b.right))
}

/// Runs `atrous localize`.
pub fn run(args: &LocalizeArgs) -> Result<()> {
    let config = LocalizeConfig {
        fg_quantile: args.fg_quantile,
        bg_quantile: args.bg_quantile,
        smoothness: args.smoothness,
        bins: LocalizeConfig::default().bins,
        ink_threshold: args.ink,
    };
    config.validate().map_err(|e| match e {
        SaliencyError::Setting { setting, value, rule } => {
            let flag = match setting {
                "foreground quantile" => "--fg-quantile",
                "background quantile" => "--bg-quantile",
                "smoothness" => "--smoothness",
                "ink threshold" => "--ink",
                _ => setting,
            };
            anyhow::anyhow!("{flag} {value} is invalid: the {setting} {rule}")
        }
        other => other.into(),
    })?;
    let model = args.common.start()?;
    let test = load_test(&data_dir(args.common.data.as_deref())?, None)?;
    let range = args.images.clone().unwrap_or(ImageRange(0..test.n));
    let indices = range.indices(test.n)?;

    let start = Instant::now();
    let s = saliency_of_split(&model, &test, &indices, Target::Predicted, 100)?;
    let batch = test.batch(&indices);
    let x = batch.x;
    let results: Vec<Localization> = x
        .as_slice()
        .par_chunks(784)
        .zip(s.maps.as_slice().par_chunks(784))
        .map(|(img, map)| localize(img, map, 28, &config))
        .collect::<std::result::Result<_, _>>()?;
    let seconds = start.elapsed().as_secs_f64();

    let n = results.len() as f64;
    let box_iou = results.iter().map(|r| r.box_iou).sum::<f64>() / n;
    let mask_iou = results.iter().map(|r| r.mask_iou).sum::<f64>() / n;
    let seed_iou = results.iter().map(|r| r.seed_box_iou).sum::<f64>() / n;
    // Context: the IoU a box covering the whole image would get against the ink box.
    let whole = BoundingBox { top: 0, left: 0, bottom: 28, right: 28 };
    let whole_iou = results.iter().map(|r| r.ink_box.map_or(0.0, |b| whole.iou(&b))).sum::<f64>() / n;
    let labels = batch.labels;
    let accuracy = s.predictions.iter().zip(&labels).filter(|(p, y)| p == y).count() as f64 / n;
    let report = json!({
        "model": args.common.model,
        "dilations": model.config.dilations,
        "images": indices.len(),
        "first_image": indices[0],
        "accuracy": accuracy,
        "target": "predicted class",
        "fg_quantile": config.fg_quantile,
        "bg_quantile": config.bg_quantile,
        "smoothness": config.smoothness,
        "histogram_bins": config.bins,
        "ink_threshold": config.ink_threshold,
        "mean_box_iou": box_iou,
        "mean_mask_iou": mask_iou,
        "whole_image_box_iou": whole_iou,
        "seed_only_box_iou": seed_iou,
        "seconds": seconds,
        "method": "saliency-seeded graph cut (hard seeds: top/bottom saliency quantiles; grey-level histogram data term; contrast-sensitive 4-neighbour Potts term; Dinic min cut); box of the largest 8-connected component vs the ink's box; mask IoU of the whole foreground vs the ink",
    });
    write_json(&args.out.join("localize.json"), &report)?;
    let show = args.show.min(results.len());
    if show > 0 {
        let views: Vec<LocalizedView<'_>> = (0..show)
            .map(|i| LocalizedView {
                image: &x.as_slice()[i * 784..(i + 1) * 784],
                map: &s.maps.as_slice()[i * 784..(i + 1) * 784],
                mask: &results[i].mask,
                bbox: corners(&results[i].bbox),
                ink_box: corners(&results[i].ink_box),
            })
            .collect();
        write_png(&args.out.join("localize.png"), &localization_grid(&views, 28, args.common.scale))?;
    }
    println!(
        "{} images: mean box IoU {box_iou:.4}, mean mask IoU {mask_iou:.4} (baselines: box of the foreground seeds alone {seed_iou:.4}, whole-image box {whole_iou:.4}); {seconds:.2} s; wrote {}",
        indices.len(),
        args.out.display()
    );
    Ok(())
}
