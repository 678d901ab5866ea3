//! The verdict rule of the report: each dilation against the baseline is called worse, better,
//! equivalent within a margin, or inconclusive, and rendered as one sentence.

use super::Interval;
use super::tests_of_difference::Tost;

/// The call on one comparison "candidate vs baseline" of a higher-is-better metric (accuracy),
/// with Δ = candidate − baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Significantly lower than the baseline.
    Worse,
    /// Significantly higher than the baseline.
    Better,
    /// Shown equivalent: the TOST rejected |Δ| ≥ `margin`.
    Equivalent {
        /// The equivalence margin, in the units of the data the TOST ran on.
        margin: f64,
    },
    /// Neither a significant difference nor shown equivalence: the data cannot tell.
    Inconclusive,
}

/// The verdict on one comparison, by this rule, applied in this order:
///
/// 1. **Worse / Better** when the difference is significant after multiplicity correction
///    *and* the CI agrees on its sign: `p_adjusted < alpha` and `diff_ci.hi < 0` (Worse) or
///    `diff_ci.lo > 0` (Better). `p_adjusted` is the Holm-adjusted p-value of the comparison
///    (see [`holm`](super::holm)) and `diff_ci` the (1 − α) CI of Δ, normally the Welch CI.
///    Requiring both guards against an interval (e.g. a bootstrap one) that disagrees with
///    the test; when they disagree the difference is not called significant.
/// 2. **Equivalent { margin }** when the TOST passes: `tost.equivalent` (its (1 − 2α) CI
///    lies inside (−margin, margin)); the margin is the one the TOST ran with.
/// 3. **Inconclusive** otherwise.
///
/// Precedence: a difference can be both significant and inside the margin (a small but
/// consistent shift measured very precisely). Rule 1 wins: the report then says worse or
/// better, and its Δ and CI show how small the shift is. Calling it "equivalent" would hide a
/// real, reproducible change of direction that a reviewer should see. A NaN `p_adjusted`
/// (a test that could not be run) is never significant.
pub fn verdict(diff_ci: Interval, p_adjusted: f64, tost: &Tost, alpha: f64) -> Verdict {
    let significant = p_adjusted < alpha;
    if significant && diff_ci.hi < 0.0 {
        Verdict::Worse
    } else if significant && diff_ci.lo > 0.0 {
        Verdict::Better
    } else if tost.equivalent {
        Verdict::Equivalent { margin: tost.margin }
    } else {
        Verdict::Inconclusive
    }
}

impl Verdict {
    /// The same verdict with the margin multiplied by `factor`, e.g. 100 when the tests ran
    /// on accuracies in [0, 1] and the sentence is written in percentage points.
    pub fn scaled(self, factor: f64) -> Self {
        match self {
            Verdict::Equivalent { margin } => Verdict::Equivalent { margin: margin * factor.abs() },
            other => other,
        }
    }

    /// The word or phrase for the verdict: "worse", "better", "equivalent within ±0.50 pp",
    /// "inconclusive" (the margin printed as stored, see [`Verdict::scaled`]).
    pub fn label(&self) -> String {
        match self {
            Verdict::Worse => "worse".to_owned(),
            Verdict::Better => "better".to_owned(),
            Verdict::Equivalent { margin } => format!("equivalent within ±{} pp", pp(*margin)),
            Verdict::Inconclusive => "inconclusive".to_owned(),
        }
    }

    /// One report line, e.g.
    /// `d=4 vs d=1: worse, Δ = −0.87 pp [95% CI −1.20, −0.54]`.
    ///
    /// `diff_pp` and `ci_pp` are Δ and its 95% CI in percentage points; the margin of an
    /// `Equivalent` verdict must be in the same units (see [`Verdict::scaled`]). Numbers are
    /// rounded to two decimals, with a true minus sign (U+2212) and no "−0.00".
    pub fn sentence(&self, name: &str, baseline: &str, diff_pp: f64, ci_pp: Interval) -> String {
        format!(
            "{name} vs {baseline}: {}, Δ = {} pp [95% CI {}, {}]",
            self.label(),
            pp(diff_pp),
            pp(ci_pp.lo),
            pp(ci_pp.hi)
        )
    }
}

/// `x` with two decimals and a U+2212 minus sign; values that round to zero print "0.00".
fn pp(x: f64) -> String {
    let digits = format!("{:.2}", x.abs());
    if x < 0.0 && digits != "0.00" { format!("−{digits}") } else { digits }
}
