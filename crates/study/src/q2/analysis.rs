//! From the measured runs to per-dilation summaries and verdicts: every map metric with its
//! seed spread, 95% CI and baselines, pairwise Welch tests with Holm's correction, the
//! noise-floor rule on the maps themselves, the ERF radii, the class-model numbers and the
//! faithfulness scores. Nothing is drawn or written here.

use super::Q2Plan;
use super::floor::{FloorVerdict, across, floor_verdict, rank_scores, within};
use super::maps::{sobel, uniform_map};
use super::run::{Inputs, Look, RunQ2, look_of};
use crate::Result;
use crate::stats::{Summary, WelchTest, holm_optional, summarize, welch};
use atrous_autograd::nn::DilNet;

/// Significance level of the pairwise tests (after Holm's correction within a metric).
pub const ALPHA: f64 = 0.05;

/// A map metric: its name and how to read it from a [`Look`].
pub struct Metric {
    /// Name in tables.
    pub name: &'static str,
    /// Short name for CSVs and figure files.
    pub key: &'static str,
    /// The value.
    pub get: fn(&Look) -> f64,
}

/// The map metrics of the report, in order.
pub const METRICS: [Metric; 11] = [
    Metric { name: "saliency on ink (%)", key: "ink_share", get: |l| 100.0 * l.maps.numbers.ink_share },
    Metric { name: "spread (px)", key: "spread", get: |l| l.maps.numbers.spread },
    Metric { name: "gridding index k=2", key: "grid2", get: |l| l.maps.numbers.grid[0] },
    Metric { name: "gridding index k=3", key: "grid3", get: |l| l.maps.numbers.grid[1] },
    Metric { name: "gridding index k=4", key: "grid4", get: |l| l.maps.numbers.grid[2] },
    Metric { name: "spectral energy at 1/2", key: "energy2", get: |l| l.maps.numbers.lattice_energy[0] },
    Metric { name: "spectral energy at 1/3", key: "energy3", get: |l| l.maps.numbers.lattice_energy[1] },
    Metric { name: "spectral energy at 1/4", key: "energy4", get: |l| l.maps.numbers.lattice_energy[2] },
    Metric { name: "box IoU", key: "box_iou", get: |l| l.localisation[0] },
    Metric { name: "mask IoU", key: "mask_iou", get: |l| l.localisation[1] },
    Metric { name: "seed-only box IoU", key: "seed_box_iou", get: |l| l.localisation[2] },
];

/// The baselines of the map metrics.
#[derive(Clone, Debug)]
pub struct Baselines {
    /// Uniform map.
    pub uniform: Look,
    /// The image as its own map.
    pub image: Look,
    /// Sobel edge magnitude of the image.
    pub sobel: Look,
    /// Per dilation (plan order), the random networks' (initial weights) looks.
    pub random: Vec<Vec<Look>>,
}

/// One metric at one dilation.
#[derive(Clone, Debug)]
pub struct Cell {
    /// Dilation.
    pub dilation: usize,
    /// One value per seed.
    pub values: Vec<f64>,
    /// Mean, sd, 95% CI (`None` with fewer than two seeds).
    pub summary: Option<Summary>,
    /// Mean over the random networks of this dilation.
    pub random: f64,
}

/// A pairwise comparison `b − a` of one metric.
#[derive(Clone, Debug)]
pub struct Pair {
    /// First dilation.
    pub a: usize,
    /// Second dilation.
    pub b: usize,
    /// Welch's test of `b − a`.
    pub welch: Option<WelchTest>,
    /// Holm-adjusted p within the metric's pairs.
    pub holm_p: Option<f64>,
}

impl Pair {
    /// Whether the difference clears the seed noise (Holm p < [`ALPHA`]).
    pub fn real(&self) -> bool {
        self.holm_p.is_some_and(|p| p < ALPHA)
    }
}

/// One metric across dilations.
#[derive(Clone, Debug)]
pub struct MetricRow {
    /// Index into [`METRICS`].
    pub metric: usize,
    /// One cell per dilation.
    pub cells: Vec<Cell>,
    /// Uniform, image and Sobel baselines.
    pub fixed: [f64; 3],
    /// Every pair of dilations.
    pub pairs: Vec<Pair>,
}

/// The names of the fixed baselines, in [`MetricRow::fixed`] order.
pub const FIXED_BASELINES: [&str; 3] = ["uniform-map (chance)", "image-as-map", "Sobel-edge"];

