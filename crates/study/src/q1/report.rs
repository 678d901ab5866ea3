//! `Q1.md`, `q1_grid.csv` and `q1_seeds.csv`, rendered from a [`Q1Analysis`] without computing
//! anything new. Every number of Q1.md's grid table is one of `q1_grid.csv`'s numbers at fewer
//! digits (percent and percentage points there, fractions in the CSV).

use super::analysis::{MethodAnalysis, Q1Analysis, RANDOM_SEARCH_DRAWS, Reading};
use super::consistency::Proportion;
use super::figures::FIGURES;
use super::grid::{EPSILON, SET_ALPHA, config_label, config_name};
use super::retrained::{RANDOM_REPLICATIONS, RETRAIN_MARGIN};
use super::start::StartReading;
use crate::stats::tests_of_difference::WelchTest;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What the report says about where its inputs came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Q1Context {
    /// Seeds per configuration the grid asks for.
    pub seeds: u64,
    /// The recipe, as JSON (every grid run's, up to dilations and seed).
    pub recipe: String,
    /// Validation images.
    pub validation: usize,
    /// Grid runs not (yet) complete.
    pub missing: Vec<PathBuf>,
    /// Folders searched for search records.
    pub record_dirs: Vec<PathBuf>,
    /// Record files that could not be read.
    pub unreadable: Vec<PathBuf>,
    /// The command that regenerates the report.
    pub command: String,
}

fn num(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite()).map_or_else(String::new, |x| format!("{x:.6}"))
}

fn cell(v: Option<f64>, scale: f64, digits: usize) -> String {
    v.filter(|x| x.is_finite()).map_or_else(|| "—".to_string(), |x| format!("{:.digits$}", scale * x))
}

fn p_text(p: f64) -> String {
    if p < 1e-4 { "<0.0001".into() } else { format!("{p:.4}") }
}

fn share(p: &Proportion) -> String {
    format!("{}/{} [{:.2}, {:.2}]", p.k, p.n, p.lo, p.hi)
}

fn set_text(configs: &[[usize; 3]]) -> String {
    if configs.is_empty() {
        return "empty".into();
    }
    configs.iter().map(|&c| config_label(c)).collect::<Vec<_>>().join(", ")
}

/// `q1_grid.csv`: one row per grid configuration (accuracies as fractions).
pub fn render_grid_csv(a: &Q1Analysis) -> String {
    let mut csv = String::from(
        "config,name,n,val_mean,val_sd,val_ci_lo,val_ci_hi,delta_vs_best,worse_p,within_epsilon,seed_aware,test_mean\n",
    );
    let best = a.truth.best.map(|b| a.truth.rows[b].mean);
    for r in &a.truth.rows {
        let test =
            (!r.test.is_empty()).then(|| r.test.iter().map(|t| t.1).sum::<f64>() / r.test.len() as f64);
        let _ = writeln!(
            csv,
            "\"{}\",{},{},{},{},{},{},{},{},{},{},{}",
            config_label(r.config),
            config_name(r.config),
            r.runs.len(),
            num(Some(r.mean)),
            num(r.summary.map(|s| s.sd)),
            num(r.summary.map(|s| s.ci.lo)),
            num(r.summary.map(|s| s.ci.hi)),
            num(best.map(|b| r.mean - b)),
            num(r.worse_p),
            r.within_epsilon,
            r.seed_aware,
            num(test),
        );
    }
    csv
}

/// `q1_seeds.csv`: one row per search seed.
pub fn render_seeds_csv(a: &Q1Analysis) -> String {
    let mut csv = String::from(
        "method,seed,conv1,conv2,conv3,d1,d2,d3,entropy1,entropy2,entropy3,in_grid,in_epsilon,in_seed_aware,retrained_val\n",
    );
    for m in &a.methods {
        for s in &m.seeds {
            let d = |l: usize| num(s.dilations.map(|d| d[l]));
            let e = |l: usize| num(s.entropy.map(|e| e[l]));
            let retrained = m.retrained.pool.iter().find(|p| p.0 == s.seed).map(|p| p.1);
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                m.method,
                s.seed,
                s.config[0],
                s.config[1],
                s.config[2],
                d(0),
                d(1),
                d(2),
                e(0),
                e(1),
                e(2),
                s.in_grid,
                s.in_epsilon,
                s.in_seed_aware,
                num(retrained)
            );
        }
    }
    csv
}

