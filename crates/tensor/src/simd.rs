//! Elementwise kernels on `wide::f32x16`, each with a scalar twin in [`scalar`].
//!
//! The vector and scalar versions perform the same floating-point operations in the same order,
//! so they agree bit for bit (the tests check lengths 0..=33 at unaligned offsets). Multiply and
//! add stay separate rather than fused: these loops are bound by memory, and an FMA would make the
//! portable build (no FMA unit) round differently from a native one.
//!
//! `wide` picks instructions at compile time: with `target-cpu=native` on an AVX-512 machine an
//! `f32x16` is one `zmm` register; a portable build runs the same code on SSE2 halves.
//!
//! All kernels take equal-length slices and panic on a length mismatch: that is a bug in the
//! caller, not bad user input (the [`Tensor`](crate::Tensor) methods check shapes first).

use wide::f32x16;

const LANES: usize = 16;

#[inline(always)]
fn load(chunk: &[f32]) -> f32x16 {
    let array: [f32; LANES] = chunk.try_into().expect("chunk of 16 lanes");
    f32x16::new(array)
}

#[inline(always)]
fn store(chunk: &mut [f32], v: f32x16) {
    chunk.copy_from_slice(v.as_array());
}

/// `out[i] = f(a[i], b[i])`, vector body plus scalar tail.
#[inline(always)]
fn zip_map(
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    vf: impl Fn(f32x16, f32x16) -> f32x16,
    sf: impl Fn(f32, f32) -> f32,
) {
    assert!(a.len() == out.len() && b.len() == out.len(), "simd: operand lengths differ");
    let body = out.len() / LANES * LANES;
    let (out_body, out_tail) = out.split_at_mut(body);
    for ((o, x), y) in out_body.chunks_exact_mut(LANES).zip(a.chunks_exact(LANES)).zip(b.chunks_exact(LANES))
    {
        store(o, vf(load(x), load(y)));
    }
    for ((o, &x), &y) in out_tail.iter_mut().zip(&a[body..]).zip(&b[body..]) {
        *o = sf(x, y);
    }
}

/// `y[i] = f(x[i], y[i])` in place.
#[inline(always)]
fn update(x: &[f32], y: &mut [f32], vf: impl Fn(f32x16, f32x16) -> f32x16, sf: impl Fn(f32, f32) -> f32) {
    assert_eq!(x.len(), y.len(), "simd: operand lengths differ");
    let body = y.len() / LANES * LANES;
    let (y_body, y_tail) = y.split_at_mut(body);
    for (o, xs) in y_body.chunks_exact_mut(LANES).zip(x.chunks_exact(LANES)) {
        store(o, vf(load(xs), load(o)));
    }
    for (o, &xv) in y_tail.iter_mut().zip(&x[body..]) {
        *o = sf(xv, *o);
    }
}

/// `out = a + b`.
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
    zip_map(a, b, out, |x, y| x + y, |x, y| x + y);
}

/// `out = a - b`.
pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) {
    zip_map(a, b, out, |x, y| x - y, |x, y| x - y);
}

/// `out = a * b` (elementwise).
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) {
    zip_map(a, b, out, |x, y| x * y, |x, y| x * y);
}

/// `acc += x`: gradient accumulation.
pub fn add_assign(acc: &mut [f32], x: &[f32]) {
    update(x, acc, |x, a| a + x, |x, a| a + x);
}

/// `y += alpha · x` (unfused multiply then add).
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    let va = f32x16::splat(alpha);
    update(x, y, |x, y| y + va * x, |x, y| y + alpha * x);
}

/// `x *= alpha` in place.
pub fn scale(alpha: f32, x: &mut [f32]) {
    let va = f32x16::splat(alpha);
    let body = x.len() / LANES * LANES;
    let (x_body, x_tail) = x.split_at_mut(body);
    for c in x_body.chunks_exact_mut(LANES) {
        store(c, load(c) * va);
    }
    for v in x_tail {
        *v *= alpha;
    }
}

/// `out = max(x, 0)`. A NaN input gives 0, in both twins.
pub fn relu(x: &[f32], out: &mut [f32]) {
    let zero = f32x16::splat(0.0);
    // `zip_map` wants two inputs; feeding x twice keeps one loop shape for every kernel.
    zip_map(x, x, out, |v, _| v.simd_gt(zero).select(v, zero), |v, _| if v > 0.0 { v } else { 0.0 });
}

