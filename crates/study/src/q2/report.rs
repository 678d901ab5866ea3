//! `Q2.md`: the Q2 section of the study's report, generated from a [`Q2Analysis`] (every
//! number from the analysis, every verdict from its rules), and the CSVs beside it ([`super::csv`]).

use super::Q2Plan;
use super::analysis::{ALPHA, Floor, METRICS, Q2Analysis};
use super::floor::FLOOR_PERCENTILE;
use crate::Result;
use crate::stats::Summary;
use atrous_tensor::files::write_atomic;
use std::fmt::Write;

/// `mean ± sd [lo, hi]` with `digits` decimals, or `—`.
pub fn fmt_summary(s: Option<Summary>, digits: usize) -> String {
    match s {
        Some(s) => {
            format!("{:.digits$} ± {:.digits$} [{:.digits$}, {:.digits$}]", s.mean, s.sd, s.ci.lo, s.ci.hi)
        }
        None => "—".into(),
    }
}

fn f(v: f64, digits: usize) -> String {
    if v.is_finite() { format!("{v:.digits$}") } else { "—".into() }
}

/// Writes `Q2.md` and `q2/*.csv` under `plan.docs`.
pub fn write(plan: &Q2Plan, a: &Q2Analysis) -> Result<()> {
    super::csv::write_tables(&plan.docs.join("q2"), a)?;
    write_atomic(&plan.docs.join("Q2.md"), markdown(plan, a).as_bytes())?;
    Ok(())
}

