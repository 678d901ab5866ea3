//! The CSV tables of Q2 (`q2/*.csv` beside `Q2.md`), one row per number with its spread.

use super::analysis::{METRICS, Q2Analysis};
use super::erf::erf_shape;
use crate::Result;
use crate::stats::Summary;
use atrous_tensor::files::write_atomic;
use std::fmt::Write;
use std::path::Path;

fn num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { String::new() }
}

fn summary_cols(s: Option<Summary>) -> String {
    match s {
        Some(s) => format!("{},{},{},{},{}", s.n, num(s.mean), num(s.sd), num(s.ci.lo), num(s.ci.hi)),
        None => ",,,,".into(),
    }
}

const SUMMARY_HEADER: &str = "n,mean,sd,ci95_lo,ci95_hi";

/// Writes every table into `dir`.
pub fn write_tables(dir: &Path, a: &Q2Analysis) -> Result<()> {
    let side = (a.runs.first().map_or(784, |r| r.erf_trained.len()) as f64).sqrt() as usize;
    let mut runs = String::from("dilation,seed,accuracy");
    for m in &METRICS {
        write!(runs, ",{}", m.key).ok();
    }
    runs.push_str(",erf_r50,erf_r90,erf_init_r50,erf_init_r90,class_norm_paper,class_norm_converged\n");
    for r in &a.runs {
        write!(runs, "{},{},{}", r.dilation, r.seed, num(r.accuracy)).ok();
        for m in &METRICS {
            write!(runs, ",{}", num((m.get)(&r.look))).ok();
        }
        let (t, i) = (erf_shape(&r.erf_trained, side), erf_shape(&r.erf_init, side));
        let norm = |imgs: &[Vec<f32>]| {
            imgs.iter().map(|x| x.iter().map(|v| f64::from(v * v)).sum::<f64>().sqrt()).sum::<f64>()
                / imgs.len().max(1) as f64
        };
        let (np, nc) = r.class.as_ref().map_or((f64::NAN, f64::NAN), |c| {
            (norm(&c.paper), if c.cap > a.paper_steps { norm(&c.converged) } else { f64::NAN })
        });
        writeln!(
            runs,
            ",{},{},{},{},{},{}",
            num(t.r50),
            num(t.r90),
            num(i.r50),
            num(i.r90),
            num(np),
            num(nc)
        )
        .ok();
    }
    write_atomic(&dir.join("runs.csv"), runs.as_bytes())?;

    let mut metrics = format!("metric,dilation,{SUMMARY_HEADER},random_network,uniform,image,sobel\n");
    let mut pairs = String::from("metric,a,b,diff_b_minus_a,ci95_lo,ci95_hi,welch_p,holm_p,real\n");
    for row in &a.metrics {
        let key = METRICS[row.metric].key;
        for c in &row.cells {
            let [u, i, s] = row.fixed;
            writeln!(
                metrics,
                "{key},{},{},{},{},{},{}",
                c.dilation,
                summary_cols(c.summary),
                num(c.random),
                num(u),
                num(i),
                num(s)
            )
            .ok();
        }
        for p in &row.pairs {
            let (d, lo, hi, pv) =
                p.welch.map_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN), |w| (w.diff, w.ci.lo, w.ci.hi, w.p));
            writeln!(
                pairs,
                "{key},{},{},{},{},{},{},{},{}",
                p.a,
                p.b,
                num(d),
                num(lo),
                num(hi),
                num(pv),
                num(p.holm_p.unwrap_or(f64::NAN)),
                p.real()
            )
            .ok();
        }
    }
    write_atomic(&dir.join("metrics.csv"), metrics.as_bytes())?;
    write_atomic(&dir.join("pairs.csv"), pairs.as_bytes())?;

    let mut floor = String::from("what,a,b,within_a,within_b,floor_p5,across_mean,real\n");
    for (what, f) in [
        ("saliency maps", &a.floor),
        ("class models, paper", &a.class_floor[0]),
        ("class models, converged", &a.class_floor[1]),
    ] {
        for p in &f.pairs {
            let v = p.verdict;
            writeln!(
                floor,
                "{what},{},{},{},{},{},{},{}",
                p.a,
                p.b,
                num(v.within_a),
                num(v.within_b),
                num(v.floor),
                num(v.across),
                v.real
            )
            .ok();
        }
    }
    write_atomic(&dir.join("floor.csv"), floor.as_bytes())?;

    let mut erf = format!("dilation,theoretical_side,state,radius,{SUMMARY_HEADER}\n");
    let mut profile = String::from("dilation,state,ring,density\n");
    for e in &a.erf {
        for (k, state) in ["trained", "init"].iter().enumerate() {
            writeln!(erf, "{},{},{state},r50,{}", e.dilation, e.theoretical, summary_cols(e.r50[k])).ok();
            writeln!(erf, "{},{},{state},r90,{}", e.dilation, e.theoretical, summary_cols(e.r90[k])).ok();
            for (r, v) in e.profile[k].iter().enumerate() {
                writeln!(profile, "{},{state},{r},{}", e.dilation, num(*v)).ok();
            }
        }
    }
    write_atomic(&dir.join("erf.csv"), erf.as_bytes())?;
    write_atomic(&dir.join("erf_profile.csv"), profile.as_bytes())?;

    let mut classes = format!("setting,dilation,quantity,{SUMMARY_HEADER}\n");
    for (setting, rows) in ["paper", "converged"].iter().zip(&a.classes) {
        for r in rows {
            for (q, s) in [
                ("norm", r.norm),
                ("min_pixel", r.range[0]),
                ("max_pixel", r.range[1]),
                ("score_over_real_logit", r.relative_score),
                ("recognised_by_judge", r.recognised),
                ("steps", r.steps),
            ] {
                writeln!(classes, "{setting},{},{q},{}", r.dilation, summary_cols(s)).ok();
            }
        }
    }
    write_atomic(&dir.join("class_models.csv"), classes.as_bytes())?;

    let mut faith = format!("dilation,method,quantity,{SUMMARY_HEADER},random_order\n");
    for r in &a.faith {
        for (k, q) in ["deletion_auc", "insertion_auc", "randomised_spearman_abs"].iter().enumerate() {
            let base = if k < 2 { num(r.random[k]) } else { String::new() };
            writeln!(faith, "{},{},{q},{},{base}", r.dilation, r.method, summary_cols(r.scores[k])).ok();
        }
    }
    write_atomic(&dir.join("faith.csv"), faith.as_bytes())?;
    Ok(())
}
