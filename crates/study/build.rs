//! Build-time provenance of the study: the *engine revision*, a hash of the sources that decide
//! training arithmetic (the tensor, conv and autograd crates: their `src` trees and manifests),
//! and the git commit when one is available (provenance only).
//!
//! A run folder records both. The study reuses a run only when its engine revision is the
//! running binary's: a kernel commit that changes float rounding changes the revision, so stale
//! runs are refused (or retrained) instead of being reported as the current code's.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The crates whose sources decide training arithmetic, relative to this crate.
const ENGINE_CRATES: [&str; 3] = ["../tensor", "../conv", "../autograd"];

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn git(args: &[&str]) -> Option<String> {
    let o = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut hasher = Sha256::new();
    for krate in ENGINE_CRATES {
        let root = here.join(krate);
        let src = root.join("src");
        println!("cargo:rerun-if-changed={}", src.display());
        println!("cargo:rerun-if-changed={}", root.join("Cargo.toml").display());
        let mut files = vec![root.join("Cargo.toml")];
        files_under(&src, &mut files);
        let mut named: Vec<(String, PathBuf)> = files
            .into_iter()
            .map(|p| (p.strip_prefix(here.join("..")).unwrap_or(&p).to_string_lossy().replace('\\', "/"), p))
            .collect();
        named.sort();
        for (name, path) in named {
            let bytes = std::fs::read(&path).unwrap_or_default();
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
    }
    let digest: String = hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=ATROUS_ENGINE_REVISION={digest}");

    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_default();
    println!("cargo:rustc-env=ATROUS_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves (a commit or a checkout), in plain clones and worktrees alike.
    // (Only existing files: a missing one would make cargo rerun this script on every build.)
    let head = git(&["rev-parse", "--symbolic-full-name", "HEAD"]);
    for dir in
        [git(&["rev-parse", "--git-dir"]), git(&["rev-parse", "--git-common-dir"])].into_iter().flatten()
    {
        let dir = here.join(dir);
        let mut watched = vec![dir.join("HEAD"), dir.join("packed-refs")];
        watched.extend(head.iter().map(|h| dir.join(h)));
        for path in watched.into_iter().filter(|p| p.is_file()) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
