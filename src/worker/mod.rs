//! The Kafka worker: the imperative shell around [`Pipeline`].
//!
//! One thread owns the consumer and runs the loop (`at_least_once.rs`;
//! exactly-once delivery: `transactional.rs`): poll a batch, enrich it
//! on a thread pool (input order kept), hand the results to the producer in
//! offset order, commit on an interval. Delivery reports (on librdkafka's
//! producer thread) settle offsets in the [`OffsetTracker`]; a commit never
//! passes an offset whose output the broker has not acknowledged.
//! Rebalance callbacks run on the loop's thread, inside `poll`, so a revoke
//! sees no half-dispatched batch.
//!
//! A delivery that fails (after librdkafka's own retries) pauses its input
//! partition; once nothing of it is left in the producer, the partition is
//! read again from the failed record, so outputs stay in input order (a
//! newer version of a key never lands before an older one). See
//! docs/decisions.md ("The worker") and docs/reliability.md.

mod at_least_once;
mod batch;
pub mod client;
mod context;
pub mod dead_letter;
pub mod offsets;
mod outcome;
mod records;
pub mod replay;
mod settings;
mod setup;
pub mod shutdown;
mod transactional;
mod unstarted;

use std::sync::Arc;

use crate::config::{Config, Delivery};
use crate::pipeline::SharedPipeline;
use crate::telemetry::{Health, Metrics};
pub use offsets::{Commits, OffsetTracker, TopicPartition};
pub use outcome::{RunSummary, WorkerError};
pub use shutdown::Shutdown;

/// Runs until `shutdown` is requested (then drains, commits and leaves the
/// group) or a fatal error. Blocking: call it on a thread of its own.
/// Each batch is enriched with the pipeline current when it was read (a
/// reload replaces it for the batches after).
pub fn run(
    config: &Config,
    pipeline: Arc<SharedPipeline>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: Arc<Shutdown>,
) -> Result<RunSummary, WorkerError> {
    health.set_stall_timeout(config.telemetry.stall_timeout);
    match config.kafka.delivery {
        Delivery::AtLeastOnce => at_least_once::run(config, pipeline, metrics, health, shutdown),
        Delivery::ExactlyOnce => transactional::run(config, pipeline, metrics, health, shutdown),
    }
}
