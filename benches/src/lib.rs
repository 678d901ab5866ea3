//! Criterion benchmarks of atrous live in `benches/`; this library is empty on purpose.
