//! Everything Q2 measures on one trained network, and its cache: a folder per run in the Q2
//! output folder holding `q2.json` (the numbers, keyed by the SHA-256 of the model file and the
//! settings) and `maps.f32` (the vanilla saliency maps of the image set, little-endian `f32`,
//! for the noise floor). A cache whose key does not match, or that cannot be read, is
//! recomputed.

use super::Q2Plan;
use super::classes::{ClassRun, converge};
use super::erf::conv3_erf;
use super::faith::{Faith, faithfulness};
use super::maps::{MapMeans, map_means};
use crate::run::read_model_file;
use crate::{Result, StudyError};
use atrous_autograd::nn::DilNet;
use atrous_saliency::localize::{LocalizeSummary, localize_all};
use atrous_saliency::saliency::{Target, saliency_maps};
use atrous_tensor::Tensor;
use atrous_tensor::files::write_atomic;
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Images per forward/backward pass.
const BATCH: usize = 250;

/// How a set of maps sits on the digits: [`MapMeans`] and the localisation means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Look {
    /// Means of the map numbers.
    pub maps: MapMeans,
    /// Graph-cut localisation: mean box IoU, mask IoU, seed-only box IoU, whole-image box IoU.
    pub localisation: [f64; 4],
}

/// What Q2 measured on one network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunQ2 {
    /// Dilation.
    pub dilation: usize,
    /// Seed.
    pub seed: u64,
    /// The cache key: SHA-256 of the model file, then the settings.
    pub key: String,
    /// Vanilla saliency of the trained network.
    pub look: Look,
    /// The same for the network's own initial weights (random-network baseline), if measured.
    pub init_look: Option<Look>,
    /// Per class, the mean logit `S_c` of the test images of class `c` in the set.
    pub class_logit: Vec<f64>,
    /// Test accuracy on the image set.
    pub accuracy: f64,
    /// ERF of conv3 after training (`H·W`).
    pub erf_trained: Vec<f64>,
    /// ERF of conv3 at the run's initial weights.
    pub erf_init: Vec<f64>,
    /// Class models, if run for this seed.
    pub class: Option<ClassRun>,
    /// Faithfulness, if run for this seed.
    pub faith: Option<Faith>,
    /// Wall time of the measurement (seconds).
    pub seconds: f64,
}

/// The data every run is measured on.
pub struct Inputs {
    /// The image set, `[n, 1, side, side]`.
    pub x: Tensor,
    /// Their labels.
    pub labels: Vec<usize>,
    /// Their indices in the test split.
    pub ids: Vec<usize>,
    /// The mean training image `m` (`side²` values).
    pub mean: Vec<f32>,
}

impl Inputs {
    /// The plan's seeded image set of `test` and the mean of `train`.
    pub fn new(plan: &Q2Plan, test: &MnistSplit, train: &MnistSplit) -> Result<Self> {
        let ids: Vec<usize> =
            Rng::seed_from(plan.image_seed).permutation(test.n)[..plan.images.min(test.n)].to_vec();
        let b = test.batch(&ids);
        let mean = atrous_saliency::class_model::mean_image(train)?.as_slice().to_vec();
        Ok(Inputs { x: b.x, labels: b.labels, ids, mean })
    }

    /// Images `range` of the set as a batch.
    pub fn slice(&self, from: usize, to: usize) -> Result<Tensor> {
        let plane = self.mean.len();
        let side = (plane as f64).sqrt() as usize;
        let data = self.x.as_slice()[from * plane..to * plane].to_vec();
        Tensor::from_vec(&[to - from, 1, side, side], data).map_err(super::te)
    }
}

/// The run folder's model file.
pub fn model_path(plan: &Q2Plan, d: usize, seed: u64) -> PathBuf {
    plan.runs.join(format!("d{d}-s{seed}")).join("model.safetensors")
}

/// The cache folder of a run.
pub fn cache_dir(plan: &Q2Plan, d: usize, seed: u64) -> PathBuf {
    plan.out.join(format!("d{d}-s{seed}"))
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> StudyError + '_ {
    move |source| StudyError::Read { path: path.into(), source }
}

/// Vanilla maps, logits of the true class and predictions of `model` on the set.
fn saliency_of(model: &DilNet, inputs: &Inputs) -> Result<(Vec<f32>, Vec<f32>, Vec<usize>)> {
    let (mut maps, mut scores, mut predicted) = (Vec::new(), Vec::new(), Vec::new());
    let n = inputs.ids.len();
    for from in (0..n).step_by(BATCH) {
        let to = (from + BATCH).min(n);
        let s =
            saliency_maps(model, &inputs.slice(from, to)?, Target::Label, Some(&inputs.labels[from..to]))?;
        maps.extend_from_slice(s.maps.as_slice());
        scores.extend(s.scores);
        predicted.extend(s.predictions);
    }
    Ok((maps, scores, predicted))
}

