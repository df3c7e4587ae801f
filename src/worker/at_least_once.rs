//! The at-least-once loop (the default delivery): poll a batch, enrich it
//! on a thread pool, produce in offset order, commit what the broker has
//! acknowledged. See the module docs of [`super`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use tracing::{error, info, warn};

use super::batch::{OUTPUT_FACTOR, Sent, enrich_message, enriched_at, on_poll_error};
use super::client;
use super::context::{self, ConsumerCallbacks, DeliveryCallbacks, Shared, Tag, lock};
use super::offsets::{Commits, TopicPartition};
use super::outcome::{RunSummary, WorkerError};
use super::records::{self, Kind, Limits, Refused};
use super::settings::Settings;
use super::setup::{enrichment_pool, producer_config, wait_for_topics};
use super::shutdown::Shutdown;
use crate::config::Config;
use crate::pipeline::{Enriched, SharedPipeline};
use crate::posting::Rejection;
use crate::telemetry::{Health, Metrics};

/// [`super::run`] with at-least-once delivery.
pub(super) fn run(
    config: &Config,
    pipeline: Arc<SharedPipeline>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: Arc<Shutdown>,
) -> Result<RunSummary, WorkerError> {
    let started = Instant::now();
    let settings = Settings::new(config);
    let shared = Arc::new(Shared::for_run(
        config,
        metrics.clone(),
        health.clone(),
        shutdown.clone(),
    ));
    let consumer: BaseConsumer<ConsumerCallbacks> =
        client::consumer(config).create_with_context(ConsumerCallbacks {
            shared: shared.clone(),
        })?;
    if !wait_for_topics(config, &consumer, &shared, &settings)? {
        return Ok(RunSummary::default());
    }
    let (producer_config, limits) = producer_config(config);
    let producer: ThreadedProducer<DeliveryCallbacks> =
        producer_config.create_with_context(DeliveryCallbacks {
            shared: shared.clone(),
        })?;
    let pool = enrichment_pool(config)?;
    metrics.init_topics(&config.kafka.input_topics);
    let worker = Worker {
        config,
        settings,
        pipeline,
        consumer,
        producer,
        shared,
        pool,
        shutdown,
        producer_max: client::message_max_bytes(&producer_config),
    };
    worker.run(started, limits)
}

pub(super) struct Worker<'c> {
    config: &'c Config,
    settings: Settings,
    pipeline: Arc<SharedPipeline>,
    consumer: BaseConsumer<ConsumerCallbacks>,
    producer: ThreadedProducer<DeliveryCallbacks>,
    shared: Arc<Shared>,
    pool: rayon::ThreadPool,
    shutdown: Arc<Shutdown>,
    producer_max: usize,
}

/// A partition being read again after failed deliveries.
pub(super) struct Recovery {
    /// Where to read again from.
    offset: i64,
    /// Failed attempts at this offset in a row.
    attempt: u32,
    /// When to read again (once nothing of the partition is left in the
    /// producer).
    due: Instant,
    /// Retries used up: stopped until `due`.
    stopped: bool,
}

/// The loop's own state.
pub(super) struct LoopState {
    tally: Tally,
    limits: Limits,
    limits_read: Instant,
    recoveries: HashMap<TopicPartition, Recovery>,
    /// Per partition, the inputs whose record the broker refused for its
    /// size, and what it refused.
    refused: HashMap<TopicPartition, BTreeMap<i64, Refused>>,
    /// Per partition, the last offset that failed and how often in a row.
    attempts: HashMap<TopicPartition, (i64, u32)>,
    /// Partitions paused because the in-flight bounds were reached.
    paused_for_room: Vec<TopicPartition>,
    blocked_since: Option<Instant>,
    /// When a partition was last read again after failed deliveries, until
    /// an output is acknowledged after that: its records wait for the
    /// broker as much as records in the producer do.
    read_again_at: Option<Instant>,
}

/// Counts kept by the loop.
#[derive(Default)]
pub(super) struct Tally {
    summary: RunSummary,
    dead_letters_since_log: BTreeMap<&'static str, u64>,
}

/// Kept from the shutdown deadline for the final commit and leaving the group.
pub(super) const CLOSE_RESERVE: Duration = Duration::from_millis(1000);

/// How often every committed offset is sent again, moved or not (at least
/// once per commit interval). librdkafka reports the outcome of an
/// asynchronous manual commit only to a configuration-level commit callback,
/// which rust-rdkafka does not install, so a commit lost in an outage is
/// never seen as failed; a partition that had finished by then would
/// otherwise never be committed. Kafka's own consumers re-send on the same
/// period (`auto.commit.interval.ms` = 5 s).
pub(super) const COMMIT_RESEND: Duration = Duration::from_secs(5);

