//! `atrous class-model`: class model visualisation (Simonyan et al. 2014, §2): for each class,
//! `I* = argmax_I S_c(I + m) − λ‖I‖²` by plain gradient ascent from `I = 0`, where `m` is the
//! per-pixel mean of the training images. Writes `class_models.npy` (`I*`, `[K, 28, 28]`),
//! `mean.npy`, `class_models.json`, `index.json` and `class_models.png` (top row `I*`, bottom row `I* + m`).

use crate::cmd_saliency::ExplainArgs;
use crate::data::data_dir;
use anyhow::{Result, ensure};
use atrous_saliency::class_model::{ClassModelConfig, class_models, mean_image};
use atrous_saliency::picture::class_model_grid;
use atrous_saliency::writer::{IndexEntry, write_index, write_json, write_npy, write_png};
use atrous_study::data::load_train;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `atrous class-model`. The defaults (λ 0.01, η 0.1, 200 steps) are those of the
/// PyTorch reference `bench/saliency_ref.py`.
#[derive(Clone, Debug, clap::Args)]
pub struct ClassModelArgs {
    /// Model, data, pictures, threads.
    #[command(flatten)]
    pub common: ExplainArgs,
    /// Weight λ of the penalty λ‖I‖² (I in pixel units, 0 = the mean image).
    #[arg(long, default_value_t = 0.01)]
    pub lambda: f32,
    /// Number of gradient-ascent steps K.
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Fixed step size η of I ← I + η·(∂S_c/∂x − 2λI).
    #[arg(long, default_value_t = 0.1)]
    pub lr: f32,
    /// Classes to visualise (default: every class of the model), e.g. 0,3,8.
    #[arg(long, value_delimiter = ',')]
    pub classes: Option<Vec<usize>>,
    /// Output folder: class_models.npy, mean.npy, class_models.json, index.json, class_models.png.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `atrous class-model`.
pub fn run(args: &ClassModelArgs) -> Result<()> {
    let config = ClassModelConfig { lambda: args.lambda, lr: args.lr, steps: args.steps };
    config.validate()?;
    let model = args.common.start()?;
    let n_classes = model.config.classes;
    let classes = args.classes.clone().unwrap_or_else(|| (0..n_classes).collect());
    ensure!(!classes.is_empty(), "--classes is empty");
    if let Some(c) = classes.iter().find(|&&c| c >= n_classes) {
        anyhow::bail!("class {c} is outside 0..{}", n_classes - 1);
    }
    let train = load_train(&data_dir(args.common.data.as_deref())?)?;
    let mean = mean_image(&train)?;

    let start = Instant::now();
    let cm = class_models(&model, &mean, &classes, &config)?;
    let seconds = start.elapsed().as_secs_f64();

    let k = classes.len();
    write_npy(&args.out.join("class_models.npy"), &[k, 28, 28], cm.images.as_slice())?;
    write_npy(&args.out.join("mean.npy"), &[28, 28], mean.as_slice())?;
    let norms: Vec<f32> =
        cm.images.as_slice().chunks(784).map(|i| i.iter().map(|v| v * v).sum::<f32>().sqrt()).collect();
    let report = json!({
        "model": args.common.model,
        "dilations": model.config.dilations,
        "recipe": "I* = argmax_I S_c(I + m) - lambda*||I||^2, plain gradient ascent from I = 0 (Simonyan et al. 2014, sec. 2); m = per-pixel mean of the 60k training images; x = I + m in pixel units [0,1] (not clamped)",
        "lambda": args.lambda,
        "lr": args.lr,
        "steps": args.steps,
        "seconds": seconds,
        "classes": classes,
        "initial_score": cm.initial_scores,
        "final_score": cm.scores,
        "final_softmax_p": cm.probabilities,
        "predicted_class": cm.predicted,
        "final_objective": cm.objective.iter().map(|t| t.last().copied()).collect::<Vec<_>>(),
        "image_l2": norms,
        "arrays": {"class_models.npy": "I*, [K, 28, 28]", "mean.npy": "m, [28, 28]"},
    });
    write_json(&args.out.join("class_models.json"), &report)?;
    // The array index, in the format `atrous saliency` writes: slot j of class_models.npy is the
    // class model of class `target`.
    let entries: Vec<IndexEntry> = (0..k)
        .map(|j| IndexEntry {
            slot: j,
            image: None,
            label: None,
            prediction: cm.predicted[j],
            target: classes[j],
            score: cm.scores[j],
        })
        .collect();
    let extra =
        json!({ "maps": "class_models.npy", "map": "class model I*, [K, 28, 28]; see class_models.json" });
    write_index(&args.out.join("index.json"), &entries, crate::cmd_saliency::object(extra))?;
    write_png(
        &args.out.join("class_models.png"),
        &class_model_grid(cm.images.as_slice(), mean.as_slice(), 28, args.common.scale),
    )?;
    println!("class  S_c(m)  S_c(I*+m)  softmax p  predicted  ‖I*‖");
    for j in 0..k {
        println!(
            "{:>5}  {:>6.2}  {:>9.2}  {:>9.4}  {:>9}  {:>5.2}",
            classes[j], cm.initial_scores[j], cm.scores[j], cm.probabilities[j], cm.predicted[j], norms[j]
        );
    }
    println!("{k} class models, {} steps each, in {seconds:.3} s; wrote {}", args.steps, args.out.display());
    Ok(())
}
