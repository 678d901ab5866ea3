//! GEMM throughput on the im2col shapes of DilNet at batch 64, and 1024³.
//!
//! Names are `gemm/MxKxN`; throughput is counted in flops (2·M·K·N), so criterion's
//! "elem/s" reads as flop/s. Run with `cargo bench -p atrous-benches --bench gemm`.

use atrous_tensor::gemm::{MatMut, MatRef, par_gemm};
use atrous_tensor::rng::Rng;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// (M, K, N): conv1 1→16 at 28², conv2 16→32 at 28², conv3 32→64 at 14², batch 64, and a square.
const SHAPES: [(usize, usize, usize); 4] =
    [(50176, 9, 16), (50176, 144, 32), (12544, 288, 64), (1024, 1024, 1024)];

fn bench_gemm(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm");
    group.sample_size(20);
    for (m, k, n) in SHAPES {
        let mut rng = Rng::seed_from(1);
        let a: Vec<f32> = (0..m * k).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let mut out = vec![0.0f32; m * n];
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_function(BenchmarkId::from_parameter(format!("{m}x{k}x{n}")), |bench| {
            bench.iter(|| {
                par_gemm(
                    1.0,
                    MatRef::row_major(&a, m, k).unwrap(),
                    MatRef::row_major(&b, k, n).unwrap(),
                    0.0,
                    MatMut::row_major(&mut out, m, n).unwrap(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_gemm);
criterion_main!(benches);