/// How long one poll waits for the first record of a batch.
pub(super) const POLL_WAIT: Duration = Duration::from_millis(100);

/// How long the in-flight bounds may hold the loop before it pauses its
/// partitions and keeps polling (a consumer that stops polling for
/// `max.poll.interval.ms` is taken out of the group).
pub(super) const ROOM_WAIT_BEFORE_PAUSE: Duration = Duration::from_secs(1);

/// A record as polled, stamped with the newest value of the epochs'
/// counter at that moment. A record may wait in the batch (a wait for
/// room) while its partition is revoked and assigned again, or rewound to
/// an earlier failed record; it is then not dispatched, since the
/// partition is read again from before it: the committed offset, or the
/// failed record ([`super::offsets::OffsetTracker::epoch_as_of`]). Sent
/// first, its acknowledgement would let the commit pass the records it
/// follows.
struct Polled<'a> {
    message: BorrowedMessage<'a>,
    as_of: u64,
}

impl<'a> Polled<'a> {
    fn new(message: BorrowedMessage<'a>, shared: &Shared) -> Self {
        Polled {
            message,
            as_of: lock(&shared.tracker).newest_epoch(),
        }
    }
}

impl Worker<'_> {
    fn run(self, started: Instant, limits: Limits) -> Result<RunSummary, WorkerError> {
        let topics: Vec<&str> = self
            .config
            .kafka
            .input_topics
            .iter()
            .map(String::as_str)
            .collect();
        self.consumer.subscribe(&topics)?;
        self.shared.health.set_started();
        info!(topics = %topics.join(","), group = %self.config.kafka.group_id, protocol = ?self.config.kafka.group_protocol, "consuming");

        let s = &self.settings;
        let mut st = LoopState {
            tally: Tally::default(),
            limits,
            limits_read: Instant::now(),
            recoveries: HashMap::new(),
            refused: HashMap::new(),
            attempts: HashMap::new(),
            paused_for_room: Vec::new(),
            blocked_since: None,
            read_again_at: None,
        };
        let resend_every = s.commit_every.max(COMMIT_RESEND);
        let (mut last_commit, mut last_summary) = (Instant::now(), Instant::now());
        let mut last_resend = Instant::now();
        let consumer = &self.consumer;
        let mut batch: Vec<Polled<'_>> = Vec::with_capacity(s.batch_size);
        let mut last_poll_error: Option<String> = None;
        while !self.shutdown.is_requested() {
            self.shared.health.beat();
            self.shared.check_auth_grace(s.auth_grace);
            if let Some(reason) = self.shared.fatal() {
                return Err(WorkerError::Fatal(reason));
            }
            self.forget_released(&mut st);
            self.recover(&mut st);
            self.update_health(&mut st);
            self.refresh_limits(&mut st);
            let (records, bytes) = {
                let t = lock(&self.shared.tracker);
                (t.in_flight(), t.in_flight_bytes())
            };
            let room = s.max_in_flight.saturating_sub(records).min(s.batch_size);
            let room_bytes = s.max_in_flight_bytes.saturating_sub(bytes);
            if room == 0 || room_bytes == 0 {
                self.wait_for_room(&mut st, &mut batch, &mut last_poll_error);
            } else {
                self.resume_after_room(&mut st);
                let mut next = consumer.poll(POLL_WAIT);
                // Stamped when records arrive, not before the wait for them:
                // the latency histogram must not count idle polling.
                let polled_at = Instant::now();
                let mut batch_bytes = 0usize;
                while let Some(result) = next {
                    match result {
                        Ok(message) => {
                            if last_poll_error.take().is_some() {
                                info!("consuming again");
                                self.shared.auth_ok();
                            }
                            batch_bytes += message.payload_len() * OUTPUT_FACTOR;
                            batch.push(Polled::new(message, &self.shared));
                        }
                        Err(e) => on_poll_error(consumer, &self.shared, e, &mut last_poll_error),
                    }
                    if batch.len() >= room || batch_bytes >= room_bytes {
                        break;
                    }
                    next = consumer.poll(Duration::ZERO);
                }
                if !batch.is_empty() {
                    self.shared.health.set_broker_up(true);
                    self.process_batch(&mut batch, polled_at, &mut st);
                }
            }
            if last_commit.elapsed() >= s.commit_every {
                let failed = self.shared.commit_failed.swap(false, Ordering::Relaxed);
                let which = if failed || last_resend.elapsed() >= resend_every {
                    last_resend = Instant::now();
                    Commits::All
                } else {
                    Commits::Moved
                };
                self.commit(which, CommitMode::Async);
                last_commit = Instant::now();
            }
            if last_summary.elapsed() >= s.summary_every {
                log_dead_letters(&mut st.tally);
                last_summary = Instant::now();
            }
        }
        drop(batch);
        self.drain(&mut st.tally);
        st.tally.summary.elapsed = started.elapsed();
        Ok(st.tally.summary)
    }

    /// At the in-flight bounds: wait for acknowledgements; after a while,
    /// pause every partition and keep polling, so that the group keeps the
    /// member (rebalances and heartbeats are served inside poll).
    fn wait_for_room<'a>(
        &'a self,
        st: &mut LoopState,
        batch: &mut Vec<Polled<'a>>,
        last_poll_error: &mut Option<String>,
    ) {
        let since = *st.blocked_since.get_or_insert_with(Instant::now);
        if since.elapsed() < ROOM_WAIT_BEFORE_PAUSE {
            self.shared.wait_for_change(Duration::from_millis(50));
            return;
        }
        if st.paused_for_room.is_empty() {
            let active = lock(&self.shared.active).clone();
            if !active.is_empty()
                && self
                    .consumer
                    .pause(&context::partition_list(&active))
                    .is_ok()
            {
                st.paused_for_room = active;
            }
        }
        // Paused: a poll serves the group and returns no records. One
        // fetched before the pause (or of a partition assigned meanwhile)
        // is kept for the next batch, and its partition paused too. An
        // error is handled as anywhere else: a fatal one (a fenced static
        // member, a deleted input topic) arrives only through poll, and
        // this is the poll a worker waiting on a troubled broker makes.
        let polled = match self.consumer.poll(Duration::from_millis(50)) {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                on_poll_error(&self.consumer, &self.shared, e, last_poll_error);
                None
            }
            None => None,
        };
        if let Some(m) = polled {
            let tp = TopicPartition::new(m.topic(), m.partition());
            if !st.paused_for_room.contains(&tp)
                && self
                    .consumer
                    .pause(&context::partition_list(std::slice::from_ref(&tp)))
                    .is_ok()
            {
                st.paused_for_room.push(tp);
            }
            batch.push(Polled::new(m, &self.shared));
        }
    }

    fn resume_after_room(&self, st: &mut LoopState) {
        st.blocked_since = None;
        if st.paused_for_room.is_empty() {
            return;
        }
        let paused = std::mem::take(&mut st.paused_for_room);
        // Not those revoked meanwhile, nor those being read again.
        let resume: Vec<TopicPartition> = paused
            .into_iter()
            .filter(|tp| self.shared.is_active(&tp.topic, tp.partition))
            .collect();
        if let Err(e) = self.consumer.resume(&context::partition_list(&resume)) {
            warn!(error = %e, "resuming partitions after backpressure failed");
        }
    }

    /// Forgets the loop's state of partitions revoked or lost.
    fn forget_released(&self, st: &mut LoopState) {
        let released = std::mem::take(&mut *lock(&self.shared.released));
        if !released.is_empty() {
            // Perhaps the partition read again: its outputs may never come.
            st.read_again_at = None;
        }
        for tp in released {
            if st.recoveries.remove(&tp).is_some_and(|r| r.stopped) {
                self.shared.metrics.stopped_partitions.dec();
            }
            st.refused.remove(&tp);
            st.attempts.remove(&tp);
            st.paused_for_room.retain(|p| *p != tp);
        }
    }

    /// Failed deliveries: pause the partition; once nothing of it is left
    /// in the producer and its backoff is over, read it again from the
    /// lowest failed record. After `delivery_retries` failures in a row at
    /// one offset the partition stops for `stopped_partition_retry`.
    fn recover(&self, st: &mut LoopState) {
        let failures = std::mem::take(&mut *lock(&self.shared.failures));
        let now = Instant::now();
        for (tp, failure) in failures {
            let lowest = {
                let tracker = lock(&self.shared.tracker);
                if tracker.epoch(&tp) != Some(failure.epoch) {
                    continue; // of an earlier assignment
                }
                tracker.lowest_failed(&tp)
            };
            // A size refusal is kept even when its record is being read
            // again already: it is trimmed then.
            let refused_at_lowest = lowest.is_some_and(|l| failure.refused.contains_key(&l));
            st.refused
                .entry(tp.clone())
                .or_default()
                .extend(failure.refused);
            // Reported after a rewind that covered it (the record failed,
            // an earlier failure's rewind dropped it, then its report was
            // queued): it is being read again already.
            let Some(lowest) = lowest else {
                continue;
            };
            if let Some(r) = st.recoveries.get_mut(&tp) {
                r.offset = r.offset.min(lowest);
                continue;
            }
            self.shared.deactivate(std::slice::from_ref(&tp));
            if let Err(e) = self
                .consumer
                .pause(&context::partition_list(std::slice::from_ref(&tp)))
            {
                warn!(error = %e, partition = %tp, "pausing a partition after a failed delivery failed");
            }
            st.paused_for_room.retain(|p| *p != tp);
            // A size refusal is not a retry: its input is trimmed next time.
            let attempt = if refused_at_lowest {
                0
            } else {
                match st.attempts.get(&tp) {
                    Some(&(offset, n)) if offset == lowest => n + 1,
                    _ => 1,
                }
            };
            st.attempts.insert(tp.clone(), (lowest, attempt));
            let stopped = attempt > self.settings.delivery_retries;
            let due = if stopped {
                now + self.settings.stopped_retry
            } else {
                now + self.settings.backoff(attempt)
            };
            if stopped {
                self.shared.metrics.stopped_partitions.inc();
                error!(
                    partition = %tp,
                    offset = lowest,
                    error = %failure.error,
                    retry_in = %humantime::format_duration(self.settings.stopped_retry),
                    "delivery failed after all retries: partition stopped at this offset (nothing past it is committed; /health/ready fails); tried again after worker.stopped_partition_retry"
                );
            } else if attempt > 0 {
                warn!(partition = %tp, offset = lowest, attempt, error = %failure.error, "delivery failed; the partition is read again from this offset");
            }
            st.recoveries.insert(
                tp,
                Recovery {
                    offset: lowest,
                    attempt,
                    due,
                    stopped,
                },
            );
        }
        let ready: Vec<TopicPartition> = {
            let tracker = lock(&self.shared.tracker);
            st.recoveries
                .iter()
                .filter(|(tp, r)| now >= r.due && tracker.in_producer(tp) == 0)
                .map(|(tp, _)| tp.clone())
                .collect()
        };
        for tp in ready {
            let Some(r) = st.recoveries.remove(&tp) else {
                continue;
            };
            if r.stopped {
                self.shared.metrics.stopped_partitions.dec();
            }
            // Never past what was read (again) in order: a failure
            // reported late may have asked for an offset beyond it.
            let offset = {
                let mut tracker = lock(&self.shared.tracker);
                let offset = tracker.restart_point(&tp, r.offset);
                tracker.rewind(&tp, offset);
                offset
            };
            if let Err(e) = self.consumer.seek(
                &tp.topic,
                tp.partition,
                rdkafka::Offset::Offset(offset),
                Duration::from_secs(10),
            ) {
                // Reading on from the position would skip the failed records.
                self.shared.set_fatal(format!(
                    "reading {tp} again from offset {offset} failed: {e}"
                ));
                return;
            }
            st.read_again_at = Some(Instant::now());
            if r.attempt > 0 {
                self.shared.metrics.delivery_retries.inc();
            }
            self.shared.activate(&tp);
            if let Err(e) = self
                .consumer
                .resume(&context::partition_list(std::slice::from_ref(&tp)))
            {
                warn!(error = %e, partition = %tp, "resuming a partition after a failed delivery failed");
            }
        }
    }

    /// Reads the topics' size limits again after the broker refused a
    /// record for its size (at most every 10 s).
    fn refresh_limits(&self, st: &mut LoopState) {
        if st.limits_read.elapsed() < Duration::from_secs(10)
            || !self.shared.limits_stale.swap(false, Ordering::Relaxed)
        {
            return;
        }
        let k = &self.config.kafka;
        let reported = client::topic_limits(
            self.config,
            &[k.output_topic.as_str(), k.dead_letter_topic.as_str()],
        );
        st.limits = Limits::new(k, self.producer_max, &reported);
        st.limits_read = Instant::now();
        info!(
            output_limit = st.limits.output,
            dead_letter_limit = st.limits.dead_letter,
            "record size limits read again after a refusal"
        );
    }

    /// Readiness: the no-progress clock runs while anything waits for the
    /// broker: records in the producer, partitions waiting to be read again
    /// after a failed delivery, and records read again until one is
    /// acknowledged (a failed attempt takes its records out of the
    /// producer, which alone would restart the clock at every attempt of
    /// an outage).
    fn update_health(&self, st: &mut LoopState) {
        let stopped: Vec<String> = st
            .recoveries
            .iter()
            .filter(|(_, r)| r.stopped)
            .map(|(tp, _)| tp.to_string())
            .collect();
        let acknowledged_at = *lock(&self.shared.last_progress);
        if st.read_again_at.is_some_and(|at| acknowledged_at > at) {
            st.read_again_at = None;
        }
        let waiting = lock(&self.shared.tracker).in_flight() > 0
            || !st.recoveries.is_empty()
            || st.read_again_at.is_some();
        self.shared
            .update_progress(waiting, self.settings.progress_timeout, &stopped);
    }

    fn process_batch(&self, batch: &mut Vec<Polled<'_>>, polled_at: Instant, st: &mut LoopState) {
        // Records of partitions revoked (or paused) while the batch filled,
        // and of partitions assigned again or rewound since they were
        // polled.
        batch.retain(|p| {
            self.shared
                .is_active(p.message.topic(), p.message.partition())
        });
        {
            let tracker = lock(&self.shared.tracker);
            batch.retain(|p| {
                let tp = TopicPartition::new(p.message.topic(), p.message.partition());
                tracker.epoch_as_of(&tp, p.as_of).is_some()
            });
        }
        let enriched_at = enriched_at(self.config);
        // One pipeline for the whole batch: a reload never mixes data in it.
        let pipeline = &*self.pipeline.current();
        let results: Vec<(Result<Enriched, Rejection>, Duration)> = self.pool.install(|| {
            batch
                .par_iter()
                .map(|p| {
                    let t = Instant::now();
                    (
                        enrich_message(pipeline, &p.message, &enriched_at),
                        t.elapsed(),
                    )
                })
                .collect()
        });
        let metrics = self.shared.metrics.clone();
        for (Polled { message, as_of }, (result, took)) in batch.drain(..).zip(results) {
            metrics.enrichment_seconds.observe(took.as_secs_f64());
            metrics.consumed.with_label_values(&[message.topic()]).inc();
            st.tally.summary.consumed += 1;
            // A failed delivery pauses its partition: the rest of its
            // records in this batch are read again anyway.
            if !self.shared.is_active(message.topic(), message.partition()) {
                continue;
            }
            let sent = self.dispatch(&message, as_of, &result, &enriched_at, polled_at, st);
            if sent == Sent::Abandoned {
                break;
            }
        }
    }

    /// Produces the output of `m` (stamped `as_of` when polled) and tracks
    /// its offset; nothing for a record whose partition was revoked,
    /// assigned again or rewound since it was polled.
    fn dispatch(
        &self,
        m: &BorrowedMessage<'_>,
        as_of: u64,
        result: &Result<Enriched, Rejection>,
        now: &str,
        consumed_at: Instant,
        st: &mut LoopState,
    ) -> Sent {
        let source = TopicPartition::new(m.topic(), m.partition());
        let refused = st
            .refused
            .get(&source)
            .and_then(|r| r.get(&m.offset()))
            .copied();
        let Some(out) = records::output_for(&self.config.kafka, m, result, refused, st.limits, now)
        else {
            // Even the smallest dead letter was refused: a failed delivery
            // like any other (retried, then the partition stops).
            let Some(epoch) = lock(&self.shared.tracker).epoch_as_of(&source, as_of) else {
                return Sent::Yes;
            };
            let tag = Tag {
                source: source.clone(),
                epoch,
                offset: m.offset(),
                kind: Kind::Enriched,
                consumed_at,
                bytes: 0,
            };
            let mut tracker = lock(&self.shared.tracker);
            tracker.dispatch(&source, epoch, m.offset(), 0);
            drop(tracker);
            self.shared.record_failure(
                &tag,
                &KafkaError::MessageProduction(RDKafkaErrorCode::InvalidRecord),
            );
            return Sent::Yes;
        };
        let epoch = {
            let mut tracker = lock(&self.shared.tracker);
            let Some(epoch) = tracker.epoch_as_of(&source, as_of) else {
                return Sent::Yes; // revoked (or assigned again) meanwhile
            };
            tracker.dispatch(&source, epoch, m.offset(), out.bytes);
            self.shared
                .metrics
                .in_flight
                .set(tracker.in_flight() as i64);
            self.shared
                .metrics
                .in_flight_bytes
                .set(tracker.in_flight_bytes() as i64);
            epoch
        };
        match out.kind {
            Kind::Enriched => {
                if let Ok(e) = result {
                    self.shared
                        .metrics
                        .record_outcomes(&e.outcomes, &e.warnings);
                }
                st.tally.summary.enriched += 1;
            }
            Kind::DeadLetter { reason, .. } => {
                *st.tally.summary.dead_lettered.entry(reason).or_default() += 1;
                *st.tally.dead_letters_since_log.entry(reason).or_default() += 1;
            }
        }
        let tag = Tag {
            source,
            epoch,
            offset: m.offset(),
            kind: out.kind,
            consumed_at,
            bytes: out.bytes,
        };
        let mut record = BaseRecord::with_opaque_to(out.topic, Box::new(tag))
            .payload(out.payload)
            .headers(out.headers);
        if let Some(k) = out.key {
            record = record.key(k);
        }
        self.send(record)
    }

    /// Hands a record to the producer. A full queue is backpressure (wait
    /// for deliveries) until the shutdown deadline nears; any other refusal
    /// is a failed delivery.
    fn send(&self, mut record: BaseRecord<'_, [u8], [u8], Box<Tag>>) -> Sent {
        loop {
            match self.producer.send(record) {
                Ok(()) => return Sent::Yes,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    if self
                        .shutdown
                        .deadline()
                        .is_some_and(|at| Instant::now() + CLOSE_RESERVE * 2 >= at)
                    {
                        let tag = back.delivery_opaque;
                        lock(&self.shared.tracker).undispatch(&tag.source, tag.epoch, tag.offset);
                        return Sent::Abandoned;
                    }
                    record = back;
                    self.shared.health.beat();
                    self.shared.wait_for_change(Duration::from_millis(10));
                }
                Err((error, back)) => {
                    self.shared
                        .metrics
                        .delivery_failures
                        .with_label_values(&[&context::error_code(&error)])
                        .inc();
                    self.shared.record_failure(&back.delivery_opaque, &error);
                    return Sent::Yes;
                }
            }
        }
    }

    fn commit(&self, which: Commits, mode: CommitMode) {
        let commits = lock(&self.shared.tracker).take_commits(which);
        if commits.is_empty() {
            return;
        }
        let list = context::commit_list(&commits);
        let committed = match mode {
            CommitMode::Sync => self.shared.beating(|| self.consumer.commit(&list, mode)),
            CommitMode::Async => self.consumer.commit(&list, mode),
        };
        if let Err(e) = committed {
            self.shared.metrics.commit_failures.inc();
            warn!(error = %e, "offset commit failed; retried at the next interval");
            let mut tracker = lock(&self.shared.tracker);
            for (tp, _) in &commits {
                tracker.uncommit(tp);
            }
        } else {
            self.shared.metrics.commits.inc();
        }
    }

    /// Stops consuming, waits for in-flight records (within the shutdown
    /// deadline), flushes the producer and commits what was delivered.
    fn drain(&self, tally: &mut Tally) {
        self.shared.health.set_shutting_down();
        let deadline = self
            .shutdown
            .deadline()
            .unwrap_or_else(|| Instant::now() + self.shutdown.timeout());
        let in_flight = lock(&self.shared.tracker).in_flight();
        info!(in_flight, "shutting down: draining in-flight records");
        loop {
            let waiting = lock(&self.shared.tracker).in_flight();
            if waiting == 0 || Instant::now() + CLOSE_RESERVE >= deadline {
                break;
            }
            self.shared.health.beat();
            self.shared.wait_for_change(Duration::from_millis(50));
        }
        let _ = self.producer.flush(
            deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(CLOSE_RESERVE / 2),
        );
        self.commit(Commits::All, CommitMode::Sync);
        log_dead_letters(tally);
        tally.summary.undelivered = lock(&self.shared.tracker).unsettled();
    }
}

/// Logs dead letters by reason, one line per interval (never one per record).
pub(super) fn log_dead_letters(tally: &mut Tally) {
    if tally.dead_letters_since_log.is_empty() {
        return;
    }
    let counts = std::mem::take(&mut tally.dead_letters_since_log);
    let total: u64 = counts.values().sum();
    let by_reason = counts
        .iter()
        .map(|(r, n)| format!("{r}={n}"))
        .collect::<Vec<_>>()
        .join(",");
    info!(total, by_reason = %by_reason, "dead-lettered since the last summary");
}
