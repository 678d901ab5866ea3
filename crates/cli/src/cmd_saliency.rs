//! `atrous saliency`: image-specific class saliency maps (Simonyan et al. 2014, §3) of test
//! images, or the maps of another attribution method (`--method`), as `maps.npy`, `index.json`
//! and a labelled PNG figure (rows input / map / overlay, one column per image, colour bar),
//! and the flags the three explanation commands share.

use crate::{count, read_model};
use anyhow::{Result, anyhow, ensure};
use atrous_autograd::nn::DilNet;
use atrous_saliency::SaliencyError;
use atrous_saliency::attribution::{Baseline, Method, attribute_split};
use atrous_saliency::class_model::mean_image;
use atrous_saliency::figure::MapScale;
use atrous_saliency::images::ImageRange;
use atrous_saliency::outputs::{SaliencyOutputs, Source, write_saliency};
use atrous_saliency::saliency::Target;
use atrous_study::data::{load_test, load_train};
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
    /// Colour scale of the maps in the picture. Without this flag each map is drawn on its own
    /// scale, 0 to its own maximum (printed above it), as in the paper. `--shared-scale` draws
    /// every map of the picture on one scale, 0 to the largest value among them;
    /// `--shared-scale MAX` on 0 to MAX (larger values clipped), so pictures of different models
    /// compare. For class models the scale is I*'s ±r.
    #[arg(long, value_name = "MAX", num_args = 0..=1, allow_negative_numbers = true)]
    pub shared_scale: Option<Option<f32>>,
}

impl ExplainArgs {
    /// Checks the flags, sizes the thread pool and reads the model (an MNIST model).
    pub fn start(&self) -> Result<DilNet> {
        ensure!(
            (1..=64).contains(&self.scale),
            "--scale {} is out of range: it must be in 1..=64",
            self.scale
        );
        self.map_scale()?;
        crate::set_threads(self.threads)?;
        let model = read_model(&self.model)?;
        let side = model.config.side;
        ensure!(
            side == atrous_tensor::mnist::IMAGE_SIDE,
            "the model reads {side}×{side} images, MNIST digits are 28×28"
        );
        Ok(model)
    }

