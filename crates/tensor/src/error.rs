//! The typed error of tensor operations: it names the operation and the shapes involved.

use crate::Shape;

/// Result alias for tensor operations.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong in a tensor operation, with enough context to read without a debugger.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A buffer's length does not match the element count of the shape it was given.
    #[error("{op}: shape {shape} holds {expected} elements but the buffer has {found}")]
    LengthMismatch {
        /// The operation that noticed.
        op: &'static str,
        /// The requested shape.
        shape: Shape,
        /// Elements the shape needs.
        expected: usize,
        /// Elements supplied.
        found: usize,
    },
    /// Two shapes that must agree do not.
    #[error("{op}: shapes {left} and {right} do not agree ({why})")]
    ShapeMismatch {
        /// The operation that noticed.
        op: &'static str,
        /// The first operand's shape.
        left: Shape,
        /// The second operand's shape.
        right: Shape,
        /// Which rule was broken.
        why: &'static str,
    },
    /// A shape of the wrong rank or with an invalid axis.
    #[error("{op}: {why}, got shape {shape}")]
    BadShape {
        /// The operation that noticed.
        op: &'static str,
        /// The offending shape.
        shape: Shape,
        /// What was expected.
        why: &'static str,
    },
    /// An index range outside an axis.
    #[error("{op}: range {start}..{end} is outside an axis of length {len}")]
    OutOfRange {
        /// The operation that noticed.
        op: &'static str,
        /// Range start.
        start: usize,
        /// Range end (exclusive).
        end: usize,
        /// Axis length.
        len: usize,
    },
}