fn seeds_per_d(a: &Q2Analysis) -> String {
    a.dilations
        .iter()
        .map(|&d| format!("d={d}: {}", a.runs.iter().filter(|r| r.dilation == d).count()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole section.
pub fn markdown(plan: &Q2Plan, a: &Q2Analysis) -> String {
    let mut s = String::new();
    writeln!(s, "## What do the networks look at? (question 2, measured)\n").ok();
    writeln!(
        s,
        "Runs: the trained models of the dilation study (seeds per d: {}; seeds 0–{} requested), each measured on one fixed set of {} test images (a permutation of the test split with seed {:#x}, the same for every run). Maps are the paper's: `|∂S_c/∂x|` for the true class's logit, pixels in [0, 1]. Per-run numbers are cached in `{}` keyed by the SHA-256 of the model file. Regenerate with `atrous study --q2 --out {} --data {} --q2-cache {} --q2-docs {} --q2-class-seeds {} --q2-faith-seeds {}` (add `--q2-cached-only` to use only cached runs).\n",
        seeds_per_d(a),
        plan.seeds.saturating_sub(1),
        a.images,
        plan.image_seed,
        plan.out.display(),
        plan.runs.display(),
        plan.data.display(),
        plan.out.display(),
        plan.docs.display(),
        plan.class_seeds,
        plan.faith_seeds
    )
    .ok();
    writeln!(s, "**Rules (fixed in the code before the results were looked at).**\n").ok();
    writeln!(s, "- *Seed noise of a metric*: each run gives one number per metric (its mean over the images); a difference between two dilations is real when Welch's test over seeds, Holm-corrected over the {} pairs of dilations of that metric, gives p < {ALPHA} (its 95% CI then excludes 0). Otherwise it is *within the seed noise*.", a.dilations.len() * (a.dilations.len().max(1) - 1) / 2).ok();
    writeln!(s, "- *Noise floor of the maps*: Spearman's ρ between two networks' maps of the same image, averaged over the images. Within a dilation over every pair of its seeds, across two dilations over every pair (seed of d, seed of d'). The maps of d and d' differ for real (*clear the noise floor*) only when the mean across-d ρ is below the {:.0}th percentile of the within-d ρ of d and of d'; otherwise they are *within the noise floor*.", 100.0 * FLOOR_PERCENTILE).ok();
    writeln!(s, "- *Baselines*: a uniform map, the image itself, its Sobel edge magnitude, and a random network of the same d (the run's own initial weights, seeds 0–{}). A dilation is *at a baseline* when the 95% CI of its seed mean contains the baseline's value.\n", plan.random_seeds.saturating_sub(1)).ok();

    writeln!(s, "### Every map metric on every seed\n").ok();
    write!(s, "| metric |").ok();
    for d in &a.dilations {
        write!(s, " d={d}: mean ± sd [95% CI] |").ok();
    }
    writeln!(
        s,
        " uniform | image | Sobel | random net (d={}) |",
        a.dilations.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
    )
    .ok();
    writeln!(s, "|{}", " --- |".repeat(a.dilations.len() + 5)).ok();
    for row in &a.metrics {
        let m = &METRICS[row.metric];
        write!(s, "| {} |", m.name).ok();
        for cell in &row.cells {
            write!(s, " {} |", fmt_summary(cell.summary, 3)).ok();
        }
        let random: Vec<String> = row.cells.iter().map(|c| f(c.random, 3)).collect();
        writeln!(
            s,
            " {} | {} | {} | {} |",
            f(row.fixed[0], 3),
            f(row.fixed[1], 3),
            f(row.fixed[2], 3),
            random.join(" / ")
        )
        .ok();
    }
    writeln!(s, "\n*Saliency on ink*: share of the map's mass on pixels above {} (the digit). *Spread*: mass-weighted mean distance from the map's centroid. *Gridding index k*: share of the mass in the most loaded phase (x mod k, y mod k) times k² (1: no lattice; a 28-pixel side is not divisible by 3, so the uniform map gives more than 1 at k = 3). *Spectral energy at f*: the axis power spectrum (rows and columns, map mean removed) at f cycles per pixel over its mean over f = 1/84 … 1/2 (1: flat); d = 1 is the control for lattices made by the 2×2 pooling. *Box / mask IoU*: saliency-seeded graph cut against the ink; *seed-only*: the box of the foreground seeds without the cut.\n", plan.localize.ink_threshold).ok();

    writeln!(s, "Pairwise differences (b − a) that clear the seed noise (Holm p < {ALPHA}); all pairs with CIs are in `q2/pairs.csv`:\n").ok();
    for row in &a.metrics {
        let m = &METRICS[row.metric];
        let real: Vec<String> = row
            .pairs
            .iter()
            .filter(|p| p.real())
            .filter_map(|p| {
                p.welch.map(|w| {
                    format!("d={} − d={}: {:+.3} [{:+.3}, {:+.3}]", p.b, p.a, w.diff, w.ci.lo, w.ci.hi)
                })
            })
            .collect();
        let noise: Vec<String> = row
            .pairs
            .iter()
            .filter(|p| !p.real() && p.welch.is_some())
            .map(|p| format!("{}–{}", p.a, p.b))
            .collect();
        let at: Vec<String> = row
            .cells
            .iter()
            .filter_map(|c| {
                let b = row.at_baseline(c);
                (!b.is_empty()).then(|| format!("d={} at the {} baseline", c.dilation, b.join(" and ")))
            })
            .collect();
        writeln!(
            s,
            "- **{}**: {}{}{}.",
            m.name,
            if real.is_empty() {
                "no difference clears the seed noise".into()
            } else {
                format!("clear the seed noise: {}", real.join("; "))
            },
            if noise.is_empty() {
                String::new()
            } else {
                format!("; within the seed noise: {}", noise.join(", "))
            },
            if at.is_empty() { String::new() } else { format!("; {}", at.join("; ")) },
        )
        .ok();
    }

    writeln!(s, "\n### Noise floor of the maps\n").ok();
    floor_table(&mut s, a, &a.floor, "map");
    s.push_str(&super::report_more::rest(plan, a));
    s
}

/// The within-d and across-d similarity table of `floor`.
pub fn floor_table(s: &mut String, a: &Q2Analysis, floor: &Floor, what: &str) {
    writeln!(s, "| d | within-d ρ: pairs | mean | 5th percentile |").ok();
    writeln!(s, "| --- | --- | --- | --- |").ok();
    for (d, w) in a.dilations.iter().zip(&floor.within) {
        writeln!(
            s,
            "| {d} | {} | {} | {} |",
            w.len(),
            f(super::floor::finite_mean(w), 3),
            f(super::floor::percentile(w, FLOOR_PERCENTILE), 3)
        )
        .ok();
    }
    writeln!(s, "\n| {what}s of | across-d ρ (mean) | floor | verdict |").ok();
    writeln!(s, "| --- | --- | --- | --- |").ok();
    for p in &floor.pairs {
        let v = p.verdict;
        writeln!(s, "| d={} vs d={} | {} | {} | {} |", p.a, p.b, f(v.across, 3), f(v.floor, 3), v.phrase())
            .ok();
    }
    writeln!(s).ok();
}
