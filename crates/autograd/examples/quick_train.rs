//! Trains DilNet(d) for one epoch (or its first STEPS steps) on MNIST with the reference recipe
//! and prints timing and accuracy: a quick probe of the training path without the CLI.
//!
//! `cargo run --release -p atrous-autograd --example quick_train -- [DILATION] [STEPS]`

use atrous_autograd::nn::{DilNet, DilNetConfig};
use atrous_autograd::optim::{Optimizer, Sgd};
use atrous_autograd::train::{epoch_order, evaluate, fit_epoch};
use atrous_tensor::mnist::Mnist;
use atrous_tensor::rng::Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let d: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let max_steps: usize = args.next().map_or(Ok(usize::MAX), |a| a.parse())?;
    let mnist = Mnist::load_default()?;
    let mut model = DilNet::new(DilNetConfig::reference(d), &mut Rng::seed_from(0))?;
    let mut opt = Optimizer::Sgd(Sgd::new(0.05, 0.9, 0.0));
    let mut order = epoch_order(0, 0, mnist.train.n);
    order.truncate(max_steps.saturating_mul(64));
    let stats = fit_epoch(&mut model, &mut opt, &mnist.train, &order, 64, |p, _| {
        if p.step % 100 == 0 {
            println!("step {}: loss {:.4}", p.step, p.loss);
        }
    })?;
    println!(
        "{} images in {:.2} s ({:.0} images/s), train loss {:.4}",
        stats.images,
        stats.seconds,
        stats.images as f64 / stats.seconds,
        stats.loss
    );
    let eval = evaluate(&model, &mnist.test, 1000)?;
    println!("test accuracy {:.4}, loss {:.4}", eval.accuracy, eval.loss);
    Ok(())
}