/// ReLU's backward: `dx = dy` where `x > 0`, else 0 (the subgradient at 0 is taken as 0).
pub fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let zero = f32x16::splat(0.0);
    zip_map(x, dy, dx, |v, g| v.simd_gt(zero).select(g, zero), |v, g| if v > 0.0 { g } else { 0.0 });
}

/// Sum with 16 interleaved partial sums, combined lane 0 first, then the tail in order.
pub fn sum(x: &[f32]) -> f32 {
    let body = x.len() / LANES * LANES;
    let mut acc = f32x16::splat(0.0);
    for c in x[..body].chunks_exact(LANES) {
        acc += load(c);
    }
    let mut total = acc.as_array().iter().fold(0.0f32, |s, &v| s + v);
    for &v in &x[body..] {
        total += v;
    }
    total
}

/// Dot product, summed in the same lane order as [`sum`].
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "simd::dot: operand lengths differ");
    let body = a.len() / LANES * LANES;
    let mut acc = f32x16::splat(0.0);
    for (x, y) in a[..body].chunks_exact(LANES).zip(b[..body].chunks_exact(LANES)) {
        acc += load(x) * load(y);
    }
    let mut total = acc.as_array().iter().fold(0.0f32, |s, &v| s + v);
    for (&x, &y) in a[body..].iter().zip(&b[body..]) {
        total += x * y;
    }
    total
}

/// Whether every element is finite (no NaN, no ±∞), with no branch per element: `v · 0` is 0
/// for a finite `v` and NaN otherwise, and a NaN stays in the running sum. For scanning whole
/// activations, where a per-element test costs more than the layer that made them.
pub fn all_finite(x: &[f32]) -> bool {
    let body = x.len() / LANES * LANES;
    let (zero, mut acc) = (f32x16::splat(0.0), f32x16::splat(0.0));
    for c in x[..body].chunks_exact(LANES) {
        acc += load(c) * zero;
    }
    acc.as_array().iter().chain(&x[body..]).all(|v| v * 0.0 == 0.0)
}

/// Scalar twins of every kernel above, one plain loop each: the reference the vector code is
/// tested against, and the readable statement of what each kernel computes.
pub mod scalar {
    use super::LANES;

    /// `out = a + b`.
    pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = x + y;
        }
    }

    /// `out = a - b`.
    pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = x - y;
        }
    }

    /// `out = a * b`.
    pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = x * y;
        }
    }

    /// `acc += x`.
    pub fn add_assign(acc: &mut [f32], x: &[f32]) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a += v;
        }
    }

    /// `y += alpha · x`.
    pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
        for (o, &v) in y.iter_mut().zip(x) {
            *o += alpha * v;
        }
    }

    /// `x *= alpha`.
    pub fn scale(alpha: f32, x: &mut [f32]) {
        for v in x {
            *v *= alpha;
        }
    }

    /// `out = max(x, 0)`, NaN to 0.
    pub fn relu(x: &[f32], out: &mut [f32]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = if v > 0.0 { v } else { 0.0 };
        }
    }

    /// `dx = dy · [x > 0]`.
    pub fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
        for ((o, &v), &g) in dx.iter_mut().zip(x).zip(dy) {
            *o = if v > 0.0 { g } else { 0.0 };
        }
    }

    /// Whether every element is finite.
    pub fn all_finite(x: &[f32]) -> bool {
        x.iter().all(|v| v.is_finite())
    }

    /// Sum in the lane order of [`super::sum`].
    pub fn sum(x: &[f32]) -> f32 {
        dot_or_sum(x, None)
    }

    /// Dot product in the lane order of [`super::dot`].
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        dot_or_sum(a, Some(b))
    }

    fn dot_or_sum(a: &[f32], b: Option<&[f32]>) -> f32 {
        let term = |i: usize| b.map_or(a[i], |b| a[i] * b[i]);
        let body = a.len() / LANES * LANES;
        let mut lanes = [0.0f32; LANES];
        for i in 0..body {
            lanes[i % LANES] += term(i);
        }
        let mut total = lanes.iter().fold(0.0f32, |s, &v| s + v);
        for i in body..a.len() {
            total += term(i);
        }
        total
    }
}
