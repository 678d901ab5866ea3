//! What `atrous evaluate` writes, every byte through [`crate::writer`]:
//!
//! | file | holds |
//! | --- | --- |
//! | `evaluation.json` | the recipe (seeds, replacement values, windows, thresholds), per method the deletion/insertion AUCs (mean, sd, 95% CI), the randomisation table, max-sensitivity; the baselines; the generated verdict |
//! | `deletion_curves.csv`, `insertion_curves.csv` | mean curves: `x` and one column per method and baseline |
//! | `aucs.csv` | per image and ranking: deletion and insertion AUC |
//! | `randomisation.csv` | per method and step (and `labels`): mean Spearman / SSIM, with and without `\|·\|` |
//! | `sensitivity.csv` | per image and method: max-sensitivity |
//! | `methods.png`, `curves.png`, `randomisation.png` | see [`super::figures`] |
//! | `verdict.md` | the paragraph of [`verdict`], generated from the numbers |

use super::figures::{curves_figure, method_grid, randomisation_figure};
use super::metrics::{Summary, finite};
use super::perturbation::{DELETED_VALUE, INSERTION_START, perturbed_counts};
use super::randomisation::{CASCADE, SimilaritySummary};
use super::suite::Evaluation;
use crate::Result;
use crate::outputs::Source;
use crate::writer::{json_f32, write_atomic, write_json};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// Names of the cascade's steps: `none`, `fc2`, `fc1`, … (each step adds one layer).
pub fn step_names() -> Vec<&'static str> {
    std::iter::once("none").chain(CASCADE.iter().map(|l| l.name())).collect()
}

fn similarity_json(s: &SimilaritySummary) -> Value {
    json!({
        "spearman": s.spearman.to_json(), "spearman_abs": s.spearman_abs.to_json(),
        "ssim": s.ssim.to_json(), "ssim_abs": s.ssim_abs.to_json(),
    })
}

/// Whether a method passes: mean Spearman of `|map|` below the threshold after full
/// randomisation and (if run) after label randomisation.
pub fn passes(e: &Evaluation, i: usize) -> bool {
    let m = &e.methods[i];
    let below = |s: &SimilaritySummary| s.spearman_abs.mean < e.plan.pass_threshold;
    m.cascade.last().is_some_and(below) && m.label.as_ref().is_none_or(below)
}

/// One paragraph on which methods pass the randomisation checks, written from the numbers.
pub fn verdict(e: &Evaluation, model: &str) -> String {
    let t = e.plan.pass_threshold;
    let list = |pick: &dyn Fn(usize) -> Option<f64>, pass: bool| -> String {
        let items: Vec<String> = (0..e.methods.len())
            .filter_map(|i| {
                pick(i)
                    .filter(|v| (*v < t) == pass)
                    .map(|v| format!("{} ({v:.2})", e.methods[i].method.name()))
            })
            .collect();
        if items.is_empty() { "none".into() } else { items.join(", ") }
    };
    let full = |i: usize| e.methods[i].cascade.last().map(|s| s.spearman_abs.mean).filter(|v| v.is_finite());
    let label = |i: usize| e.methods[i].label.as_ref().map(|s| s.spearman_abs.mean).filter(|v| v.is_finite());
    let k = e.plan.randomisation_images.min(e.targets.len());
    let mut s = format!(
        "On {model} ({k} test images; a method passes when the mean Spearman rank correlation of |map| with the original model's map falls below {t}), after all five layers are re-initialised (fc2 down to conv1) the correlation is below {t} for {} and stays at or above it for {}.",
        list(&full, true),
        list(&full, false)
    );
    if let (Some(cfg), Some((acc, _))) = (&e.plan.label, e.label_fit) {
        let _ = write!(
            s,
            " Against a DilNet trained on {} training images with permuted labels ({} epochs, {:.1}% accuracy on those labels), it is below {t} for {} and at or above it for {}.",
            cfg.images,
            cfg.epochs,
            100.0 * acc,
            list(&label, true),
            list(&label, false)
        );
    }
    let pass: Vec<&str> =
        (0..e.methods.len()).filter(|&i| passes(e, i)).map(|i| e.methods[i].method.name()).collect();
    let _ = write!(
        s,
        " Passing every randomisation check: {}.",
        if pass.is_empty() { "none".into() } else { pass.join(", ") }
    );
    s
}

