//! The continuous dilation search on a tiny split: it writes a record whose trajectory starts at
//! the starting dilations and stays in range, and a second call reuses the record.

use atrous_study::Silent;
use atrous_study::continuous_search::{ContinuousSettings, continuous_seed};
use atrous_tensor::mnist::MnistSplit;
use atrous_tensor::rng::Rng;

fn split(n: usize, seed: u64) -> MnistSplit {
    let mut rng = Rng::seed_from(seed);
    let images = (0..n * 784).map(|_| if rng.uniform(0.0, 1.0) < 0.2 { 255 } else { 0 }).collect();
    MnistSplit { images, labels: (0..n).map(|i| (i % 10) as u8).collect(), n }
}

#[test]
fn a_tiny_search_records_its_trajectory_in_range_and_is_reused() {
    let out = std::env::temp_dir().join(format!("atrous-continuous-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let (train, validation) = (split(96, 1), split(40, 2));
    let settings = ContinuousSettings {
        initial: [1.5, 2.0, 2.5],
        range: (1.0, 4.0),
        epochs: 1,
        batch_size: 32,
        lr: 0.05,
        momentum: 0.9,
        dilation_lr: 0.5,
        train_images: train.n,
        validation_images: validation.n,
    };
    let first = continuous_seed(&settings, 0, &train, &validation, &out, &Silent).unwrap();
    assert_eq!(first.trajectory[0].dilations, [1.5, 2.0, 2.5]);
    assert_ne!(first.dilations, [1.5, 2.0, 2.5], "three steps did not move any dilation");
    assert!(first.trajectory.iter().flat_map(|p| p.dilations).all(|d| (1.0..=4.0).contains(&d)));
    assert!((0.0..=1.0).contains(&first.validation_accuracy));
    assert!(out.join("continuous-seed-0.json").exists());
    let again = continuous_seed(&settings, 0, &train, &validation, &out, &Silent).unwrap();
    assert_eq!(again, first, "an existing record with the same settings is reused");
    let bad = ContinuousSettings { dilation_lr: f32::NAN, ..settings };
    assert!(continuous_seed(&bad, 0, &train, &validation, &out, &Silent).is_err());
    std::fs::remove_dir_all(&out).unwrap();
}
