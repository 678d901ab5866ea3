//! Trains DilNet(d) for one epoch on MNIST with the reference recipe and prints timing and
//! accuracy: a quick probe of the training path without the CLI.
//!
//! `cargo run --release -p atrous-autograd --example quick_train -- [DILATION] [STEPS]`

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::{Optimizer, Sgd};
use atrous_autograd::train::{epoch_order, evaluate, images_to_tensor, labels_of, train_step};
use atrous_tensor::mnist::Mnist;
use atrous_tensor::rng::Rng;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let d: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let max_steps: usize = args.next().map_or(Ok(usize::MAX), |a| a.parse())?;
    let mnist = Mnist::load_default()?;
    let mut model = DilNet::new(DilNetConfig::reference(d), &mut Rng::seed_from(0))?;
    let mut opt = Optimizer::Sgd(Sgd::new(0.05, 0.9, 0.0));
    let order = epoch_order(0, 0, mnist.train.n);
    let start = Instant::now();
    let mut steps = 0;
    for batch in order.chunks(64).take(max_steps) {
        let stats = train_step(
            &mut model,
            &mut opt,
            images_to_tensor(&mnist.train, batch),
            &labels_of(&mnist.train, batch),
        )?;
        steps += 1;
        if steps % 100 == 0 {
            println!("step {steps}: loss {:.4}", stats.loss);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{steps} steps in {secs:.2} s ({:.0} images/s)", (steps * 64) as f64 / secs);
    let eval = evaluate(&model, &mnist.test, 1000)?;
    println!("test accuracy {:.4}, loss {:.4}", eval.accuracy, eval.loss);
    Ok(())
}
