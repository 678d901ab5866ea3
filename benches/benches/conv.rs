//! Dilated convolution throughput on the three conv layers of DilNet at batch 64, d = 1..4.
//!
//! Names are `conv2d/fwd/d{D}/{layer}` and `conv2d/fwdbwd/d{D}/{layer}` with layers
//! `conv1` (1→16 at 28×28), `conv2` (16→32 at 28×28) and `conv3` (32→64 at 14×14), all 3×3 with
//! "same" padding `p = d`. Throughput is counted in flops, so criterion's "elem/s" reads as
//! flop/s:
//! - `fwd`: forward with bias, `2·N·C_out·H_out·W_out·C_in·9` flops (bias adds not counted);
//! - `fwdbwd`: forward, then backward giving dW, db and dX, counted as 3× the forward flops
//!   (forward, dW and dX are each one GEMM of the forward's size). `conv1` skips dX, as the first
//!   layer of a network does (its input is data), and is counted as 2× forward.
//!
//! Every buffer (input, weight, output, gradients) is allocated once outside the timed loop, as
//! a training loop that reuses its buffers would; the timed work is `conv2d_forward_into` and
//! `conv2d_backward_into`. Run with `cargo bench -p atrous-benches --bench conv`.
//!
//! A second group, `conv2d_cpu1/...`, runs the same work on a one-thread pool and reports that
//! thread's CPU time (Linux `/proc/thread-self/schedstat`; wall time elsewhere) instead of wall
//! time: a load-robust figure for a shared machine, to set beside PyTorch's one-thread CPU time.
//! Filter with `-- conv2d/` or `-- conv2d_cpu1/` to run one group.

use atrous_conv::{Conv2dParams, ConvGeometry, conv2d_backward_into, conv2d_forward_into};
use atrous_tensor::parallel::with_threads;
use atrous_tensor::rng::Rng;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

const BATCH: usize = 64;

/// (name, C_in, C_out, H = W) of DilNet's convolutions.
const LAYERS: [(&str, usize, usize, usize); 3] =
    [("conv1", 1, 16, 28), ("conv2", 16, 32, 28), ("conv3", 32, 64, 14)];

fn random(len: usize, rng: &mut Rng) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

/// CPU time consumed so far by the calling thread, or wall time where that is not available.
fn thread_time() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok();
    match schedstat.as_deref().and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok()) {
        Some(ns) => Duration::from_nanos(ns),
        None => START.get_or_init(Instant::now).elapsed(),
    }
}

/// The CPU time of `iters` calls of `f` on a one-thread rayon pool.
fn cpu_time_one_thread(iters: u64, f: &mut (dyn FnMut() + Send)) -> Duration {
    with_threads(1, || {
        let start = thread_time();
        for _ in 0..iters {
            f();
        }
        thread_time() - start
    })
    .expect("one-thread pool")
}

fn bench_conv(c: &mut Criterion) {
    run_group(c, "conv2d", false);
    run_group(c, "conv2d_cpu1", true);
}

fn run_group(c: &mut Criterion, group_name: &str, cpu_one_thread: bool) {
    let mut group = c.benchmark_group(group_name);
    group.sample_size(15).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for d in 1..=4 {
        for (name, c_in, c_out, side) in LAYERS {
            let params = Conv2dParams::same(3, d).expect("valid parameters");
            let geo = ConvGeometry::new(params, &[BATCH, c_in, side, side], &[c_out, c_in, 3, 3])
                .expect("valid geometry");
            let mut rng = Rng::seed_from(d as u64);
            let x = random(BATCH * geo.input_item(), &mut rng);
            let w = random(c_out * geo.col_rows(), &mut rng);
            let b = random(c_out, &mut rng);
            let dy = random(BATCH * geo.output_item(), &mut rng);
            let mut y = vec![0.0f32; BATCH * geo.output_item()];
            let mut dx = vec![0.0f32; BATCH * geo.input_item()];
            let mut dw = vec![0.0f32; w.len()];
            let mut db = vec![0.0f32; c_out];
            let need_dx = name != "conv1";
            let flops = geo.forward_flops();

            let mut fwd = || conv2d_forward_into(&geo, &x, &w, Some(&b), &mut y);
            group.throughput(Throughput::Elements(flops));
            group.bench_function(format!("fwd/d{d}/{name}"), |bench| {
                if cpu_one_thread {
                    bench.iter_custom(|iters| cpu_time_one_thread(iters, &mut fwd))
                } else {
                    bench.iter(&mut fwd)
                }
            });
            let mut fwdbwd = || {
                conv2d_forward_into(&geo, &x, &w, Some(&b), &mut y);
                let dx = need_dx.then_some(dx.as_mut_slice());
                conv2d_backward_into(&geo, &x, &w, &dy, dx, Some(&mut dw), Some(&mut db));
            };
            group.throughput(Throughput::Elements(if need_dx { 3 * flops } else { 2 * flops }));
            group.bench_function(format!("fwdbwd/d{d}/{name}"), |bench| {
                if cpu_one_thread {
                    bench.iter_custom(|iters| cpu_time_one_thread(iters, &mut fwdbwd))
                } else {
                    bench.iter(&mut fwdbwd)
                }
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_conv);
criterion_main!(benches);
