//! Does a continuous search learn the same dilation wherever it starts? Seeds of one start can
//! agree perfectly because they all stay near that start; only searches that differ in nothing
//! but their start tell a learned optimum from an inherited one. Searches are grouped by
//! family (their settings other than the start, [`SearchStart::family`]); per family and layer
//! the learned d of the highest start is compared with that of the lowest.
//!
//! The rule is fixed here: the margin is half a dilation step ([`START_MARGIN`]), the distance
//! at which rounding to a configuration can change. *Start-dependent*: the Welch 95% CI of
//! Δ = learned d (highest start) − learned d (lowest start) lies beyond +margin or below
//! −margin in some layer; *start-independent within ±margin*: it lies inside ±margin in every
//! layer; otherwise *inconclusive*.

use super::records::{Learned, SeedRecord};
use crate::stats::{Interval, Summary, WelchTest, summarize, welch};
use std::fmt::Write;

/// Half a dilation step: a learned d that moves less than this rounds to the same integer.
pub const START_MARGIN: f64 = 0.5;

/// The seeds of one start within a family.
#[derive(Clone, Debug, PartialEq)]
pub struct StartGroup {
    /// The method name (start included).
    pub method: String,
    /// The starting dilation of every layer (uniform starts only are compared).
    pub start: f64,
    /// Learned d per layer over the seeds (`None` with fewer than two seeds).
    pub learned: [Option<Summary>; 3],
}

/// One layer's comparison of the highest start with the lowest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StartEffect {
    /// Learned d from the highest start minus learned d from the lowest, with its Welch CI.
    pub diff: WelchTest,
    /// The share of the start gap the learned d keeps: Δ / (highest − lowest start), with its
    /// CI (1: the learned d moved with the start; 0: the start was forgotten).
    pub kept: (f64, Interval),
}

/// The reading of a family, by the rule in the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartReading {
    /// Some layer's learned d differs by more than the margin between the extreme starts.
    Dependent,
    /// Every layer's difference lies within ±margin.
    Independent,
    /// Neither.
    Inconclusive,
}

impl StartReading {
    /// The words in the report.
    pub fn words(self) -> String {
        match self {
            StartReading::Dependent => "start-dependent".into(),
            StartReading::Independent => format!("start-independent within ±{START_MARGIN}"),
            StartReading::Inconclusive => "inconclusive".into(),
        }
    }
}

/// A family of continuous searches that differ only in their (uniform) start.
#[derive(Clone, Debug, PartialEq)]
pub struct StartSensitivity {
    /// The family's name (`continuous`, `continuous 3 epochs`).
    pub family: String,
    /// One group per start, lowest first.
    pub groups: Vec<StartGroup>,
    /// Per layer, highest start vs lowest (`None` when either has fewer than two seeds).
    pub layers: [Option<StartEffect>; 3],
    /// The family's reading.
    pub reading: StartReading,
}

/// Every family with at least two distinct uniform starts, in the order the families first
/// appear in `records`.
pub fn start_sensitivity(records: &[SeedRecord]) -> Vec<StartSensitivity> {
    let mut families: Vec<&str> = Vec::new();
    for r in records {
        if let Some(s) = &r.start
            && !families.contains(&s.family.as_str())
        {
            families.push(&s.family);
        }
    }
    families.into_iter().filter_map(|f| family(f, records)).collect()
}

