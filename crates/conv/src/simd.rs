//! The crate's one set of vector helpers: the vector type [`Vector`], its width [`LANES`], and
//! unaligned loads and stores, from slices (the gathers) or from raw pointers (the GEMM
//! micro-kernel).
//!
//! Every kernel in the crate goes through these, so the vector width is decided here once, from
//! the target's register file: 16 lanes (`f32x16`, one `zmm` register) where AVX-512 is enabled,
//! 8 lanes (`f32x8`, one `ymm` register with AVX2) elsewhere. A 16-lane vector on a machine
//! without AVX-512 is two `ymm` registers, and the micro-kernel's register tile then spills
//! (measured: three times slower on an AVX2 machine). Every output element is the same sum in the
//! same order at either width, so results do not depend on it.
//!
//! This is a leaf module: its raw-pointer helpers are `unsafe fn`s whose callers keep the promise.

/// The crate's vector: 16 lanes with AVX-512.
#[cfg(target_feature = "avx512f")]
pub(crate) type Vector = wide::f32x16;
/// The crate's vector: 8 lanes without AVX-512 (one `ymm` register with AVX2).
#[cfg(not(target_feature = "avx512f"))]
pub(crate) type Vector = wide::f32x8;

/// Lanes of one [`Vector`].
pub(crate) const LANES: usize = std::mem::size_of::<Vector>() / std::mem::size_of::<f32>();

/// Loads the `LANES` elements of `chunk`.
///
/// # Panics
/// If `chunk` is not exactly `LANES` long.
#[inline(always)]
pub(crate) fn load(chunk: &[f32]) -> Vector {
    Vector::new(chunk.try_into().expect("chunk of LANES lanes"))
}

/// Stores `v` into the `LANES` elements of `chunk`.
///
/// # Panics
/// If `chunk` is not exactly `LANES` long.
#[inline(always)]
pub(crate) fn store(chunk: &mut [f32], v: Vector) {
    chunk.copy_from_slice(v.as_array());
}

/// `dst.copy_from_slice(src)` for the few channels of one tap, inline in whole vectors when the
/// length allows (a `memcpy` call per tap costs more than the copy). The lengths must match.
#[inline(always)]
pub(crate) fn copy_short(dst: &mut [f32], src: &[f32]) {
    if dst.len() % LANES == 0 {
        debug_assert_eq!(dst.len(), src.len(), "copy_short: lengths");
        for (d, s) in dst.chunks_exact_mut(LANES).zip(src.chunks_exact(LANES)) {
            store(d, load(s));
        }
    } else {
        dst.copy_from_slice(src);
    }
}

/// Unaligned vector load from a raw pointer.
///
/// # Safety
/// `p..p + LANES` must be readable.
#[inline(always)]
pub(crate) unsafe fn load_ptr(p: *const f32) -> Vector {
    // SAFETY: the caller's promise; `read_unaligned` has no alignment requirement.
    unsafe { p.cast::<Vector>().read_unaligned() }
}

/// Unaligned vector store to a raw pointer.
///
/// # Safety
/// `p..p + LANES` must be writable.
#[inline(always)]
pub(crate) unsafe fn store_ptr(p: *mut f32, v: Vector) {
    // SAFETY: the caller's promise; `write_unaligned` has no alignment requirement.
    unsafe { p.cast::<Vector>().write_unaligned(v) }
}

#[cfg(test)]
mod tests {
    use super::{LANES, copy_short, load, load_ptr, store, store_ptr};

    /// `copy_short` against its scalar twin `copy_from_slice`, lengths 0..=33 at unaligned offsets.
    #[test]
    fn copy_short_matches_copy_from_slice() {
        let src: Vec<f32> = (0..40).map(|v| v as f32 * 0.5 - 3.0).collect();
        for len in 0..=33 {
            for offset in 0..3 {
                let mut got = vec![f32::NAN; len + 3];
                let mut want = got.clone();
                copy_short(&mut got[offset..offset + len], &src[offset..offset + len]);
                want[offset..offset + len].copy_from_slice(&src[offset..offset + len]);
                assert_eq!(
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "len {len} offset {offset}"
                );
            }
        }
    }

    /// Slice and pointer loads and stores agree and round-trip at unaligned offsets.
    #[test]
    fn loads_and_stores_round_trip() {
        let src: Vec<f32> = (0..LANES + 3).map(|v| v as f32 + 0.25).collect();
        for offset in 0..3 {
            let chunk = &src[offset..offset + LANES];
            // SAFETY: `chunk` holds LANES readable elements.
            let from_ptr = unsafe { load_ptr(chunk.as_ptr()) };
            assert_eq!(load(chunk).to_array(), from_ptr.to_array());
            let mut out = vec![0.0f32; LANES + 3];
            store(&mut out[offset..offset + LANES], from_ptr);
            let mut out_ptr = vec![0.0f32; LANES + 3];
            // SAFETY: `out_ptr[offset..]` holds LANES writable elements.
            unsafe { store_ptr(out_ptr[offset..].as_mut_ptr(), from_ptr) };
            assert_eq!(out, out_ptr);
            assert_eq!(&out[offset..offset + LANES], chunk);
        }
    }
}
