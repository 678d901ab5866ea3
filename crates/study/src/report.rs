//! The study's files, rendered from a [`StudyAnalysis`] without computing anything new:
//! `runs.csv` (one row per run), `summary.csv` (one row per arm), `curves.csv` (learning curves),
//! `REPORT.md`, and the figures ([`crate::figures`]). Every number in REPORT.md's tables is one
//! of the CSVs' numbers at fewer digits (accuracies and differences in percent / percentage
//! points there, as fractions in the CSVs).

use crate::Result;
use crate::analysis::{
    ALPHA, ArmRow, BOOTSTRAP_RESAMPLES, EQUIVALENCE_MARGIN, LearnedAnalysis, POWER, StudyAnalysis,
};
use crate::data::SPLIT_SEED;
use crate::figures::{FIGURES, write_figures};
use crate::plan::{Family, StudyPlan};
use atrous_tensor::files::write_atomic;
use std::fmt::Write as _;

/// A CSV number with 6 decimals, or empty.
fn num(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite()).map_or_else(String::new, |x| format!("{x:.6}"))
}

/// A report number: `scale · v` with `digits` decimals, or "—".
fn cell(v: Option<f64>, scale: f64, digits: usize) -> String {
    v.filter(|x| x.is_finite()).map_or_else(|| "—".to_string(), |x| format!("{:.digits$}", scale * x))
}

/// A p-value with four decimals, or "<0.0001" below that (four zeros would read as p = 0).
fn p_value(v: Option<f64>) -> String {
    match v.filter(|x| x.is_finite()) {
        Some(p) if p < 1e-4 => "<0.0001".to_string(),
        Some(p) => format!("{p:.4}"),
        None => "—".to_string(),
    }
}

/// "= p" or "< 0.0001", for a p-value inside a sentence.
fn p_equals(p: f64) -> String {
    if p < 1e-4 { "< 0.0001".to_string() } else { format!("= {p:.4}") }
}

/// A signed report number.
fn signed(v: Option<f64>, scale: f64, digits: usize) -> String {
    v.filter(|x| x.is_finite()).map_or_else(|| "—".to_string(), |x| format!("{:+.digits$}", scale * x))
}

/// An interval `[lo, hi]` in percent / pp, or "—".
fn interval(v: Option<crate::stats::Interval>, scale: f64) -> String {
    v.map_or_else(|| "—".to_string(), |i| format!("[{:+.2}, {:+.2}]", scale * i.lo, scale * i.hi))
}

