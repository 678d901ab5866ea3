//! The memory a training step or an explanation pass needs, estimated from the recipe before
//! anything is allocated, and the memory this machine has available, so that a legal-looking
//! but impossible value (`--batch-size 60000`, very wide layers) is refused in one line instead
//! of aborting on an allocation failure or being killed by the kernel.
//!
//! The estimate counts, per image, every value the forward pass records on the tape plus the
//! largest unfolded convolution input. Measured peak resident memory of `atrous train` grows by
//! 0.73 MB per image of the batch for DilNet 16-32-64 and by 3.1 MB for 64-128-256 (batches of
//! 1,024 and 4,096); this estimate says 0.90 MB and 3.57 MB, about 20% above, on the safe side.

use crate::TrainRecipe;
use atrous_autograd::nn::DilNetConfig;

/// Bytes of an `f32`.
const F32: u64 = 4;

/// Bytes one image adds to a forward and backward pass of a DilNet of architecture `config`.
pub fn bytes_per_image(config: &DilNetConfig) -> u64 {
    let [c1, c2, c3] = config.channels.map(|c| c as u64);
    let [k1, k2, k3] = config.kernels.map(|k| k as u64);
    let full = (config.side as u64).pow(2);
    let half = (config.side as u64 / 2).pow(2);
    let quarter = (config.side as u64 / 4).pow(2);
    // Input and its normalisation; conv1 and conv2 with their ReLUs; the first pooling; conv3
    // with its ReLU; the second pooling; the two fully connected layers.
    let values = full * (2 + 2 * c1 + 2 * c2)
        + half * (c2 + 2 * c3)
        + quarter * c3
        + 2 * config.hidden as u64
        + config.classes as u64;
    let unfolded = (k1 * k1 * full).max(c1 * k2 * k2 * full).max(c2 * k3 * k3 * half);
    F32 * (values + unfolded)
}

/// Bytes of the parameters of `config` with their gradients and two optimiser states.
pub fn parameter_bytes(config: &DilNetConfig) -> u64 {
    let params: u64 = config.param_shapes().iter().map(|s| s.iter().product::<usize>() as u64).sum();
    4 * F32 * params
}

/// MNIST held in memory by a run: the training and test files as bytes, and a copy of the
/// training file for a validation split.
const DATA_BYTES: u64 = 2 * 60_000 * 784 + 10_000 * 784;

/// What a training run of `recipe` holds at its peak: one step's batch, the parameters and
/// their optimiser state, and the data.
pub fn training_bytes(recipe: &TrainRecipe) -> u64 {
    let per_step = bytes_per_image(&recipe.net).saturating_mul(recipe.batch_size as u64);
    per_step.saturating_add(parameter_bytes(&recipe.net)).saturating_add(DATA_BYTES)
}

/// What an explanation pass of `rows` images through `config` holds (no optimiser state).
pub fn inference_bytes(config: &DilNetConfig, rows: usize) -> u64 {
    let per_pass = bytes_per_image(config).saturating_mul(rows as u64);
    per_pass.saturating_add(parameter_bytes(config) / 2).saturating_add(DATA_BYTES)
}

/// Memory available to a new process, in bytes (`MemAvailable` of `/proc/meminfo`); `None`
/// where that cannot be read.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text, "MemAvailable:")
}

fn parse_meminfo(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..].trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// Needed memory beyond what is available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortfall {
    /// Bytes the work needs (estimated).
    pub needed: u64,
    /// Bytes available.
    pub available: u64,
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "needs about {} of memory, more than the {} available",
            gib(self.needed),
            gib(self.available)
        )
    }
}

/// `bytes` as GiB with one decimal (or MiB below 1 GiB).
fn gib(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", b / (1u64 << 20) as f64)
    }
}

/// `Err` when `needed` bytes exceed `available` (when known).
pub fn check(needed: u64, available: Option<u64>) -> Result<(), Shortfall> {
    match available {
        Some(available) if needed > available => Err(Shortfall { needed, available }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_the_measured_growth_per_image() {
        let reference = DilNetConfig::reference(1);
        assert_eq!(bytes_per_image(&reference), 4 * (111_594 + 112_896));
        let wide = DilNetConfig { channels: [64, 128, 256], ..reference.clone() };
        let (r, w) = (bytes_per_image(&reference) as f64, bytes_per_image(&wide) as f64);
        // Measured: 0.73 MB and 3.1 MB per image; the estimate stays above, within 1.4x.
        assert!(r > 0.73e6 && r < 1.4 * 0.73e6, "{r}");
        assert!(w > 3.1e6 && w < 1.4 * 3.1e6, "{w}");
        let recipe = TrainRecipe { batch_size: 60_000, ..TrainRecipe::reference(1) };
        assert!(training_bytes(&recipe) > 50 << 30, "batch 60000 needs tens of GiB");
        assert!(training_bytes(&TrainRecipe::reference(1)) < 300 << 20, "the reference fits anywhere");
    }

    #[test]
    fn check_refuses_only_what_exceeds_the_available_memory() {
        assert_eq!(check(10, Some(5)), Err(Shortfall { needed: 10, available: 5 }));
        assert_eq!(check(5, Some(5)), Ok(()));
        assert_eq!(check(u64::MAX, None), Ok(()));
        let s = Shortfall { needed: 3 << 30, available: 512 << 20 }.to_string();
        assert_eq!(s, "needs about 3.0 GiB of memory, more than the 512 MiB available");
        let meminfo = "MemTotal:       24000000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(parse_meminfo(meminfo, "MemAvailable:"), Some(20_000_000 * 1024));
        assert_eq!(parse_meminfo("MemAvailable: x kB", "MemAvailable:"), None);
        assert!(available_bytes().is_none_or(|b| b > 0));
    }
}
