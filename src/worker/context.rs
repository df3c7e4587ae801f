//! State shared between the worker loop and librdkafka's callbacks
//! (delivery reports on the producer's thread; rebalances, commits,
//! statistics and errors on the consumer's), and the callbacks themselves.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A client call still running after this long is taken as hung: the
/// heartbeat is no longer beaten for it, so liveness fails and the pod is
/// restarted. Far above any call's own timeout and what librdkafka has
/// been seen to overrun one by (docs/reliability.md).
const LONGEST_CALL: Duration = Duration::from_secs(120);

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::{Offset, TopicPartitionList};
use tracing::{debug, error, info, warn};

use super::offsets::{OffsetTracker, TopicPartition};
use super::records::{Kind, Refused};
use super::unstarted::{Change, Unstarted};
use crate::telemetry::{Health, Metrics};

/// Locks, ignoring poisoning: every critical section leaves the state
/// consistent, and a panic elsewhere must not stop delivery bookkeeping.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Travels with each produced record and comes back in its delivery report.
#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub source: TopicPartition,
    /// The assignment of `source` the record was read in.
    pub epoch: u64,
    pub offset: i64,
    pub kind: Kind,
    pub consumed_at: Instant,
    /// The produced record's size, as counted in flight.
    pub bytes: usize,
}

/// Failed deliveries of one partition, since the loop last looked.
#[derive(Debug)]
pub(crate) struct Failure {
    pub epoch: u64,
    /// The lowest offset whose record failed: the partition is read again
    /// from there.
    pub lowest: i64,
    pub error: String,
    /// Inputs whose record the broker refused for its size.
    pub refused: BTreeMap<i64, Refused>,
}

/// An authentication failure, retried until `kafka.auth_failure_grace`.
#[derive(Debug, Clone)]
pub(crate) struct AuthFailure {
    pub since: Instant,
    pub error: String,
}

pub(crate) struct Shared {
    pub tracker: Mutex<OffsetTracker>,
    /// Signalled on every delivery report.
    pub changed: Condvar,
    /// Failed deliveries per partition, for the loop to read again from.
    pub failures: Mutex<HashMap<TopicPartition, Failure>>,
    /// Partitions whose records are processed (assigned, not being read
    /// again after a failure, not stopped).
    pub active: Mutex<Vec<TopicPartition>>,
    /// Partitions revoked or lost since the loop last looked: it forgets
    /// what it keeps of them.
    pub released: Mutex<Vec<TopicPartition>>,
    pub fatal: Mutex<Option<String>>,
    pub auth: Mutex<Option<AuthFailure>>,
    /// Set when librdkafka logs a failed commit (the only sign of one made
    /// asynchronously): the next commit re-sends every offset.
    pub commit_failed: AtomicBool,
    /// Set when the broker refused a record for its size: the loop reads
    /// the topics' limits again (they may have been lowered).
    pub limits_stale: AtomicBool,
    /// When the broker last acknowledged a record (or the worker last had
    /// nothing waiting for it).
    pub last_progress: Mutex<Instant>,
    /// Owned partitions librdkafka has not started reading (from the
    /// statistics), e.g. while their committed offsets are withheld.
    pub unstarted: Mutex<Unstarted>,
    /// How long an owned partition may stay unread before readiness fails.
    pub unread_timeout: Duration,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub revoke_timeout: Duration,
    pub shutdown: Arc<super::shutdown::Shutdown>,
}

impl Shared {
    /// The shared state of a worker run with `config`.
    pub fn for_run(
        config: &crate::config::Config,
        metrics: Arc<Metrics>,
        health: Arc<Health>,
        shutdown: Arc<super::shutdown::Shutdown>,
    ) -> Self {
        let revoke_timeout = config.worker.revoke_timeout;
        Self::new(
            metrics,
            health,
            revoke_timeout,
            unread_timeout(config),
            shutdown,
        )
    }

