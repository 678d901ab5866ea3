//! The study's files: `runs.csv` (one row per run), `summary.csv` (one row per dilation) and
//! `REPORT.md`, rendered from a [`StudyAnalysis`] without computing anything new.

use crate::Result;
use crate::analysis::{ALPHA, LearnedAnalysis, StudyAnalysis};
use crate::plan::StudyPlan;
use atrous_tensor::files::write_atomic;
use std::fmt::Write as _;

fn fmt_p(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_string(), |v| format!("{v:.3}"))
}

/// `runs.csv`: one row per run.
pub fn render_runs_csv(a: &StudyAnalysis) -> String {
    let mut csv =
        String::from("dilation,seed,test_accuracy,ink_share,spread_px,box_iou,mask_iou,mean_epoch_seconds\n");
    for r in &a.runs {
        let _ = writeln!(
            csv,
            "{},{},{:.6},{:.6},{:.4},{:.6},{:.6},{:.3}",
            r.dilation,
            r.seed,
            r.accuracy,
            r.ink_share,
            r.spread,
            r.box_iou,
            r.mask_iou,
            r.mean_epoch_seconds
        );
    }
    csv
}

/// `summary.csv`: one row per dilation.
pub fn render_summary_csv(a: &StudyAnalysis) -> String {
    let mut csv = String::from(
        "dilation,seeds,acc_mean,acc_sd,delta_vs_baseline,paired_t_p,holm_p,mcnemar_p_min,mcnemar_p_max,ink_share,spread_px,box_iou,mask_iou,class_model_score,class_model_prob,epoch_seconds\n",
    );
    let num = |p: Option<f64>| p.map_or_else(String::new, |v| format!("{v:.6}"));
    for r in &a.rows {
        let lo = r.mcnemar_p.iter().copied().reduce(f64::min);
        let hi = r.mcnemar_p.iter().copied().reduce(f64::max);
        let _ = writeln!(
            csv,
            "{},{},{:.6},{:.6},{:.6},{},{},{},{},{:.6},{:.4},{:.6},{:.6},{:.4},{:.6},{:.3}",
            r.dilation,
            r.n,
            r.accuracy_mean,
            r.accuracy_sd,
            r.delta,
            num(r.paired_p),
            num(r.holm_p),
            num(lo),
            num(hi),
            r.ink_share,
            r.spread,
            r.box_iou,
            r.mask_iou,
            r.class_model_score,
            r.class_model_prob,
            r.epoch_seconds
        );
    }
    csv
}

/// The learned-dilation section (also `LEARNED.md` of `atrous learn-dilation`).
pub fn render_learned(l: &LearnedAnalysis) -> String {
    let mut md = format!(
        "Each conv layer mixes the same 3×3 kernel at dilations {:?} with softmax weights learned jointly with the kernels ({} epoch(s), kernels SGD lr {}, mixing logits Adam lr {}). Final weights per layer (conv1 / conv2 / conv3), the learned (largest-weight) dilation, and the test accuracy of the mixed network:\n\n| seed | conv1 weights | conv2 weights | conv3 weights | learned dilations | test accuracy |\n| --- | --- | --- | --- | --- | --- |\n",
        l.candidates, l.epochs, l.lr, l.arch_lr
    );
    let fmt_w = |w: &[f32]| w.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" ");
    for s in &l.seeds {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:?} | {:.2}% |",
            s.seed,
            fmt_w(&s.weights[0]),
            fmt_w(&s.weights[1]),
            fmt_w(&s.weights[2]),
            s.chosen,
            100.0 * s.accuracy
        );
    }
    let _ = write!(
        md,
        "\nSeeds {} on the learned dilations{}.",
        if l.seeds_agree { "agree" } else { "disagree" },
        if l.seeds.len() < 2 { " (one seed: agreement untested)" } else { "" }
    );
    if let (Some(best), Some(first)) = (l.best_fixed, l.seeds.first()) {
        let _ = write!(
            md,
            " The best fixed dilation in the study (highest mean test accuracy) is d={best}; the learned dilations {} it (seed 0 learned {:?}).",
            if l.all_learned_best { "match" } else { "do not all match" },
            first.chosen
        );
    }
    md.push('\n');
    md
}