impl MetricRow {
    /// The baselines whose value lies inside the CI of dilation `cell` (incl. its random net's).
    pub fn at_baseline(&self, cell: &Cell) -> Vec<&'static str> {
        let Some(s) = cell.summary else { return Vec::new() };
        let mut out: Vec<&'static str> = FIXED_BASELINES
            .iter()
            .zip(self.fixed)
            .filter(|(_, v)| s.ci.contains(*v))
            .map(|(n, _)| *n)
            .collect();
        if s.ci.contains(cell.random) {
            out.push("random-network (chance)");
        }
        out
    }
}

/// The noise floor of one pair of dilations, and the within/across sets it came from.
#[derive(Clone, Debug)]
pub struct FloorPair {
    /// First dilation.
    pub a: usize,
    /// Second dilation.
    pub b: usize,
    /// Across-d similarities (one per seed pair).
    pub across: Vec<f64>,
    /// The rule's verdict.
    pub verdict: FloorVerdict,
}

/// Similarity of maps within and across dilations.
#[derive(Clone, Debug)]
pub struct Floor {
    /// Per dilation (plan order), the within-d similarities (one per seed pair).
    pub within: Vec<Vec<f64>>,
    /// Every pair of dilations.
    pub pairs: Vec<FloorPair>,
}

/// ERF numbers of one dilation.
#[derive(Clone, Debug)]
pub struct ErfRow {
    /// Dilation.
    pub dilation: usize,
    /// Theoretical field side (pixels).
    pub theoretical: usize,
    /// r50 after training / at initialisation, over seeds.
    pub r50: [Option<Summary>; 2],
    /// r90 after training / at initialisation.
    pub r90: [Option<Summary>; 2],
    /// Mean radial profile after training / at initialisation.
    pub profile: [Vec<f64>; 2],
    /// Mean ERF map after training / at initialisation.
    pub map: [Vec<f64>; 2],
}

/// Class-model numbers of one dilation in one setting (paper's steps or converged).
#[derive(Clone, Debug)]
pub struct ClassRow {
    /// Dilation.
    pub dilation: usize,
    /// Seeds with class models.
    pub seeds: usize,
    /// ‖I*‖ (mean over classes), over seeds.
    pub norm: Option<Summary>,
    /// Lowest and highest pixel of `I* + m` (mean over classes of each class's min / max).
    pub range: [Option<Summary>; 2],
    /// `S_c(I* + m)` over the class's mean logit on real test images (mean over classes).
    pub relative_score: Option<Summary>,
    /// Share of classes the judge network assigns to `c` (judge excluded).
    pub recognised: Option<Summary>,
    /// Steps to convergence (mean over classes), and classes that hit the cap.
    pub steps: Option<Summary>,
    /// Classes (over all seeds) that reached the cap without converging.
    pub capped: usize,
    /// `‖ΔI‖/‖I‖` of the last step (mean over classes), over seeds (converged setting only).
    pub final_change: Option<Summary>,
}

/// Faithfulness of one method at one dilation.
#[derive(Clone, Debug)]
pub struct FaithRow {
    /// Dilation.
    pub dilation: usize,
    /// Method.
    pub method: String,
    /// Deletion AUC, insertion AUC, randomised Spearman, over seeds.
    pub scores: [Option<Summary>; 3],
    /// Random-order deletion / insertion AUC (mean over seeds).
    pub random: [f64; 2],
}

/// Everything the Q2 report says.
#[derive(Clone, Debug)]
pub struct Q2Analysis {
    /// Dilations.
    pub dilations: Vec<usize>,
    /// The measured runs (plan order).
    pub runs: Vec<RunQ2>,
    /// The baselines.
    pub baselines: Baselines,
    /// One row per map metric.
    pub metrics: Vec<MetricRow>,
    /// Noise floor of the maps.
    pub floor: Floor,
    /// ERF per dilation.
    pub erf: Vec<ErfRow>,
    /// Class models: paper's steps, then converged.
    pub classes: [Vec<ClassRow>; 2],
    /// Noise floor of the class models: paper's steps, then converged.
    pub class_floor: [Floor; 2],
    /// Faithfulness rows.
    pub faith: Vec<FaithRow>,
    /// Images of the set.
    pub images: usize,
    /// The paper's class-model step count.
    pub paper_steps: usize,
}

pub(crate) fn summary(v: &[f64]) -> Option<Summary> {
    let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    summarize(&finite, 0.95)
}

fn mean(v: &[f64]) -> f64 {
    super::floor::finite_mean(v)
}

/// Every pair `(i, j)`, `i < j`, of indices into `n` dilations.
pub fn index_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect()
}

