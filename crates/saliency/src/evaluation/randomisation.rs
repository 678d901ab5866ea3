//! The sanity checks of Adebayo et al. (2018, "Sanity Checks for Saliency Maps"): a map that
//! explains the model must change when the model's weights are destroyed.
//!
//! - **Cascading model-parameter randomisation**: DilNet's layers are re-initialised from the
//!   top, fc2, then fc1, conv3, conv2, conv1, cumulatively, each with the distribution it was
//!   initialised from (PyTorch's default, `U(±1/√fan_in)` for weight and bias) drawn from
//!   `Rng::seed_from(seed).fork(layer)`; after each step the maps are recomputed for the same
//!   class as the original model's and compared with the original maps.
//! - **Label randomisation**: a DilNet of the same architecture trained on training images
//!   whose labels were permuted (seeded), with the one training loop of `atrous_autograd`.
//! - **Comparison** ([`compare_maps`]): per image, Spearman's rank correlation of the maps as
//!   given and of their absolute values, and SSIM of the maps and of their absolute values,
//!   each map rescaled to `[0, 1]` by its own minimum and maximum first (data range 1).

use super::metrics::{Summary, rescale_unit, spearman, ssim};
use crate::{Result, SaliencyError};
use atrous_autograd::nn::{Conv2d, DilNet, Linear};
use atrous_autograd::optim::OptimizerKind;
use atrous_autograd::train::{epoch_order, fit_epoch};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;

/// A layer of DilNet, as the cascade randomises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// First convolution.
    Conv1,
    /// Second convolution.
    Conv2,
    /// Third convolution.
    Conv3,
    /// Hidden fully connected layer.
    Fc1,
    /// Output layer.
    Fc2,
}

/// The cascade's order: top (logits) down to the first convolution.
pub const CASCADE: [Layer; 5] = [Layer::Fc2, Layer::Fc1, Layer::Conv3, Layer::Conv2, Layer::Conv1];

impl Layer {
    /// The layer's name in model files (`conv1`, …, `fc2`).
    pub fn name(self) -> &'static str {
        match self {
            Layer::Conv1 => "conv1",
            Layer::Conv2 => "conv2",
            Layer::Conv3 => "conv3",
            Layer::Fc1 => "fc1",
            Layer::Fc2 => "fc2",
        }
    }
}

/// `model` with `layer` re-drawn from its initial distribution, from
/// `Rng::seed_from(seed).fork(stream)` with `stream` the layer's position in the network (1..=5),
/// so a layer's new weights depend on the seed and the layer alone.
pub fn reinitialise(model: &DilNet, layer: Layer, seed: u64) -> DilNet {
    let mut out = model.clone();
    let stream = match layer {
        Layer::Conv1 => 1,
        Layer::Conv2 => 2,
        Layer::Conv3 => 3,
        Layer::Fc1 => 4,
        Layer::Fc2 => 5,
    };
    let mut rng = Rng::seed_from(seed).fork(stream);
    let conv = |c: &Conv2d, rng: &mut Rng| {
        let d = c.weight.dims();
        Conv2d::new(d[1], d[0], c.params, rng)
    };
    let linear = |l: &Linear, rng: &mut Rng| {
        let d = l.weight.dims();
        Linear::new(d[1], d[0], rng)
    };
    match layer {
        Layer::Conv1 => out.conv1 = conv(&model.conv1, &mut rng),
        Layer::Conv2 => out.conv2 = conv(&model.conv2, &mut rng),
        Layer::Conv3 => out.conv3 = conv(&model.conv3, &mut rng),
        Layer::Fc1 => out.fc1 = linear(&model.fc1, &mut rng),
        Layer::Fc2 => out.fc2 = linear(&model.fc2, &mut rng),
    }
    out
}

/// The models of the cascade: step `k` (1..=5) has the first `k` layers of [`CASCADE`]
/// re-initialised.
pub fn cascade(model: &DilNet, seed: u64) -> Vec<DilNet> {
    let mut current = model.clone();
    CASCADE
        .iter()
        .map(|&layer| {
            current = reinitialise(&current, layer, seed);
            current.clone()
        })
        .collect()
}

/// Per image, how alike two sets of maps are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapSimilarity {
    /// Spearman's rank correlation of the maps as given.
    pub spearman: Vec<f64>,
    /// Spearman's rank correlation of `|map|`.
    pub spearman_abs: Vec<f64>,
    /// SSIM of the maps, each rescaled to `[0, 1]`.
    pub ssim: Vec<f64>,
    /// SSIM of `|map|`, each rescaled to `[0, 1]`.
    pub ssim_abs: Vec<f64>,
}

