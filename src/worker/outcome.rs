//! What a run of the worker ends with: its summary, or the error that
//! stopped it.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::error::KafkaError;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("kafka client: {0}")]
    Client(#[from] KafkaError),
    #[error("missing topics: {0} (create them first; the worker does not create topics)")]
    MissingTopics(String),
    #[error("{0}")]
    Fatal(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("enrichment thread pool: {0}")]
    Pool(String),
    /// Exactly-once: a transaction was aborted (its batch is read again).
    #[error("transaction aborted: {0}")]
    Aborted(String),
}

/// What a run did, for the shutdown log line and tests.
#[derive(Debug, Default, Clone)]
pub struct RunSummary {
    pub consumed: u64,
    pub enriched: u64,
    pub dead_lettered: BTreeMap<&'static str, u64>,
    /// Records not acknowledged when the shutdown deadline passed (they
    /// were not committed and will be consumed again).
    pub undelivered: usize,
    /// Exactly-once: records written in transactions that were aborted
    /// (invisible to read_committed readers; their inputs were read again).
    pub aborted_records: u64,
    pub elapsed: Duration,
}