    pub fn new(
        metrics: Arc<Metrics>,
        health: Arc<Health>,
        revoke_timeout: Duration,
        unread_timeout: Duration,
        shutdown: Arc<super::shutdown::Shutdown>,
    ) -> Self {
        Shared {
            tracker: Mutex::new(OffsetTracker::new()),
            changed: Condvar::new(),
            failures: Mutex::new(HashMap::new()),
            active: Mutex::new(Vec::new()),
            released: Mutex::new(Vec::new()),
            fatal: Mutex::new(None),
            auth: Mutex::new(None),
            commit_failed: AtomicBool::new(false),
            limits_stale: AtomicBool::new(false),
            last_progress: Mutex::new(Instant::now()),
            unstarted: Mutex::new(Unstarted::default()),
            unread_timeout,
            metrics,
            health,
            revoke_timeout,
            shutdown,
        }
    }

    /// Partitions assigned: counted, logged, and consumed from now on.
    pub fn assigned(&self, tps: &[TopicPartition]) {
        self.metrics.rebalances.with_label_values(&["assign"]).inc();
        self.metrics.assigned_partitions.add(tps.len() as i64);
        info!(partitions = %names(tps), "partitions assigned");
        for tp in tps {
            self.activate(tp);
        }
    }

    pub fn rebalance_error(&self, error: &KafkaError) {
        self.metrics.rebalances.with_label_values(&["error"]).inc();
        warn!(error = %error, "rebalance error");
    }

