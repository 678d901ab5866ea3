//! The figures of Q2.

use super::Q2Plan;
use super::analysis::Q2Analysis;
use super::run::Inputs;
use crate::Result;

/// Writes the figures under `plan.docs/q2`.
pub fn write(_plan: &Q2Plan, _a: &Q2Analysis, _inputs: &Inputs) -> Result<()> {
    Ok(())
}