fn list(v: &[usize]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

/// `runs.csv`: one row per run.
pub fn render_runs_csv(a: &StudyAnalysis) -> String {
    let mut csv = String::from(
        "arm,seed,dilations,kernels,epochs,lr,val_accuracy,test_accuracy,test_loss,ink_share,spread_px,box_iou,mask_iou\n",
    );
    for r in &a.runs {
        let Some(row) = a.row(&r.arm) else { continue };
        let net = &row.arm.recipe.net;
        let look = r.look;
        let _ = writeln!(
            csv,
            "{},{},\"{}\",\"{}\",{},{},{},{:.6},{:.6},{},{},{},{}",
            r.arm,
            r.seed,
            list(&net.dilations),
            list(&net.kernels),
            row.arm.recipe.epochs,
            row.arm.recipe.lr,
            num(r.val_accuracy),
            r.test_accuracy,
            r.test_loss,
            num(look.map(|l| l.ink_share)),
            num(look.map(|l| l.spread)),
            num(look.map(|l| l.box_iou)),
            num(look.map(|l| l.mask_iou)),
        );
    }
    csv
}

fn verdict_label(r: &ArmRow) -> String {
    r.comparison.as_ref().and_then(|c| c.verdict).map_or_else(String::new, |v| v.label())
}

/// `summary.csv`: one row per arm (accuracies and differences as fractions).
pub fn render_summary_csv(a: &StudyAnalysis) -> String {
    let mut csv = String::from(
        "arm,label,family,baseline,parameters,n,val_mean,val_sd,test_mean,test_sd,ci_lo,ci_hi,delta,welch_lo,welch_hi,boot_lo,boot_hi,hedges_g,welch_p,holm_p,tost_p,mdd,verdict,ink_share,spread_px,box_iou,mask_iou,class_model_score,class_model_prob\n",
    );
    for r in &a.rows {
        let c = r.comparison.as_ref();
        let w = c.and_then(|c| c.welch);
        let look = r.look;
        let _ = writeln!(
            csv,
            "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.arm.name,
            r.arm.label,
            if r.arm.family == Family::Main { "main" } else { "control" },
            r.arm.baseline.as_deref().unwrap_or(""),
            r.parameters,
            r.n,
            num(r.val.map(|v| v.0)),
            num(r.val.map(|v| v.1)),
            num((r.n > 0).then_some(r.test_mean)),
            num(r.test.map(|t| t.sd)),
            num(r.test.map(|t| t.ci.lo)),
            num(r.test.map(|t| t.ci.hi)),
            num(c.map(|c| c.diff)),
            num(w.map(|w| w.ci.lo)),
            num(w.map(|w| w.ci.hi)),
            num(c.and_then(|c| c.bootstrap).map(|i| i.lo)),
            num(c.and_then(|c| c.bootstrap).map(|i| i.hi)),
            num(c.and_then(|c| c.hedges).map(|h| h.g)),
            num(w.map(|w| w.p)),
            num(c.and_then(|c| c.holm_p)),
            num(c.and_then(|c| c.tost).map(|t| t.p)),
            num(c.and_then(|c| c.mdd)),
            verdict_label(r),
            num(look.map(|l| l.ink_share)),
            num(look.map(|l| l.spread)),
            num(look.map(|l| l.box_iou)),
            num(look.map(|l| l.mask_iou)),
            num(look.map(|l| l.class_model_score)),
            num(look.map(|l| l.class_model_prob)),
        );
    }
    csv
}

/// `curves.csv`: per arm and epoch, the per-epoch evaluation accuracy and the training loss
/// across seeds (mean, min, max).
pub fn render_curves_csv(a: &StudyAnalysis) -> String {
    let mut csv =
        String::from("arm,epoch,val_mean,val_min,val_max,train_loss_mean,train_loss_min,train_loss_max\n");
    for r in &a.rows {
        for p in &r.curve {
            let _ = writeln!(
                csv,
                "{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6}",
                r.arm.name,
                p.epoch,
                p.val[0],
                p.val[1],
                p.val[2],
                p.train_loss[0],
                p.train_loss[1],
                p.train_loss[2]
            );
        }
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
            " The best fixed dilation in the study (highest mean validation accuracy; test accuracy without a split) is d={best}; the learned dilations {} it (seed 0 learned {:?}).",
            if l.all_learned_best { "match" } else { "do not all match" },
            first.chosen
        );
    }
    md.push('\n');
    md
}

/// Lines of REPORT.md that depend on when and how fast the study ran (the only lines that
/// differ between an in-process study and the same study assembled from `--plan` runs).
pub const TIMING_LINE_PREFIX: &str = "- Training wall time";

