//! Re-trains a sample of a study folder's runs with the current code and compares each with the
//! recorded run: test accuracy, validation accuracy, and the sha256 of `model.safetensors`.
//! Exits non-zero if any differs. Used by `scripts/check_reproducible.sh`.
//!
//! The recorded runs are the folder's run folders (`metrics.json` + `model.safetensors`) and its
//! run records (`STUDY_DIR/records/*.json`, [`atrous_study::run_record`]: the committed study
//! keeps records, not models); a record without a model hash is compared on accuracies only.
//!
//! `cargo run --release -p atrous-study --example check_reproducible -- STUDY_DIR [SAMPLE] [DATA_DIR]`
//!
//! SAMPLE (default 4) runs are taken evenly across the folder's runs in name order, so the
//! sample is the same every time. Each is retrained from its recorded recipe (`metrics.json`)
//! into a temporary folder. The recorded engine revision is printed next to the current one: a
//! difference there explains (but does not excuse) a mismatch.
//!
//! `--adopt OLD_REVISION`: after a change of the engine revision's *definition* (not of the
//! arithmetic), re-record runs made under OLD_REVISION as the current revision, but only on
//! evidence: the sample is widened to at least one run of every architecture among those runs,
//! and nothing is rewritten unless every sampled run reproduces bit for bit. Only the
//! `engine_revision` field of `metrics.json` changes (atomically); the old value is kept in
//! `adopted_from` for the record.

use atrous_study::data::RunData;
use atrous_study::run_record::{RunRecord, file_sha256};
use atrous_study::{Metrics, RunDir, RunOptions, Silent, TrainRecipe, engine_revision, train_run};
use atrous_tensor::mnist::{Mnist, default_data_dir};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The run records (`*.json`) in `dir`, if it exists.
fn record_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect())
}

/// A recorded run's metrics and model hash: from a run folder, or from a run record (whose hash
/// may be missing: then only the accuracies are compared).
fn recorded(run: &Path) -> Result<(Metrics, Option<String>), Box<dyn std::error::Error>> {
    if run.is_dir() {
        let metrics = serde_json::from_slice(&std::fs::read(run.join("metrics.json"))?)?;
        return Ok((metrics, Some(file_sha256(&run.join("model.safetensors"))?)));
    }
    let record: RunRecord = serde_json::from_slice(&std::fs::read(run)?)
        .map_err(|e| format!("{} is not a run record: {e}", run.display()))?;
    Ok((record.metrics, record.model_sha256))
}

fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let adopt = match args.iter().position(|a| a == "--adopt") {
        Some(i) if i + 1 < args.len() => Some(args.drain(i..i + 2).nth(1).unwrap_or_default()),
        Some(_) => return Err("--adopt needs the old engine revision".into()),
        None => None,
    };
    let mut args = args.into_iter();
    let study = PathBuf::from(args.next().ok_or("usage: check_reproducible STUDY_DIR [SAMPLE] [DATA_DIR]")?);
    let sample: usize = args.next().map_or(Ok(4), |s| s.parse())?;
    let data_dir =
        args.next().map(PathBuf::from).or_else(default_data_dir).ok_or("no MNIST folder: set ATROUS_DATA")?;
    let mut runs: Vec<PathBuf> = std::fs::read_dir(&study)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("metrics.json").is_file() && p.join("model.safetensors").is_file())
        .collect();
    runs.extend(record_files(&study.join("records"))?);
    runs.sort();
    if runs.is_empty() {
        return Err(format!("no run folders or run records in {}", study.display()).into());
    }
    let take = sample.clamp(1, runs.len());
    let mut picked: Vec<&PathBuf> = (0..take).map(|i| &runs[i * runs.len() / take]).collect();
    let recorded_of = |run: &Path| -> Result<Metrics, Box<dyn std::error::Error>> { Ok(recorded(run)?.0) };
    let mut adoptable = Vec::new();
    if let Some(old) = &adopt {
        // One run of every architecture among the adoptable runs joins the sample.
        let mut architectures: Vec<[serde_json::Value; 3]> = Vec::new();
        // Only run folders can be re-recorded (a record's revision is its run's).
        for dir in runs.iter().filter(|p| p.is_dir()) {
            let recorded = recorded_of(dir)?;
            if recorded.engine_revision.as_deref() != Some(old.as_str()) {
                continue;
            }
            adoptable.push(dir);
            let c = &recorded.config;
            let arch = [c["channels"].clone(), c["dilations"].clone(), c["kernels"].clone()];
            if !architectures.contains(&arch) {
                architectures.push(arch);
                if !picked.contains(&dir) {
                    picked.push(dir);
                }
            }
        }
        println!(
            "{} runs recorded under {old}; {} architectures among them",
            adoptable.len(),
            architectures.len()
        );
    }
    let mnist = Mnist::load(&data_dir)?;
    let scratch = std::env::temp_dir().join(format!("atrous-reproduce-{}", std::process::id()));
    let mut failures = 0;
    println!(
        "current engine revision {}; checking {} of {} runs in {}",
        engine_revision(),
        picked.len(),
        runs.len(),
        study.display()
    );
    for dir in picked {
        let (recorded, old_hash) = recorded(dir)?;
        let recipe = TrainRecipe::from_json(&recorded.config)?;
        let data = RunData::from_mnist(&mnist.train, mnist.test.clone(), &recipe);
        let name = dir.file_stem().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let fresh = RunDir::new(scratch.join(&name));
        let _ = std::fs::remove_dir_all(fresh.path());
        train_run(&recipe, &fresh, &data, RunOptions::default(), &Silent)?;
        let again = fresh.read_metrics()?.ok_or("the retrained run wrote no metrics")?;
        let new_hash = file_sha256(&fresh.model_path())?;
        let old_hash = old_hash.unwrap_or_else(|| new_hash.clone());
        let val = |m: &Metrics| m.epochs.last().map(|e| e.val_accuracy);
        let same = old_hash == new_hash
            && recorded.test_accuracy == again.test_accuracy
            && val(&recorded) == val(&again);
        failures += usize::from(!same);
        println!(
            "{} {name}: test accuracy {:?} → {:?}, last-epoch evaluation {:?} → {:?}, model sha256 {}… → {}… (recorded engine {})",
            if same { "same" } else { "DIFFERENT" },
            recorded.test_accuracy,
            again.test_accuracy,
            val(&recorded),
            val(&again),
            &old_hash[..12],
            &new_hash[..12],
            recorded.engine_revision.as_deref().unwrap_or("not recorded"),
        );
        let _ = std::fs::remove_dir_all(fresh.path());
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if failures > 0 {
        println!("{failures} run(s) do not reproduce with the current code");
        return Ok(ExitCode::FAILURE);
    }
    println!("every sampled run reproduces bit for bit");
    if adopt.is_some() {
        for dir in &adoptable {
            let path = dir.join("metrics.json");
            let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
            m["adopted_from"] = m["engine_revision"].clone();
            m["engine_revision"] = engine_revision().into();
            atrous_tensor::files::write_atomic(&path, serde_json::to_string_pretty(&m)?.as_bytes())?;
        }
        println!("re-recorded {} runs under engine revision {}", adoptable.len(), engine_revision());
    }
    Ok(ExitCode::SUCCESS)
}
