//! What the study's end-to-end tests share: a tiny plan on the shipped MNIST (300 training / 200
//! validation / 200 test images, one epoch, a 4-8-8 network, 4 saliency images, no search).

use atrous_study::StudyPlan;
use std::path::{Path, PathBuf};

/// The tiny plan with main-grid `dilations` × 2 seeds, writing into `out`.
pub fn tiny_plan(out: &Path, dilations: &[usize]) -> StudyPlan {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    let mut plan = StudyPlan::reference(data, out.to_path_buf());
    plan.dilations = dilations.to_vec();
    plan.seeds = 2;
    plan.recipe.epochs = 1;
    plan.recipe.validation = 200;
    plan.recipe.train_limit = Some(300);
    plan.recipe.test_limit = Some(200);
    plan.recipe.net.channels = [4, 8, 8];
    plan.recipe.net.hidden = 16;
    plan.saliency_images = 4;
    plan.class_model.steps = 3;
    plan.search = None;
    plan
}
