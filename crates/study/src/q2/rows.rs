//! The per-dilation rows of the ERF, class-model and faithfulness tables, from the runs.

use super::Q2Plan;
use super::analysis::{ClassRow, ErfRow, FaithRow, summary};
use super::classes::{norm_and_range, seen};
use super::run::{Inputs, RunQ2};
use crate::Result;
use atrous_autograd::Classifier;
use atrous_autograd::nn::DilNet;

fn mean(v: &[f64]) -> f64 {
    super::floor::finite_mean(v)
}

pub(super) fn erf_rows(dils: &[usize], runs: &[RunQ2], side: usize) -> Vec<ErfRow> {
    use super::erf::erf_shape;
    dils.iter()
        .map(|&d| {
            let of_d: Vec<&RunQ2> = runs.iter().filter(|r| r.dilation == d).collect();
            let shapes = |init: bool| -> Vec<super::erf::ErfShape> {
                of_d.iter()
                    .map(|r| erf_shape(if init { &r.erf_init } else { &r.erf_trained }, side))
                    .collect()
            };
            let (trained, init) = (shapes(false), shapes(true));
            let avg = |v: Vec<&Vec<f64>>| -> Vec<f64> {
                let len = v.first().map_or(0, |x| x.len());
                (0..len).map(|k| v.iter().map(|x| x[k]).sum::<f64>() / v.len() as f64).collect()
            };
            let config = atrous_autograd::nn::DilNetConfig::reference(d);
            let net = DilNet::new(config, &mut atrous_tensor::rng::Rng::seed_from(0));
            ErfRow {
                dilation: d,
                theoretical: net.map(|m| super::erf::theoretical_side(&m)).unwrap_or(0),
                r50: [
                    summary(&trained.iter().map(|s| s.r50).collect::<Vec<_>>()),
                    summary(&init.iter().map(|s| s.r50).collect::<Vec<_>>()),
                ],
                r90: [
                    summary(&trained.iter().map(|s| s.r90).collect::<Vec<_>>()),
                    summary(&init.iter().map(|s| s.r90).collect::<Vec<_>>()),
                ],
                profile: [
                    avg(trained.iter().map(|s| &s.profile).collect()),
                    avg(init.iter().map(|s| &s.profile).collect()),
                ],
                map: [
                    avg(of_d.iter().map(|r| &r.erf_trained).collect()),
                    avg(of_d.iter().map(|r| &r.erf_init).collect()),
                ],
            }
        })
        .collect()
}

pub(super) fn class_rows(
    plan: &Q2Plan,
    inputs: &Inputs,
    judge: &DilNet,
    runs: &[RunQ2],
    converged: bool,
) -> Result<Vec<ClassRow>> {
    let side = (inputs.mean.len() as f64).sqrt() as usize;
    let mut rows = Vec::new();
    for &d in &plan.dilations {
        let (mut norm, mut lo, mut hi, mut rel, mut rec, mut steps, mut capped) =
            (vec![], vec![], vec![], vec![], vec![], vec![], 0);
        let mut change = vec![];
        for r in runs.iter().filter(|r| r.dilation == d) {
            let Some(c) = r.class.as_ref().filter(|c| !converged || c.cap > plan.converge.paper_steps) else {
                continue;
            };
            let (imgs, scores) =
                if converged { (&c.converged, &c.converged_scores) } else { (&c.paper, &c.paper_scores) };
            let k = imgs.len() as f64;
            let nr: Vec<(f64, f64, f64)> = imgs.iter().map(|i| norm_and_range(i, &inputs.mean)).collect();
            norm.push(nr.iter().map(|x| x.0).sum::<f64>() / k);
            lo.push(nr.iter().map(|x| x.1).sum::<f64>() / k);
            hi.push(nr.iter().map(|x| x.2).sum::<f64>() / k);
            rel.push(scores.iter().zip(&r.class_logit).map(|(&s, &m)| f64::from(s) / m).sum::<f64>() / k);
            if converged {
                steps.push(c.steps.iter().sum::<usize>() as f64 / k);
                capped += c.steps.iter().filter(|&&s| s >= plan.converge.cap).count();
                change.push(c.final_change.iter().sum::<f64>() / k);
            }
            if (d, r.seed) != plan.judge {
                let pred =
                    judge.predict(&seen(imgs, &inputs.mean, side)?)?.argmax_last().map_err(super::te)?;
                rec.push(pred.iter().enumerate().filter(|(c, p)| c == *p).count() as f64 / k);
            }
        }
        rows.push(ClassRow {
            dilation: d,
            seeds: norm.len(),
            norm: summary(&norm),
            range: [summary(&lo), summary(&hi)],
            relative_score: summary(&rel),
            recognised: summary(&rec),
            steps: summary(&steps),
            capped,
            final_change: summary(&change),
        });
    }
    Ok(rows)
}

pub(super) fn faith_rows(dils: &[usize], runs: &[RunQ2]) -> Vec<FaithRow> {
    let mut rows = Vec::new();
    for &d in dils {
        let faiths: Vec<&super::faith::Faith> =
            runs.iter().filter(|r| r.dilation == d).filter_map(|r| r.faith.as_ref()).collect();
        for name in super::faith::FAITH_METHODS {
            let pick = |f: fn(&super::faith::FaithScore) -> f64| -> Vec<f64> {
                faiths.iter().filter_map(|x| x.methods.iter().find(|m| m.method == name)).map(f).collect()
            };
            rows.push(FaithRow {
                dilation: d,
                method: name.to_string(),
                scores: [
                    summary(&pick(|m| m.deletion)),
                    summary(&pick(|m| m.insertion)),
                    summary(&pick(|m| m.randomised_spearman)),
                ],
                random: [
                    mean(&faiths.iter().map(|f| f.random_deletion).collect::<Vec<_>>()),
                    mean(&faiths.iter().map(|f| f.random_insertion).collect::<Vec<_>>()),
                ],
            });
        }
    }
    rows
}