fn family(name: &str, records: &[SeedRecord]) -> Option<StartSensitivity> {
    // (start, method, learned d per seed)
    let mut starts: Vec<(f64, String, Vec<[f64; 3]>)> = Vec::new();
    for r in records {
        let (Some(s), Learned::Continuous { dilations, .. }) = (&r.start, &r.learned) else { continue };
        let uniform = s.dilations.iter().all(|&d| d == s.dilations[0]);
        if s.family != name || !uniform {
            continue;
        }
        match starts.iter_mut().find(|(d, ..)| *d == s.dilations[0]) {
            Some((_, _, seeds)) => seeds.push(*dilations),
            None => starts.push((s.dilations[0], r.method.clone(), vec![*dilations])),
        }
    }
    if starts.len() < 2 {
        return None;
    }
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let layer = |seeds: &[[f64; 3]], l: usize| seeds.iter().map(|d| d[l]).collect::<Vec<f64>>();
    let groups: Vec<StartGroup> = starts
        .iter()
        .map(|(start, method, seeds)| StartGroup {
            method: method.clone(),
            start: *start,
            learned: [0, 1, 2].map(|l| summarize(&layer(seeds, l), 0.95)),
        })
        .collect();
    let (low, high) = (&starts[0], &starts[starts.len() - 1]);
    let gap = high.0 - low.0;
    let layers = [0, 1, 2].map(|l| {
        let diff = welch(&layer(&high.2, l), &layer(&low.2, l), 0.95)?;
        let kept = (diff.diff / gap, diff.ci.scaled(1.0 / gap));
        Some(StartEffect { diff, kept })
    });
    Some(StartSensitivity { family: name.to_string(), groups, layers, reading: reading(&layers) })
}

/// The rule of the module docs; a layer without a comparison makes the family inconclusive
/// unless another layer already shows dependence.
fn reading(layers: &[Option<StartEffect>; 3]) -> StartReading {
    let beyond = |ci: &Interval| ci.lo > START_MARGIN || ci.hi < -START_MARGIN;
    let inside = |ci: &Interval| ci.lo > -START_MARGIN && ci.hi < START_MARGIN;
    if layers.iter().flatten().any(|e| beyond(&e.diff.ci)) {
        StartReading::Dependent
    } else if layers.iter().all(|e| e.is_some_and(|e| inside(&e.diff.ci))) {
        StartReading::Independent
    } else {
        StartReading::Inconclusive
    }
}

