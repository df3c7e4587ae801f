//! The worker's durations and bounds, read once from the config.

use std::time::Duration;

use crate::config::Config;

/// The worker's durations and bounds, read once from the config.
pub(crate) struct Settings {
    pub commit_every: Duration,
    pub summary_every: Duration,
    pub batch_size: usize,
    pub max_in_flight: usize,
    pub max_in_flight_bytes: usize,
    pub delivery_retries: u32,
    pub retry_backoff_max: Duration,
    pub stopped_retry: Duration,
    pub progress_timeout: Duration,
    pub auth_grace: Duration,
}

impl Settings {
    pub fn new(config: &Config) -> Settings {
        let w = &config.worker;
        Settings {
            commit_every: w.commit_interval,
            summary_every: config.telemetry.summary_interval,
            batch_size: usize::try_from(w.batch_size).unwrap_or(256),
            max_in_flight: usize::try_from(w.max_in_flight).unwrap_or(usize::MAX),
            max_in_flight_bytes: usize::try_from(w.max_in_flight_bytes).unwrap_or(usize::MAX),
            delivery_retries: u32::try_from(w.delivery_retries).unwrap_or(u32::MAX),
            retry_backoff_max: w.retry_backoff_max,
            stopped_retry: w.stopped_partition_retry,
            progress_timeout: w.progress_timeout,
            auth_grace: config.kafka.auth_failure_grace,
        }
    }

    /// The wait before reading a partition again after its `attempt`-th
    /// failed delivery in a row.
    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let base = Duration::from_millis(100).saturating_mul(1u32 << attempt.min(16));
        base.min(self.retry_backoff_max)
    }
}
