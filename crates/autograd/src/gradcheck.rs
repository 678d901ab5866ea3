//! Finite-difference gradient checking.
//!
//! For a function `f` of some input tensors, the analytic gradient of `L = Σ r ⊙ f(inputs)` (a
//! fixed random projection `r`, so every output element matters) is compared with central
//! differences `(L(x + ε·e_j) − L(x − ε·e_j)) / 2ε` for every input element `j`. The forward
//! passes run in f32 (the engine's type); projections and differences are taken in f64.

use crate::Result;
use crate::tape::{Tape, Var};
use atrous_tensor::Tensor;
use atrous_tensor::rng::Rng;

/// The worst disagreement found by [`check_gradients`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckReport {
    /// Largest `|analytic − numeric| / (atol + |numeric|)` over all checked elements.
    pub worst_ratio: f64,
    /// Where it happened: (input index, element index, analytic, numeric).
    pub worst_at: (usize, usize, f64, f64),
    /// Number of elements checked.
    pub checked: usize,
}

impl GradCheckReport {
    /// True when every element satisfied `|a − n| ≤ tol · (atol + |n|)`.
    pub fn passes(&self, tol: f64) -> bool {
        self.worst_ratio <= tol
    }
}

/// Compares analytic and numeric gradients of `f` with respect to every element of `inputs`.
/// `eps` is the finite-difference step; `atol` keeps near-zero gradients from dominating.
pub fn check_gradients(
    inputs: &[Tensor],
    f: impl Fn(&mut Tape, &[Var]) -> Result<Var>,
    eps: f32,
    atol: f64,
    seed: u64,
) -> Result<GradCheckReport> {
    let mut tape = Tape::new();
    let vars: Vec<Var> = inputs.iter().map(|t| tape.param(t.clone())).collect();
    let out = f(&mut tape, &vars)?;
    let mut rng = Rng::seed_from(seed);
    let r = Tensor::uniform(tape.value(out).dims(), -1.0, 1.0, &mut rng);
    let grads = tape.backward_with(out, r.clone())?;

    let project = |inputs: &[Tensor]| -> Result<f64> {
        let mut tape = Tape::new();
        let vars: Vec<Var> = inputs.iter().map(|t| tape.constant(t.clone())).collect();
        let out = f(&mut tape, &vars)?;
        Ok(tape
            .value(out)
            .as_slice()
            .iter()
            .zip(r.as_slice())
            .map(|(&y, &w)| f64::from(y) * f64::from(w))
            .sum())
    };

    let mut report = GradCheckReport { worst_ratio: 0.0, worst_at: (0, 0, 0.0, 0.0), checked: 0 };
    let mut probe = inputs.to_vec();
    for (i, var) in vars.iter().enumerate() {
        let analytic = grads.get(*var).cloned().unwrap_or_else(|| Tensor::zeros(inputs[i].dims()));
        for j in 0..inputs[i].len() {
            let x = inputs[i].as_slice()[j];
            probe[i].as_mut_slice()[j] = x + eps;
            let plus = project(&probe)?;
            probe[i].as_mut_slice()[j] = x - eps;
            let minus = project(&probe)?;
            probe[i].as_mut_slice()[j] = x;
            // The step actually taken in f32 may differ slightly from eps.
            let step = f64::from(x + eps) - f64::from(x - eps);
            let numeric = (plus - minus) / step;
            let a = f64::from(analytic.as_slice()[j]);
            let ratio = (a - numeric).abs() / (atol + numeric.abs());
            if ratio > report.worst_ratio {
                report.worst_ratio = ratio;
                report.worst_at = (i, j, a, numeric);
            }
            report.checked += 1;
        }
    }
    Ok(report)
}
