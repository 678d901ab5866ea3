//! The statistics of question 1's consistency analysis: how often independent search seeds
//! agree on a layer's dilation, and whether that is more than chance. Pure functions of counts
//! and weights; `None` where the data cannot support a statistic (no seeds, one category).
//!
//! * [`wilson`]: the Wilson score interval of a proportion (good coverage at the 3–20 seeds a
//!   search gets, and never outside [0, 1], unlike the Wald interval);
//! * [`binomial_sf`]: the exact upper tail P(X ≥ k) of a binomial, the test of one *named*
//!   candidate's share against the chance rate 1/K;
//! * [`max_count_sf`]: the exact upper tail of the *largest* of K uniform multinomial counts,
//!   the right null for the modal agreement (the mode is picked after seeing the seeds, so the
//!   binomial p of the mode is too small: with 3 seeds and 4 candidates two seeds agree by
//!   chance 5 times in 8);
//! * [`fleiss_kappa`]: agreement of several raters (seeds) on several items (layers) beyond the
//!   agreement their pooled category shares predict;
//! * [`normalised_entropy`]: how undecided a softmax mixture still is (1 = uniform, 0 = one-hot);
//! * [`random_search_hit_rate`]: the compute-matched random-search baseline over the grid.

use atrous_tensor::rng::Rng;
use statrs::function::factorial::ln_binomial;

/// z_{0.975}, the two-sided 95% normal quantile.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A proportion `k / n` with its Wilson score interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Proportion {
    /// Successes.
    pub k: usize,
    /// Trials.
    pub n: usize,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end of the interval.
    pub hi: f64,
}

impl Proportion {
    /// `k / n`.
    pub fn share(&self) -> f64 {
        self.k as f64 / self.n as f64
    }
}

