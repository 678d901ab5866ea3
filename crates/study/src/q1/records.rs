//! Reading the learned-dilation searches' records for question 1, as whatever the searches
//! wrote: `seed-S.json` (softmax mixture, [`crate::search`]) and `continuous-seed-S.json`
//! (continuous dilation, [`crate::continuous_search`]). Only the fields this analysis needs are
//! read, so records that gained fields since still load; a file that does not parse is skipped
//! and named, never fatal (the report says which seeds it could not read).
//!
//! A mixture record names its method in a top-level `method` string when it has one
//! (`mixture`, `mixture-shared-kernel`, `mixture-gumbel`: the bilevel search); a record without one was written by
//! the single-level search and is grouped as `single-level`.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The fields of a mixture record this analysis reads.
#[derive(Deserialize)]
struct RawMixture {
    #[serde(default)]
    method: Option<String>,
    settings: RawMixtureSettings,
    weights: [Vec<f64>; 3],
    chosen: [usize; 3],
    #[serde(default)]
    seconds: Option<f64>,
    #[serde(default)]
    trajectory: Vec<RawMixturePoint>,
}

#[derive(Deserialize)]
struct RawMixtureSettings {
    candidates: Vec<usize>,
    seed: u64,
}

#[derive(Deserialize)]
struct RawMixturePoint {
    step: usize,
    weights: [Vec<f64>; 3],
}

/// The fields of a continuous record this analysis reads.
#[derive(Deserialize)]
struct RawContinuous {
    seed: u64,
    dilations: [f64; 3],
    settings: RawContinuousSettings,
    #[serde(default)]
    seconds: Option<f64>,
    #[serde(default)]
    trajectory: Vec<RawDilationPoint>,
}

#[derive(Deserialize)]
struct RawContinuousSettings {
    range: (f64, f64),
    #[serde(default)]
    initial: Option<[f64; 3]>,
    #[serde(default)]
    epochs: Option<usize>,
    #[serde(default)]
    dilation_lr: Option<f32>,
}

/// Where `atrous learn-dilation --method continuous` starts every layer by default.
pub const DEFAULT_START: f64 = 2.0;
/// The continuous search's default training epochs.
pub const DEFAULT_EPOCHS: usize = 1;
/// The continuous search's default learning rate of the dilations.
pub const DEFAULT_DILATION_LR: f32 = 0.05;

/// The method name of a continuous search: `continuous` with the default settings, else with
/// the settings that differ (`continuous from d=1, 3 epochs, dilation lr 0.5`), so searches that
/// differ in start, length or step size are judged apart and each one's influence on what is
/// learned can be read off.
fn continuous_method(settings: &RawContinuousSettings) -> String {
    let start = match settings.initial {
        Some(start) if start != [DEFAULT_START; 3] => {
            if start.iter().all(|&d| d == start[0]) {
                format!(" from d={}", start[0])
            } else {
                format!(" from d=({},{},{})", start[0], start[1], start[2])
            }
        }
        _ => String::new(),
    };
    let rest = settings_text(settings);
    match (start.is_empty(), rest.is_empty()) {
        (_, true) => format!("continuous{start}"),
        (true, false) => format!("continuous {rest}"),
        (false, false) => format!("continuous{start}, {rest}"),
    }
}

/// The name of the searches that differ from this one at most in their start: the method name
/// without the start (`continuous`, `continuous 3 epochs`).
fn continuous_family(settings: &RawContinuousSettings) -> String {
    let rest = settings_text(settings);
    if rest.is_empty() { "continuous".into() } else { format!("continuous {rest}") }
}

/// The non-default length and dilation step size, comma-separated (empty for the defaults).
fn settings_text(settings: &RawContinuousSettings) -> String {
    let mut parts = Vec::new();
    if let Some(epochs) = settings.epochs.filter(|&e| e != DEFAULT_EPOCHS) {
        parts.push(format!("{epochs} epochs"));
    }
    if let Some(lr) = settings.dilation_lr.filter(|&lr| lr != DEFAULT_DILATION_LR) {
        parts.push(format!("dilation lr {lr}"));
    }
    parts.join(", ")
}

#[derive(Deserialize)]
struct RawDilationPoint {
    step: usize,
    dilations: [f64; 3],
}

/// What one search seed learned, in the form the consistency analysis uses.
#[derive(Clone, Debug, PartialEq)]
pub enum Learned {
    /// A softmax mixture over candidate dilations.
    Mixture {
        /// Candidate dilations (the weights' order).
        candidates: Vec<usize>,
        /// Final weights per layer.
        weights: [Vec<f64>; 3],
        /// The largest-weight candidate per layer.
        chosen: [usize; 3],
        /// (step, weights per layer) along the search.
        trajectory: Vec<(usize, [Vec<f64>; 3])>,
    },
    /// A real dilation per layer.
    Continuous {
        /// The range the dilations were kept in.
        range: (f64, f64),
        /// Final dilations.
        dilations: [f64; 3],
        /// (step, dilations) along the search.
        trajectory: Vec<(usize, [f64; 3])>,
    },
}

impl Learned {
    /// The discrete configuration this seed learned: the argmax of a mixture, the continuous
    /// dilations rounded to the nearest integer (halves away from zero).
    pub fn configuration(&self) -> [usize; 3] {
        match self {
            Learned::Mixture { chosen, .. } => *chosen,
            Learned::Continuous { dilations, .. } => dilations.map(|d| d.round().max(1.0) as usize),
        }
    }

    /// The choices the configuration's layer was picked among: the candidates, or the integers
    /// of the continuous range.
    pub fn categories(&self) -> Vec<usize> {
        match self {
            Learned::Mixture { candidates, .. } => candidates.clone(),
            Learned::Continuous { range, .. } => {
                let (lo, hi) = (range.0.round().max(1.0) as usize, range.1.round().max(1.0) as usize);
                (lo..=hi).collect()
            }
        }
    }

