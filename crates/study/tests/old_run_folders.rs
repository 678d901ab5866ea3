//! Run folders written by earlier versions of atrous stay usable: `metrics.json` files whose
//! recipe holds the `f64` widening of each `f32` setting (`"lr": 0.05000000074505806`, as
//! written before settings were printed as their shortest decimal) describe the same recipe.

use atrous_study::{RunDir, RunState, TrainRecipe};

/// A finished run whose `metrics.json` was written before the recipe's `f32` settings were
/// printed as shortest decimals (`"lr": 0.05000000074505806`) is complete for its recipe, so
/// the study reuses it instead of training it again.
#[test]
fn a_run_with_old_format_metrics_is_complete_not_stale() {
    let dir = std::env::temp_dir().join(format!("atrous-run-oldjson-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let recipe = TrainRecipe { seed: 4, ..TrainRecipe::reference(3) };
    let run = RunDir::new(&dir);
    let old = format!(
        r#"{{"atrous_version":"0.1.0","config":{{"batch_size":64,"channels":[16,32,64],"dilations":[3,3,3],"epochs":3,"lr":0.05000000074505806,"momentum":0.8999999761581421,"optimizer":"sgd","seed":4,"test_limit":null,"train_limit":null,"weight_decay":0.0}},"engine_revision":"{}","epochs":[],"epochs_done":3,"peak_rss_mib":null,"test_accuracy":0.98,"test_loss":0.05,"threads":2}}"#,
        atrous_study::engine_revision()
    );
    std::fs::write(run.metrics_path(), old).unwrap();
    std::fs::write(run.model_path(), b"a model").unwrap();
    assert!(matches!(run.state(&recipe).unwrap(), RunState::Complete(_)));
    match run.state(&TrainRecipe { lr: 0.02, ..recipe.clone() }).unwrap() {
        RunState::Stale { field, saved, requested } => {
            assert_eq!((field.as_str(), saved.as_str(), requested.as_str()), ("lr", "0.05", "0.02"))
        }
        s => panic!("{s:?}"),
    }
    match run.state(&TrainRecipe { epochs: 4, ..recipe }).unwrap() {
        RunState::Stale { field, .. } => assert_eq!(field, "epochs"),
        s => panic!("{s:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
