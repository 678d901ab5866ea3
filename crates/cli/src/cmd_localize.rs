//! `atrous localize`: weakly supervised localisation from saliency (Simonyan et al. 2014, §3.1,
//! adapted to MNIST): saliency-seeded graph-cut segmentation of each test image, the box of its
//! largest connected component, scored against the digit's ink by box IoU and mask IoU.

use crate::cmd_saliency::{ExplainArgs, name_flag, picture_note};
use crate::count;
use anyhow::Result;
use atrous_saliency::images::ImageRange;
use atrous_saliency::localize::{LocalizeConfig, LocalizeSummary, localize_all};
use atrous_saliency::outputs::{LocalizeOutputs, write_localize};
use atrous_saliency::saliency::{Target, saliency_of_split};
use atrous_study::data::load_test;
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
    #[arg(long, allow_hyphen_values = true)]
    pub images: Option<ImageRange>,
    /// Saliency quantile at or above which a pixel is a foreground seed.
    #[arg(long, default_value_t = 0.95, allow_negative_numbers = true)]
    pub fg_quantile: f64,
    /// Saliency quantile at or below which a pixel is a background seed.
    #[arg(long, default_value_t = 0.30, allow_negative_numbers = true)]
    pub bg_quantile: f64,
    /// Weight γ of the contrast-sensitive smoothness term.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub smoothness: f64,
    /// Pixels above this value (in [0, 1]) are the digit's ink, the ground truth.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub ink: f32,
    /// Images in the PNG figure, one column each (the first images of the range; 0: no picture).
    #[arg(long, default_value_t = 8, allow_negative_numbers = true)]
    pub show: usize,
    /// Output folder: localize.json, localize.png.
    #[arg(long)]
    pub out: PathBuf,
}

/// The library's name of each setting → the flag that sets it.
const FLAGS: [(&str, &str); 4] = [
    ("foreground quantile", "--fg-quantile"),
    ("background quantile", "--bg-quantile"),
    ("smoothness", "--smoothness"),
    ("ink threshold", "--ink"),
];

/// Runs `atrous localize`.
pub fn run(args: &LocalizeArgs) -> Result<()> {
    let (fg_quantile, bg_quantile, smoothness) = (args.fg_quantile, args.bg_quantile, args.smoothness);
    let bins = LocalizeConfig::default().bins;
    let config = LocalizeConfig { fg_quantile, bg_quantile, smoothness, bins, ink_threshold: args.ink };
    config.validate().map_err(|e| name_flag(e, &FLAGS))?;
    let model = args.common.start()?;
    let test = load_test(&crate::data::data_dir(args.common.data.as_deref())?, None)?;
    let indices = args.images.clone().unwrap_or(ImageRange::all(test.n)).indices(test.n)?;

    let start = Instant::now();
    let s = saliency_of_split(&model, &test, &indices, Target::Predicted, 100)
        .map_err(|e| args.common.explain_error(e, &FLAGS))?;
    let batch = test.batch(&indices);
    let (images, maps) = (batch.x.as_slice(), s.maps.as_slice());
    let results = localize_all(images, maps, 28, &config)?;
    let summary = LocalizeSummary::from_results(&results, &s.predictions, &batch.labels, 28);
    let seconds = start.elapsed().as_secs_f64();

    let (source, show, scale) = (args.common.source(&model, seconds), args.show, args.common.scale);
    let (results, summary, config, first_image) = (&results, &summary, &config, indices[0]);
    let (labels, predictions, map_scale) = (&batch.labels[..], &s.predictions[..], args.common.map_scale()?);
    let outputs = LocalizeOutputs {
        images,
        maps,
        labels,
        predictions,
        results,
        summary,
        config,
        first_image,
        source,
        show,
        scale,
        map_scale,
    };
    let shown = write_localize(&args.out, &outputs)?;
    println!(
        "{}: mean box IoU {:.4}, mean mask IoU {:.4} (baselines: box of the foreground seeds alone {:.4}, whole-image box {:.4}); {seconds:.2} s; wrote {}{}",
        count(summary.images, "image"),
        summary.mean_box_iou,
        summary.mean_mask_iou,
        summary.seed_only_box_iou,
        summary.whole_image_box_iou,
        args.out.display(),
        picture_note("localize.png", show, shown, summary.images)
    );
    Ok(())
}
