//! State shared between the worker loop and librdkafka's callbacks
//! (delivery reports on the producer's thread; rebalances, commits,
//! statistics and errors on the consumer's), and the callbacks themselves.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Message, OwnedHeaders};
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::{Offset, TopicPartitionList};
use tracing::{debug, error, info, warn};

use super::offsets::{OffsetTracker, Pending, TopicPartition};
use crate::telemetry::{Health, Metrics};

/// Locks, ignoring poisoning: every critical section leaves the state
/// consistent, and a panic elsewhere must not stop delivery bookkeeping.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a produced record is, for its delivery report.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Enriched,
    DeadLetter { reason: &'static str },
}

/// Travels with each produced record and comes back in its delivery report.
#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub source: TopicPartition,
    pub offset: i64,
    pub attempt: u32,
    pub kind: Kind,
    pub consumed_at: Instant,
}

/// A record the producer gave back (refused at once, or failed delivery).
pub(crate) struct Refused<'a> {
    pub topic: &'a str,
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
    pub headers: Option<OwnedHeaders>,
}

/// A record whose delivery failed, owned, waiting to be sent again.
pub(crate) struct Retry {
    pub tag: Tag,
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: Option<OwnedHeaders>,
    pub error: KafkaError,
    pub due: Instant,
}

impl Retry {
    pub fn too_large(&self) -> bool {
        matches!(
            self.error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::MessageSizeTooLarge)
        )
    }
}

pub(crate) struct Shared {
    pub tracker: Mutex<OffsetTracker>,
    /// Signalled on every delivery report.
    pub changed: Condvar,
    pub retries: Mutex<Vec<Retry>>,
    /// Partitions whose records are processed (assigned and not stopped).
    pub active: Mutex<Vec<TopicPartition>>,
    /// Partitions stopped after a delivery failed for good.
    pub stopped: Mutex<Vec<TopicPartition>>,
    pub fatal: Mutex<Option<String>>,
    /// Set when librdkafka logs a failed commit (the only sign of one made
    /// asynchronously): the next commit re-sends every offset.
    pub commit_failed: AtomicBool,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub revoke_timeout: Duration,
    pub retry_backoff_max: Duration,
    pub shutdown: Arc<super::Shutdown>,
}

impl Shared {
    pub fn new(
        metrics: Arc<Metrics>,
        health: Arc<Health>,
        revoke_timeout: Duration,
        retry_backoff_max: Duration,
        shutdown: Arc<super::Shutdown>,
    ) -> Self {
        Shared {
            tracker: Mutex::new(OffsetTracker::new()),
            changed: Condvar::new(),
            retries: Mutex::new(Vec::new()),
            active: Mutex::new(Vec::new()),
            stopped: Mutex::new(Vec::new()),
            fatal: Mutex::new(None),
            commit_failed: AtomicBool::new(false),
            metrics,
            health,
            revoke_timeout,
            retry_backoff_max,
            shutdown,
        }
    }

    /// Drops what is kept for partitions no longer owned: queued retries,
    /// stopped marks, lag series, the assigned count.
    pub fn forget(&self, tps: &[TopicPartition]) {
        lock(&self.retries).retain(|r| !tps.contains(&r.tag.source));
        {
            let mut stopped = lock(&self.stopped);
            stopped.retain(|tp| !tps.contains(tp));
            self.metrics.stopped_partitions.set(stopped.len() as i64);
        }
        for tp in tps {
            let _ = self
                .metrics
                .consumer_lag
                .remove_label_values(&[&tp.topic, &tp.partition.to_string()]);
        }
        self.metrics.assigned_partitions.sub(tps.len() as i64);
    }

    /// Waits up to `timeout` for a delivery report.
    pub fn wait_for_change(&self, timeout: Duration) {
        let guard = lock(&self.tracker);
        let _ = self.changed.wait_timeout(guard, timeout);
    }

    pub fn set_fatal(&self, reason: String) {
        let mut fatal = lock(&self.fatal);
        if fatal.is_none() {
            error!(reason = %reason, "fatal error: the worker stops");
            *fatal = Some(reason);
        }
    }

    pub fn fatal(&self) -> Option<String> {
        lock(&self.fatal).clone()
    }

    pub fn is_active(&self, topic: &str, partition: i32) -> bool {
        lock(&self.active)
            .iter()
            .any(|tp| tp.partition == partition && tp.topic == topic)
    }

    pub fn deactivate(&self, tps: &[TopicPartition]) {
        lock(&self.active).retain(|tp| !tps.contains(tp));
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = Duration::from_millis(100).saturating_mul(1u32 << attempt.min(16));
        base.min(self.retry_backoff_max)
    }