    /// Per layer at each recorded step: the learned dilation (continuous) or the
    /// weight-averaged dilation Σ w_d · d (mixture), for the trajectories figure.
    pub fn dilation_path(&self) -> DilationPath {
        match self {
            Learned::Continuous { trajectory, .. } => trajectory.clone(),
            Learned::Mixture { candidates, trajectory, .. } => trajectory
                .iter()
                .map(|(step, w)| (*step, [0, 1, 2].map(|l| expected_dilation(&w[l], candidates))))
                .collect(),
        }
    }
}

/// (step, value per layer) along a search.
pub type DilationPath = Vec<(usize, [f64; 3])>;

/// Σ w_d · d / Σ w_d.
pub fn expected_dilation(weights: &[f64], candidates: &[usize]) -> f64 {
    let total: f64 = weights.iter().sum();
    weights.iter().zip(candidates).map(|(w, &d)| w * d as f64).sum::<f64>() / total
}

/// One seed's record.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRecord {
    /// The method's name (`mixture`, `continuous`, or the record's own `method`).
    pub method: String,
    /// The search seed.
    pub seed: u64,
    /// What it learned.
    pub learned: Learned,
    /// Wall time of the search, when recorded.
    pub seconds: Option<f64>,
    /// The file it came from.
    pub path: PathBuf,
    /// A continuous search's start, for the start-sensitivity analysis; `None` for a mixture.
    pub start: Option<SearchStart>,
}

/// Where a continuous search started, and which searches differ from it only there.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchStart {
    /// The method name without the start (`continuous`, `continuous 3 epochs`).
    pub family: String,
    /// The starting dilation of conv1, conv2, conv3.
    pub dilations: [f64; 3],
}

/// Every record found in `dirs` (not recursive), sorted by method then seed, and the files
/// named like records that could not be read.
pub fn read_records(dirs: &[PathBuf]) -> (Vec<SeedRecord>, Vec<PathBuf>) {
    let (mut found, mut unreadable) = (Vec::new(), Vec::new());
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let parsed = if name.starts_with("continuous-seed-") && name.ends_with(".json") {
                Some(read_continuous(&path))
            } else if name.starts_with("seed-") && name.ends_with(".json") {
                Some(read_mixture(&path))
            } else {
                None
            };
            match parsed {
                Some(Some(r)) => found.push(r),
                Some(None) => unreadable.push(path),
                None => {}
            }
        }
    }
    found.sort_by(|a: &SeedRecord, b| (&a.method, a.seed).cmp(&(&b.method, b.seed)));
    (found, unreadable)
}

fn read_mixture(path: &Path) -> Option<SeedRecord> {
    let raw: RawMixture = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let k = raw.settings.candidates.len();
    if k == 0 || raw.weights.iter().any(|w| w.len() != k) {
        return None;
    }
    Some(SeedRecord {
        method: raw.method.unwrap_or_else(|| "single-level".into()),
        seed: raw.settings.seed,
        learned: Learned::Mixture {
            candidates: raw.settings.candidates,
            weights: raw.weights,
            chosen: raw.chosen,
            trajectory: raw.trajectory.into_iter().map(|p| (p.step, p.weights)).collect(),
        },
        seconds: raw.seconds,
        path: path.to_path_buf(),
        start: None,
    })
}

fn read_continuous(path: &Path) -> Option<SeedRecord> {
    let raw: RawContinuous = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some(SeedRecord {
        method: continuous_method(&raw.settings),
        start: Some(SearchStart {
            family: continuous_family(&raw.settings),
            dilations: raw.settings.initial.unwrap_or([DEFAULT_START; 3]),
        }),
        seed: raw.seed,
        learned: Learned::Continuous {
            range: raw.settings.range,
            dilations: raw.dilations,
            trajectory: raw.trajectory.into_iter().map(|p| (p.step, p.dilations)).collect(),
        },
        seconds: raw.seconds,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(initial: Option<[f64; 3]>, epochs: Option<usize>, dilation_lr: Option<f32>) -> String {
        continuous_method(&RawContinuousSettings { range: (1.0, 4.0), initial, epochs, dilation_lr })
    }

    #[test]
    fn a_continuous_search_is_named_by_the_settings_that_differ_from_the_defaults() {
        assert_eq!(named(None, None, None), "continuous");
        assert_eq!(named(Some([2.0; 3]), Some(1), Some(0.05)), "continuous");
        assert_eq!(named(Some([1.0; 3]), Some(1), None), "continuous from d=1");
        assert_eq!(named(Some([3.5; 3]), None, None), "continuous from d=3.5");
        assert_eq!(named(Some([1.0, 2.0, 4.0]), None, None), "continuous from d=(1,2,4)");
        assert_eq!(named(Some([2.0; 3]), Some(3), None), "continuous 3 epochs");
        assert_eq!(named(None, None, Some(0.5)), "continuous dilation lr 0.5");
        assert_eq!(
            named(Some([3.0; 3]), Some(3), Some(0.5)),
            "continuous from d=3, 3 epochs, dilation lr 0.5"
        );
    }

    #[test]
    fn searches_that_differ_only_in_their_start_share_a_family() {
        let family = |initial, epochs| {
            continuous_family(&RawContinuousSettings {
                range: (1.0, 4.0),
                initial,
                epochs,
                dilation_lr: None,
            })
        };
        assert_eq!(family(Some([1.0; 3]), None), "continuous");
        assert_eq!(family(Some([3.0; 3]), Some(1)), "continuous");
        assert_eq!(family(Some([3.0; 3]), Some(3)), "continuous 3 epochs");
    }
}
