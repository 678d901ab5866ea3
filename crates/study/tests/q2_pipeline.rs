//! `run_q2` end to end on tiny untrained networks (2 dilations × 2 seeds, a dozen images): it
//! writes `Q2.md`, the CSVs and the figures, and regenerating from the cache alone gives the
//! same report.

use atrous_autograd::io::save_dilnet;
use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_study::Silent;
use atrous_study::q2::classes::ConvergePlan;
use atrous_study::q2::{Q2Plan, run_q2};
use atrous_tensor::rng::Rng;
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-q2-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn q2_writes_its_report_and_regenerates_it_from_the_cache() {
    let root = scratch("pipeline");
    let runs = root.join("runs");
    for d in [1, 2] {
        for seed in 0..2 {
            let config = DilNetConfig { channels: [2, 4, 4], hidden: 16, ..DilNetConfig::reference(d) };
            let model = DilNet::new(config, &mut Rng::seed_from(100 + seed)).unwrap();
            let dir = runs.join(format!("d{d}-s{seed}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("model.safetensors"), save_dilnet(&model, &[]).unwrap()).unwrap();
        }
    }
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    let mut plan = Q2Plan::reference(runs, data, root.join("cache"), root.join("docs"));
    plan.dilations = vec![1, 2];
    plan.seeds = 2;
    plan.images = 12;
    plan.erf_images = 6;
    plan.random_seeds = 1;
    plan.class_seeds = 1;
    plan.converge = ConvergePlan { paper_steps: 3, cap: 6, ..ConvergePlan::default() };
    plan.judge = (1, 1);
    plan.faith_seeds = 1;
    plan.faith_images = 3;
    plan.faith_steps = 4;
    let a = run_q2(&plan, &Silent).unwrap();
    assert_eq!(a.runs.len(), 4);
    assert_eq!(a.images, 12);
    // Two seeds per d: one within-d pair each, four across-d pairs.
    assert_eq!(a.floor.within.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1]);
    assert_eq!(a.floor.pairs[0].across.len(), 4);
    // Seed 0 ran the ascent to the cap of 6 steps, seed 1 stopped at the paper's 3.
    let caps: Vec<usize> =
        a.runs.iter().filter(|r| r.dilation == 1).map(|r| r.class.as_ref().unwrap().cap).collect();
    assert_eq!(caps, vec![3, 6]); // cheap seeds are measured first
    let docs = plan.docs.clone();
    let first = std::fs::read_to_string(docs.join("Q2.md")).unwrap();
    assert!(first.contains("### Answer to question 2, in numbers"));
    let rows = std::fs::read_to_string(docs.join("q2/runs.csv")).unwrap();
    assert_eq!(rows.lines().count(), 5);
    for f in ["metrics.png", "erf_profiles.png", "spectra.png", "class_models_paper.png", "saliency.png"] {
        assert!(docs.join("q2").join(f).exists(), "{f}");
    }
    plan.cached_only = true;
    let again = run_q2(&plan, &Silent).unwrap();
    assert_eq!(again.runs, a.runs);
    assert_eq!(std::fs::read_to_string(docs.join("Q2.md")).unwrap(), first);
    let _ = std::fs::remove_dir_all(&root);
}
