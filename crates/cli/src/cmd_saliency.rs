//! `atrous saliency`: image-specific class saliency maps (Simonyan et al. 2014, §3) of test
//! images, as `maps.npy` + `index.json` + a PNG grid (input | map | overlay), and the flags the
//! three explanation commands share.

use crate::{count, read_model};
use anyhow::{Result, anyhow, ensure};
use atrous_autograd::nn::DilNet;
use atrous_saliency::SaliencyError;
use atrous_saliency::images::ImageRange;
use atrous_saliency::outputs::{SaliencyOutputs, Source, write_saliency};
use atrous_saliency::saliency::{Target, saliency_of_split};
use atrous_study::data::load_test;
use std::path::PathBuf;
use std::time::Instant;

/// The flags every explanation command shares: the model, the data and how to draw.
#[derive(Clone, Debug, clap::Args)]
pub struct ExplainArgs {
    /// Model file written by `atrous train`.
    #[arg(long)]
    pub model: PathBuf,
    /// MNIST folder (default: $ATROUS_DATA, else the repository's data/mnist).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Upscaling factor of the pictures (nearest neighbour), 1..=64.
    #[arg(long, default_value_t = 4, allow_negative_numbers = true)]
    pub scale: usize,
    /// Worker threads (0: one per core), at most 1024.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub threads: usize,
}

impl ExplainArgs {
    /// Checks the flags, sizes the thread pool and reads the model (an MNIST model).
    pub fn start(&self) -> Result<DilNet> {
        ensure!(
            (1..=64).contains(&self.scale),
            "--scale {} is out of range: it must be in 1..=64",
            self.scale
        );
        crate::set_threads(self.threads)?;
        let model = read_model(&self.model)?;
        let side = model.config.side;
        ensure!(
            side == atrous_tensor::mnist::IMAGE_SIDE,
            "the model reads {side}×{side} images, MNIST digits are 28×28"
        );
        Ok(model)
    }

    /// Where the explained model came from, for the JSON files.
    pub fn source<'a>(&'a self, model: &'a DilNet, seconds: f64) -> Source<'a> {
        Source { model: &self.model, dilations: &model.config.dilations, seconds }
    }
}

/// A library setting error retold with the flag that sets it (`flags`: setting → flag).
pub fn name_flag(e: SaliencyError, flags: &[(&str, &str)]) -> anyhow::Error {
    if let SaliencyError::Setting { setting, value, rule } = &e {
        if let Some((_, flag)) = flags.iter().find(|(s, _)| s == setting) {
            // A value that is exactly an f32 was an f32 flag: show it as typed (0.3, not 0.30000001…).
            let shown = if f64::from(*value as f32) == *value {
                (*value as f32).to_string()
            } else {
                value.to_string()
            };
            return anyhow!("{flag} {shown} is out of range: the {setting} {rule}");
        }
    }
    e.into()
}

/// What a picture shows of the `total` items computed, given `--show asked`.
pub fn picture_note(file: &str, asked: usize, shown: usize, total: usize) -> String {
    match () {
        _ if shown == 0 => "; no picture (--show 0)".into(),
        _ if asked > total => format!("; {file} shows all {total} (--show {asked} capped to the range)"),
        _ if shown < total => format!("; {file} shows the first {shown} of {total} (--show N for more)"),
        _ => format!("; {file} shows all {total}"),
    }
}

/// Arguments of `atrous saliency`.
#[derive(Clone, Debug, clap::Args)]
pub struct SaliencyArgs {
    /// Model, data, pictures, threads.
    #[command(flatten)]
    pub common: ExplainArgs,
    /// Test images to explain, START..END (half-open) or one index.
    #[arg(long, default_value = "0..64", allow_hyphen_values = true)]
    pub images: ImageRange,
    /// Class whose score (logit) is explained: predicted, label, or a class 0..9.
    #[arg(long, default_value = "predicted", allow_negative_numbers = true)]
    pub target: Target,
    /// Images per forward/backward pass.
    #[arg(long, alias = "batch", default_value_t = 100, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Images in the PNG grid, one column each (the first images of the range; 0: no picture).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
    pub show: usize,
    /// Output folder: maps.npy, index.json, saliency.png.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `atrous saliency`.
pub fn run(args: &SaliencyArgs) -> Result<()> {
    ensure!(args.batch_size > 0, "--batch-size must be at least 1");
    let model = args.common.start()?;
    if let Target::Class(c) = args.target {
        ensure!(c < model.config.classes, "target class {c} is outside 0..{}", model.config.classes - 1);
    }
    let test = load_test(&crate::data::data_dir(args.common.data.as_deref())?, None)?;
    let indices = args.images.indices(test.n)?;

    let start = Instant::now();
    let saliency = saliency_of_split(&model, &test, &indices, args.target, args.batch_size)?;
    let seconds = start.elapsed().as_secs_f64();
    let (show, scale, target) = (args.show, args.common.scale, args.target);
    let source = args.common.source(&model, seconds);
    let outputs =
        SaliencyOutputs { test: &test, indices: &indices, saliency: &saliency, target, source, show, scale };
    let w = write_saliency(&args.out, &outputs)?;
    println!(
        "{} in {seconds:.3} s ({:.0} images/s); {}/{} predicted correctly; wrote {}{}",
        count(w.maps, "saliency map"),
        w.maps as f64 / seconds.max(1e-9),
        w.correct,
        w.maps,
        args.out.display(),
        picture_note("saliency.png", show, w.shown, w.maps)
    );
    Ok(())
}
