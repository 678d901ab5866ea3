//! The bilevel search on tiny splits of the real MNIST training file: it never reads test data
//! (garbage test files give the same records bit for bit), it stops by its patience rule and says
//! so, and a seed's record is reused when the settings agree and refused, naming the setting,
//! when they do not. With Gumbel-softmax the same seed gives the same trajectory, and the
//! record names the method and its schedule.

use atrous_study::Silent;
use atrous_study::bilevel_search::{Gumbel, MixturePlan, SearchData, StopReason, mixture_seed, temperature};
use atrous_study::continuous_search::{ContinuousSettings, continuous_seed_on};
use atrous_tensor::mnist::default_data_dir;
use std::path::{Path, PathBuf};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-bilevel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn plan() -> MixturePlan {
    MixturePlan {
        candidates: vec![1, 2, 4],
        shared_kernel: false,
        epochs: 1,
        batch_size: 32,
        lr: 0.05,
        momentum: 0.9,
        arch_lr: 0.05,
        patience_steps: 1000,
        validation: 100,
        train_limit: Some(128),
        gumbel: None,
    }
}

/// A copy of the MNIST folder whose two test files hold garbage (not even an IDX header).
fn with_garbage_test_files(real: &Path) -> PathBuf {
    let dir = temp("garbage-data");
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
        std::fs::copy(real.join(name), dir.join(name)).unwrap();
    }
    for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
        std::fs::write(dir.join(name), b"\xff\xfe not MNIST, and NaN is not a pixel").unwrap();
    }
    dir
}

#[test]
fn the_search_never_reads_test_data() {
    let real = default_data_dir().expect("the repository's data/mnist");
    let garbage = with_garbage_test_files(&real);
    assert!(atrous_tensor::mnist::Mnist::load(&garbage).is_err(), "the garbage test files are unreadable");
    let runs = [(&real, temp("real")), (&garbage, temp("garbage"))].map(|(data, out)| {
        let data = SearchData::load(data, 100, Some(128)).unwrap();
        let mixture = mixture_seed(&plan(), 3, &data, &out, &Silent).unwrap();
        let settings = ContinuousSettings {
            initial: [2.0; 3],
            range: (1.0, 4.0),
            epochs: 1,
            batch_size: 32,
            lr: 0.05,
            momentum: 0.9,
            dilation_lr: 0.5,
            train_images: data.train().n,
            validation_images: data.validation().n,
        };
        let continuous = continuous_seed_on(&settings, 3, &data, &out, &Silent).unwrap();
        (mixture, continuous)
    });
    let [(m_real, c_real), (m_garbage, c_garbage)] = runs;
    assert_eq!(m_real.settings.test_limit, None);
    assert_eq!(m_real.test_accuracy, None, "no test number is recorded");
    assert_eq!((m_real.settings.train_images, m_real.settings.validation_images), (128, 100));
    let same = |a: &atrous_study::bilevel_search::MixtureRecord,
                b: &atrous_study::bilevel_search::MixtureRecord| {
        a.weights == b.weights
            && a.trajectory == b.trajectory
            && a.chosen == b.chosen
            && a.validation_accuracy.to_bits() == b.validation_accuracy.to_bits()
            && a.steps == b.steps
    };
    assert!(same(&m_real, &m_garbage), "mixture: {m_real:?} vs {m_garbage:?}");
    assert_eq!(c_real.trajectory, c_garbage.trajectory);
    assert_eq!(c_real.validation_accuracy.to_bits(), c_garbage.validation_accuracy.to_bits());
    // The weights moved, so the equality above is about a real search.
    assert_ne!(m_real.weights, m_real.trajectory[0].weights);
}

#[test]
fn patience_stops_the_search_and_the_record_says_when_and_how_to_retrain() {
    let data = SearchData::load(&default_data_dir().unwrap(), 100, Some(320)).unwrap();
    let out = temp("patience");
    let r = mixture_seed(&MixturePlan { patience_steps: 2, ..plan() }, 0, &data, &out, &Silent).unwrap();
    assert_eq!(r.stopped, StopReason::Patience);
    assert_eq!(r.steps - r.last_change_step, 2, "stops as soon as the argmax has held for 2 steps");
    assert!(r.steps < 10, "10 steps are the epoch limit");
    assert_eq!(r.trajectory.last().unwrap().step, r.steps, "the last point is the stopping step");
    let [a, b, c] = r.chosen;
    assert!(
        r.retrain_command.contains(&format!("--dilations {a},{b},{c} --validation 100")),
        "{}",
        r.retrain_command
    );
    let limit = mixture_seed(&plan(), 0, &data, &temp("limit"), &Silent).unwrap();
    assert_eq!((limit.stopped, limit.steps), (StopReason::EpochLimit, 10));
    let shared =
        mixture_seed(&MixturePlan { shared_kernel: true, ..plan() }, 0, &data, &temp("shared"), &Silent)
            .unwrap();
    assert!(shared.settings.shared_kernel);
    assert_ne!(shared.weights, limit.weights, "the shared kernel is a different search");
}