    /// How the picture colours its maps (`--shared-scale`), checked.
    pub fn map_scale(&self) -> Result<MapScale> {
        let scale = match self.shared_scale {
            None => MapScale::PerMap,
            Some(None) => MapScale::Shared,
            Some(Some(max)) => MapScale::Fixed(max),
        };
        scale.validate().map_err(|e| name_flag(e, &[("shared scale maximum", "--shared-scale")]))?;
        Ok(scale)
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

impl ExplainArgs {
    /// A library error of the explanation itself: a NaN or infinite result names the model file
    /// (the model is at fault, not a flag); a setting is retold with its flag.
    pub fn explain_error(&self, e: SaliencyError, flags: &[(&str, &str)]) -> anyhow::Error {
        match e {
            SaliencyError::NotFinite { .. } | SaliencyError::Overflow { .. } => {
                anyhow::Error::new(e).context(self.model.display().to_string())
            }
            other => name_flag(other, flags),
        }
    }
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
    /// Inputs per forward/backward pass: images, or for integrated-gradients, the smoothgrad
    /// family and occlusion, whole images' stacks of inputs (at least one image).
    #[arg(long, alias = "batch", default_value_t = 100, allow_negative_numbers = true)]
    pub batch_size: usize,
    /// Images in the PNG figure, one column each (the first images of the range; 0: no picture).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
    pub show: usize,
    /// Output folder: maps.npy, index.json, saliency.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Attribution method: vanilla (|∂S_c/∂x|, the paper's), grad-x-input, integrated-gradients,
    /// smoothgrad, smoothgrad-sq, vargrad, guided-backprop, deconvnet, occlusion, grad-cam.
    #[arg(long, default_value = "vanilla")]
    pub method: Method,
    /// Method settings; each applies to some methods only.
    #[command(flatten)]
    pub settings: MethodArgs,
}

/// The settings of the attribution methods, each refused with a method it does not apply to.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct MethodArgs {
    /// integrated-gradients: trapezoid-rule intervals from the baseline to the image [default: 50].
    #[arg(long, allow_negative_numbers = true)]
    pub ig_steps: Option<usize>,
    /// integrated-gradients: the path's start: zero, mean (the training images' per-pixel mean)
    /// or blur (the image under a Gaussian blur) [default: zero].
    #[arg(long, value_enum)]
    pub baseline: Option<BaselineArg>,
    /// integrated-gradients with --baseline blur: the Gaussian's σ in pixels [default: 5].
    #[arg(long, allow_negative_numbers = true)]
    pub blur_sigma: Option<f32>,
    /// smoothgrad, smoothgrad-sq, vargrad: noisy copies per image [default: 50].
    #[arg(long, allow_negative_numbers = true)]
    pub samples: Option<usize>,
    /// smoothgrad, smoothgrad-sq, vargrad: noise σ, in pixel units (the input range is [0, 1]) [default: 0.15].
    #[arg(long, allow_negative_numbers = true)]
    pub sigma: Option<f32>,
    /// smoothgrad, smoothgrad-sq, vargrad: seed of the noise [default: 0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// occlusion: side of the zeroed square window, in pixels [default: 4].
    #[arg(long, allow_negative_numbers = true)]
    pub window: Option<usize>,
    /// occlusion: step between window positions, in pixels [default: 2].
    #[arg(long, allow_negative_numbers = true)]
    pub stride: Option<usize>,
}

/// `--baseline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BaselineArg {
    /// The black image.
    Zero,
    /// The per-pixel mean of the 60,000 training images.
    Mean,
    /// The image blurred by a Gaussian of --blur-sigma pixels.
    Blur,
}

/// Default σ of the blurred baseline, in pixels: wider than a stroke (2–3 px), so the strokes
/// are gone and the ink's rough mass stays.
const BLUR_SIGMA: f32 = 5.0;

impl MethodArgs {
    /// `method` with these settings, after refusing any setting it does not take. `mean` reads
    /// the training images' mean (only asked for by `--baseline mean`).
    pub fn apply(
        &self,
        mut method: Method,
        mean: impl FnOnce() -> Result<atrous_tensor::Tensor>,
    ) -> Result<Method> {
        let given = [
            ("--ig-steps", self.ig_steps.is_some(), "integrated-gradients"),
            ("--baseline", self.baseline.is_some(), "integrated-gradients"),
            ("--blur-sigma", self.blur_sigma.is_some(), "integrated-gradients --baseline blur"),
            ("--samples", self.samples.is_some(), "smoothgrad, smoothgrad-sq and vargrad"),
            ("--sigma", self.sigma.is_some(), "smoothgrad, smoothgrad-sq and vargrad"),
            ("--seed", self.seed.is_some(), "smoothgrad, smoothgrad-sq and vargrad"),
            ("--window", self.window.is_some(), "occlusion"),
            ("--stride", self.stride.is_some(), "occlusion"),
        ];
        let name = method.name();
        let takes = |flag: &str| match &method {
            Method::IntegratedGradients(_) if flag == "--blur-sigma" => {
                self.baseline == Some(BaselineArg::Blur)
            }
            Method::IntegratedGradients(_) => ["--ig-steps", "--baseline"].contains(&flag),
            Method::SmoothGrad(_) | Method::SmoothGradSquared(_) | Method::VarGrad(_) => {
                ["--samples", "--sigma", "--seed"].contains(&flag)
            }
            Method::Occlusion(_) => ["--window", "--stride"].contains(&flag),
            _ => false,
        };
        if let Some((flag, _, owner)) = given.iter().find(|(flag, set, _)| *set && !takes(flag)) {
            anyhow::bail!("{flag} applies to {owner}, not to --method {name}");
        }
        match &mut method {
            Method::IntegratedGradients(ig) => {
                ig.steps = self.ig_steps.unwrap_or(ig.steps);
                ig.baseline = match self.baseline.unwrap_or(BaselineArg::Zero) {
                    BaselineArg::Zero => Baseline::Zero,
                    BaselineArg::Mean => Baseline::Mean(mean()?),
                    BaselineArg::Blur => Baseline::Blur { sigma: self.blur_sigma.unwrap_or(BLUR_SIGMA) },
                };
            }
            Method::SmoothGrad(n) | Method::SmoothGradSquared(n) | Method::VarGrad(n) => {
                n.samples = self.samples.unwrap_or(n.samples);
                n.sigma = self.sigma.unwrap_or(n.sigma);
                n.seed = self.seed.unwrap_or(n.seed);
            }
            Method::Occlusion(o) => {
                o.window = self.window.unwrap_or(o.window);
                o.stride = self.stride.unwrap_or(o.stride);
            }
            _ => {}
        }
        method.validate().map_err(|e| name_flag(e, METHOD_FLAGS))?;
        Ok(method)
    }
}

