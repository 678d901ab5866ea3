//! A fixed amount of convolution work for profilers: DilNet's conv layers at batch 64 (by
//! default conv2 and conv3), forward and full backward, `REPS` times on one thread, printing the
//! time per repetition.
//! Deterministic, so `valgrind --tool=callgrind` instruction counts compare kernels before and
//! after a change whatever the machine's load.
//!
//! `cargo run --release -p atrous-benches --example conv_probe -- [REPS] [DILATION] [LAYERS]`
//! with `LAYERS` a comma list of `conv1`, `conv2`, `conv3`.

use atrous_conv::{Conv2dParams, ConvGeometry, conv2d_backward_into, conv2d_forward_into};
use atrous_tensor::parallel::with_threads;
use atrous_tensor::rng::Rng;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let reps: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let d: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let layers = args.next().unwrap_or_else(|| "conv2,conv3".into());
    let mut rng = Rng::seed_from(1);
    let all = [("conv1", 1, 16, 28), ("conv2", 16, 32, 28), ("conv3", 32, 64, 14)];
    for &(name, c_in, c_out, side) in all.iter().filter(|l| layers.split(',').any(|n| n == l.0)) {
        let params = Conv2dParams::same(3, d)?;
        let geo = ConvGeometry::new(params, &[64, c_in, side, side], &[c_out, c_in, 3, 3])?;
        let mut random = |len: usize| -> Vec<f32> { (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect() };
        let (x, w, b, dy) = (
            random(64 * geo.input_item()),
            random(c_out * geo.col_rows()),
            random(c_out),
            random(64 * geo.output_item()),
        );
        let (mut y, mut dx) = (vec![0.0; dy.len()], vec![0.0; x.len()]);
        let (mut dw, mut db) = (vec![0.0; w.len()], vec![0.0; c_out]);
        let mut times = [0.0f64; 3];
        with_threads(1, || {
            for _ in 0..reps {
                let t = Instant::now();
                conv2d_forward_into(&geo, &x, &w, Some(&b), &mut y);
                times[0] += t.elapsed().as_secs_f64();
                let t = Instant::now();
                conv2d_backward_into(&geo, &x, &w, &dy, None, Some(&mut dw), Some(&mut db));
                times[1] += t.elapsed().as_secs_f64();
                let t = Instant::now();
                conv2d_backward_into(&geo, &x, &w, &dy, Some(&mut dx), None, None);
                times[2] += t.elapsed().as_secs_f64();
            }
        })?;
        let gflop = geo.forward_flops() as f64 / 1e9;
        let [f, bw, bx] = times.map(|t| t / reps as f64);
        println!(
            "{name} d={d}: fwd {:.2} ms ({:.1} GFLOP/s), dW {:.2} ms ({:.1}), dX {:.2} ms ({:.1}); checksum {:.4e}",
            1e3 * f,
            gflop / f,
            1e3 * bw,
            gflop / bw,
            1e3 * bx,
            gflop / bx,
            y.iter().chain(&dx).chain(&dw).map(|&v| f64::from(v)).sum::<f64>()
        );
    }
    Ok(())
}
