//! Build-time provenance of the study: the git commit the binary is built from, when git can
//! say (provenance only; the engine revision that decides whether a run is reused is a
//! numerics fingerprint computed at run time, see `src/provenance.rs`).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let o = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
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
