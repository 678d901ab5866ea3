//! Which images of a split to explain: [`ImageRange`], written `A..B` (half-open), `A..=B` or
//! a single index `A`, as the `--images` flag takes it.
//!
//! ```
//! use atrous_saliency::images::ImageRange;
//!
//! let r: ImageRange = "5..8".parse()?;
//! assert_eq!(r.indices(10)?, vec![5, 6, 7]);
//! assert_eq!("3..=4".parse::<ImageRange>()?.indices(10)?, vec![3, 4]);
//! assert!(r.indices(6).is_err());
//! assert!("8..5".parse::<ImageRange>().is_err());
//! # Ok::<(), atrous_saliency::SaliencyError>(())
//! ```

use crate::{Result, SaliencyError};
use std::ops::Range;

/// A non-empty, half-open range of image indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRange(pub Range<usize>);

impl std::str::FromStr for ImageRange {
    type Err = SaliencyError;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: String| SaliencyError::ImageRange { text: s.into(), reason };
        let num =
            |t: &str| t.trim().parse::<usize>().map_err(|_| bad(format!("{t:?} is not an image index")));
        let range = match s.split_once("..") {
            Some((a, b)) => match b.strip_prefix('=') {
                Some(b) => num(a)?..num(b)?.saturating_add(1),
                None => num(a)?..num(b)?,
            },
            None => num(s)?..num(s)?.saturating_add(1),
        };
        if range.is_empty() {
            return Err(bad("it is empty (write START..END with START < END)".into()));
        }
        Ok(ImageRange(range))
    }
}

impl ImageRange {
    /// The whole split of `n` images.
    pub fn all(n: usize) -> Self {
        ImageRange(0..n)
    }

    /// The indices, after checking they exist in a split of `n` images.
    pub fn indices(&self, n: usize) -> Result<Vec<usize>> {
        let Range { start, end } = self.0;
        if end > n {
            return Err(SaliencyError::PastEnd { start, end, images: n });
        }
        Ok(self.0.clone().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_refuse_what_they_should() {
        assert_eq!("7".parse::<ImageRange>().unwrap(), ImageRange(7..8));
        assert_eq!(" 2 .. 4".parse::<ImageRange>().unwrap(), ImageRange(2..4));
        let e = "a..3".parse::<ImageRange>().unwrap_err().to_string();
        assert!(e.contains("\"a\" is not an image index"), "{e}");
        let e = "9..3".parse::<ImageRange>().unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = ImageRange(9990..10001).indices(10_000).unwrap_err().to_string();
        assert_eq!(e, "image range 9990..10001 reaches past the 10000 images of the split");
    }
}