#[test]
fn a_seed_record_is_reused_and_a_changed_setting_is_named() {
    let data = SearchData::load(&default_data_dir().unwrap(), 100, Some(64)).unwrap();
    let out = temp("reuse");
    let first = mixture_seed(&plan(), 1, &data, &out, &Silent).unwrap();
    let text = std::fs::read_to_string(out.join("seed-1.json")).unwrap();
    for field in
        ["\"settings\"", "\"weights\"", "\"chosen\"", "\"test_accuracy\"", "\"seconds\"", "\"trajectory\""]
    {
        assert!(text.contains(field), "seed-1.json keeps the field {field}");
    }
    let again = mixture_seed(&plan(), 1, &data, &out, &Silent).unwrap();
    assert_eq!(again, first, "reused, wall time and all");
    let err = mixture_seed(&MixturePlan { arch_lr: 0.1, ..plan() }, 1, &data, &out, &Silent).unwrap_err();
    assert!(err.to_string().contains("arch_lr = 0.05"), "{err}");
    let err =
        mixture_seed(&MixturePlan { shared_kernel: true, ..plan() }, 1, &data, &out, &Silent).unwrap_err();
    assert!(err.to_string().contains("shared_kernel"), "{err}");
    assert!(
        SearchData::load(&default_data_dir().unwrap(), 0, None).is_err(),
        "a search needs validation images"
    );
}

#[test]
fn gumbel_temperature_falls_exponentially_over_the_planned_steps() {
    let g = Gumbel { tau_start: 1.0, tau_end: 0.1 };
    // 1 · 0.1^(k/4) at k = 0, 2, 4 of 5 planned steps: 1, 0.316, 0.1; past the plan it stays 0.1.
    assert!((temperature(&g, 0, 5) - 1.0).abs() < 1e-7);
    assert!((temperature(&g, 2, 5) - 0.1f32.sqrt()).abs() < 1e-6);
    assert!((temperature(&g, 4, 5) - 0.1).abs() < 1e-7);
    assert!((temperature(&g, 9, 5) - 0.1).abs() < 1e-7);
    assert_eq!(temperature(&g, 0, 1), 1.0);
}

#[test]
fn a_gumbel_search_repeats_itself_per_seed_and_records_its_schedule() {
    let data = SearchData::load(&default_data_dir().unwrap(), 100, Some(128)).unwrap();
    let gumbel = MixturePlan { gumbel: Some(Gumbel { tau_start: 1.0, tau_end: 0.1 }), ..plan() };
    let a = mixture_seed(&gumbel, 2, &data, &temp("gumbel-a"), &Silent).unwrap();
    let b = mixture_seed(&gumbel, 2, &data, &temp("gumbel-b"), &Silent).unwrap();
    assert_eq!(a.method, "mixture-gumbel");
    assert_eq!(a.settings.gumbel, Some(Gumbel { tau_start: 1.0, tau_end: 0.1 }));
    assert_eq!((a.trajectory.clone(), a.weights.clone(), a.chosen), (b.trajectory, b.weights, b.chosen));
    assert_eq!(a.validation_accuracy.to_bits(), b.validation_accuracy.to_bits());
    // The recorded weights are the noiseless softmax(a): a distribution per layer.
    for w in &a.weights {
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{w:?}");
    }
    let out = temp("gumbel-record");
    let plain = mixture_seed(&plan(), 2, &data, &out, &Silent).unwrap();
    assert_ne!(plain.weights, a.weights, "the noise changes the search");
    let text = std::fs::read_to_string(out.join("seed-2.json")).unwrap();
    assert!(!text.contains("gumbel"), "a plain record reads as before: {text}");
    let err = mixture_seed(&gumbel, 2, &data, &out, &Silent).unwrap_err();
    assert!(err.to_string().contains("gumbel"), "{err}");
    let bad = MixturePlan { gumbel: Some(Gumbel { tau_start: 0.0, tau_end: 0.1 }), ..plan() };
    assert!(
        mixture_seed(&bad, 2, &data, &temp("gumbel-bad"), &Silent)
            .unwrap_err()
            .to_string()
            .contains("tau start")
    );
}
