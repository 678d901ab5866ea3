//! `Shape`: the axis lengths of a tensor, outermost first.

use std::fmt;

/// Axis lengths of a row-major tensor, outermost first (`[N, C, H, W]` for images).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    /// A shape from its axis lengths.
    pub fn new(dims: &[usize]) -> Self {
        Shape(dims.to_vec())
    }

    /// The axis lengths.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (1 for a scalar shape `[]`); `None` if it overflows `usize`.
    pub fn checked_len(&self) -> Option<usize> {
        self.0.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Number of elements (1 for a scalar shape `[]`).
    ///
    /// # Panics
    /// If the product overflows `usize`; shapes of real tensors never do, since their buffer exists.
    pub fn len(&self) -> usize {
        self.checked_len().expect("shape element count overflows usize")
    }

    /// True when some axis has length zero.
    pub fn is_empty(&self) -> bool {
        self.0.contains(&0)
    }

    /// Elements in one item of the outermost axis (the product of all axes but the first).
    pub fn item_len(&self) -> usize {
        self.0.iter().skip(1).product()
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape::new(dims)
    }
}

impl<const R: usize> From<[usize; R]> for Shape {
    fn from(dims: [usize; R]) -> Self {
        Shape(dims.to_vec())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