fn metric_row(m: usize, dils: &[usize], runs: &[RunQ2], base: &Baselines) -> MetricRow {
    let get = METRICS[m].get;
    let cells: Vec<Cell> = dils
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let values: Vec<f64> = runs.iter().filter(|r| r.dilation == d).map(|r| get(&r.look)).collect();
            Cell {
                dilation: d,
                summary: summary(&values),
                values,
                random: mean(&base.random[i].iter().map(get).collect::<Vec<_>>()),
            }
        })
        .collect();
    let tests: Vec<(usize, usize, Option<WelchTest>)> = index_pairs(dils.len())
        .into_iter()
        .map(|(i, j)| (i, j, welch(&cells[j].values, &cells[i].values, 0.95)))
        .collect();
    let adjusted = holm_optional(&tests.iter().map(|t| t.2.map(|w| w.p)).collect::<Vec<_>>());
    let pairs = tests
        .into_iter()
        .zip(adjusted)
        .map(|((i, j, w), p)| Pair { a: dils[i], b: dils[j], welch: w, holm_p: p })
        .collect();
    MetricRow { metric: m, cells, fixed: [get(&base.uniform), get(&base.image), get(&base.sobel)], pairs }
}

/// The floor of per-network score vectors grouped by dilation.
pub fn floor_of(groups: &[Vec<&[f32]>], dils: &[usize], plane: usize) -> Floor {
    let within_sets: Vec<Vec<f64>> = groups.iter().map(|g| within(g, plane)).collect();
    let pairs = index_pairs(dils.len())
        .into_iter()
        .map(|(i, j)| {
            let across = across(&groups[i], &groups[j], plane);
            let verdict = floor_verdict(&within_sets[i], &within_sets[j], &across);
            FloorPair { a: dils[i], b: dils[j], across, verdict }
        })
        .collect();
    Floor { within: within_sets, pairs }
}

/// Analyses the measured runs (`(run, maps of the set)`, any order) of `plan`.
pub fn analyse(
    plan: &Q2Plan,
    inputs: &Inputs,
    judge: &DilNet,
    measured: Vec<(RunQ2, Vec<f32>)>,
) -> Result<Q2Analysis> {
    let dils = plan.dilations.clone();
    let plane = inputs.mean.len();
    let side = (plane as f64).sqrt() as usize;
    let images = inputs.x.as_slice();
    let n = inputs.ids.len();
    let uniform: Vec<f32> = (0..n).flat_map(|_| uniform_map(side)).collect();
    let edges: Vec<f32> = images.chunks_exact(plane).flat_map(|i| sobel(i, side)).collect();
    let labels = &inputs.labels;
    let (runs, maps): (Vec<RunQ2>, Vec<Vec<f32>>) = measured.into_iter().unzip();
    let baselines = Baselines {
        uniform: look_of(plan, inputs, &uniform, labels)?,
        image: look_of(plan, inputs, images, labels)?,
        sobel: look_of(plan, inputs, &edges, labels)?,
        random: dils
            .iter()
            .map(|&d| runs.iter().filter(|r| r.dilation == d).filter_map(|r| r.init_look.clone()).collect())
            .collect(),
    };
    let metrics = (0..METRICS.len()).map(|m| metric_row(m, &dils, &runs, &baselines)).collect();
    let scores: Vec<Vec<f32>> = maps.iter().map(|m| rank_scores(m, plane)).collect();
    fn group<'a>(runs: &[RunQ2], data: &'a [Vec<f32>], d: usize) -> Vec<&'a [f32]> {
        runs.iter().zip(data).filter(|(r, _)| r.dilation == d).map(|(_, s)| s.as_slice()).collect()
    }
    let groups: Vec<Vec<&[f32]>> = dils.iter().map(|&d| group(&runs, &scores, d)).collect();
    let floor = floor_of(&groups, &dils, plane);
    let erf = super::rows::erf_rows(&dils, &runs, side);
    let classes = [
        super::rows::class_rows(plan, inputs, judge, &runs, false)?,
        super::rows::class_rows(plan, inputs, judge, &runs, true)?,
    ];
    let class_floor = [false, true].map(|converged| {
        let flat: Vec<Vec<f32>> = runs
            .iter()
            .map(|r| {
                r.class
                    .as_ref()
                    .filter(|c| !converged || c.cap > plan.converge.paper_steps)
                    .map_or_else(Vec::new, |c| {
                        rank_scores(&(if converged { &c.converged } else { &c.paper }).concat(), plane)
                    })
            })
            .collect();
        let g: Vec<Vec<&[f32]>> = dils
            .iter()
            .map(|&d| group(&runs, &flat, d).into_iter().filter(|s| !s.is_empty()).collect())
            .collect();
        floor_of(&g, &dils, plane)
    });
    let faith = super::rows::faith_rows(&dils, &runs);
    Ok(Q2Analysis {
        dilations: dils,
        runs,
        baselines,
        metrics,
        floor,
        erf,
        classes,
        class_floor,
        faith,
        images: n,
        paper_steps: plan.converge.paper_steps,
    })
}