/// The four similarities of [`MapSimilarity`], summarised over images.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimilaritySummary {
    /// Spearman (as given).
    pub spearman: Summary,
    /// Spearman of `|map|`.
    pub spearman_abs: Summary,
    /// SSIM (as given).
    pub ssim: Summary,
    /// SSIM of `|map|`.
    pub ssim_abs: Summary,
}

impl MapSimilarity {
    /// The means and intervals over images.
    pub fn summary(&self) -> SimilaritySummary {
        SimilaritySummary {
            spearman: Summary::of(&self.spearman),
            spearman_abs: Summary::of(&self.spearman_abs),
            ssim: Summary::of(&self.ssim),
            ssim_abs: Summary::of(&self.ssim_abs),
        }
    }
}

/// Compares maps `a` and `b` (`[N, H, W]` each) image by image.
pub fn compare_maps(a: &Tensor, b: &Tensor) -> Result<MapSimilarity> {
    let &[_, _, side] = a.dims() else {
        return Err(SaliencyError::Shape {
            what: "maps",
            expected: "[N, H, W]".into(),
            found: a.shape().clone(),
        });
    };
    if a.dims() != b.dims() {
        return Err(SaliencyError::Shape {
            what: "the maps compared",
            expected: format!("{:?}", a.dims()),
            found: b.shape().clone(),
        });
    }
    let plane = a.len() / a.dims()[0].max(1);
    let mut s = MapSimilarity::default();
    for (ma, mb) in a.as_slice().chunks_exact(plane).zip(b.as_slice().chunks_exact(plane)) {
        let (aa, ab): (Vec<f32>, Vec<f32>) =
            (ma.iter().map(|v| v.abs()).collect(), mb.iter().map(|v| v.abs()).collect());
        s.spearman.push(spearman(ma, mb));
        s.spearman_abs.push(spearman(&aa, &ab));
        s.ssim.push(ssim(&rescale_unit(ma), &rescale_unit(mb), side, 1.0));
        s.ssim_abs.push(ssim(&rescale_unit(&aa), &rescale_unit(&ab), side, 1.0));
    }
    Ok(s)
}

/// How the label-randomised model is trained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelRandomisation {
    /// Training images used (the first ones of the split).
    pub images: usize,
    /// Passes over them.
    pub epochs: usize,
    /// Adam's learning rate.
    pub lr: f32,
    /// Images per step.
    pub batch: usize,
    /// Seed of the label permutation, the initial weights and the visiting order.
    pub seed: u64,
}

impl Default for LabelRandomisation {
    fn default() -> Self {
        LabelRandomisation { images: 5000, epochs: 30, lr: 1e-3, batch: 64, seed: 0 }
    }
}

/// A model trained on permuted labels, and how well it fits them.
#[derive(Clone, Debug)]
pub struct LabelRandomised {
    /// The trained model.
    pub model: DilNet,
    /// Accuracy on the permuted labels in the last epoch (a network that memorised them is near 1).
    pub train_accuracy: f64,
    /// Mean loss of the last epoch.
    pub train_loss: f64,
}

/// Trains a DilNet of `like`'s architecture on the first `config.images` images of `train`
/// with their labels permuted by `Rng::seed_from(seed).fork(0)`; weights from `fork(1)`, epoch
/// `e` visits in `epoch_order(seed, e)`, Adam without weight decay.
pub fn train_on_permuted_labels(
    like: &DilNet,
    train: &MnistSplit,
    config: &LabelRandomisation,
) -> Result<LabelRandomised> {
    if config.images == 0 || config.epochs == 0 || !(config.lr > 0.0 && config.lr.is_finite()) {
        return Err(SaliencyError::Setting {
            setting: "label randomisation (images, epochs, learning rate)",
            value: config.images.min(config.epochs) as f64,
            rule: "images and epochs must be at least 1 and the learning rate positive",
        });
    }
    let mut data = train.take(config.images);
    let root = Rng::seed_from(config.seed);
    let permutation = root.fork(0).permutation(data.n);
    data.labels = permutation.iter().map(|&i| data.labels[i]).collect();
    let mut model = DilNet::new(like.config.clone(), &mut root.fork(1))?;
    let mut opt = OptimizerKind::Adam.build(config.lr, 0.0, 0.0);
    let mut last = None;
    for epoch in 0..config.epochs {
        let order = epoch_order(config.seed, epoch, data.n);
        last = Some(fit_epoch(&mut model, &mut opt, &data, &order, config.batch, |_, _| {})?);
    }
    let last = last.expect("at least one epoch");
    Ok(LabelRandomised { model, train_accuracy: last.accuracy, train_loss: last.loss })
}
