//! A small seeded random-number generator (xoshiro256++ seeded through SplitMix64).
//!
//! atrous owns its generator rather than borrowing one so that a seed keeps naming the same
//! model forever: no upstream release can change the stream. Every consumer draws from an
//! [`Rng`] passed in explicitly; nothing reads a global or thread-local generator, so results
//! never depend on the thread count.

/// Seeded xoshiro256++ generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: [u64; 4],
}

/// SplitMix64 step: turns any seed (0 included) into well-mixed state words.
fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn seed_from(seed: u64) -> Self {
        let mut s = seed;
        Rng { state: [splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s)] }
    }

    /// An independent generator for sub-task `stream` (e.g. one per epoch), fixed by this
    /// generator's current state and `stream`, without advancing `self`.
    pub fn fork(&self, stream: u64) -> Self {
        let mut s =
            self.state[0] ^ self.state[2].rotate_left(17) ^ stream.wrapping_mul(0xA24B_AED4_963E_E407);
        Rng { state: [splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s), splitmix64(&mut s)] }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 24 random bits (every value exactly representable in f32).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[low, high)`.
    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_f32()
    }

    /// Standard normal draw (Box–Muller in f64).
    pub fn normal(&mut self) -> f32 {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// Uniform integer in `0..bound` without modulo bias (Lemire's multiply-and-reject).
    ///
    /// # Panics
    /// If `bound` is zero.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "Rng::below: empty range");
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// Fisher–Yates shuffle in place: every permutation equally likely, fixed by the seed.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A shuffled `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        self.shuffle(&mut order);
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let a: Vec<u64> = (0..8).scan(Rng::seed_from(1), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..8).scan(Rng::seed_from(1), |r, _| Some(r.next_u64())).collect();
        let c: Vec<u64> = (0..8).scan(Rng::seed_from(2), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut rng = Rng::seed_from(42);
        let n = 200_000;
        let u: Vec<f32> = (0..n).map(|_| rng.next_f32()).collect();
        assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
        let mean_u = u.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        // Standard error of the mean of U(0,1) over 2e5 draws is 6.5e-4; allow 5 of them.
        assert!((mean_u - 0.5).abs() < 3.3e-3, "mean {mean_u}");
        let z: Vec<f64> = (0..n).map(|_| f64::from(rng.normal())).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.0112, "mean {mean}");
        assert!((var - 1.0).abs() < 0.016, "variance {var}");
    }

    #[test]
    fn shuffle_is_a_permutation_and_covers_positions() {
        let mut rng = Rng::seed_from(3);
        let p = rng.permutation(1000);
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_ne!(p, sorted, "a 1000-element shuffle left everything in place");
        // Element 0 must be able to land anywhere in a 3-element shuffle.
        let mut seen = [0usize; 3];
        for _ in 0..3000 {
            let mut v = [0, 1, 2];
            rng.shuffle(&mut v);
            seen[v.iter().position(|&x| x == 0).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&c| c > 850), "{seen:?}");
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::seed_from(9);
        for bound in [1u64, 2, 3, 7, 1000, u64::MAX] {
            for _ in 0..100 {
                assert!(rng.below(bound) < bound);
            }
        }
    }

    #[test]
    fn forks_differ_by_stream_and_leave_parent_alone() {
        let parent = Rng::seed_from(5);
        let before = parent.clone();
        let mut a = parent.fork(0);
        let mut b = parent.fork(1);
        assert_ne!(a.next_u64(), b.next_u64());
        assert_eq!(parent, before);
    }
}
