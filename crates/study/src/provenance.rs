//! Which code and arithmetic produced a run: the *engine revision* and the git commit.
//!
//! A study may reuse a run folder only if the running binary would train the same bits. A hash of
//! the engine's sources is too strict (a comment or a file-writing fix makes every run stale) and
//! too loose (the same sources give other bits on a machine with another SIMD width). So the
//! engine revision is a *numerics fingerprint*: the bits of a fixed set of probe computations
//! (two SGD steps and one Adam step of real-sized networks on a fixed synthetic batch, covering
//! every dilation and kernel size the study trains, then their logits) hashed together. Any
//! change to the order of a sum in a kernel, to an optimiser's formula or to initialisation shows
//! in it; a refactor that keeps every bit does not. It costs a fraction of a second, once per
//! process.
//!
//! A fingerprint is a sample, not a proof: a code path no probe reaches (a size threshold crossed
//! only by bigger networks, say) can change without changing it. `scripts/check_reproducible.sh`
//! re-trains whole runs and compares model bytes for the stronger check.

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::OptimizerKind;
use atrous_autograd::train::train_step;
use atrous_autograd::{Classifier, Result as AutogradResult};
use atrous_tensor::Tensor;
use atrous_tensor::mnist::{Batch, IMAGE_SIDE};
use atrous_tensor::rng::Rng;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Images in the probe batch: more than the threads of a typical run, so image-parallel splits
/// happen, and few enough that the probes take a fraction of a second.
const PROBE_BATCH: usize = 4;

/// The per-layer (kernel, dilation) pairs the probes train: the study's main grid, its
/// receptive-field-matched controls and its mixed-dilation schedule.
const PROBES: [([usize; 3], [usize; 3]); 8] = [
    ([3; 3], [1; 3]),
    ([3; 3], [2; 3]),
    ([3; 3], [3; 3]),
    ([3; 3], [4; 3]),
    ([5; 3], [1; 3]),
    ([7; 3], [1; 3]),
    ([9; 3], [1; 3]),
    ([3; 3], [1, 2, 3]),
];

/// The engine revision of this process: a 16-hex-digit fingerprint of the training arithmetic
/// (see the module docs), computed on first use. If a probe fails (which would be a bug), the
/// revision names the failure, so no stored run matches it and the failure is visible.
pub fn engine_revision() -> &'static str {
    static REVISION: OnceLock<String> = OnceLock::new();
    REVISION.get_or_init(|| match numerics_fingerprint() {
        Ok(hash) => hash,
        Err(e) => format!("unavailable ({e})"),
    })
}

/// The git commit this binary was built from, when the build could ask git (provenance only:
/// uncommitted changes are not reflected; [`engine_revision`] is what reuse relies on).
pub fn git_commit() -> Option<&'static str> {
    let c = env!("ATROUS_GIT_COMMIT");
    (!c.is_empty()).then_some(c)
}

/// The synthetic probe batch: MNIST-shaped pixels in `[0, 1]`, a few of them exactly 0 as on
/// real digits, and every label.
fn probe_batch() -> AutogradResult<Batch> {
    let mut rng = Rng::seed_from(0xF1A6_E2B1);
    let pixels = PROBE_BATCH * IMAGE_SIDE * IMAGE_SIDE;
    let x: Vec<f32> = (0..pixels).map(|_| (rng.next_f32() * 1.6 - 0.6).max(0.0)).collect();
    Ok(Batch {
        x: Tensor::from_vec(&[PROBE_BATCH, 1, IMAGE_SIDE, IMAGE_SIDE], x)?,
        labels: (0..PROBE_BATCH).map(|i| i % 10).collect(),
    })
}

fn hash_tensor(hasher: &mut Sha256, t: &Tensor) {
    for v in t.as_slice() {
        hasher.update(v.to_bits().to_le_bytes());
    }
}

/// Trains each probe network a few steps and hashes every parameter, loss and logit bit.
fn numerics_fingerprint() -> AutogradResult<String> {
    let batch = probe_batch()?;
    let mut hasher = Sha256::new();
    for (i, (kernels, dilations)) in PROBES.iter().enumerate() {
        let config = DilNetConfig { kernels: *kernels, dilations: *dilations, ..DilNetConfig::reference(1) };
        let mut rng = Rng::seed_from(i as u64);
        let mut net = DilNet::new(config, &mut rng)?;
        // SGD with momentum and weight decay on every probe; Adam on the first, so both
        // optimisers' formulas are in the fingerprint.
        let mut sgd = OptimizerKind::Sgd.build(0.05, 0.9, 1e-4);
        for _ in 0..2 {
            let stats = train_step(&mut net, &mut sgd, &batch)?;
            hasher.update(stats.loss.to_bits().to_le_bytes());
        }
        if i == 0 {
            let mut adam = OptimizerKind::Adam.build(1e-3, 0.0, 1e-4);
            let stats = train_step(&mut net, &mut adam, &batch)?;
            hasher.update(stats.loss.to_bits().to_le_bytes());
        }
        for p in Classifier::parameters(&net) {
            hash_tensor(&mut hasher, p);
        }
        hash_tensor(&mut hasher, &net.predict(&batch.x)?);
    }
    Ok(hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revision_is_sixteen_hex_digits_and_stable_within_a_process() {
        let first = engine_revision();
        assert_eq!(first.len(), 16, "{first}");
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()), "{first}");
        assert_eq!(numerics_fingerprint().unwrap(), first, "the probes are deterministic");
    }

    #[test]
    fn the_revision_does_not_depend_on_the_thread_count() {
        let one = atrous_tensor::parallel::with_threads(1, numerics_fingerprint).unwrap().unwrap();
        let two = atrous_tensor::parallel::with_threads(2, numerics_fingerprint).unwrap().unwrap();
        assert_eq!(one, two);
    }

    #[test]
    fn a_one_ulp_change_in_any_parameter_changes_the_hash() {
        let mut net = DilNet::new(DilNetConfig::reference(2), &mut Rng::seed_from(1)).unwrap();
        let hash = |net: &DilNet| {
            let mut h = Sha256::new();
            for p in Classifier::parameters(net) {
                hash_tensor(&mut h, p);
            }
            h.finalize()
        };
        let before = hash(&net);
        let w = &mut net.parameters_mut()[2].as_mut_slice()[7];
        *w = f32::from_bits(w.to_bits() + 1);
        assert_ne!(hash(&net), before);
    }
}