    /// Queues a failed record to be sent again after a backoff.
    pub fn queue_retry(&self, tag: Tag, record: Refused<'_>, error: KafkaError) {
        let mut tracker = lock(&self.tracker);
        if !tracker.mark(&tag.source, tag.offset, Pending::AwaitingRetry) {
            return; // its partition was revoked: the new owner reprocesses it
        }
        drop(tracker);
        let retry = Retry {
            due: Instant::now() + self.backoff(tag.attempt),
            topic: record.topic.to_string(),
            key: record.key.map(<[u8]>::to_vec),
            payload: record.payload.map(<[u8]>::to_vec),
            headers: record.headers,
            error,
            tag,
        };
        lock(&self.retries).push(retry);
        self.changed.notify_all();
    }

    fn classify_error(&self, error: &KafkaError, reason: &str) {
        use RDKafkaErrorCode as C;
        match error.rdkafka_error_code() {
            Some(C::AllBrokersDown) => {
                if self.health.set_broker_up(false) {
                    warn!(error = %error, reason, "all brokers unreachable; retrying");
                }
                self.metrics.broker_up.set(0);
            }
            Some(
                C::Authentication
                | C::SaslAuthenticationFailed
                | C::TopicAuthorizationFailed
                | C::GroupAuthorizationFailed
                | C::ClusterAuthorizationFailed
                | C::Fatal,
            ) => self.set_fatal(format!("{error}: {reason}")),
            Some(C::BrokerTransportFailure | C::Resolve) => {
                debug!(error = %error, reason, "broker connection")
            }
            _ => warn!(error = %error, reason, "kafka client error"),
        }
    }

    fn on_stats(&self, stats: &Statistics) {
        let up = stats
            .brokers
            .values()
            .any(|b| b.nodeid >= 0 && b.state == "UP");
        if up && !self.health.set_broker_up(true) {
            info!("broker connection up");
        }
        self.metrics.broker_up.set(i64::from(up));
        let active = lock(&self.active).clone();
        for tp in &active {
            let lag = stats
                .topics
                .get(&tp.topic)
                .and_then(|t| t.partitions.get(&tp.partition))
                .map(|p| p.consumer_lag);
            if let Some(lag) = lag.filter(|l| *l >= 0) {
                self.metrics
                    .consumer_lag
                    .with_label_values(&[&tp.topic, &tp.partition.to_string()])
                    .set(lag);
            }
        }
    }
}

fn forward_log(level: RDKafkaLogLevel, fac: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => error!(target: "librdkafka", facility = fac, "{message}"),
        RDKafkaLogLevel::Warning => warn!(target: "librdkafka", facility = fac, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            info!(target: "librdkafka", facility = fac, "{message}")
        }
        RDKafkaLogLevel::Debug => debug!(target: "librdkafka", facility = fac, "{message}"),
    }
}

fn partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

fn names(tps: &[TopicPartition]) -> String {
    tps.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Builds the commit request for `offsets` (the next offset to read).
pub(crate) fn commit_list(offsets: &[(TopicPartition, i64)]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(offsets.len());
    for (tp, offset) in offsets {
        // Adding a valid offset to a fresh list cannot fail.
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset));
    }
    tpl
}

/// The consumer's callbacks.
pub(crate) struct ConsumerCallbacks {
    pub shared: Arc<Shared>,
}

impl ClientContext for ConsumerCallbacks {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        // librdkafka logs COMMITFAIL exactly when a commit failed and no
        // callback was given its result (all of the worker's asynchronous
        // commits, rust-rdkafka#856).
        if fac == "COMMITFAIL" {
            self.shared.metrics.commit_failures.inc();
            self.shared.commit_failed.store(true, Ordering::Relaxed);
        }
        forward_log(level, fac, message);
    }

    fn stats(&self, statistics: Statistics) {
        self.shared.on_stats(&statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.shared.classify_error(&error, reason);
    }
}