/// `REPORT.md`.
pub fn render_markdown(a: &StudyAnalysis) -> String {
    let s = &a.setup;
    let r = &s.recipe;
    let base_label = a.row(&a.baseline).map_or_else(|| a.baseline.clone(), |b| b.arm.label.clone());
    let mut md = String::from("# Dilation study: does the dilation factor change accuracy?\n\n");

    // Setup.
    let data = match r.train_limit {
        Some(n) => format!("the first {n} images of the training part"),
        None => "the whole training part".into(),
    };
    let split = if r.validation > 0 {
        format!(
            "a fixed permutation of MNIST's 60,000 training images (split seed {SPLIT_SEED:#x}, the same for every run) holds out {} images as the validation split; runs train on {data}. Every per-epoch number and every choice (best learning rate, best fixed dilation) is on validation; the test set ({} images) is evaluated once per run, after its last epoch",
            r.validation, s.test_images
        )
    } else {
        format!(
            "no validation split: runs train on {data} and are evaluated on the test set ({} images) after every epoch",
            s.test_images
        )
    };
    let _ = writeln!(md, "## Setup\n");
    let _ = writeln!(
        md,
        "- Network: DilNet (conv–ReLU–conv–ReLU–pool–conv–ReLU–pool–fc–ReLU–fc), channels {}, hidden {}, 3×3 kernels with padding d (\"same\"), input normalised with mean {} / std {}.",
        list(&r.net.channels),
        r.net.hidden,
        r.net.mean,
        r.net.std
    );
    let _ = writeln!(
        md,
        "- Recipe: {} epoch(s) of SGD (lr {}, momentum {}, weight decay {}, batch {}); the full recipe is `{}` (plus the run's dilations and seed), recorded in every run folder's `metrics.json`.",
        r.epochs,
        r.lr,
        r.momentum,
        r.weight_decay,
        r.batch_size,
        r.to_json()
    );
    let _ = writeln!(md, "- Data: {split}.");
    let _ = writeln!(
        md,
        "- Seeds: the main grid runs d = {} with seeds 0–{} each; a seed fixes initialisation and data order, and seeds are independent replicates (comparisons are unpaired).{}",
        list(&s.dilations),
        s.seeds.saturating_sub(1),
        if s.controls {
            format!(" Control arms run seeds 0–{}.", s.control_seeds.saturating_sub(1))
        } else {
            " No control arms (run with `--controls`).".into()
        }
    );
    let _ = writeln!(
        md,
        "- Code: engine revision `{}` (a fingerprint of the training arithmetic on this machine: the bits of fixed probe training steps; a study reuses a run only under the same revision), git commit `{}`.",
        s.engine_revision,
        s.git_commit.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(md, "- Machine: {}.", s.machine);
    let _ = writeln!(
        md,
        "{TIMING_LINE_PREFIX} (sum over the {} runs found): {:.1} min.",
        a.runs.len(),
        s.train_seconds / 60.0
    );
    let _ = writeln!(md, "- Command:\n\n      {}\n", s.command);
    if !s.missing.is_empty() {
        let _ = writeln!(
            md,
            "**Incomplete study: {} run(s) missing**, analysed without them:\n",
            s.missing.len()
        );
        for m in &s.missing {
            let _ = writeln!(md, "- `{}`", m.display());
        }
        md.push('\n');
    }
    if !s.diverged.is_empty() {
        let _ = writeln!(
            md,
            "**{} run(s) diverged** (the training loss stopped being a finite number; training is deterministic, so the same recipe and seed diverge again). They are outcomes of their arm, left out of its statistics, which describe the runs that trained:\n",
            s.diverged.len()
        );
        for r in &s.diverged {
            let at = r
                .divergence
                .as_ref()
                .map_or(String::new(), |d| format!(": loss {} at epoch {} step {}", d.loss, d.epoch, d.step));
            let _ = writeln!(md, "- {} seed {}{at}", r.arm, r.seed);
        }
        md.push('\n');
    }

    // Accuracy per arm.
    let _ = writeln!(md, "## Accuracy per arm\n");
    let _ = writeln!(
        md,
        "| arm | network | parameters | runs | validation accuracy (%) | test accuracy (%) | sd (pp) | 95% CI (%) |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for row in &a.rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.arm.name,
            row.arm.label,
            row.parameters,
            row.n,
            cell(row.val.map(|v| v.0), 100.0, 2),
            cell((row.n > 0).then_some(row.test_mean), 100.0, 2),
            cell(row.test.map(|t| t.sd), 100.0, 2),
            row.test
                .map_or_else(|| "—".into(), |t| format!("[{:.2}, {:.2}]", 100.0 * t.ci.lo, 100.0 * t.ci.hi)),
        );
    }
    md.push('\n');

    // Differences.
    let _ = writeln!(md, "## Differences from the baseline\n");
    let _ = writeln!(
        md,
        "Δ is the difference of mean test accuracy (arm − baseline) in percentage points. Welch's t-test gives the t-based 95% CI and p; the bootstrap CI resamples seeds within each arm ({BOOTSTRAP_RESAMPLES} resamples, fixed seed); Hedges' g is Δ over the pooled sd, small-sample corrected. Holm's correction runs within each family (main grid; controls). TOST tests equivalence within ±{:.1} pp (margin fixed in the code before the data). MDD is the smallest |Δ| Welch's test detects with {:.0}% power at α = {ALPHA} with these seeds and spreads.\n",
        100.0 * EQUIVALENCE_MARGIN,
        100.0 * POWER
    );
    let _ = writeln!(
        md,
        "| arm | vs | Δ (pp) | 95% CI, Welch t (pp) | 95% CI, bootstrap (pp) | Hedges' g | Welch p | Holm p | TOST p | MDD (pp) | verdict |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for row in &a.rows {
        let Some(c) = &row.comparison else { continue };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.arm.name,
            c.baseline,
            signed(Some(c.diff), 100.0, 2),
            interval(c.welch.map(|w| w.ci), 100.0),
            interval(c.bootstrap, 100.0),
            signed(c.hedges.map(|h| h.g), 1.0, 2),
            p_value(c.welch.map(|w| w.p)),
            p_value(c.holm_p),
            p_value(c.tost.map(|t| t.p)),
            cell(c.mdd, 100.0, 2),
            c.verdict.map_or_else(|| "—".into(), |v| v.label()),
        );
    }
    md.push('\n');

    // Verdicts.
    let _ = writeln!(md, "## Verdicts\n");
    let _ = writeln!(
        md,
        "A comparison is *worse* or *better* when its Holm-adjusted Welch p is below {ALPHA} and the 95% CI excludes 0; *equivalent* when the TOST shows |Δ| < {:.1} pp; otherwise *inconclusive* (the seeds cannot tell; the MDD says how large a difference they could have seen).\n",
        100.0 * EQUIVALENCE_MARGIN
    );
    for family in [Family::Main, Family::Control] {
        for row in a.rows.iter().filter(|r| r.arm.family == family) {
            let Some(c) = &row.comparison else { continue };
            let mdd = c.mdd.map_or_else(String::new, |m| {
                format!("; detectable at 80% power: |Δ| ≥ {:.2} pp", 100.0 * m)
            });
            let _ = writeln!(md, "- {}{mdd}.", c.sentence);
        }
    }
    if let Some(t) = a.trend.linear {
        let _ = writeln!(
            md,
            "- Trend over d = {}: accuracy changes by {:+.3} pp per unit of d (95% CI [{:+.3}, {:+.3}], p {}, OLS over all runs).",
            list(&s.dilations),
            100.0 * t.slope,
            100.0 * t.ci.lo,
            100.0 * t.ci.hi,
            p_equals(t.p)
        );
    }
    if let Some(j) = a.trend.jt {
        let _ = writeln!(
            md,
            "- Jonckheere–Terpstra across d = {}: J = {:.1} (E = {:.1}), z = {:.2}, one-sided p (accuracy falls with d) {}.",
            list(&s.dilations),
            j.statistic,
            j.mean,
            j.z,
            p_equals(j.p_one_sided_decreasing)
        );
    }
    if let Some((lr, val, arm)) = &a.d4_lr_choice {
        let _ = writeln!(
            md,
            "- Step size for d = 4, chosen on validation among lr {} and {:?}: lr {lr} ({arm}, mean validation accuracy {:.2}%); compare its test row above with d=1.",
            r.lr,
            crate::plan::CONTROL_LRS,
            100.0 * val
        );
    }
    if let Some(noise) = a.test_noise_sd {
        let _ = writeln!(
            md,
            "- Test-set noise floor: one model's accuracy on {} test images has a binomial sd of {:.2} pp at the baseline's accuracy, so single-run differences of that size mean nothing.",
            s.test_images,
            100.0 * noise
        );
    }
    let mcnemar: Vec<String> = a
        .rows
        .iter()
        .filter_map(|row| {
            let c = row.comparison.as_ref()?;
            (!c.mcnemar_p.is_empty()).then(|| {
                let sig = c.mcnemar_p.iter().filter(|&&p| p < ALPHA).count();
                format!("{} vs {}: {sig} of {}", row.arm.label, c.baseline_label, c.mcnemar_p.len())
            })
        })
        .collect();
    if !mcnemar.is_empty() {
        let _ = writeln!(
            md,
            "- Description only (not an inference about training): McNemar's test on the test images finds the two models of one seed disagreeing significantly in {} seed(s); it measures test-set noise for one trained pair, not training randomness.",
            mcnemar.join(", ")
        );
    }
    md.push('\n');

    // Figures.
    let _ = writeln!(md, "## Figures\n");
    for (file, caption) in FIGURES {
        let _ = writeln!(md, "![{caption}](figures/{file})\n");
    }

    // Question 2.
    if a.rows.iter().any(|r| r.look.is_some()) {
        let cm = &s.class_model;
        let loc = &s.localize;
        let _ = writeln!(md, "## What do the networks look at? (question 2)\n");
        let _ = writeln!(
            md,
            "The measured answer (every seed against noise floors and baselines, gridding, effective receptive fields, class models to convergence, faithfulness) is the section `Q2.md` that `atrous study --q2` writes beside this report; the table below is the earlier summary.\n"
        );
        let _ = writeln!(
            md,
            "| arm | saliency on ink (%) | spread (px) | box IoU | mask IoU | class-model S_c | class-model p |\n| --- | --- | --- | --- | --- | --- | --- |"
        );
        for row in &a.rows {
            let Some(l) = row.look else { continue };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.arm.name,
                cell(Some(l.ink_share), 100.0, 1),
                cell(Some(l.spread), 1.0, 2),
                cell(Some(l.box_iou), 1.0, 3),
                cell(Some(l.mask_iou), 1.0, 3),
                cell(Some(l.class_model_score), 1.0, 1),
                cell(Some(l.class_model_prob), 1.0, 3),
            );
        }
        let _ = writeln!(
            md,
            "\nSaliency is |∂S_c/∂x| for the true class's logit on the first {} test images, averaged over seeds. *Saliency on ink*: share of the map's mass on pixels above {} (the digit). *Spread*: the map's mass-weighted mean distance from its centroid. *Box / mask IoU*: saliency-seeded graph-cut localisation (seeds at the {:.0}% and {:.0}% saliency quantiles) against the digit's ink. Class models: `argmax_I S_c(I + m) − {}‖I‖²`, {} steps of {} from I = 0, mean S_c and softmax probability over the ten classes (seed-0 model).\n",
            s.saliency_images,
            loc.ink_threshold,
            100.0 * loc.fg_quantile,
            100.0 * loc.bg_quantile,
            cm.lambda,
            cm.steps,
            cm.lr
        );
        for row in a.rows.iter().filter(|r| r.look.is_some()) {
            let n = &row.arm.name;
            let _ = writeln!(
                md,
                "- {}: class models `figures/class_models_{n}.png`, saliency maps `figures/saliency_{n}.png`",
                row.arm.label
            );
        }
        md.push('\n');
    }

    // Question 1.
    let learned = a.learned.as_ref().map_or_else(
        || {
            "Answered in `Q1.md` beside this report, against a ground-truth grid of per-layer dilations \
             (`atrous study --q1-grid`, then the searches of `atrous learn-dilation --method \
             mixture|continuous`); this study ran no search of its own (`--learn-epochs`).\n"
                .to_string()
        },
        render_learned,
    );
    let _ = writeln!(md, "## Can the best dilation be learned? (question 1)\n\n{learned}");

    // Threats to validity.
    let _ = writeln!(md, "## Threats to validity\n");
    let _ = writeln!(
        md,
        "- **Budget.** Every main-grid run trains {} epoch(s). A dilation that learns more slowly looks worse at a fixed budget without being worse at convergence; the {}-epoch arms (with `--controls`) test this for d = 1 and 4.{}",
        r.epochs,
        crate::plan::LONG_EPOCHS,
        outcomes(a, |name| name.starts_with("d4-e"))
    );
    let _ = writeln!(
        md,
        "- **Learning rate.** One learning rate ({}) serves every dilation. It was tuned for none of them; the d = 4 arms at lr {:?} (with `--controls`, chosen on validation) test whether d = 4's deficit or spread is a step-size artefact.{}",
        r.lr,
        crate::plan::CONTROL_LRS,
        outcomes(a, |name| name.starts_with("d4-lr"))
    );
    let _ = writeln!(
        md,
        "- **Zero padding is grey.** Inputs are normalised before the first convolution, so its zero padding stands for the pixel value {:.4}, not for MNIST's black background ({:.3} after normalisation). Larger dilations read padding at more taps, so they see an artificial frame that undilated nets see less.",
        r.net.mean,
        -r.net.mean / r.net.std
    );
    let _ = writeln!(
        md,
        "- **The MNIST ceiling.** Accuracies near 99% leave about one percentage point to differ in; effects that matter on harder data may be compressed here."
    );
    let _ = writeln!(
        md,
        "- **Test-set noise floor.** One model's test accuracy has a binomial sd of about {} pp on {} images; differences of mean accuracy are tested across seeds (training randomness), but each seed's number carries this noise too.",
        cell(a.test_noise_sd, 100.0, 2),
        s.test_images
    );
    let _ = writeln!(
        md,
        "- **Receptive field vs parameters.** The 5×5, 7×7, 9×9 controls match the receptive field of 3×3 at d = 2, 3, 4 but have more parameters (see the table); a difference between them and the dilated nets mixes both.\n"
    );

    // Runs.
    let _ = writeln!(md, "## All runs\n");
    let _ = writeln!(
        md,
        "| arm | seed | validation accuracy (%) | test accuracy (%) | test loss |\n| --- | --- | --- | --- | --- |"
    );
    for run in &a.runs {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            run.arm,
            run.seed,
            cell(run.val_accuracy, 100.0, 2),
            cell(Some(run.test_accuracy), 100.0, 2),
            cell(Some(run.test_loss), 1.0, 4)
        );
    }
    let _ = writeln!(
        md,
        "\nTables: `runs.csv` (one row per run), `summary.csv` (one row per arm), `curves.csv` (learning curves); accuracies there are fractions. The baseline is {base_label}."
    );
    md
}