/// The recipe: every setting a reader needs to reproduce the numbers.
fn recipe(e: &Evaluation) -> Value {
    let p = &e.plan;
    let pixels = e.side * e.side;
    let counts = perturbed_counts(pixels, p.steps);
    json!({
        "images": {"first": p.images.first(), "last": p.images.last(), "count": p.images.len(), "split": "test"},
        "target": "the class the model predicts at the clean image; every perturbed or randomised map explains that class",
        "deletion_insertion": {
            "steps": p.steps, "pixels_per_step": counts.get(1).copied().unwrap_or(0), "points": counts.len(),
            "x": "fraction of pixels perturbed, min(k * pixels_per_step, 784) / 784",
            "ranking": "descending map value, signed maps by value as given (negative evidence last); ties in row-major pixel order",
            "deletion_value": json_f32(DELETED_VALUE),
            "insertion_start": format!("blank image, every pixel {INSERTION_START} (pixel units [0, 1]); inserted pixels take the image's values"),
            "curve": "softmax probability of the target class", "auc": "trapezoid rule over x on [0, 1]",
            "baselines": {"random-order": {"seed": p.baseline_seed, "stream": "Rng::seed_from(seed).fork(image index)"},
                          "pixel-intensity": "brightest pixel first, ties in pixel order"},
        },
        "randomisation": {
            "images": p.randomisation_images.min(p.images.len()), "seed": p.randomisation_seed,
            "cascade": step_names(),
            "reinitialisation": "PyTorch default init U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, Rng::seed_from(seed).fork(layer position 1..=5)",
            "spearman": "rank correlation per image, ties get average ranks; _abs on |map|",
            "ssim": "Wang et al. 2004, K1 0.01, K2 0.03, data range 1, 7x7 uniform window, sample covariance (N-1), mean over windows inside the image (as skimage structural_similarity); each map rescaled to [0, 1] by its own min and max first; _abs on |map|",
            "label_randomisation": p.label.map(|l| json!({"train_images": l.images, "epochs": l.epochs, "optimizer": "adam", "lr": json_f32(l.lr), "batch": l.batch, "seed": l.seed,
                "permutation": "labels of the first train_images training images permuted by Rng::seed_from(seed).fork(0); weights from fork(1)"})),
            "pass_threshold": p.pass_threshold,
            "pass_rule": "mean Spearman of |map| below pass_threshold after full cascading randomisation and after label randomisation",
        },
        "max_sensitivity": {
            "images": p.sensitivity_images.min(p.images.len()), "radius": json_f32(p.sensitivity.radius), "samples": p.sensitivity.samples, "seed": p.sensitivity.seed,
            "definition": "max over samples of ||phi(x + d) - phi(x)||_F / ||phi(x)||_F, d uniform in the L-infinity ball (each pixel U(-r, r), not clipped), Rng::seed_from(seed).fork(image index)",
        },
    })
}

