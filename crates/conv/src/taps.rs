//! Where each kernel tap reads: its offset along an axis, and the range of output positions whose
//! read lands inside the image. Every gather in the crate (im2col, col2im, the shifted planes,
//! im2row) derives its index arithmetic from these two functions, so it is written and tested once.

/// Output positions `o` in `0..n_out` whose input index `o·stride + offset` lies in `0..n_in`.
pub(crate) fn valid_range(n_out: usize, n_in: usize, stride: usize, offset: isize) -> std::ops::Range<usize> {
    // o·s + offset ≥ 0  ⇔  o ≥ ceil(−offset / s)
    let lo = if offset >= 0 { 0 } else { (-offset) as usize }.div_ceil(stride);
    // o·s + offset < n_in  ⇔  o < ceil((n_in − offset) / s)
    let limit = n_in as isize - offset;
    let hi = if limit <= 0 { 0 } else { (limit as usize).div_ceil(stride) };
    let hi = hi.min(n_out);
    lo.min(hi)..hi
}

/// The per-tap offsets `(i·d − p)` along one axis.
pub(crate) fn tap_offset(tap: usize, dilation: usize, padding: usize) -> isize {
    (tap * dilation) as isize - padding as isize
}

#[cfg(test)]
mod tests {
    use super::valid_range;

    #[test]
    fn valid_range_matches_brute_force() {
        for n_out in 0..6 {
            for n_in in 0..6 {
                for stride in 1..4 {
                    for offset in -7isize..7 {
                        let brute: Vec<usize> = (0..n_out)
                            .filter(|&o| {
                                (0..n_in as isize).contains(&(o as isize * stride as isize + offset))
                            })
                            .collect();
                        let r = valid_range(n_out, n_in, stride, offset);
                        assert_eq!(r.clone().collect::<Vec<_>>(), brute, "{n_out} {n_in} {stride} {offset}");
                    }
                }
            }
        }
    }
}