/// The library's name of each method setting → the flag that sets it.
const METHOD_FLAGS: &[(&str, &str)] = &[
    ("number of integration steps", "--ig-steps"),
    ("blur width (sigma, pixels)", "--blur-sigma"),
    ("number of noisy samples", "--samples"),
    ("noise level (sigma, pixel units)", "--sigma"),
    ("occlusion window", "--window"),
    ("occlusion stride", "--stride"),
];

/// Runs `atrous saliency`.
pub fn run(args: &SaliencyArgs) -> Result<()> {
    ensure!(args.batch_size > 0, "--batch-size must be at least 1");
    let data = crate::data::data_dir(args.common.data.as_deref())?;
    let method = args.settings.apply(args.method.clone(), || Ok(mean_image(&load_train(&data)?)?))?;
    let model = args.common.start()?;
    if let Target::Class(c) = args.target {
        ensure!(c < model.config.classes, "target class {c} is outside 0..{}", model.config.classes - 1);
    }
    let test = load_test(&data, None)?;
    let indices = args.images.indices(test.n)?;
    let rows_per_image = method.rows_per_image();
    let rows = args.batch_size.min(indices.len().saturating_mul(rows_per_image)).max(rows_per_image);
    let subject =
        || format!("one pass of {rows} rows (--batch-size {}, --method {})", args.batch_size, method.name());
    crate::cmd_train::check_memory(
        atrous_study::memory::inference_bytes(&model.config, rows),
        subject,
        "lower --batch-size",
    )?;

    let start = Instant::now();
    let saliency = attribute_split(&model, &test, &indices, args.target, &method, args.batch_size)
        .map_err(|e| args.common.explain_error(e, METHOD_FLAGS))?;
    let seconds = start.elapsed().as_secs_f64();
    let (show, scale, target, map_scale) =
        (args.show, args.common.scale, args.target, args.common.map_scale()?);
    let source = args.common.source(&model, seconds);
    let method = &method;
    let outputs = SaliencyOutputs {
        test: &test,
        indices: &indices,
        saliency: &saliency,
        method,
        target,
        source,
        show,
        scale,
        map_scale,
    };
    let w = write_saliency(&args.out, &outputs)?;
    let what = match method {
        Method::Vanilla => count(w.maps, "saliency map"),
        other => format!("{} ({})", count(w.maps, "map"), other.name()),
    };
    let gap = match &saliency.completeness_gap {
        Some(gaps) => {
            format!("; completeness gap at most {:.2e}", gaps.iter().copied().fold(0.0f32, f32::max))
        }
        None => String::new(),
    };
    println!(
        "{what} in {seconds:.3} s ({:.0} images/s); {}/{} predicted correctly{gap}; wrote {}{}",
        w.maps as f64 / seconds.max(1e-9),
        w.correct,
        w.maps,
        args.out.display(),
        picture_note("saliency.png", show, w.shown, w.maps)
    );
    Ok(())
}