/// Writes every file of the table in the module documentation into `dir`.
pub fn write_evaluation(dir: &Path, e: &Evaluation, source: &Source<'_>) -> Result<String> {
    let mut methods = serde_json::Map::new();
    for (i, m) in e.methods.iter().enumerate() {
        let steps: Vec<Value> = step_names()
            .iter()
            .zip(&m.cascade)
            .enumerate()
            .map(|(k, (name, s))| {
                let mut v = similarity_json(s);
                v["step"] = json!(k);
                v["layer"] = json!(name);
                v
            })
            .collect();
        methods.insert(
            m.method.name().into(),
            json!({
                "parameters": m.method.parameters(), "map": m.method.meaning(), "signed": m.method.is_signed(),
                "deletion_auc": Summary::of(&m.curves.deletion_auc).to_json(),
                "insertion_auc": Summary::of(&m.curves.insertion_auc).to_json(),
                "randomisation": steps,
                "label_randomisation": m.label.as_ref().map(similarity_json),
                "passes_randomisation": passes(e, i),
                "max_sensitivity": Summary::of(&m.sensitivity).to_json(),
                "seconds": m.seconds,
            }),
        );
    }
    let baselines: serde_json::Map<String, Value> = e
        .baselines
        .iter()
        .map(|(n, c)| {
            let v = json!({"deletion_auc": Summary::of(&c.deletion_auc).to_json(), "insertion_auc": Summary::of(&c.insertion_auc).to_json()});
            ((*n).to_string(), v)
        })
        .collect();
    let model = source.model.display().to_string();
    let text = verdict(e, &model);
    let mut root = serde_json::Map::new();
    root.insert("model".into(), json!(source.model));
    root.insert("dilations".into(), json!(source.dilations));
    root.insert("seconds".into(), json!(source.seconds));
    root.insert("recipe".into(), recipe(e));
    root.insert("methods".into(), Value::Object(methods));
    root.insert("baselines".into(), Value::Object(baselines));
    root.insert(
        "label_model".into(),
        e.label_fit
            .map_or(Value::Null, |(a, l)| json!({"train_accuracy": finite(a), "train_loss": finite(l)})),
    );
    root.insert("verdict".into(), json!(text));
    write_json(&dir.join("evaluation.json"), &Value::Object(root))?;
    write_csvs(dir, e)?;
    write_atomic(&dir.join("verdict.md"), format!("{text}\n").as_bytes())?;
    method_grid(&dir.join("methods.png"), e)?;
    curves_figure(&dir.join("curves.png"), e)?;
    randomisation_figure(&dir.join("randomisation.png"), e)?;
    Ok(text)
}

fn write_csvs(dir: &Path, e: &Evaluation) -> Result<()> {
    let rankings: Vec<(&str, &super::suite::CurveResult)> = e
        .methods
        .iter()
        .map(|m| (m.method.name(), &m.curves))
        .chain(e.baselines.iter().map(|(n, c)| (*n, c)))
        .collect();
    for (file, deletion) in [("deletion_curves.csv", true), ("insertion_curves.csv", false)] {
        let mut s = String::from("x");
        rankings.iter().for_each(|(n, _)| s.push_str(&format!(",{n}")));
        for (k, x) in e.x.iter().enumerate() {
            s.push_str(&format!("\n{x}"));
            for (_, c) in &rankings {
                let y = if deletion { c.deletion_curve[k] } else { c.insertion_curve[k] };
                s.push_str(&format!(",{y}"));
            }
        }
        s.push('\n');
        write_atomic(&dir.join(file), s.as_bytes())?;
    }
    let mut s = String::from("image,target,label,ranking,deletion_auc,insertion_auc\n");
    for (name, c) in &rankings {
        for (j, &image) in e.plan.images.iter().enumerate() {
            let _ = writeln!(
                s,
                "{image},{},{},{name},{},{}",
                e.targets[j], e.labels[j], c.deletion_auc[j], c.insertion_auc[j]
            );
        }
    }
    write_atomic(&dir.join("aucs.csv"), s.as_bytes())?;
    let mut s = String::from("method,step,layer,spearman,spearman_abs,ssim,ssim_abs,images\n");
    let row = |s: &mut String, name: &str, step: &str, layer: &str, v: &SimilaritySummary| {
        let _ = writeln!(
            s,
            "{name},{step},{layer},{},{},{},{},{}",
            v.spearman.mean,
            v.spearman_abs.mean,
            v.ssim.mean,
            v.ssim_abs.mean,
            v.spearman_abs.n + v.spearman_abs.undefined
        );
    };
    for m in &e.methods {
        for (k, (layer, v)) in step_names().iter().zip(&m.cascade).enumerate() {
            row(&mut s, m.method.name(), &k.to_string(), layer, v);
        }
        if let Some(v) = &m.label {
            row(&mut s, m.method.name(), "labels", "labels", v);
        }
    }
    write_atomic(&dir.join("randomisation.csv"), s.as_bytes())?;
    let mut s = String::from("image,method,max_sensitivity\n");
    for m in &e.methods {
        for (j, v) in m.sensitivity.iter().enumerate() {
            let _ = writeln!(s, "{},{},{v}", e.plan.images[j], m.method.name());
        }
    }
    write_atomic(&dir.join("sensitivity.csv"), s.as_bytes())?;
    Ok(())
}
