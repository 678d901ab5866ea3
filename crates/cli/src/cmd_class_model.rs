//! `atrous class-model`: class model visualisation (Simonyan et al. 2014, §2): for each class,
//! `I* = argmax_I S_c(I + m) − λ‖I‖²` by plain gradient ascent from `I = 0`, where `m` is the
//! per-pixel mean of the training images. Writes `class_models.npy` (`I*`, `[K, 28, 28]`),
//! `mean.npy`, `class_models.json`, `index.json` and the labelled figure `class_models.png` (rows `I*`
//! and `I* + m`, one column per class).

use crate::cmd_saliency::{ExplainArgs, name_flag};
use crate::count;
use anyhow::{Result, ensure};
use atrous_saliency::class_model::{ClassModelConfig, class_models, mean_image};
use atrous_saliency::outputs::write_class_models;
use atrous_study::data::load_train;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `atrous class-model`. The defaults (λ 0.01, η 0.1, 200 steps) are those of the
/// PyTorch reference `benches/scripts/reference/saliency_ref.py`.
#[derive(Clone, Debug, clap::Args)]
pub struct ClassModelArgs {
    /// Model, data, pictures, threads.
    #[command(flatten)]
    pub common: ExplainArgs,
    /// Weight λ ≥ 0 of the penalty λ‖I‖² (I in pixel units, 0 = the mean image).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lambda: f32,
    /// Number of gradient-ascent steps K.
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    pub steps: usize,
    /// Fixed step size η > 0 of I ← I + η·(∂S_c/∂x − 2λI).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub lr: f32,
    /// Classes to visualise, comma-separated, e.g. 0,3,8 [default: every class of the model].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub classes: Option<Vec<usize>>,
    /// Output folder: class_models.npy, mean.npy, class_models.json, index.json, class_models.png.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `atrous class-model`.
pub fn run(args: &ClassModelArgs) -> Result<()> {
    let config = ClassModelConfig { lambda: args.lambda, lr: args.lr, steps: args.steps };
    config.validate().map_err(|e| name_flag(e, &[("lambda", "--lambda"), ("step size", "--lr")]))?;
    let model = args.common.start()?;
    let n_classes = model.config.classes;
    let classes = args.classes.clone().unwrap_or_else(|| (0..n_classes).collect());
    ensure!(!classes.is_empty(), "--classes is empty");
    if let Some(c) = classes.iter().find(|&&c| c >= n_classes) {
        anyhow::bail!("class {c} is outside 0..{}", n_classes - 1);
    }
    let mean = mean_image(&load_train(&crate::data::data_dir(args.common.data.as_deref())?)?)?;

    let start = Instant::now();
    let cm = class_models(&model, &mean, &classes, &config).map_err(|e| args.common.explain_error(e, &[]))?;
    let seconds = start.elapsed().as_secs_f64();
    let picture = (args.common.scale, args.common.map_scale()?);
    write_class_models(&args.out, &cm, &config, args.common.source(&model, seconds), picture)?;

    let norms = cm.image_norms();
    println!("class  S_c(m)  S_c(I*+m)  softmax p  predicted  ‖I*‖");
    for (j, c) in classes.iter().enumerate() {
        let (s0, s1, p, pred) = (cm.initial_scores[j], cm.scores[j], cm.probabilities[j], cm.predicted[j]);
        println!("{c:>5}  {s0:>6.2}  {s1:>9.2}  {p:>9.4}  {pred:>9}  {:>5.2}", norms[j]);
    }
    let (k, steps) = (classes.len(), count(args.steps, "step"));
    println!("{}, {steps} each, in {seconds:.3} s; wrote {}", count(k, "class model"), args.out.display());
    Ok(())
}