/// The report's section: one table per family and its reading.
pub fn render(md: &mut String, families: &[StartSensitivity]) {
    if families.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Does the learned dilation depend on where the search starts?\n");
    let _ = writeln!(
        md,
        "Seeds that start alike can agree because none of them moves far. Continuous searches that differ only in their start are compared here: per layer, Δ = learned d from the highest start − from the lowest (Welch 95% CI), and the share of the start gap the learned d keeps (1: it moved with the start, 0: the start was forgotten). Rule, fixed in the code: *start-dependent* if some layer's CI of Δ lies beyond ±{START_MARGIN} (half a dilation step, where rounding can change), *start-independent within ±{START_MARGIN}* if every layer's lies inside, otherwise *inconclusive*.\n"
    );
    for f in families {
        let _ = writeln!(md, "### {}\n", f.family);
        let _ = writeln!(md, "| start | seeds | conv1 learned d | conv2 learned d | conv3 learned d |");
        let _ = writeln!(md, "| --- | --- | --- | --- | --- |");
        for g in &f.groups {
            let n = g.learned.iter().flatten().map(|s| s.n).next().unwrap_or(1);
            let cells: Vec<String> = g
                .learned
                .iter()
                .map(|s| match s {
                    Some(s) => format!("{:.2} ± {:.2} [{:.2}, {:.2}]", s.mean, s.sd, s.ci.lo, s.ci.hi),
                    None => "—".into(),
                })
                .collect();
            let _ = writeln!(md, "| d = {} | {n} | {} |", g.start, cells.join(" | "));
        }
        md.push('\n');
        let (low, high) = (f.groups[0].start, f.groups[f.groups.len() - 1].start);
        let _ = writeln!(
            md,
            "| layer | Δ learned d (from {high} − from {low}) | 95% CI | share of the start gap kept |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- |");
        for (l, e) in f.layers.iter().enumerate() {
            match e {
                Some(e) => {
                    let _ = writeln!(
                        md,
                        "| conv{} | {:+.2} | [{:+.2}, {:+.2}] | {:.2} [{:.2}, {:.2}] |",
                        l + 1,
                        e.diff.diff,
                        e.diff.ci.lo,
                        e.diff.ci.hi,
                        e.kept.0,
                        e.kept.1.lo,
                        e.kept.1.hi
                    );
                }
                None => {
                    let _ = writeln!(md, "| conv{} | — | fewer than 2 seeds at a start | — |", l + 1);
                }
            }
        }
        let _ = writeln!(md, "\n**{}**: {}.\n", f.family, f.reading.words());
    }
    let (file, caption) = super::figures::FIGURES[2];
    let _ = writeln!(md, "![{caption}](figures/{file})\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::q1::records::SearchStart;
    use std::path::PathBuf;

    fn record(family: &str, start: f64, seed: u64, learned: [f64; 3]) -> SeedRecord {
        SeedRecord {
            method: format!("{family} from d={start}"),
            seed,
            learned: Learned::Continuous { range: (1.0, 4.0), dilations: learned, trajectory: Vec::new() },
            seconds: None,
            path: PathBuf::new(),
            start: Some(SearchStart { family: family.into(), dilations: [start; 3] }),
        }
    }

    /// Two starts, three seeds each: the learned d of conv1 stays 1.0 above the start's
    /// (1.1, 1.2, 1.3 vs 2.6, 2.7, 2.8: Δ = 1.5, sd 0.1 each, se 0.0816, df 4, t 2.776,
    /// CI 1.5 ± 0.227), the others forget it (Δ 0): dependent, and conv1 keeps 1.5/2 = 0.75 of
    /// the gap.
    #[test]
    fn a_learned_dilation_that_follows_its_start_is_start_dependent() {
        let mut records = Vec::new();
        for (seed, (lo, hi)) in [(1.1, 2.6), (1.2, 2.7), (1.3, 2.8)].into_iter().enumerate() {
            let jitter = 0.01 * seed as f64;
            records.push(record("continuous", 1.0, seed as u64, [lo, 2.0 + jitter, 2.0 - jitter]));
            records.push(record("continuous", 3.0, seed as u64, [hi, 2.0 + jitter, 2.0 - jitter]));
        }
        let found = start_sensitivity(&records);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.groups.iter().map(|g| g.start).collect::<Vec<_>>(), [1.0, 3.0]);
        let conv1 = f.layers[0].unwrap();
        assert!((conv1.diff.diff - 1.5).abs() < 1e-12);
        assert!((conv1.diff.ci.hi - conv1.diff.ci.lo - 2.0 * 2.776445 * 0.0816497).abs() < 1e-4);
        assert!((conv1.kept.0 - 0.75).abs() < 1e-12);
        assert!(f.layers[1].unwrap().diff.diff.abs() < 1e-12);
        assert_eq!(f.reading, StartReading::Dependent);
    }

    #[test]
    fn learned_dilations_that_forget_their_start_are_start_independent() {
        let mut records = Vec::new();
        for seed in 0..4u64 {
            let d = 1.8 + 0.02 * seed as f64;
            records.push(record("continuous 3 epochs", 1.0, seed, [d, d, d]));
            records.push(record("continuous 3 epochs", 3.0, seed, [d + 0.05, d, d - 0.05]));
        }
        let found = start_sensitivity(&records);
        assert_eq!(found[0].family, "continuous 3 epochs");
        assert_eq!(found[0].reading, StartReading::Independent);
    }

    #[test]
    fn one_start_or_too_few_seeds_cannot_be_judged() {
        let one_start: Vec<SeedRecord> =
            (0..3).map(|s| record("continuous", 2.0, s, [1.7, 1.8, 1.9])).collect();
        assert!(start_sensitivity(&one_start).is_empty());
        // One seed at the high start: no CI, and no other layer shows dependence.
        let mut few = one_start;
        few.push(record("continuous", 3.0, 0, [1.7, 1.8, 1.9]));
        let found = start_sensitivity(&few);
        assert!(found[0].layers.iter().all(Option::is_none));
        assert_eq!(found[0].reading, StartReading::Inconclusive);
    }
}
