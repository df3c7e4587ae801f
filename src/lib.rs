//! posting-enricher: enriches schema.org `JobPosting` events with typed
//! description sections, geo and salary.
//!
//! The library is the functional core (decoding, enrichment, the output
//! record) plus the offline runner; it never does network I/O. The Kafka
//! worker is the imperative shell around [`pipeline::Pipeline`].

pub mod config;
pub mod enrich;
pub mod identity;
pub mod offline;
pub mod pipeline;
pub mod posting;
pub mod record;
pub mod reference;
