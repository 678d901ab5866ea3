//! One file per family of operations; in each, an operation's forward (a `Tape` method) sits
//! beside the struct that records what its backward needs and the backward itself.

pub(crate) mod activation;
pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod linear;
pub(crate) mod loss;
pub(crate) mod mix;
pub(crate) mod normalise;
pub(crate) mod reduce;
