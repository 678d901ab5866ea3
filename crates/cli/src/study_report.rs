//! The study's outputs: per-run and per-dilation CSV tables and `REPORT.md`, every number in them
//! computed from the runs in the study folder.

use crate::cmd_study::StudyArgs;
use crate::study_stats::{holm, mcnemar, mean_sd, paired_t_test};
use anyhow::Result;
use atrous_saliency::writer::write_atomic;
use std::fmt::Write as _;

/// What one trained run measured.
pub struct RunResult {
    /// Dilation of every conv layer.
    pub dilation: usize,
    /// Seed.
    pub seed: u64,
    /// Test accuracy.
    pub accuracy: f64,
    /// Per test image: classified correctly.
    pub correct: Vec<bool>,
    /// Mean share of saliency mass on the digit's ink.
    pub ink_share: f64,
    /// Mean saliency-weighted distance from the saliency centroid, in pixels.
    pub spread: f64,
    /// Mean box IoU of the graph-cut localisation with the ink's box.
    pub box_iou: f64,
    /// Mean mask IoU of the graph-cut foreground with the ink.
    pub mask_iou: f64,
    /// Mean wall time of a training epoch.
    pub mean_epoch_seconds: f64,
}

/// Class-model results of one dilation (seed-0 model).
pub struct DilationSummary {
    /// Dilation.
    pub dilation: usize,
    /// `S_c` reached by each class model.
    pub class_scores: Vec<f32>,
    /// Softmax probability of each class model.
    pub class_probs: Vec<f32>,
}

impl DilationSummary {
    /// Collects the class-model results of one dilation.
    pub fn new(dilation: usize, _runs: &[RunResult], class_scores: Vec<f32>, class_probs: Vec<f32>) -> Self {
        DilationSummary { dilation, class_scores, class_probs }
    }
}

fn of(runs: &[RunResult], d: usize) -> Vec<&RunResult> {
    let mut v: Vec<&RunResult> = runs.iter().filter(|r| r.dilation == d).collect();
    v.sort_by_key(|r| r.seed);
    v
}

fn stat(runs: &[&RunResult], f: impl Fn(&RunResult) -> f64) -> (f64, f64) {
    mean_sd(&runs.iter().map(|r| f(r)).collect::<Vec<_>>())
}