fn grid_section(md: &mut String, a: &Q1Analysis, ctx: &Q1Context) {
    let t = &a.truth;
    let _ = writeln!(md, "## Ground truth: the grid\n");
    let _ = writeln!(
        md,
        "{} per-layer configurations (conv1, conv2, conv3), each trained from scratch with seeds 0–{} by the study's recipe `{}`. Every number is **validation** accuracy (the study's fixed {}-image validation split); the test set chooses nothing. {} of {} configurations have at least one finished run.\n",
        t.rows.len(),
        ctx.seeds.saturating_sub(1),
        ctx.recipe,
        ctx.validation,
        t.finished(),
        t.rows.len()
    );
    if !ctx.missing.is_empty() {
        let _ = writeln!(
            md,
            "**Incomplete grid: {} run(s) missing**, analysed without them:\n",
            ctx.missing.len()
        );
        for m in &ctx.missing {
            let _ = writeln!(md, "- `{}`", m.display());
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "| configuration | runs | seeds | validation mean (%) | sd (pp) | 95% CI (%) | Δ vs best (pp) | p (worse than best) | ε set | seed-aware set | test mean (%) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    let best = t.best.map(|b| t.rows[b].mean);
    for r in &t.rows {
        let test =
            (!r.test.is_empty()).then(|| r.test.iter().map(|x| x.1).sum::<f64>() / r.test.len() as f64);
        let yes = |b: bool| if b { "yes" } else { "" };
        let _ = writeln!(
            md,
            "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            config_label(r.config),
            config_name(r.config),
            r.runs.len(),
            cell(Some(r.mean), 100.0, 2),
            cell(r.summary.map(|s| s.sd), 100.0, 2),
            r.ci().map_or_else(|| "—".into(), |c| format!("[{:.2}, {:.2}]", 100.0 * c.lo, 100.0 * c.hi)),
            best.map_or_else(|| "—".into(), |b| format!("{:+.2}", 100.0 * (r.mean - b))).replace("NaN", "—"),
            r.worse_p.map_or_else(|| "—".into(), p_text),
            yes(r.within_epsilon),
            yes(r.seed_aware),
            cell(test, 100.0, 2),
        );
    }
    match t.best {
        Some(b) => {
            let _ = writeln!(
                md,
                "\nBest mean validation accuracy: {} ({:.2}%). **ε-optimal set** (mean within ε = {:.1} pp of the best): {}. **Seed-aware set** (not worse than the best by a one-sided Welch test at α = {SET_ALPHA}, uncorrected; a configuration with one finished seed cannot be tested and is left out): {}.\n",
                config_label(t.rows[b].config),
                100.0 * t.rows[b].mean,
                100.0 * EPSILON,
                set_text(&t.epsilon_set()),
                set_text(&t.seed_aware_set())
            );
        }
        None => {
            let _ = writeln!(md, "\nNo grid run has finished: no ε-optimal set yet.\n");
        }
    }
    let _ = writeln!(md, "![{}](figures/{})\n", FIGURES[0].1, FIGURES[0].0);
}

fn landing_sentence(m: &MethodAnalysis, set: usize, a: &Q1Analysis) -> String {
    let l = &m.landing[set];
    let name = if set == 0 { "the ε-optimal set" } else { "the seed-aware set" };
    let mut s = format!(
        "{} lands in {name} in {} seeds (Wilson 95% CI): **{}**",
        m.method,
        share(&l.share),
        l.reading.word()
    );
    if m.outside_grid > 0 {
        let _ = write!(
            s,
            "; {} seed(s) learned a configuration the grid has no run of and count as not landing, so {}/{} is a lower bound",
            m.outside_grid, l.share.k, l.share.n
        );
    }
    match (m.matched_budget, l.random) {
        (Some(k), Some((p, se))) => {
            let cmp = if l.share.lo > p {
                "above"
            } else if l.share.hi < p {
                "below"
            } else {
                "not distinguishable from"
            };
            let _ = write!(
                s,
                ". Random search at the same wall time ({} grid run(s) per search seed) lands there with probability {:.3} (± {:.3}); the learner is {cmp} it",
                k.min(a.truth.finished()),
                p,
                se
            );
        }
        _ => s.push_str(". No compute-matched random search (search or run wall times not recorded)"),
    }
    s.push('.');
    s
}

/// Δ (pp) and its 95% CI as `−0.03 pp [−0.10, +0.04]`.
fn delta_text(w: &WelchTest) -> String {
    format!("{:+.2} pp [{:+.2}, {:+.2}]", 100.0 * w.diff, 100.0 * w.ci.lo, 100.0 * w.ci.hi)
}

fn retrained_sentence(m: &MethodAnalysis) -> String {
    let r = &m.retrained;
    let c = &r.comparison;
    let mut s = format!(
        "Retrained from scratch (each seed's configuration's mean validation accuracy over its grid seeds, {} seed(s), vs the grid optimum's {} run(s)): ",
        r.pool.len(),
        r.optimum.len()
    );
    match (&c.welch, &c.tost) {
        (Some(w), Some(t)) => {
            let _ = write!(
                s,
                "mean {:.2}%, Δ = {} (Welch 95% CI, p {}), TOST at ±{:.2} pp p {}: **{}**",
                100.0 * c.mean,
                delta_text(w),
                p_text(w.p),
                100.0 * RETRAIN_MARGIN,
                p_text(t.p),
                c.word()
            );
        }
        _ => {
            let _ = write!(s, "too few values to test (2 per side needed): **{}**", c.word());
        }
    }
    if !r.missing.is_empty() {
        let named: Vec<String> =
            r.missing.iter().map(|(seed, c)| format!("seed {seed} {}", config_label(*c))).collect();
        let _ = write!(
            s,
            "; {} seed(s) left out, their configuration has no grid run: {}",
            r.missing.len(),
            named.join(", ")
        );
    }
    match &r.random {
        Some(x) => {
            let _ = write!(
                s,
                ". Random search at the same wall time ({} run(s)): expected Δ {:+.3} pp (± {:.3}); {} such searches are called equivalent in {:.1}% and worse in {:.1}% of {RANDOM_REPLICATIONS} simulated replications",
                x.budget,
                100.0 * x.delta.0,
                100.0 * x.delta.1,
                x.seeds,
                100.0 * x.equivalent,
                100.0 * x.worse
            );
        }
        None => s.push_str(". No compute-matched random search (wall times not recorded)"),
    }
    s.push('.');
    s
}

fn method_section(md: &mut String, m: &MethodAnalysis, a: &Q1Analysis) {
    let _ = writeln!(md, "### {} ({} seed(s))\n", m.method, m.seeds.len());
    let is_continuous = m.seeds.iter().any(|s| s.dilations.is_some());
    let extra = if is_continuous { "learned d (conv1, conv2, conv3)" } else { "weights' normalised entropy" };
    let _ = writeln!(
        md,
        "| seed | learned configuration | {extra} | grid has it | ε set | seed-aware set |\n| --- | --- | --- | --- | --- | --- |"
    );
    for s in &m.seeds {
        let detail = match (s.dilations, s.entropy) {
            (Some(d), _) => format!("{:.3}, {:.3}, {:.3}", d[0], d[1], d[2]),
            (None, Some(e)) => format!("{:.2}, {:.2}, {:.2}", e[0], e[1], e[2]),
            _ => "—".into(),
        };
        let yes = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(
            md,
            "| {} | {} | {detail} | {} | {} | {} |",
            s.seed,
            config_label(s.config),
            yes(s.in_grid),
            if s.in_grid { yes(s.in_epsilon) } else { "?" },
            if s.in_grid { yes(s.in_seed_aware) } else { "?" }
        );
    }
    let k = m.categories.len();
    let _ = writeln!(
        md,
        "\n| layer | modal d | agreement (Wilson 95% CI) | binomial p vs 1/{k} | mode-aware p | reading |{}\n| --- | --- | --- | --- | --- | --- | --- |",
        if is_continuous { " learned d: mean ± sd [95% CI] |" } else { " mean normalised entropy |" },
    );
    for (l, (agree, reading)) in m.layers.iter().enumerate() {
        let extra = if is_continuous {
            m.continuous.map_or_else(
                || "—".into(),
                |c| format!("{:.3} ± {:.3} [{:.3}, {:.3}]", c[l].mean, c[l].sd, c[l].ci.lo, c[l].ci.hi),
            )
        } else {
            m.entropy.map_or_else(|| "—".into(), |e| format!("{:.2}", e[l]))
        };
        let _ = writeln!(
            md,
            "| conv{} | {} | {} | {} | {} | {} | {extra} |",
            l + 1,
            agree.mode,
            share(&agree.share),
            p_text(agree.binomial_p),
            p_text(agree.mode_p),
            reading.word()
        );
    }
    let _ = writeln!(
        md,
        "\nFleiss' κ over seeds (raters) × layers (items) × {k} choices: {} (1: every seed agrees on every layer; 0: no more agreement than the pooled choice shares predict; with 3 items it is a coarse summary).\n",
        m.kappa.map_or_else(
            || "undefined (every choice identical, or fewer than 2 seeds)".into(),
            |k| format!("{k:.3}")
        )
    );
    let _ = writeln!(md, "Verdicts:\n");
    for set in 0..2 {
        let _ = writeln!(md, "- {}", landing_sentence(m, set, a));
    }
    let _ = writeln!(md, "- {}", retrained_sentence(m));
    for (l, (agree, reading)) in m.layers.iter().enumerate() {
        let _ = writeln!(
            md,
            "- conv{}: {} seeds choose d = {} (mode-aware p {}): **{}**.",
            l + 1,
            share(&agree.share),
            agree.mode,
            p_text(agree.mode_p),
            reading.word()
        );
    }
    md.push('\n');
}

/// `Q1.md`.
pub fn render_q1(a: &Q1Analysis, ctx: &Q1Context) -> String {
    let mut md = String::from("# Q1: can the best dilation be learned, and consistently?\n\n");
    let _ = writeln!(md, "Regenerate with:\n\n      {}\n", ctx.command);
    grid_section(&mut md, a, ctx);

    let _ = writeln!(md, "## Learned dilations\n");
    let dirs = ctx.record_dirs.iter().map(|d| format!("`{}`", d.display())).collect::<Vec<_>>().join(", ");
    if a.methods.is_empty() {
        let _ = writeln!(
            md,
            "No search records (`seed-S.json`, `continuous-seed-S.json`) in {dirs}: the learned-dilation part is missing. Run `atrous learn-dilation --method continuous|mixture --seeds 10 --out DIR` and pass DIR with `--q1-learn`.\n"
        );
    } else {
        let _ = writeln!(
            md,
            "Records read from {dirs}. A seed's learned configuration is the argmax of its mixing weights, or its continuous dilations rounded to the nearest integer; it is judged against the grid above. Modal agreement is the share of seeds choosing a layer's most frequent d; the binomial p tests that share against the chance rate 1/K as if the mode had been named in advance, the mode-aware p (exact, the largest of K uniform counts) accounts for picking the mode after the fact and is the one the readings use.\n"
        );
        for m in &a.methods {
            method_section(&mut md, m, a);
        }
        let _ = writeln!(md, "![{}](figures/{})\n", FIGURES[1].1, FIGURES[1].0);
    }
    super::start::render(&mut md, &a.starts);
    if !ctx.unreadable.is_empty() {
        let _ = writeln!(md, "Record files that could not be read (skipped):\n");
        for p in &ctx.unreadable {
            let _ = writeln!(md, "- `{}`", p.display());
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Random search over the grid\n");
    let _ = writeln!(
        md,
        "Draw k configurations uniformly from the grid's finished ones, train each once (one of its seeds, uniformly), keep the best by validation accuracy: how often is it in each set? {RANDOM_SEARCH_DRAWS} seeded simulations per row (Monte-Carlo se ≤ {:.3}).{}\n",
        0.5 / (RANDOM_SEARCH_DRAWS as f64).sqrt(),
        a.run_seconds.map_or_else(String::new, |s| format!(" One grid run took {s:.1} s on average."))
    );
    if a.random_search.is_empty() {
        let _ = writeln!(md, "No finished grid run yet.\n");
    } else {
        let _ = writeln!(md, "| k | P(ε set) | P(seed-aware set) |\n| --- | --- | --- |");
        for r in &a.random_search {
            let _ = writeln!(md, "| {} | {:.3} | {:.3} |", r.k, r.epsilon.0, r.seed_aware.0);
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Answer\n");
    if a.methods.is_empty() {
        let _ = writeln!(md, "Not yet: no search records.\n");
    }
    for m in &a.methods {
        let layers = m
            .layers
            .iter()
            .enumerate()
            .map(|(l, (g, r))| format!("conv{} {} ({}/{})", l + 1, r.word(), g.share.k, g.share.n))
            .collect::<Vec<_>>()
            .join(", ");
        let all = |r: Reading| m.layers.len() == 3 && m.layers.iter().all(|(_, x)| *x == r);
        let overall = if all(Reading::Consistent) {
            "consistent in every layer"
        } else if m.layers.iter().any(|(_, x)| *x == Reading::Inconsistent) {
            "inconsistent in at least one layer"
        } else {
            "not shown consistent"
        };
        let _ = writeln!(
            md,
            "- **{}**: lands in the ε-optimal set in {} seeds ({}), in the seed-aware set in {} ({}); its seeds are {overall}: {layers}; Fleiss' κ {}; retrained vs the grid optimum: {} ({}).",
            m.method,
            share(&m.landing[0].share),
            m.landing[0].reading.word(),
            share(&m.landing[1].share),
            m.landing[1].reading.word(),
            m.kappa.map_or_else(|| "undefined".into(), |k| format!("{k:.3}")),
            m.retrained.comparison.word(),
            m.retrained.comparison.welch.as_ref().map_or_else(|| "untestable".into(), delta_text)
        );
    }
    for f in &a.starts {
        let kept: Vec<String> = f
            .layers
            .iter()
            .enumerate()
            .filter_map(|(l, e)| {
                e.map(|e| format!("conv{} {:.2} [{:.2}, {:.2}]", l + 1, e.kept.0, e.kept.1.lo, e.kept.1.hi))
            })
            .collect();
        let starts: Vec<String> = f.groups.iter().map(|g| format!("d = {}", g.start)).collect();
        let consequence = match f.reading {
            StartReading::Dependent => {
                "; its seeds' agreement says where the search started, not which dilation is best"
            }
            _ => "",
        };
        let _ = writeln!(
            md,
            "- **{}** from {}: **{}** (share of the start gap the learned d keeps: {}){consequence}.",
            f.family,
            starts.join(", "),
            f.reading.words(),
            if kept.is_empty() { "untestable".into() } else { kept.join(", ") }
        );
    }
    let _ = writeln!(
        md,
        "\nRules, fixed in the code before any data (the start rule: after the first searches from d = 1 and 3 had been read): ε = {:.1} pp of mean validation accuracy; seed-aware set = not worse than the best by a one-sided Welch test at α = {SET_ALPHA}; *consistent* = the Wilson 95% interval of a share of seeds lies above 1/2, *inconsistent* = it lies below 1/2 (or, for a layer's agreement, at most half the seeds agree, the mode-aware p ≥ 0.05, and the seeds were enough for full agreement to beat chance), otherwise *inconclusive*. Retrained vs optimum: *worse* = Welch p < 0.05 with the 95% CI below 0, else *equivalent* = TOST at ±ε (90% CI inside ±ε), else *inconclusive*; the grid optimum is the winner of many noisy means, so its mean is biased upward and *equivalent* is a conservative call.\n\nTables: `q1_grid.csv` (grid, fractions), `q1_seeds.csv` (one row per search seed).",
        100.0 * EPSILON
    );
    md
}
