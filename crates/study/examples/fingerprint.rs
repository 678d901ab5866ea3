//! Prints this machine's engine revision (the numerics fingerprint of `atrous_study::provenance`)
//! and how long it took to compute.
fn main() {
    let t = std::time::Instant::now();
    let r = atrous_study::engine_revision();
    println!("{r} ({:.2} s)", t.elapsed().as_secs_f64());
}
