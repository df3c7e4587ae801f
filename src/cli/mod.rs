//! The binary's own modules, declared from `main.rs` and not part of the
//! library: the process shell around the worker (runtime, signals,
//! telemetry server) and the self-contained demo. Everything they run is
//! the library's.

pub mod demo;
pub mod shell;
