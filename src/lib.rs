//! posting-enricher: enriches schema.org `JobPosting` events with typed
//! description sections, geo and salary.
//!
//! The library is the functional core (decoding, enrichment, the output
//! record) plus the offline runner, with no I/O. The Kafka worker
//! ([`worker`]) and the telemetry endpoints ([`telemetry`]) are the
//! imperative shell around [`pipeline::Pipeline`]; only they use rdkafka
//! and tokio.

pub mod config;
pub mod enrich;
pub mod fuzz_input;
pub mod identity;
pub mod offline;
pub mod pipeline;
pub mod posting;
pub mod record;
pub mod reference;
pub mod reload;
pub mod telemetry;
#[cfg(test)]
mod test_random;
mod text_scan;
mod unset_if_empty;
pub mod worker;