/// Writes `runs.csv`, `summary.csv`, `curves.csv`, the figures and `REPORT.md` into the study
/// folder.
pub fn write_report(plan: &StudyPlan, a: &StudyAnalysis) -> Result<()> {
    write_atomic(&plan.out.join("runs.csv"), render_runs_csv(a).as_bytes())?;
    write_atomic(&plan.out.join("summary.csv"), render_summary_csv(a).as_bytes())?;
    write_atomic(&plan.out.join("curves.csv"), render_curves_csv(a).as_bytes())?;
    write_figures(&plan.out.join("figures"), a)?;
    let mut md = render_markdown(a);
    if plan.q1.is_some() {
        md = with_q1_link(&md);
    }
    write_atomic(&plan.out.join("REPORT.md"), md.as_bytes())?;
    Ok(())
}

/// The heading of REPORT.md's question-1 section.
const Q1_HEADING: &str = "## Can the best dilation be learned? (question 1)\n\n";

/// REPORT.md with a pointer to `Q1.md` at the top of its question-1 section (a study run with
/// the Q1 grid; without it REPORT.md is unchanged).
pub fn with_q1_link(md: &str) -> String {
    md.replacen(
        Q1_HEADING,
        &format!(
            "{Q1_HEADING}The ground-truth grid of per-layer dilations, the ε-optimal set and the consistency of the searches over seeds are in `Q1.md` beside this report (`atrous study --q1-grid`); below is the earlier summary.\n\n"
        ),
        1,
    )
}