/// Writes `runs.csv`, `summary.csv` and `REPORT.md` into the study folder.
pub fn write_report(
    args: &StudyArgs,
    runs: &[RunResult],
    summaries: &[DilationSummary],
    learned: Option<&str>,
) -> Result<()> {
    let mut runs_csv =
        String::from("dilation,seed,test_accuracy,ink_share,spread_px,box_iou,mask_iou,mean_epoch_seconds\n");
    for r in runs {
        writeln!(
            runs_csv,
            "{},{},{:.6},{:.6},{:.4},{:.6},{:.6},{:.3}",
            r.dilation,
            r.seed,
            r.accuracy,
            r.ink_share,
            r.spread,
            r.box_iou,
            r.mask_iou,
            r.mean_epoch_seconds
        )?;
    }
    write_atomic(&args.out.join("runs.csv"), runs_csv.as_bytes())?;

    let base = args.dilations[0];
    let base_runs = of(runs, base);
    let base_acc: Vec<f64> = base_runs.iter().map(|r| r.accuracy).collect();
    // Paired t-tests of each other dilation against the baseline, Holm-adjusted together.
    let others: Vec<usize> = args.dilations.iter().copied().filter(|&d| d != base).collect();
    let tests: Vec<Option<(f64, f64, f64)>> = others
        .iter()
        .map(|&d| paired_t_test(&of(runs, d).iter().map(|r| r.accuracy).collect::<Vec<_>>(), &base_acc))
        .collect();
    let raw_p: Vec<f64> = tests.iter().map(|t| t.map_or(f64::NAN, |t| t.2)).collect();
    let adjusted = holm(&raw_p.iter().map(|p| if p.is_nan() { 1.0 } else { *p }).collect::<Vec<_>>());

    let mut summary_csv = String::from(
        "dilation,seeds,acc_mean,acc_sd,delta_vs_baseline,paired_t_p,holm_p,mcnemar_p_min,mcnemar_p_max,ink_share,spread_px,box_iou,mask_iou,class_model_score,class_model_prob,epoch_seconds\n",
    );
    let mut acc_table = String::from(
        "| dilation | test accuracy (mean ± sd) | Δ vs d=BASE | paired t p | Holm p | McNemar p per seed | epoch s |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    )
    .replace("BASE", &base.to_string());
    let mut look_table = String::from(
        "| dilation | saliency on ink | saliency spread (px) | box IoU | mask IoU | class-model S_c | class-model p |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let mut verdicts = Vec::new();
    for (i, s) in summaries.iter().enumerate() {
        let d = s.dilation;
        let rs = of(runs, d);
        let (acc, acc_sd) = stat(&rs, |r| r.accuracy);
        let (ink, _) = stat(&rs, |r| r.ink_share);
        let (spread, _) = stat(&rs, |r| r.spread);
        let (biou, _) = stat(&rs, |r| r.box_iou);
        let (miou, _) = stat(&rs, |r| r.mask_iou);
        let (secs, _) = stat(&rs, |r| r.mean_epoch_seconds);
        let mcn: Vec<f64> = rs
            .iter()
            .zip(&base_runs)
            .map(|(r, b)| {
                let only_r = r.correct.iter().zip(&b.correct).filter(|(x, y)| **x && !**y).count();
                let only_b = r.correct.iter().zip(&b.correct).filter(|(x, y)| !**x && **y).count();
                mcnemar(only_r, only_b).1
            })
            .collect();
        let (p, p_holm) = match others.iter().position(|&o| o == d) {
            Some(k) => (raw_p[k], adjusted[k]),
            None => (f64::NAN, f64::NAN),
        };
        let cm_score =
            s.class_scores.iter().map(|&v| f64::from(v)).sum::<f64>() / s.class_scores.len().max(1) as f64;
        let cm_prob =
            s.class_probs.iter().map(|&v| f64::from(v)).sum::<f64>() / s.class_probs.len().max(1) as f64;
        let (mcn_min, mcn_max) =
            mcn.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        writeln!(
            summary_csv,
            "{d},{},{acc:.6},{acc_sd:.6},{:.6},{p:.6},{p_holm:.6},{mcn_min:.6},{mcn_max:.6},{ink:.6},{spread:.4},{biou:.6},{miou:.6},{cm_score:.4},{cm_prob:.6},{secs:.3}",
            rs.len(),
            acc - stat(&base_runs, |r| r.accuracy).0
        )?;
        let fmt_p = |v: f64| if v.is_nan() { "—".to_string() } else { format!("{v:.3}") };
        writeln!(
            acc_table,
            "| {d} | {:.2}% ± {:.2} (n={}) | {:+.2} pp | {} | {} | {} | {secs:.1} |",
            100.0 * acc,
            100.0 * acc_sd,
            rs.len(),
            100.0 * (acc - stat(&base_runs, |r| r.accuracy).0),
            fmt_p(p),
            fmt_p(p_holm),
            if d == base {
                "—".into()
            } else {
                mcn.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(", ")
            }
        )?;
        writeln!(
            look_table,
            "| {d} | {:.1}% | {spread:.2} | {biou:.3} | {miou:.3} | {cm_score:.1} | {cm_prob:.3} |",
            100.0 * ink
        )?;
        if i > 0 || d != base {
            let significant = p_holm < 0.05;
            let mcnemar_hits = mcn.iter().filter(|&&p| p < 0.05).count();
            verdicts.push(format!(
                "d={d} vs d={base}: {:+.2} pp; image by image (McNemar) significant at 5% in {mcnemar_hits} of {} seed(s); across seeds (paired t, Holm-adjusted p = {}) {}",
                100.0 * (acc - stat(&base_runs, |r| r.accuracy).0),
                mcn.len(),
                fmt_p(p_holm),
                if p_holm.is_nan() {
                    "not testable with one seed"
                } else if significant {
                    "significant at 5%"
                } else {
                    "not significant at 5%"
                }
            ));
        }
    }
    write_atomic(&args.out.join("summary.csv"), summary_csv.as_bytes())?;

    let data_note = match (args.data.train_limit, args.data.test_limit) {
        (None, None) => "the full MNIST training (60,000) and test (10,000) sets".to_string(),
        (tr, te) => format!(
            "a subset: {} training and {} test images",
            tr.map_or("all".into(), |n| n.to_string()),
            te.map_or("all".into(), |n| n.to_string())
        ),
    };
    let dil_list = args.dilations.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",");
    let mut md = String::new();
    writeln!(md, "# Dilation study\n")?;
    writeln!(
        md,
        "DilNet(d) (3×3 convolutions with padding d, channels 16-32-64) trained with SGD (lr {}, momentum 0.9, batch {}) for {} epoch(s) on {data_note}; dilations {dil_list}; seeds 0..{}. Runs with the same seed share initial weights and data order, so comparisons are paired by seed.\n",
        args.lr, args.batch_size, args.epochs, args.seeds
    )?;
    writeln!(
        md,
        "Reproduce with:\n\n    atrous study --dilations {dil_list} --seeds {} --epochs {}{}{} --out {}\n",
        args.seeds,
        args.epochs,
        args.data.train_limit.map_or(String::new(), |n| format!(" --train-limit {n}")),
        args.data.test_limit.map_or(String::new(), |n| format!(" --test-limit {n}")),
        args.out.display()
    )?;
    writeln!(md, "## Does the dilation change accuracy? (question 3)\n\n{acc_table}")?;
    writeln!(
        md,
        "Paired t-tests compare each dilation's per-seed accuracies with the baseline's; Holm's method adjusts them for the number of comparisons. McNemar's test (continuity-corrected) compares the two models' verdicts image by image for each seed.\n"
    )?;
    for v in &verdicts {
        writeln!(md, "- {v}")?;
    }
    writeln!(md, "\n## What do the networks look at? (question 2)\n\n{look_table}")?;
    writeln!(
        md,
        "Saliency is |∂S_c/∂x| for the true class's logit on the first {} test images. *Saliency on ink*: share of the map's mass on pixels above 0.5 (the digit). *Spread*: the map's mass-weighted mean distance from its centroid. *Box / mask IoU*: saliency-seeded graph-cut localisation (seeds at the 95% and 30% saliency quantiles) against the digit's ink. Class models: `argmax_I S_c(I + m) − 0.01‖I‖²`, 200 steps of 0.1 from I = 0, mean S_c and softmax probability over the ten classes (seed-0 model).\n",
        args.saliency_images
    )?;
    for s in summaries {
        writeln!(
            md,
            "- d={}: class models `figures/class_models_d{}.png`, saliency maps `figures/saliency_d{}.png`",
            s.dilation, s.dilation, s.dilation
        )?;
    }
    writeln!(
        md,
        "\n## Can the best dilation be learned? (question 1)\n\n{}",
        learned.unwrap_or("Not measured in this study (`--learn-epochs 0`).\n")
    )?;
    writeln!(md, "Tables: `runs.csv` (one row per run), `summary.csv` (one row per dilation).")?;
    write_atomic(&args.out.join("REPORT.md"), md.as_bytes())?;
    Ok(())
}