/// [`Look`] of maps over the set.
pub fn look_of(plan: &Q2Plan, inputs: &Inputs, maps: &[f32], predicted: &[usize]) -> Result<Look> {
    let side = (inputs.mean.len() as f64).sqrt() as usize;
    let config = plan.localize;
    let results = localize_all(inputs.x.as_slice(), maps, side, &config)?;
    let s = LocalizeSummary::from_results(&results, predicted, &inputs.labels, side);
    Ok(Look {
        maps: map_means(inputs.x.as_slice(), maps, side, config.ink_threshold),
        localisation: [s.mean_box_iou, s.mean_mask_iou, s.seed_only_box_iou, s.whole_image_box_iou],
    })
}

/// ERF of conv3 over the plan's first `erf_images` images.
fn erf(model: &DilNet, plan: &Q2Plan, inputs: &Inputs) -> Result<Vec<f64>> {
    let n = plan.erf_images.min(inputs.ids.len());
    let mut total = vec![0.0; inputs.mean.len()];
    for from in (0..n).step_by(BATCH) {
        let to = (from + BATCH).min(n);
        let e = conv3_erf(model, &inputs.slice(from, to)?)?;
        total.iter_mut().zip(&e).for_each(|(t, v)| *t += v * (to - from) as f64 / n as f64);
    }
    Ok(total)
}

/// Reads the run's cache if its key is `key`.
fn cached(dir: &Path, key: &str) -> Option<(RunQ2, Vec<f32>)> {
    let run: RunQ2 = serde_json::from_slice(&std::fs::read(dir.join("q2.json")).ok()?).ok()?;
    if run.key != key {
        return None;
    }
    let bytes = std::fs::read(dir.join("maps.f32")).ok()?;
    let maps = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    Some((run, maps))
}

/// Q2's numbers of run `d{d}-s{seed}` and its maps of the set, from the cache when it matches.
/// `None` when `plan.cached_only` and the cache does not match.
pub fn measure(plan: &Q2Plan, inputs: &Inputs, d: usize, seed: u64) -> Result<Option<(RunQ2, Vec<f32>)>> {
    let path = model_path(plan, d, seed);
    let bytes = std::fs::read(&path).map_err(read_err(&path))?;
    let key = format!("{:x} {}", Sha256::digest(&bytes), plan.settings(seed));
    let dir = cache_dir(plan, d, seed);
    if let Some(hit) = cached(&dir, &key) {
        return Ok(Some(hit));
    }
    if plan.cached_only {
        return Ok(None);
    }
    let start = std::time::Instant::now();
    let model = read_model_file(&path)?;
    let init = DilNet::new(model.config.clone(), &mut Rng::seed_from(seed))?;
    let (maps, scores, predicted) = saliency_of(&model, inputs)?;
    let look = look_of(plan, inputs, &maps, &predicted)?;
    let classes = model.config.classes;
    let mut class_logit = vec![(0.0, 0usize); classes];
    for (&y, &s) in inputs.labels.iter().zip(&scores) {
        class_logit[y].0 += f64::from(s);
        class_logit[y].1 += 1;
    }
    let init_look = if seed < plan.random_seeds {
        let (m, _, p) = saliency_of(&init, inputs)?;
        Some(look_of(plan, inputs, &m, &p)?)
    } else {
        None
    };
    let class = Some(converge(&model, &inputs.mean, &plan.converge_for(seed))?);
    let faith = if seed < plan.faith_seeds {
        let n = plan.faith_images.min(inputs.ids.len());
        Some(faithfulness(&model, &inputs.slice(0, n)?, &inputs.ids[..n], plan.faith_steps, plan.image_seed)?)
    } else {
        None
    };
    let run = RunQ2 {
        dilation: d,
        seed,
        key,
        look,
        init_look,
        class_logit: class_logit.iter().map(|(s, n)| s / (*n).max(1) as f64).collect(),
        accuracy: predicted.iter().zip(&inputs.labels).filter(|(p, y)| p == y).count() as f64
            / inputs.labels.len().max(1) as f64,
        erf_trained: erf(&model, plan, inputs)?,
        erf_init: erf(&init, plan, inputs)?,
        class,
        faith,
        seconds: start.elapsed().as_secs_f64(),
    };
    let json = serde_json::to_vec(&run).map_err(|e| StudyError::Invalid {
        field: "Q2 cache",
        value: e.to_string(),
        rule: "must serialise",
    })?;
    let raw: Vec<u8> = maps.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_atomic(&dir.join("maps.f32"), &raw)?;
    write_atomic(&dir.join("q2.json"), &json)?;
    Ok(Some((run, maps)))
}