/// The Wilson score interval of `k` successes in `n` trials at normal quantile `z`:
///
/// ```text
/// p̂ = k/n,  centre = (p̂ + z²/2n) / (1 + z²/n),
/// half = z / (1 + z²/n) · √( p̂(1 − p̂)/n + z²/4n² )
/// ```
///
/// `None` when `n = 0` or `k > n`. The ends are clamped to [0, 1] (they reach 0 and 1 exactly
/// at k = 0 and k = n up to rounding).
pub fn wilson(k: usize, n: usize, z: f64) -> Option<Proportion> {
    if n == 0 || k > n {
        return None;
    }
    let (nf, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / nf;
    let centre = (p + z * z / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z * z / (4.0 * nf * nf)).sqrt();
    let lo = if k == 0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if k == n { 1.0 } else { (centre + half).min(1.0) };
    Some(Proportion { k, n, lo, hi })
}

/// Exact P(X ≥ k) for X ~ Binomial(n, p), summed term by term in log space (0 for k > n).
/// `None` when `p` is outside [0, 1].
pub fn binomial_sf(k: usize, n: usize, p: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    if k == 0 {
        return Some(1.0);
    }
    if k > n {
        return Some(0.0);
    }
    // The degenerate rates have point masses that the log form cannot express.
    if p == 0.0 {
        return Some(0.0);
    }
    if p == 1.0 {
        return Some(1.0);
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let sum: f64 =
        (k..=n).map(|j| (ln_binomial(n as u64, j as u64) + j as f64 * lp + (n - j) as f64 * lq).exp()).sum();
    Some(sum.min(1.0))
}

/// Exact P(max_j N_j ≥ k) when `n` draws fall uniformly into `categories` cells: the p-value
/// of a modal count k under "the seeds pick at random". With a = Σ_{j ≤ m} x^j / j!,
///
/// ```text
/// P(max ≤ m) = n! / K^n · [x^n] a(x)^K
/// ```
///
/// (the exponential generating function of cell counts capped at m). `None` for no
/// categories, or n > 150 (n! leaves f64's range past 170; no study runs that many seeds).
pub fn max_count_sf(k: usize, n: usize, categories: usize) -> Option<f64> {
    if categories == 0 || n > 150 {
        return None;
    }
    if k == 0 {
        return Some(1.0);
    }
    if k > n {
        return Some(0.0);
    }
    let m = k - 1;
    let mut factorial = vec![1.0f64; n + 1];
    for j in 1..=n {
        factorial[j] = factorial[j - 1] * j as f64;
    }
    let capped: Vec<f64> = (0..=n).map(|j| if j <= m { 1.0 / factorial[j] } else { 0.0 }).collect();
    let mut power = vec![0.0f64; n + 1];
    power[0] = 1.0;
    for _ in 0..categories {
        let mut next = vec![0.0f64; n + 1];
        for (i, &a) in power.iter().enumerate().filter(|(_, a)| **a != 0.0) {
            for (j, &b) in capped.iter().enumerate().take(n + 1 - i) {
                next[i + j] += a * b;
            }
        }
        power = next;
    }
    let at_most_m = power[n] * factorial[n] / (categories as f64).powi(n as i32);
    Some((1.0 - at_most_m).clamp(0.0, 1.0))
}

/// Modal agreement of one layer: the most frequent choice among the seeds, its share with a
/// Wilson 95% interval, the binomial p of that share against the chance rate 1/K, and the
/// mode-aware p ([`max_count_sf`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ModalAgreement {
    /// The modal choice (ties: the smallest).
    pub mode: usize,
    /// Seeds choosing it, of all seeds, with the Wilson 95% interval.
    pub share: Proportion,
    /// Exact binomial P(X ≥ k) at rate 1/K (as the question is usually posed).
    pub binomial_p: f64,
    /// Exact P(largest count ≥ k) under uniform choice: the honest p for a mode picked
    /// after the fact, and the one the verdicts use.
    pub mode_p: f64,
}

/// The modal agreement of `choices` (one per seed) among `categories` candidates. `None` with
/// no seeds or no candidates.
pub fn modal_agreement(choices: &[usize], categories: usize) -> Option<ModalAgreement> {
    if choices.is_empty() || categories == 0 {
        return None;
    }
    let mut values: Vec<usize> = choices.to_vec();
    values.sort_unstable();
    values.dedup();
    let count = |v: usize| choices.iter().filter(|&&c| c == v).count();
    let mode = values.iter().copied().max_by_key(|&v| (count(v), std::cmp::Reverse(v)))?;
    let (k, n) = (count(mode), choices.len());
    Some(ModalAgreement {
        mode,
        share: wilson(k, n, Z95)?,
        binomial_p: binomial_sf(k, n, 1.0 / categories as f64)?,
        mode_p: max_count_sf(k, n, categories)?,
    })
}

/// Fleiss' κ for `counts[item][category]` = raters putting the item in the category, every
/// item rated by the same number n ≥ 2 of raters:
///
/// ```text
/// P_i = (Σ_j n_ij² − n) / (n(n − 1)),  P̄ = mean_i P_i,
/// p_j = Σ_i n_ij / (N n),  P̄_e = Σ_j p_j²,  κ = (P̄ − P̄_e) / (1 − P̄_e)
/// ```
///
/// `None` with no items, unequal or < 2 raters per item, or P̄_e = 1 (every rating in one
/// category: agreement is perfect but chance explains all of it, so κ is 0/0).
pub fn fleiss_kappa(counts: &[Vec<usize>]) -> Option<f64> {
    let n = counts.first()?.iter().sum::<usize>();
    if n < 2 || counts.iter().any(|row| row.iter().sum::<usize>() != n) {
        return None;
    }
    let categories = counts.iter().map(Vec::len).max()?;
    let (items, nf) = (counts.len() as f64, n as f64);
    let p_bar = counts
        .iter()
        .map(|row| (row.iter().map(|&c| (c * c) as f64).sum::<f64>() - nf) / (nf * (nf - 1.0)))
        .sum::<f64>()
        / items;
    let p_e: f64 = (0..categories)
        .map(|j| {
            let total: usize = counts.iter().map(|row| row.get(j).copied().unwrap_or(0)).sum();
            (total as f64 / (items * nf)).powi(2)
        })
        .sum();
    (p_e < 1.0).then(|| (p_bar - p_e) / (1.0 - p_e))
}

/// Fleiss' κ of `choices[seed][layer]`, each choice one of `candidates`. `None` as
/// [`fleiss_kappa`], or when a choice is not a candidate.
pub fn fleiss_kappa_of_choices(choices: &[[usize; 3]], candidates: &[usize]) -> Option<f64> {
    let mut counts = vec![vec![0usize; candidates.len()]; 3];
    for seed in choices {
        for (layer, &c) in seed.iter().enumerate() {
            counts[layer][candidates.iter().position(|&d| d == c)?] += 1;
        }
    }
    fleiss_kappa(&counts)
}

/// Entropy of the weights over ln K: 1 for uniform weights, 0 for one-hot ones. The weights are
/// renormalised to sum 1; `None` for fewer than two weights, a negative or non-finite one, or
/// a zero sum.
pub fn normalised_entropy(weights: &[f64]) -> Option<f64> {
    let total: f64 = weights.iter().sum();
    if weights.len() < 2 || weights.iter().any(|w| !w.is_finite() || *w < 0.0) || total <= 0.0 {
        return None;
    }
    let h: f64 = weights.iter().map(|w| w / total).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum();
    Some(h / (weights.len() as f64).ln())
}

/// The random-search baseline over the grid: draw `k` distinct configurations uniformly from
/// those with at least one finished run, train each once (one of its finished seeds, uniformly),
/// keep the one with the highest validation accuracy, and count how often it is in the
/// ε-optimal set. `val[c]` holds configuration c's per-seed validation accuracies, `in_set[c]`
/// its membership. Estimated by `draws` seeded simulations (the estimate and its Monte-Carlo
/// standard error); exact enumeration would need C(configs, k) · seeds^k cases. Ties between
/// the k drawn runs go to the one drawn first (the draw order is random). `None` if no
/// configuration has a run, `k = 0`, or `draws = 0`.
pub fn random_search_hit_rate(
    val: &[Vec<f64>],
    in_set: &[bool],
    k: usize,
    draws: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let usable: Vec<usize> = (0..val.len()).filter(|&c| !val[c].is_empty()).collect();
    if usable.is_empty() || k == 0 || draws == 0 {
        return None;
    }
    let mut rng = Rng::seed_from(seed);
    let mut hits = 0usize;
    for _ in 0..draws {
        let c = random_search_pick(val, &usable, k, &mut rng);
        if c.is_some_and(|c| in_set.get(c).copied().unwrap_or(false)) {
            hits += 1;
        }
    }
    let p = hits as f64 / draws as f64;
    Some((p, (p * (1.0 - p) / draws as f64).sqrt()))
}

/// One random search over the grid (see [`random_search_hit_rate`]): shuffles `usable` (the
/// configurations with at least one run), trains the first `k` of them once (one of their
/// seeds, uniformly) and returns the index of the one with the highest validation accuracy, ties
/// to the first drawn; `None` when `usable` is empty or `k = 0`.
pub(crate) fn random_search_pick(
    val: &[Vec<f64>],
    usable: &[usize],
    k: usize,
    rng: &mut Rng,
) -> Option<usize> {
    let mut pool = usable.to_vec();
    rng.shuffle(&mut pool);
    let mut best: Option<(f64, usize)> = None;
    for &c in &pool[..k.min(pool.len())] {
        let acc = val[c][rng.below(val[c].len() as u64) as usize];
        if best.is_none_or(|(b, _)| acc > b) {
            best = Some((acc, c));
        }
    }
    best.map(|(_, c)| c)
}