/// " Outcome: …" with the verdict sentences of the arms `pick` selects, once they have run;
/// empty before.
fn outcomes(a: &StudyAnalysis, pick: impl Fn(&str) -> bool) -> String {
    let sentences: Vec<&str> = a
        .rows
        .iter()
        .filter(|row| pick(&row.arm.name))
        .filter_map(|row| row.comparison.as_ref().filter(|c| c.verdict.is_some()))
        .map(|c| c.sentence.as_str())
        .collect();
    if sentences.is_empty() { String::new() } else { format!(" Outcome: {}.", sentences.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::{p_equals, p_value};

    /// p-values below the fourth decimal read as a bound, never as "0.0000"; the rest keep
    /// four decimals; a missing or non-finite p is a dash.
    #[test]
    fn p_values_below_the_printed_precision_are_a_bound() {
        assert_eq!(p_value(Some(3.2e-9)), "<0.0001");
        assert_eq!(p_value(Some(0.99e-4)), "<0.0001");
        assert_eq!(p_value(Some(1.0e-4)), "0.0001");
        assert_eq!(p_value(Some(0.012_34)), "0.0123");
        assert_eq!(p_value(Some(1.0)), "1.0000");
        assert_eq!(p_value(Some(f64::NAN)), "—");
        assert_eq!(p_value(None), "—");
        assert_eq!(p_equals(2e-7), "< 0.0001");
        assert_eq!(p_equals(0.0466), "= 0.0466");
    }
}