/// `REPORT.md`.
pub fn render_markdown(a: &StudyAnalysis) -> String {
    let s = &a.setup;
    let base = a.baseline;
    let mut acc_table = format!(
        "| dilation | test accuracy (mean ± sd) | Δ vs d={base} | paired t p | Holm p | McNemar p per seed | epoch s |\n| --- | --- | --- | --- | --- | --- | --- |\n"
    );
    let mut look_table = String::from(
        "| dilation | saliency on ink | saliency spread (px) | box IoU | mask IoU | class-model S_c | class-model p |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let mut verdicts = Vec::new();
    for r in &a.rows {
        let d = r.dilation;
        let mcnemar = if d == base {
            "—".to_string()
        } else {
            r.mcnemar_p.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            acc_table,
            "| {d} | {:.2}% ± {:.2} (n={}) | {:+.2} pp | {} | {} | {mcnemar} | {:.1} |",
            100.0 * r.accuracy_mean,
            100.0 * r.accuracy_sd,
            r.n,
            100.0 * r.delta,
            fmt_p(r.paired_p),
            fmt_p(r.holm_p),
            r.epoch_seconds
        );
        let _ = writeln!(
            look_table,
            "| {d} | {:.1}% | {:.2} | {:.3} | {:.3} | {:.1} | {:.3} |",
            100.0 * r.ink_share,
            r.spread,
            r.box_iou,
            r.mask_iou,
            r.class_model_score,
            r.class_model_prob
        );
        if d != base {
            let hits = r.mcnemar_p.iter().filter(|&&p| p < ALPHA).count();
            let across = match r.holm_p {
                None => "not testable with one seed".to_string(),
                Some(p) if p < ALPHA => format!("significant at {:.0}%", 100.0 * ALPHA),
                Some(_) => format!("not significant at {:.0}%", 100.0 * ALPHA),
            };
            verdicts.push(format!(
                "d={d} vs d={base}: {:+.2} pp; image by image (McNemar) significant at {:.0}% in {hits} of {} seed(s); across seeds (paired t, Holm-adjusted p = {}) {across}",
                100.0 * r.delta,
                100.0 * ALPHA,
                r.mcnemar_p.len(),
                fmt_p(r.holm_p),
            ));
        }
    }
    let data_note = match (s.train_limit, s.test_limit) {
        (None, None) => "the full MNIST training (60,000) and test (10,000) sets".to_string(),
        (tr, te) => format!(
            "a subset: {} training and {} test images",
            tr.map_or("all".into(), |n| n.to_string()),
            te.map_or("all".into(), |n| n.to_string())
        ),
    };
    let dil_list = s.dilations.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",");
    let [c1, c2, c3] = s.channels;
    let cm = &s.class_model;
    let loc = &s.localize;
    let mut md = String::from("# Dilation study\n\n");
    let _ = writeln!(
        md,
        "DilNet(d) (3×3 convolutions with padding d, channels {c1}-{c2}-{c3}) trained with SGD (lr {}, momentum {}, batch {}) for {} epoch(s) on {data_note}; dilations {dil_list}; seeds 0..{}. Runs with the same seed share initial weights and data order, so comparisons are paired by seed.\n",
        s.lr, s.momentum, s.batch_size, s.epochs, s.seeds
    );
    let _ = writeln!(
        md,
        "Reproduce with:\n\n    atrous study --dilations {dil_list} --seeds {} --epochs {}{}{} --out {}\n",
        s.seeds,
        s.epochs,
        s.train_limit.map_or(String::new(), |n| format!(" --train-limit {n}")),
        s.test_limit.map_or(String::new(), |n| format!(" --test-limit {n}")),
        s.out.display()
    );
    let _ = writeln!(md, "## Does the dilation change accuracy? (question 3)\n\n{acc_table}");
    let _ = writeln!(
        md,
        "Paired t-tests compare each dilation's per-seed accuracies with the baseline's; Holm's method adjusts them for the number of comparisons. McNemar's test (continuity-corrected) compares the two models' verdicts image by image for each seed.\n"
    );
    for v in &verdicts {
        let _ = writeln!(md, "- {v}");
    }
    let _ = writeln!(md, "\n## What do the networks look at? (question 2)\n\n{look_table}");
    let _ = writeln!(
        md,
        "Saliency is |∂S_c/∂x| for the true class's logit on the first {} test images. *Saliency on ink*: share of the map's mass on pixels above {} (the digit). *Spread*: the map's mass-weighted mean distance from its centroid. *Box / mask IoU*: saliency-seeded graph-cut localisation (seeds at the {:.0}% and {:.0}% saliency quantiles) against the digit's ink. Class models: `argmax_I S_c(I + m) − {}‖I‖²`, {} steps of {} from I = 0, mean S_c and softmax probability over the ten classes (seed-0 model).\n",
        s.saliency_images,
        loc.ink_threshold,
        100.0 * loc.fg_quantile,
        100.0 * loc.bg_quantile,
        cm.lambda,
        cm.steps,
        cm.lr
    );
    for r in &a.rows {
        let d = r.dilation;
        let _ = writeln!(
            md,
            "- d={d}: class models `figures/class_models_d{d}.png`, saliency maps `figures/saliency_d{d}.png`"
        );
    }
    let learned = a.learned.as_ref().map_or_else(
        || "Not measured in this study (no learned-dilation search).\n".to_string(),
        render_learned,
    );
    let _ = writeln!(md, "\n## Can the best dilation be learned? (question 1)\n\n{learned}");
    let _ = writeln!(md, "Tables: `runs.csv` (one row per run), `summary.csv` (one row per dilation).");
    md
}

/// Writes `runs.csv`, `summary.csv` and `REPORT.md` into the study folder.
pub fn write_report(plan: &StudyPlan, a: &StudyAnalysis) -> Result<()> {
    write_atomic(&plan.out.join("runs.csv"), render_runs_csv(a).as_bytes())?;
    write_atomic(&plan.out.join("summary.csv"), render_summary_csv(a).as_bytes())?;
    write_atomic(&plan.out.join("REPORT.md"), render_markdown(a).as_bytes())?;
    Ok(())
}