impl ConsumerContext for ConsumerCallbacks {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let shared = &self.shared;
        let tps = partitions(tpl);
        // Stop taking their records (buffered ones are dropped at dispatch).
        shared.deactivate(&tps);
        if consumer.assignment_lost() {
            // Someone else owns them already: committing would be refused.
            let mut tracker = lock(&shared.tracker);
            for tp in &tps {
                tracker.remove(tp);
            }
            shared.metrics.in_flight.set(tracker.in_flight() as i64);
            drop(tracker);
            shared.forget(&tps);
            shared.metrics.rebalances.with_label_values(&["lost"]).inc();
            warn!(partitions = %names(&tps), "partitions lost (session timed out); their records will be reprocessed by the new owner");
            return;
        }
        shared
            .metrics
            .rebalances
            .with_label_values(&["revoke"])
            .inc();
        // Let in-flight records finish, within a bound below the session timeout.
        // Within the shutdown deadline too, when the revoke is the close.
        let mut deadline = Instant::now() + shared.revoke_timeout;
        if let Some(at) = shared.shutdown.deadline() {
            deadline = deadline.min(at);
        }
        let mut tracker = lock(&shared.tracker);
        loop {
            let waiting: usize = tps.iter().map(|tp| tracker.in_producer(tp)).sum();
            let now = Instant::now();
            if waiting == 0 || now >= deadline {
                break;
            }
            let wait = (deadline - now).min(Duration::from_millis(100));
            tracker = shared
                .changed
                .wait_timeout(tracker, wait)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
        }
        let commits = tracker.take_commits_of(&tps);
        let abandoned: usize = tps
            .iter()
            .map(|tp| {
                let before = tracker.in_flight();
                tracker.remove(tp);
                before - tracker.in_flight()
            })
            .sum();
        shared.metrics.in_flight.set(tracker.in_flight() as i64);
        drop(tracker);
        shared.forget(&tps);
        if !commits.is_empty()
            && let Err(e) = consumer.commit(&commit_list(&commits), CommitMode::Sync)
        {
            warn!(error = %e, partitions = %names(&tps), "commit on revoke failed; the new owner may reprocess some records");
        }
        info!(partitions = %names(&tps), abandoned, "partitions revoked");
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let shared = &self.shared;
        match rebalance {
            Rebalance::Assign(tpl) => {
                let tps = partitions(tpl);
                if tps.is_empty() {
                    return;
                }
                shared
                    .metrics
                    .rebalances
                    .with_label_values(&["assign"])
                    .inc();
                shared.metrics.assigned_partitions.add(tps.len() as i64);
                info!(partitions = %names(&tps), "partitions assigned");
                let mut active = lock(&shared.active);
                for tp in tps {
                    if !active.contains(&tp) {
                        active.push(tp);
                    }
                }
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => {
                shared
                    .metrics
                    .rebalances
                    .with_label_values(&["error"])
                    .inc();
                warn!(error = %e, "rebalance error");
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        // Not reached today for the worker's asynchronous commits
        // (rust-rdkafka#856: no reply queue is given, so librdkafka reports
        // nothing); they are counted when sent and re-sent periodically.
        match result {
            // Nothing to commit is not a failure; a success was counted.
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                self.shared.metrics.commit_failures.inc();
                warn!(error = %e, "offset commit failed; retried at the next interval");
                let mut tracker = lock(&self.shared.tracker);
                for tp in partitions(offsets) {
                    tracker.uncommit(&tp);
                }
            }
        }
    }
}

/// The producer's callbacks: delivery reports settle offsets.
pub(crate) struct DeliveryCallbacks {
    pub shared: Arc<Shared>,
}

impl ClientContext for DeliveryCallbacks {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        forward_log(level, fac, message);
    }

    // Only the consumer's statistics are used (lag, broker state); an
    // operator who enables the producer's gets no log flood.
    fn stats(&self, _statistics: Statistics) {}

    fn error(&self, error: KafkaError, reason: &str) {
        self.shared.classify_error(&error, reason);
    }
}

impl ProducerContext for DeliveryCallbacks {
    type DeliveryOpaque = Box<Tag>;

    fn delivery(&self, result: &DeliveryResult<'_>, tag: Box<Tag>) {
        let shared = &self.shared;
        match result {
            Ok(_) => {
                let mut tracker = lock(&shared.tracker);
                let settled = tracker.ack(&tag.source, tag.offset);
                shared.metrics.in_flight.set(tracker.in_flight() as i64);
                drop(tracker);
                if settled {
                    let m = &shared.metrics;
                    match tag.kind {
                        Kind::Enriched => m.produced.with_label_values(&[&tag.source.topic]).inc(),
                        Kind::DeadLetter { reason } => m
                            .dead_lettered
                            .with_label_values(&[&tag.source.topic, reason])
                            .inc(),
                    }
                    m.processing_seconds
                        .observe(tag.consumed_at.elapsed().as_secs_f64());
                }
                shared.changed.notify_all();
            }
            Err((error, message)) => {
                let code = error
                    .rdkafka_error_code()
                    .map_or_else(|| "unknown".to_string(), |c| format!("{c:?}"));
                shared
                    .metrics
                    .delivery_failures
                    .with_label_values(&[&code])
                    .inc();
                debug!(error = %error, source = %tag.source, offset = tag.offset, "delivery failed");
                let refused = Refused {
                    topic: message.topic(),
                    key: message.key(),
                    payload: message.payload(),
                    headers: message.headers().map(|h| h.detach()),
                };
                shared.queue_retry(*tag, refused, error.clone());
            }
        }
    }
}
