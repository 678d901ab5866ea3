//! The second half of `Q2.md`: effective receptive fields, class models, faithfulness,
//! localisation, the closing answer and the figure list.

use super::Q2Plan;
use super::analysis::{METRICS, Q2Analysis};
use super::report::{floor_table, fmt_summary};
use std::fmt::Write;

fn f(v: f64, digits: usize) -> String {
    if v.is_finite() { format!("{v:.digits$}") } else { "—".into() }
}

/// ERF, class models, faithfulness, localisation, answer, figures.
pub fn rest(plan: &Q2Plan, a: &Q2Analysis) -> String {
    let mut s = String::new();
    writeln!(s, "### Effective receptive field of conv3\n").ok();
    writeln!(s, "`|∂(centre unit of conv3)/∂x|` (pre-activation, all 64 channels of the unit at the centre of the 14×14 plane) averaged over the first {} images of the set, after training and at the run's initial weights; radii (pixels, around the ERF's mass centroid) of the smallest discs holding 50% and 90% of its mass, mean ± sd [95% CI] over seeds. The theoretical field of a conv3 unit is a square of side 8d + 2, clipped by the 28-pixel image from d = 4 on (its half-side is the radius it could reach along an axis).\n", plan.erf_images).ok();
    writeln!(s, "| d | theoretical side (px) | r50 trained | r90 trained | r50 at init | r90 at init |").ok();
    writeln!(s, "| --- | --- | --- | --- | --- | --- |").ok();
    for e in &a.erf {
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            e.dilation,
            e.theoretical,
            fmt_summary(e.r50[0], 2),
            fmt_summary(e.r90[0], 2),
            fmt_summary(e.r50[1], 2),
            fmt_summary(e.r90[1], 2)
        )
        .ok();
    }
    let c = plan.converge;
    writeln!(s, "\n### Class models\n").ok();
    writeln!(s, "`I* = argmax_I S_c(I + m) − λ‖I‖²` by the paper's plain ascent (λ = {}, η = {}, from I = 0, m the mean training image). *Paper*: after {} steps, every seed. *Converged*: the same steps continued until the relative change ‖ΔI‖/‖I‖ of one step is below {:e} or {} steps (the cap), seeds 0–{}. The penalty's time constant is 1/(2ηλ) = {:.0} steps. ‖I*‖ in pixel units; pixel range of I* + m (images live in [0, 1]); S_c(I* + m) over the class's mean logit on the real test images of the set (same network); *recognised*: share of the 10 classes that an independently trained network (d={}, seed {}, left out of its own row) assigns to I* + m.\n",
        c.lambda, c.lr, c.paper_steps, c.tolerance, c.cap, plan.class_seeds.saturating_sub(1), 1.0 / (2.0 * f64::from(c.lr) * f64::from(c.lambda)), plan.judge.0, plan.judge.1).ok();
    writeln!(s, "| setting | d | seeds | ‖I*‖ | min pixel | max pixel | S_c / real mean logit | recognised | steps | classes at the cap | last ‖ΔI‖/‖I‖ |").ok();
    writeln!(s, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |").ok();
    for (setting, rows) in ["paper", "converged"].iter().zip(&a.classes) {
        for r in rows {
            writeln!(
                s,
                "| {setting} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.dilation,
                r.seeds,
                fmt_summary(r.norm, 1),
                fmt_summary(r.range[0], 2),
                fmt_summary(r.range[1], 2),
                fmt_summary(r.relative_score, 2),
                fmt_summary(r.recognised, 2),
                fmt_summary(r.steps, 0),
                if *setting == "paper" { "—".to_string() } else { r.capped.to_string() },
                r.final_change.map_or("—".into(), |c| format!("{:.1e} ± {:.1e}", c.mean, c.sd)),
            )
            .ok();
        }
    }
    writeln!(s, "\nSimilarity of class models (Spearman ρ of I* of the same class, averaged over classes), same rule as the maps. Paper setting:\n").ok();
    floor_table(&mut s, a, &a.class_floor[0], "class model");
    writeln!(s, "Converged:\n").ok();
    floor_table(&mut s, a, &a.class_floor[1], "class model");

    writeln!(s, "### Faithfulness per dilation\n").ok();
    let faith_seeds = a.runs.iter().filter(|r| r.faith.is_some()).count();
    let fi = a.runs.iter().find_map(|r| r.faith.as_ref());
    writeln!(s, "On a subset ({faith_seeds} runs: seeds 0–{} per d, the first {} images of the set, {} deletion/insertion steps): deletion and insertion AUC of the softmax probability of the predicted class (pixels set to 0 / restored into a black image in the map's order), the random order as baseline; and the randomisation test: Spearman ρ of |map| between the trained network and the same network with every layer re-initialised (near 0 is what a faithful method gives). IG: 50 steps from a black image; SmoothGrad: 50 samples, σ = 0.15. IG multiplies by the input, so its map is zero off the ink whatever the weights: its ρ after randomisation mostly measures the digit's shape, not the model.\n",
        plan.faith_seeds.saturating_sub(1), fi.map_or(0, |x| x.images), fi.map_or(0, |x| x.steps)).ok();
    writeln!(s, "| d | method | deletion AUC ↓ | insertion AUC ↑ | ρ after randomisation | random order: deletion / insertion |").ok();
    writeln!(s, "| --- | --- | --- | --- | --- | --- |").ok();
    for r in &a.faith {
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} / {} |",
            r.dilation,
            r.method,
            fmt_summary(r.scores[0], 3),
            fmt_summary(r.scores[1], 3),
            fmt_summary(r.scores[2], 3),
            f(r.random[0], 3),
            f(r.random[1], 3)
        )
        .ok();
    }

    writeln!(s, "\n### Localisation, and why it says little here\n").ok();
    let b = &a.baselines;
    writeln!(s, "Box IoU of the saliency-seeded graph cut against the ink's box (table above, with baselines): the seed-only box, the whole-image box ({}), the image used as its own map ({}), the Sobel map ({}). The graph cut's colour model is the image's grey levels, and on MNIST the ink is exactly what a grey-level cut finds once one seed lands on it, so the measure is close to circular: it rewards maps that put a few seeds on ink rather than maps that explain the class. The numbers are kept for continuity; the map metrics and faithfulness above carry the argument.\n",
        f(b.uniform.localisation[3], 3), f(b.image.localisation[0], 3), f(b.sobel.localisation[0], 3)).ok();

    writeln!(s, "### Answer to question 2, in numbers\n").ok();
    for p in &a.floor.pairs {
        let v = p.verdict;
        writeln!(
            s,
            "- Maps of d={} vs d={}: across-d ρ {} vs floor {} — {}.",
            p.a,
            p.b,
            f(v.across, 3),
            f(v.floor, 3),
            v.phrase()
        )
        .ok();
    }
    for row in &a.metrics {
        let m = &METRICS[row.metric];
        if !matches!(m.key, "ink_share" | "spread" | "grid2" | "grid4" | "energy2" | "energy3" | "energy4") {
            continue;
        }
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| format!("d={} {}", c.dilation, c.summary.map_or("—".into(), |s| f(s.mean, 3))))
            .collect();
        let real: Vec<String> =
            row.pairs.iter().filter(|p| p.real()).map(|p| format!("{}–{}", p.a, p.b)).collect();
        let at: Vec<String> = row
            .cells
            .iter()
            .filter_map(|c| {
                let b = row.at_baseline(c);
                (!b.is_empty()).then(|| format!("d={} ({})", c.dilation, b.join(", ")))
            })
            .collect();
        writeln!(
            s,
            "- {}: {}; {} of {} pairs of dilations clear the seed noise{}{}.",
            m.name,
            cells.join(", "),
            real.len(),
            row.pairs.len(),
            if real.is_empty() { String::new() } else { format!(" ({})", real.join(", ")) },
            if at.is_empty() {
                "; no dilation at a baseline".into()
            } else {
                format!("; at a baseline: {}", at.join(", "))
            }
        )
        .ok();
    }
    for e in &a.erf {
        writeln!(
            s,
            "- ERF of d={}: r90 {} px after training vs {} at init; theoretical half-side {}.",
            e.dilation,
            e.r90[0].map_or("—".into(), |x| f(x.mean, 1)),
            e.r90[1].map_or("—".into(), |x| f(x.mean, 1)),
            e.theoretical.min(28) as f64 / 2.0
        )
        .ok();
    }
    let ci = |x: Option<crate::stats::Summary>, digits: usize| {
        x.map_or("—".into(), |x| {
            format!("{} [{}, {}]", f(x.mean, digits), f(x.ci.lo, digits), f(x.ci.hi, digits))
        })
    };
    for (setting, rows) in ["after the paper's steps", "at convergence or the cap"].iter().zip(&a.classes) {
        let parts: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "d={} {} (S_c / real logit {})",
                    r.dilation,
                    ci(r.recognised, 2),
                    ci(r.relative_score, 0)
                )
            })
            .collect();
        let chance = 1.0 / a.runs.first().map_or(10, |r| r.class_logit.len()).max(1) as f64;
        writeln!(
            s,
            "- Class models {setting}, share recognised by the independent d={} network (chance {}: at I = 0 it sees only m and names one class): {}.",
            plan.judge.0,
            f(chance, 2),
            parts.join("; ")
        )
        .ok();
    }
    let capped: usize = a.classes[1].iter().map(|r| r.capped).sum();
    let run: usize = a.classes[1].iter().map(|r| 10 * r.seeds).sum();
    writeln!(s, "- Convergence: {capped} of {run} class models reached the {}-step cap before their relative change fell below {:e}; the \"converged\" rows are therefore the images at the cap.", plan.converge.cap, plan.converge.tolerance).ok();
    for (what, floor) in [("paper's steps", &a.class_floor[0]), ("cap", &a.class_floor[1])] {
        let verdicts: Vec<String> =
            floor.pairs.iter().map(|p| format!("{}–{} {}", p.a, p.b, p.verdict.phrase())).collect();
        writeln!(
            s,
            "- Class models at the {what}, similarity across d vs the seed floor: {}.",
            verdicts.join("; ")
        )
        .ok();
    }

    writeln!(s, "\n### Figures\n").ok();
    for (file, caption) in super::figures::FIGURES {
        writeln!(s, "![{caption}](q2/{file})\n").ok();
    }
    writeln!(s, "Tables: `q2/runs.csv` (one row per run), `q2/metrics.csv`, `q2/pairs.csv`, `q2/floor.csv`, `q2/erf.csv`, `q2/erf_profile.csv`, `q2/class_models.csv`, `q2/faith.csv`.").ok();
    s
}
