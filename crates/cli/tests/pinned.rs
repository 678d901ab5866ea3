//! Regression pin: the model bytes a tiny run writes, by sha256, so a change that alters
//! training arithmetic (a kernel's summation order, an optimiser step, the data order) cannot go
//! unnoticed. The hashes were recorded with the binary before the library refactor and hold
//! after it.
//!
//! Float results depend on the instruction set (`matrixmultiply` picks its kernels at run time,
//! and `wide` at compile time), so the hashes are pinned for the machine kind they were recorded
//! on (x86-64 with AVX2 and FMA, no AVX-512). On any other kind the test checks that two runs
//! give equal bytes and says that the pin was not compared.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

fn atrous(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_atrous")).args(args).output().expect("the binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atrous-pin-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether this machine is of the kind the hashes were recorded on.
fn recorded_machine_kind() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && !std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn check(label: &str, got: &str, again: &str, pinned: &str) {
    assert_eq!(got, again, "{label}: two runs with one seed wrote different model bytes");
    if recorded_machine_kind() {
        assert_eq!(got, pinned, "{label}: model bytes changed");
    } else {
        eprintln!(
            "{label}: not the machine kind of the pin (AVX2+FMA, no AVX-512); checked determinism only"
        );
    }
}

#[test]
fn train_and_study_model_bytes_are_pinned() {
    let mut hashes = Vec::new();
    for round in 0..2 {
        let dir = scratch(&format!("r{round}"));
        let run = dir.join("train");
        let common = ["--train-limit", "1000", "--test-limit", "200", "--quiet"];
        let mut args = vec!["train", "--dilation", "2", "--epochs", "2", "--seed", "3", "--out"];
        args.push(run.to_str().unwrap());
        args.extend(common);
        atrous(&args);
        let study = dir.join("study");
        let mut args = vec!["study", "--dilations", "1,2", "--seeds", "1", "--epochs", "1"];
        // `--validation 0`: the study's protocol before the train/validation split, whose bytes
        // this pin recorded (the split trains on other images, so it makes another model).
        args.extend(["--validation", "0", "--saliency-images", "20", "--learn-epochs", "0"]);
        args.extend(["--out", study.to_str().unwrap()]);
        args.extend(common);
        atrous(&args);
        hashes.push((sha256(&run.join("model.safetensors")), sha256(&study.join("d2-s0/model.safetensors"))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
    check(
        "train d=2 seed 3",
        &hashes[0].0,
        &hashes[1].0,
        "299afc0b7f39b5e03ca1a4768bd3c12331dcdb6d516daae45a605c1e8b36206b",
    );
    check(
        "study d2-s0",
        &hashes[0].1,
        &hashes[1].1,
        "45ef05208fdb34d1bf3b508eb5299d561e148fc49273ab6ed4fa23448f4d61a1",
    );
}