    /// Drops what is kept for partitions no longer owned: failures, lag
    /// series, the assigned count; the loop forgets its own state of them.
    pub fn forget(&self, tps: &[TopicPartition]) {
        lock(&self.failures).retain(|tp, _| !tps.contains(tp));
        lock(&self.released).extend(tps.iter().cloned());
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

    pub fn activate(&self, tp: &TopicPartition) {
        let mut active = lock(&self.active);
        if !active.contains(tp) {
            active.push(tp.clone());
        }
    }

    pub fn deactivate(&self, tps: &[TopicPartition]) {
        // Under the lock `on_stats` reads `active` with: a report read
        // before this cannot bring a series back after it.
        let mut unstarted = lock(&self.unstarted);
        lock(&self.active).retain(|tp| !tps.contains(tp));
        unstarted.forget(tps);
        // Not read, so no lag is shown: librdkafka's figure for a paused
        // partition would stay at its last value.
        for tp in tps {
            let _ = self
                .metrics
                .consumer_lag
                .remove_label_values(&[&tp.topic, &tp.partition.to_string()]);
        }
    }

    /// A delivery failed (or the producer refused the record at once): its
    /// partition is read again from there by the loop. A report of an
    /// earlier assignment of the partition is ignored.
    pub fn record_failure(&self, tag: &Tag, error: &KafkaError) {
        {
            let mut tracker = lock(&self.tracker);
            let tracked = tracker.fail(&tag.source, tag.epoch, tag.offset);
            if !tracked {
                // Revoked meanwhile: the new owner reads it again.
                tracker.settle_stale(&tag.source, tag.epoch, tag.bytes);
            }
            self.set_in_flight(&tracker);
            if !tracked {
                drop(tracker);
                self.changed.notify_all();
                return;
            }
        }
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
            // The producer is dead for good (librdkafka's idempotent
            // sequence lost, e.g. a broker died with writes in flight):
            // retrying through it fails forever. Nothing past an
            // acknowledged output is committed, so a restart, with a new
            // producer, resumes without loss.
            self.set_fatal(format!(
                "the producer hit a fatal error ({error}; librdkafka logged the cause); a restart resumes from the last commit"
            ));
        }
        let too_large = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::MessageSizeTooLarge)
        );
        {
            let mut failures = lock(&self.failures);
            let failure = failures
                .entry(tag.source.clone())
                .or_insert_with(|| Failure {
                    epoch: tag.epoch,
                    lowest: tag.offset,
                    error: error.to_string(),
                    refused: BTreeMap::new(),
                });
            if failure.epoch != tag.epoch {
                *failure = Failure {
                    epoch: tag.epoch,
                    lowest: tag.offset,
                    error: error.to_string(),
                    refused: BTreeMap::new(),
                };
            }
            if tag.offset <= failure.lowest {
                failure.lowest = tag.offset;
                failure.error = error.to_string();
            }
            if too_large {
                failure.refused.insert(tag.offset, tag.kind.refused());
            }
        }
        if too_large {
            self.limits_stale.store(true, Ordering::Relaxed);
        }
        self.changed.notify_all();
    }

    /// An authentication failure: retried (a credential may be rotating)
    /// until the grace period is over.
    fn auth_failed(&self, error: &str) {
        let mut auth = lock(&self.auth);
        if auth.is_none() {
            warn!(
                error,
                "authentication failed; retrying (kafka.auth_failure_grace bounds how long)"
            );
            *auth = Some(AuthFailure {
                since: Instant::now(),
                error: error.to_string(),
            });
        }
    }

    /// A broker answered: authentication (if it failed) works again.
    pub fn auth_ok(&self) {
        if lock(&self.auth).take().is_some() {
            info!("authenticated again");
        }
    }

    /// Ends the worker once authentication has failed for `grace`.
    pub fn check_auth_grace(&self, grace: Duration) {
        let failing = lock(&self.auth).clone();
        if let Some(f) = failing
            && f.since.elapsed() >= grace
        {
            self.set_fatal(format!(
                "authentication failed for {} (kafka.auth_failure_grace): {}",
                humantime::format_duration(grace),
                f.error
            ));
        }
    }

    /// Readiness beyond connection: stopped partitions, authentication
    /// failing, owned partitions not read for `unread_timeout` (their
    /// committed offsets withheld), or records waiting for the broker with
    /// none acknowledged for `timeout`. `waiting` says whether anything
    /// waits now.
    pub fn update_progress(&self, waiting: bool, timeout: Duration, stopped: &[String]) {
        let mut last = lock(&self.last_progress);
        if !waiting {
            *last = Instant::now();
        }
        let (unstarted, waited) = self.unread();
        let reason = if !stopped.is_empty() {
            Some(format!(
                "partitions stopped after failed deliveries: {}",
                stopped.join(",")
            ))
        } else if let Some(auth) = lock(&self.auth).as_ref() {
            Some(format!("authentication failing: {}", auth.error))
        } else if !unstarted.is_empty() {
            Some(format!(
                "partitions assigned but not read for {} s: {} (their committed offsets cannot be read: a transaction holding them is still open, or the group coordinator does not answer)",
                waited.as_secs(),
                names(&unstarted)
            ))
        } else if last.elapsed() >= timeout {
            Some(format!(
                "no progress for {} s: records wait for the broker",
                last.elapsed().as_secs()
            ))
        } else {
            None
        };
        self.health.set_stalled(reason);
    }

    /// Runs a client call that may block for long (librdkafka does not
    /// always keep to a call's timeout while a broker hangs) on a thread of
    /// its own, beating the liveness heartbeat while it waits, for
    /// [`LONGEST_CALL`] at most: a call still running then is hung, and
    /// liveness fails `telemetry.stall_timeout` later.
    pub fn beating<T: Send>(&self, call: impl FnOnce() -> T + Send) -> T {
        self.beating_at_most(LONGEST_CALL, call)
    }

    fn beating_at_most<T: Send>(&self, longest: Duration, call: impl FnOnce() -> T + Send) -> T {
        let started = Instant::now();
        std::thread::scope(|scope| {
            let running = scope.spawn(call);
            while !running.is_finished() {
                if started.elapsed() < longest {
                    self.health.beat();
                }
                std::thread::sleep(Duration::from_millis(200).min(longest));
            }
            match running.join() {
                Ok(value) => value,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// The owned partitions not read for `unread_timeout` or longer and
    /// the longest wait; logs when that set changes.
    fn unread(&self) -> (Vec<TopicPartition>, Duration) {
        let mut unstarted = lock(&self.unstarted);
        let (overdue, waited) = unstarted.overdue(self.unread_timeout);
        match unstarted.report(&overdue) {
            Change::Stuck(tps) => warn!(
                partitions = %names(&tps),
                waited_s = waited.as_secs(),
                "assigned partitions are not read: librdkafka has not started fetching them, most likely waiting for their committed offsets (withheld while a transaction that wrote them is open; one whose markers the broker lost never ends: docs/reliability.md, \"Hanging transactions\"), or for a group coordinator that does not answer"
            ),
            Change::Cleared => info!("no assigned partition waits to be read any more"),
            Change::None => {}
        }
        (overdue, waited)
    }

    pub fn progressed(&self) {
        *lock(&self.last_progress) = Instant::now();
    }

    /// Sorts a librdkafka error: brokers down (not ready), authentication
    /// (retried within the grace period), authorization or a fatal error
    /// (the worker stops), the rest logged.
    pub fn classify_error(&self, error: &KafkaError, reason: &str) {
        use RDKafkaErrorCode as C;
        match error.rdkafka_error_code() {
            Some(C::AllBrokersDown) => {
                if self.health.set_broker_up(false) {
                    warn!(error = %error, reason, "all brokers unreachable; retrying");
                }
                self.metrics.broker_up.set(0);
            }
            Some(C::Authentication | C::SaslAuthenticationFailed) => {
                self.auth_failed(&format!("{error}: {reason}"));
            }
            Some(
                C::TopicAuthorizationFailed
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

    /// Broker state and consumer lag from librdkafka's statistics.
    pub fn on_stats(&self, stats: &Statistics) {
        let up = stats
            .brokers
            .values()
            .any(|b| b.nodeid >= 0 && b.state == "UP");
        if up {
            if !self.health.set_broker_up(true) {
                info!("broker connection up");
            }
            self.auth_ok();
        }
        self.metrics.broker_up.set(i64::from(up));
        // `active` is read under this lock: a partition deactivated meanwhile
        // is forgotten after these reports, never brought back by them.
        let mut unstarted = lock(&self.unstarted);
        let active = lock(&self.active).clone();
        let now = Instant::now();
        for tp in &active {
            let partition = stats
                .topics
                .get(&tp.topic)
                .and_then(|t| t.partitions.get(&tp.partition));
            if let Some(p) = partition {
                unstarted.observe(tp, &p.fetch_state, now);
            }
            // A lag librdkafka does not know (-1: no committed offset yet, one
            // held by an open transaction, no end offset) or a partition the
            // report leaves out is no series rather than the last figure,
            // which would read as a lag that neither grows nor shrinks.
            let labels = [tp.topic.as_str(), &tp.partition.to_string()];
            match partition.map(|p| p.consumer_lag).filter(|l| *l >= 0) {
                Some(lag) => self
                    .metrics
                    .consumer_lag
                    .with_label_values(&labels)
                    .set(lag),
                None => {
                    let _ = self.metrics.consumer_lag.remove_label_values(&labels);
                }
            }
        }
    }

    fn set_in_flight(&self, tracker: &OffsetTracker) {
        self.metrics.in_flight.set(tracker.in_flight() as i64);
        self.metrics
            .in_flight_bytes
            .set(tracker.in_flight_bytes() as i64);
    }
}

pub(crate) fn forward_log(level: RDKafkaLogLevel, fac: &str, message: &str) {
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

pub(crate) fn partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

/// `worker.progress_timeout`, and in exactly-once mode no less than the
/// producer's `transaction.timeout.ms` and a margin: a member that died
/// mid-transaction holds its partitions' offsets until the broker times its
/// transaction out (a restarted pod has a new `transactional.id` and does
/// not fence it), and the members that take them over wait that long as a
/// matter of course.
fn unread_timeout(config: &crate::config::Config) -> Duration {
    let progress = config.worker.progress_timeout;
    if config.kafka.delivery != crate::config::Delivery::ExactlyOnce {
        return progress;
    }
    // The broker looks for timed-out transactions every 10 s.
    progress.max(config.transaction_timeout() + Duration::from_secs(15))
}

pub(crate) fn names(tps: &[TopicPartition]) -> String {
    tps.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn partition_list(tps: &[TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(tps.len());
    for tp in tps {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
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
        // librdkafka keeps an application's pause across a revoke and a
        // later assignment of the same partition: lift it now, so that a
        // partition that comes back is consumed (and a stopped one tried).
        let _ = consumer.resume(tpl);
        if consumer.assignment_lost() {
            // Someone else owns them already: committing would be refused.
            let mut tracker = lock(&shared.tracker);
            for tp in &tps {
                tracker.remove(tp);
            }
            shared.set_in_flight(&tracker);
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
            shared.health.beat();
            let wait = (deadline - now).min(Duration::from_millis(100));
            tracker = shared
                .changed
                .wait_timeout(tracker, wait)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
        }
        let commits = tracker.take_commits_of(&tps);
        let abandoned: usize = tps.iter().map(|tp| tracker.in_producer(tp)).sum();
        for tp in &tps {
            tracker.remove(tp);
        }
        shared.set_in_flight(&tracker);
        drop(tracker);
        shared.forget(&tps);
        if !commits.is_empty()
            && let Err(e) =
                shared.beating(|| consumer.commit(&commit_list(&commits), CommitMode::Sync))
        {
            warn!(error = %e, partitions = %names(&tps), "commit on revoke failed; the new owner may reprocess some records");
        }
        if abandoned > 0 {
            warn!(partitions = %names(&tps), abandoned, "partitions revoked with records still unacknowledged after worker.revoke_timeout; the new owner reprocesses them");
        } else {
            info!(partitions = %names(&tps), "partitions revoked");
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let shared = &self.shared;
        match rebalance {
            Rebalance::Assign(tpl) => {
                let tps = partitions(tpl);
                if tps.is_empty() {
                    return;
                }
                // Consumed from the start, whatever an earlier assignment
                // of the same partition left paused.
                let _ = consumer.resume(tpl);
                let mut tracker = lock(&shared.tracker);
                for tp in &tps {
                    tracker.assign(tp);
                }
                drop(tracker);
                shared.assigned(&tps);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => shared.rebalance_error(e),
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
                let settled = tracker.ack(&tag.source, tag.epoch, tag.offset);
                if !settled {
                    tracker.settle_stale(&tag.source, tag.epoch, tag.bytes);
                }
                shared.set_in_flight(&tracker);
                drop(tracker);
                shared.progressed();
                if settled {
                    let m = &shared.metrics;
                    match tag.kind {
                        Kind::Enriched => m.produced.with_label_values(&[&tag.source.topic]).inc(),
                        Kind::DeadLetter { reason, .. } => m
                            .dead_lettered
                            .with_label_values(&[&tag.source.topic, reason])
                            .inc(),
                    }
                    m.processing_seconds
                        .observe(tag.consumed_at.elapsed().as_secs_f64());
                }
                shared.changed.notify_all();
            }
            Err((error, _)) => {
                shared
                    .metrics
                    .delivery_failures
                    .with_label_values(&[&error_code(error)])
                    .inc();
                debug!(error = %error, source = %tag.source, offset = tag.offset, "delivery failed");
                shared.record_failure(&tag, error);
            }
        }
    }
}

/// A librdkafka error's code as a metric label.
pub(crate) fn error_code(error: &KafkaError) -> String {
    error
        .rdkafka_error_code()
        .map_or_else(|| "unknown".to_string(), |c| format!("{c:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn exactly_once_waits_out_a_dead_members_transaction_before_calling_partitions_unread() {
        let at_least_once = Config::from_toml("[worker]\nprogress_timeout = \"10s\"\n").unwrap();
        assert_eq!(unread_timeout(&at_least_once), Duration::from_secs(10));
        let exactly_once = Config::from_toml(
            "[kafka]\ndelivery = \"exactly-once\"\n[worker]\nprogress_timeout = \"10s\"\n",
        )
        .unwrap();
        assert_eq!(unread_timeout(&exactly_once), Duration::from_secs(75));
        let short_transactions = Config::from_toml(
            "[kafka]\ndelivery = \"exactly-once\"\n[kafka.producer]\n\"transaction.timeout.ms\" = \"10000\"\n[worker]\nprogress_timeout = \"10s\"\n",
        )
        .unwrap();
        assert_eq!(unread_timeout(&short_transactions), Duration::from_secs(25));
        let long_progress = Config::from_toml(
            "[kafka]\ndelivery = \"exactly-once\"\n[worker]\nprogress_timeout = \"5m\"\n",
        )
        .unwrap();
        assert_eq!(unread_timeout(&long_progress), Duration::from_secs(300));
    }

    /// The lag gauges of `shared`, as (partition, value), from the text
    /// Prometheus scrapes.
    fn lag_series(shared: &Shared) -> Vec<(String, i64)> {
        let text = String::from_utf8(shared.metrics.render()).unwrap();
        text.lines()
            .filter_map(|l| l.strip_prefix("posting_enricher_consumer_lag_records{"))
            .map(|l| {
                let partition = l.split("partition=\"").nth(1).unwrap();
                let partition = partition.split('"').next().unwrap().to_string();
                let value = l.rsplit(' ').next().unwrap().parse().unwrap();
                (partition, value)
            })
            .collect()
    }

    /// Statistics with one partition of `postings` per (partition, lag).
    fn stats_with_lags(lags: &[(i32, i64)]) -> Statistics {
        let mut topic = rdkafka::statistics::Topic::default();
        for &(partition, lag) in lags {
            let p = rdkafka::statistics::Partition {
                partition,
                fetch_state: "active".into(),
                consumer_lag: lag,
                ..Default::default()
            };
            topic.partitions.insert(partition, p);
        }
        let mut stats = Statistics::default();
        stats.topics.insert("postings".into(), topic);
        stats
    }

    /// Review finding (23rd session): a client call that never returned
    /// kept liveness green for ever, since the heartbeat was beaten for as
    /// long as the call ran.
    #[test]
    fn liveness_fails_through_a_client_call_that_never_returns() {
        let health = Arc::new(Health::new());
        health.set_stall_timeout(Duration::from_secs(1));
        let shared = Shared::new(
            Arc::new(Metrics::new()),
            health.clone(),
            Duration::from_secs(5),
            Duration::from_secs(60),
            Arc::new(super::super::shutdown::Shutdown::new(Duration::from_secs(
                5,
            ))),
        );
        let failed = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                shared.beating_at_most(Duration::from_millis(300), || {
                    std::thread::sleep(Duration::from_millis(2_800))
                })
            });
            let until = std::time::Instant::now() + Duration::from_millis(2_600);
            while std::time::Instant::now() < until {
                failed.fetch_or(health.live().is_err(), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        assert!(
            failed.into_inner(),
            "liveness stayed green through the hung call"
        );
        // A call that returns in time keeps it green.
        shared.beating_at_most(Duration::from_secs(5), || {
            std::thread::sleep(Duration::from_millis(1_500))
        });
        assert!(health.live().is_ok());
    }

    #[test]
    fn a_lag_librdkafka_no_longer_knows_is_not_shown_at_its_last_value() {
        let shared = Shared::new(
            Arc::new(Metrics::new()),
            Arc::new(Health::new()),
            Duration::from_secs(5),
            Duration::from_secs(60),
            Arc::new(super::super::shutdown::Shutdown::new(Duration::from_secs(
                5,
            ))),
        );
        for p in 0..3 {
            shared.activate(&TopicPartition::new("postings", p));
        }
        shared.on_stats(&stats_with_lags(&[(0, 42), (1, 7), (2, 0)]));
        let mut seen = lag_series(&shared);
        seen.sort();
        assert_eq!(seen, [("0".into(), 42), ("1".into(), 7), ("2".into(), 0)]);
        // Partition 0's committed offset is no longer known (-1: a held
        // transaction, a reset), partition 1 is missing from the report:
        // neither keeps its old figure, which would read as a lag that
        // neither grows nor shrinks.
        shared.on_stats(&stats_with_lags(&[(0, -1), (2, 3)]));
        assert_eq!(lag_series(&shared), [("2".into(), 3)]);
        // Known again: shown again.
        shared.on_stats(&stats_with_lags(&[(0, 5), (1, 6), (2, 3)]));
        let mut seen = lag_series(&shared);
        seen.sort();
        assert_eq!(seen, [("0".into(), 5), ("1".into(), 6), ("2".into(), 3)]);
        // Review finding (22nd session): a partition taken out of reading
        // (waiting to be read again after a failed delivery, or stopped)
        // kept its last figure, since only active partitions are updated.
        shared.deactivate(&[TopicPartition::new("postings", 0)]);
        shared.on_stats(&stats_with_lags(&[(0, 9), (1, 6), (2, 3)]));
        let mut seen = lag_series(&shared);
        seen.sort();
        assert_eq!(seen, [("1".into(), 6), ("2".into(), 3)]);
    }
}
