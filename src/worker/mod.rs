//! The Kafka worker: the imperative shell around [`Pipeline`].
//!
//! One thread owns the consumer and runs the loop: poll a batch, enrich it
//! on a thread pool (input order kept), hand the results to the producer in
//! offset order, commit on an interval. Delivery reports (on librdkafka's
//! producer thread) settle offsets in the [`OffsetTracker`]; a commit never
//! passes an offset whose output the broker has not acknowledged.
//! Rebalance callbacks run on the loop's thread, inside `poll`, so a revoke
//! sees no half-dispatched batch. See docs/decisions.md ("The worker").

pub mod client;
mod context;
pub mod dead_letter;
pub mod offsets;
pub mod replay;
pub mod shutdown;
mod transactional;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use rayon::prelude::*;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use tracing::{error, info, warn};

use crate::config::{Config, Delivery};
use crate::pipeline::{Enriched, Pipeline};
use crate::posting::{RejectReason, Rejection};
use crate::record::{RecordContext, Source};
use crate::telemetry::{Health, Metrics};
use context::{ConsumerCallbacks, DeliveryCallbacks, Kind, Refused, Retry, Shared, Tag, lock};
use dead_letter::DeadLetter;
pub use offsets::{Commits, OffsetTracker, TopicPartition};
pub use shutdown::Shutdown;

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

/// Runs until `shutdown` is requested (then drains, commits and leaves the
/// group) or a fatal error. Blocking: call it on a thread of its own.
pub fn run(
    config: &Config,
    pipeline: Arc<Pipeline>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: Arc<Shutdown>,
) -> Result<RunSummary, WorkerError> {
    if config.kafka.delivery == Delivery::ExactlyOnce {
        return transactional::run(config, pipeline, metrics, health, shutdown);
    }
    let started = Instant::now();
    let shared = Arc::new(Shared::new(
        metrics.clone(),
        health.clone(),
        Config::duration(&config.worker.revoke_timeout),
        Config::duration(&config.worker.retry_backoff_max),
        shutdown.clone(),
    ));
    let consumer: BaseConsumer<ConsumerCallbacks> =
        client::consumer(config).create_with_context(ConsumerCallbacks {
            shared: shared.clone(),
        })?;
    let producer_config = client::producer(config);
    let producer: ThreadedProducer<DeliveryCallbacks> =
        producer_config.create_with_context(DeliveryCallbacks {
            shared: shared.clone(),
        })?;
    let threads = usize::try_from(config.worker.threads).unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("enrich-{i}"))
        .build()
        .map_err(|e| WorkerError::Pool(e.to_string()))?;
    metrics.init_topics(&config.kafka.input_topics);
    let worker = Worker {
        config,
        pipeline,
        consumer,
        producer,
        shared,
        pool,
        shutdown,
        max_message_bytes: client::message_max_bytes(&producer_config),
    };
    worker.run(started)
}

struct Worker<'c> {
    config: &'c Config,
    pipeline: Arc<Pipeline>,
    consumer: BaseConsumer<ConsumerCallbacks>,
    producer: ThreadedProducer<DeliveryCallbacks>,
    shared: Arc<Shared>,
    pool: rayon::ThreadPool,
    shutdown: Arc<Shutdown>,
    max_message_bytes: usize,
}

/// Counts kept by the loop.
#[derive(Default)]
struct Tally {
    summary: RunSummary,
    dead_letters_since_log: BTreeMap<&'static str, u64>,
}

/// Kept from the shutdown deadline for the final commit and leaving the group.
const CLOSE_RESERVE: Duration = Duration::from_millis(1000);

/// How often every committed offset is sent again, moved or not (at least
/// once per commit interval). librdkafka reports the outcome of an
/// asynchronous manual commit only to a configuration-level commit callback,
/// which rust-rdkafka does not install, so a commit lost in an outage is
/// never seen as failed; a partition that had finished by then would
/// otherwise never be committed. Kafka's own consumers re-send on the same
/// period (`auto.commit.interval.ms` = 5 s).
const COMMIT_RESEND: Duration = Duration::from_secs(5);

/// Room for key, headers and framing in the producer's size check.
const RECORD_OVERHEAD: usize = 16 * 1024;

/// How long one poll waits for the first record of a batch.
const POLL_WAIT: Duration = Duration::from_millis(100);

impl Worker<'_> {
    fn run(self, started: Instant) -> Result<RunSummary, WorkerError> {
        let mut tally = Tally::default();
        if !self.wait_for_topics()? {
            return Ok(tally.summary);
        }
        let topics: Vec<&str> = self
            .config
            .kafka
            .input_topics
            .iter()
            .map(String::as_str)
            .collect();
        self.consumer.subscribe(&topics)?;
        self.shared.health.set_started();
        info!(topics = %topics.join(","), group = %self.config.kafka.group_id, "consuming");

        let commit_every = Config::duration(&self.config.worker.commit_interval);
        let summary_every = Config::duration(&self.config.telemetry.summary_interval);
        let batch_size = usize::try_from(self.config.worker.batch_size).unwrap_or(256);
        let max_in_flight = usize::try_from(self.config.worker.max_in_flight).unwrap_or(usize::MAX);
        let resend_every = commit_every.max(COMMIT_RESEND);
        let (mut last_commit, mut last_summary) = (Instant::now(), Instant::now());
        let mut last_resend = Instant::now();
        let consumer = &self.consumer;
        let mut batch: Vec<BorrowedMessage<'_>> = Vec::with_capacity(batch_size);
        let mut last_poll_error: Option<String> = None;
        while !self.shutdown.is_requested() {
            self.shared.health.beat();
            if let Some(reason) = self.shared.fatal() {
                return Err(WorkerError::Fatal(reason));
            }
            self.resend_due_retries();
            let in_flight = lock(&self.shared.tracker).in_flight();
            let room = max_in_flight.saturating_sub(in_flight).min(batch_size);
            if room == 0 {
                // Backpressure: wait for the broker to acknowledge.
                self.shared.wait_for_change(Duration::from_millis(50));
            } else {
                let mut next = consumer.poll(POLL_WAIT);
                // Stamped when records arrive, not before the wait for them:
                // the latency histogram must not count idle polling.
                let polled_at = Instant::now();
                while let Some(result) = next {
                    match result {
                        Ok(message) => {
                            if last_poll_error.take().is_some() {
                                info!("consuming again");
                            }
                            batch.push(message);
                        }
                        Err(e) => self.on_poll_error(e, &mut last_poll_error),
                    }
                    if batch.len() >= room {
                        break;
                    }
                    next = consumer.poll(Duration::ZERO);
                }
                if !batch.is_empty() {
                    self.shared.health.set_broker_up(true);
                    self.process_batch(&mut batch, polled_at, &mut tally);
                }
            }
            if last_commit.elapsed() >= commit_every {
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
            if last_summary.elapsed() >= summary_every {
                log_dead_letters(&mut tally);
                last_summary = Instant::now();
            }
        }
        drop(batch);
        self.drain(&mut tally);
        tally.summary.elapsed = started.elapsed();
        Ok(tally.summary)
    }

    /// Waits for the brokers (retrying, never exiting on an outage), then
    /// checks that every topic exists. Ok(false): shutdown while waiting.
    fn wait_for_topics(&self) -> Result<bool, WorkerError> {
        let mut warned = false;
        let metadata = loop {
            if self.shutdown.is_requested() {
                return Ok(false);
            }
            if let Some(reason) = self.shared.fatal() {
                return Err(WorkerError::Fatal(reason));
            }
            self.shared.health.beat();
            match self.consumer.fetch_metadata(None, Duration::from_secs(5)) {
                Ok(m) => break m,
                Err(e) => {
                    if !warned {
                        warn!(error = %e, brokers = %self.config.kafka.brokers, "waiting for the brokers");
                        warned = true;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        };
        self.shared.health.set_broker_up(true);
        self.shared.metrics.broker_up.set(1);
        let k = &self.config.kafka;
        let missing: Vec<&str> =
            k.input_topics
                .iter()
                .chain([&k.output_topic, &k.dead_letter_topic])
                .map(String::as_str)
                .filter(|name| {
                    !metadata.topics().iter().any(|t| {
                        t.name() == *name && t.error().is_none() && !t.partitions().is_empty()
                    })
                })
                .collect();
        if !missing.is_empty() {
            return Err(WorkerError::MissingTopics(missing.join(", ")));
        }
        Ok(true)
    }

    fn on_poll_error(&self, e: KafkaError, last: &mut Option<String>) {
        use RDKafkaErrorCode as C;
        match e.rdkafka_error_code() {
            Some(C::PartitionEOF) => {}
            Some(
                C::UnknownTopicOrPartition
                | C::UnknownTopic
                | C::TopicAuthorizationFailed
                | C::GroupAuthorizationFailed
                | C::SaslAuthenticationFailed
                | C::Authentication,
            ) => self.shared.set_fatal(format!("consuming: {e}")),
            _ => {
                let text = e.to_string();
                if last.as_deref() != Some(text.as_str()) {
                    warn!(error = %text, "consume error; retrying");
                    *last = Some(text);
                }
            }
        }
    }

    fn enriched_at(&self) -> String {
        enriched_at(self.config)
    }

    fn process_batch(
        &self,
        batch: &mut Vec<BorrowedMessage<'_>>,
        polled_at: Instant,
        tally: &mut Tally,
    ) {
        // Records of partitions revoked (or stopped) while the batch filled.
        batch.retain(|m| self.shared.is_active(m.topic(), m.partition()));
        let enriched_at = self.enriched_at();
        let pipeline = &self.pipeline;
        let results: Vec<(Result<Enriched, Rejection>, Duration)> = self.pool.install(|| {
            batch
                .par_iter()
                .map(|m| {
                    let t = Instant::now();
                    (enrich_message(pipeline, m, &enriched_at), t.elapsed())
                })
                .collect()
        });
        let metrics = self.shared.metrics.clone();
        for (message, (result, took)) in batch.drain(..).zip(results) {
            metrics.enrichment_seconds.observe(took.as_secs_f64());
            metrics.consumed.with_label_values(&[message.topic()]).inc();
            tally.summary.consumed += 1;
            self.dispatch(&message, result, &enriched_at, polled_at, tally);
        }
    }

    fn dispatch(
        &self,
        m: &BorrowedMessage<'_>,
        result: Result<Enriched, Rejection>,
        now: &str,
        consumed_at: Instant,
        tally: &mut Tally,
    ) {
        let source = TopicPartition::new(m.topic(), m.partition());
        {
            let mut tracker = lock(&self.shared.tracker);
            tracker.dispatch(&source, m.offset());
            self.shared
                .metrics
                .in_flight
                .set(tracker.in_flight() as i64);
        }
        let mut tag = Tag {
            source,
            offset: m.offset(),
            attempt: 0,
            kind: Kind::Enriched,
            consumed_at,
        };
        let rejection = match result {
            Ok(enriched) if enriched.json.len() + RECORD_OVERHEAD <= self.max_message_bytes => {
                self.shared
                    .metrics
                    .record_outcomes(&enriched.outcomes, &enriched.warnings);
                tally.summary.enriched += 1;
                let key = m.key().unwrap_or(enriched.id.as_bytes());
                let record =
                    BaseRecord::with_opaque_to(&self.config.kafka.output_topic, Box::new(tag))
                        .payload(enriched.json.as_slice())
                        .key(key)
                        .headers(dead_letter::output_headers(m.headers()));
                self.send(record);
                return;
            }
            Ok(enriched) => too_large(&enriched, self.max_message_bytes),
            Err(rejection) => rejection,
        };
        let reason = rejection.reason.code();
        *tally.summary.dead_lettered.entry(reason).or_default() += 1;
        *tally.dead_letters_since_log.entry(reason).or_default() += 1;
        tag.kind = Kind::DeadLetter { reason };
        let headers = dead_letter_headers_for(m, &rejection, now);
        let payload = m.payload().unwrap_or_default();
        if payload.len() + RECORD_OVERHEAD > self.max_message_bytes {
            let record = omitted_value(
                BaseRecord::with_opaque_to(&self.config.kafka.dead_letter_topic, Box::new(tag)),
                headers,
                payload.len(),
            );
            self.send(record.key_opt(m.key()));
            return;
        }
        let record =
            BaseRecord::with_opaque_to(&self.config.kafka.dead_letter_topic, Box::new(tag))
                .payload(payload)
                .headers(headers);
        self.send(record.key_opt(m.key()));
    }

    /// Hands a record to the producer; a full queue is backpressure (wait
    /// for deliveries), any other refusal is handled like a failed delivery.
    fn send(&self, mut record: BaseRecord<'_, [u8], [u8], Box<Tag>>) {
        loop {
            match self.producer.send(record) {
                Ok(()) => return,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.shared.health.beat();
                    self.shared.wait_for_change(Duration::from_millis(10));
                }
                Err((error, back)) => {
                    let tag = back.delivery_opaque;
                    let failed = Refused {
                        topic: back.topic,
                        key: back.key,
                        payload: back.payload,
                        headers: back.headers,
                    };
                    self.shared
                        .metrics
                        .delivery_failures
                        .with_label_values(&[&error
                            .rdkafka_error_code()
                            .map_or_else(|| "unknown".to_string(), |c| format!("{c:?}"))])
                        .inc();
                    self.shared.queue_retry(*tag, failed, error);
                    return;
                }
            }
        }
    }

    /// Sends again the failed records whose backoff is over; stops a
    /// partition whose record has used up its retries.
    fn resend_due_retries(&self) {
        let now = Instant::now();
        let due: Vec<Retry> = {
            let mut retries = lock(&self.shared.retries);
            if retries.is_empty() {
                return;
            }
            let (due, later) = std::mem::take(&mut *retries)
                .into_iter()
                .partition(|r| r.due <= now);
            *retries = later;
            due
        };
        let max_retries = u32::try_from(self.config.worker.delivery_retries).unwrap_or(u32::MAX);
        for mut retry in due {
            let tp = retry.tag.source.clone();
            if !lock(&self.shared.tracker).contains(&tp) {
                continue; // revoked meanwhile
            }
            if retry.too_large() && matches!(retry.tag.kind, Kind::Enriched) {
                // The broker refuses the enriched record's size: dead-letter
                // the record (the original stays in the input topic at the
                // offset in the headers) rather than stop the partition.
                let size = retry.payload.as_ref().map_or(0, Vec::len);
                let failed_at = self.enriched_at();
                let detail = format!(
                    "the broker refused the enriched record ({size} bytes): {}",
                    retry.error
                );
                let headers = dead_letter::dead_letter_headers(
                    retry.headers.take().unwrap_or_default(),
                    &DeadLetter {
                        reason: RejectReason::OutputTooLarge.code(),
                        detail: &detail,
                        topic: &retry.tag.source.topic,
                        partition: retry.tag.source.partition,
                        offset: retry.tag.offset,
                        failed_at: &failed_at,
                    },
                );
                retry.headers = Some(dead_letter::value_omitted(headers, size));
                retry.payload = Some(Vec::new());
                retry.topic = self.config.kafka.dead_letter_topic.clone();
                retry.tag.kind = Kind::DeadLetter {
                    reason: RejectReason::OutputTooLarge.code(),
                };
            } else if retry.too_large()
                && retry.topic == self.config.kafka.dead_letter_topic
                && retry.payload.as_ref().is_some_and(|p| !p.is_empty())
            {
                // The broker refuses the original's size: dead-letter it
                // without its value rather than block the partition.
                let size = retry.payload.as_ref().map_or(0, Vec::len);
                retry.headers = Some(dead_letter::value_omitted(
                    retry.headers.take().unwrap_or_default(),
                    size,
                ));
                retry.payload = Some(Vec::new());
            } else if retry.tag.attempt >= max_retries {
                self.stop_partition(&tp, retry.tag.offset, &retry.error);
                continue;
            }
            retry.tag.attempt += 1;
            self.shared.metrics.delivery_retries.inc();
            lock(&self.shared.tracker).mark(&tp, retry.tag.offset, offsets::Pending::InProducer);
            let Retry {
                tag,
                topic,
                key,
                payload,
                headers,
                ..
            } = retry;
            let mut record = BaseRecord::with_opaque_to(&topic, Box::new(tag));
            if let Some(p) = payload.as_deref() {
                record = record.payload(p);
            }
            if let Some(k) = key.as_deref() {
                record = record.key(k);
            }
            if let Some(h) = headers {
                record = record.headers(h);
            }
            self.send(record);
        }
    }

    fn stop_partition(&self, tp: &TopicPartition, offset: i64, error: &KafkaError) {
        lock(&self.shared.tracker).mark(tp, offset, offsets::Pending::Failed);
        {
            let mut stopped = lock(&self.shared.stopped);
            if stopped.contains(tp) {
                return;
            }
            stopped.push(tp.clone());
            self.shared
                .metrics
                .stopped_partitions
                .set(stopped.len() as i64);
        }
        self.shared.deactivate(std::slice::from_ref(tp));
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(&tp.topic, tp.partition);
        if let Err(e) = self.consumer.pause(&tpl) {
            warn!(error = %e, partition = %tp, "pausing a stopped partition failed");
        }
        error!(
            partition = %tp,
            offset,
            error = %error,
            "delivery failed after all retries: partition stopped at this offset (nothing past it is committed); fix the cause and restart the worker"
        );
    }

    fn commit(&self, which: Commits, mode: CommitMode) {
        let commits = lock(&self.shared.tracker).take_commits(which);
        if commits.is_empty() {
            return;
        }
        if let Err(e) = self.consumer.commit(&context::commit_list(&commits), mode) {
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
            self.resend_due_retries();
            let unsettled = lock(&self.shared.tracker).unsettled();
            if unsettled == 0 || Instant::now() + CLOSE_RESERVE >= deadline {
                break;
            }
            self.shared.health.beat();
            self.shared.wait_for_change(Duration::from_millis(50));
        }
        let _ = self
            .producer
            .flush(deadline.saturating_duration_since(Instant::now()));
        self.commit(Commits::All, CommitMode::Sync);
        log_dead_letters(tally);
        tally.summary.undelivered = lock(&self.shared.tracker).in_flight();
    }
}

/// Logs dead letters by reason, one line per interval (never one per record).
fn log_dead_letters(tally: &mut Tally) {
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

/// `output.enriched_at` when fixed, else now (RFC 3339, seconds).
fn enriched_at(config: &Config) -> String {
    let fixed = &config.output.enriched_at;
    if fixed.is_empty() {
        humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
    } else {
        fixed.clone()
    }
}

/// Enriches one consumed record. A bug in a parser must not stop the
/// worker on a record it would meet again after every restart: a panic
/// dead-letters the record (`internal_error`).
fn enrich_message(
    pipeline: &Pipeline,
    m: &BorrowedMessage<'_>,
    enriched_at: &str,
) -> Result<Enriched, Rejection> {
    let context = RecordContext {
        source: Some(Source {
            topic: m.topic(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp_ms: m.timestamp().to_millis(),
        }),
        enriched_at,
    };
    let bytes = m.payload().unwrap_or_default();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pipeline.process(bytes, &context)
    }))
    .unwrap_or_else(|_| {
        Err(Rejection::new(
            RejectReason::InternalError,
            "enrichment panicked on this record".to_string(),
        ))
    })
}

/// An enriched record the producer would refuse for its size.
fn too_large(enriched: &Enriched, max_message_bytes: usize) -> Rejection {
    Rejection::new(
        RejectReason::OutputTooLarge,
        format!(
            "enriched record of {} bytes exceeds the producer's message.max.bytes ({max_message_bytes})",
            enriched.json.len(),
        ),
    )
}

/// Dead-letter headers for a consumed record: its own headers plus the
/// reason and where it came from.
fn dead_letter_headers_for(
    m: &BorrowedMessage<'_>,
    rejection: &Rejection,
    now: &str,
) -> OwnedHeaders {
    dead_letter::dead_letter_headers(
        dead_letter::pass_through(m.headers(), 8),
        &DeadLetter {
            reason: rejection.reason.code(),
            detail: &rejection.detail,
            topic: m.topic(),
            partition: m.partition(),
            offset: m.offset(),
            failed_at: now,
        },
    )
}

fn omitted_value<'a>(
    record: BaseRecord<'a, [u8], [u8], Box<Tag>>,
    headers: OwnedHeaders,
    size: usize,
) -> BaseRecord<'a, [u8], [u8], Box<Tag>> {
    record
        .payload(&[][..])
        .headers(dead_letter::value_omitted(headers, size))
}

trait KeyOpt<'a> {
    fn key_opt(self, key: Option<&'a [u8]>) -> Self;
}

impl<'a> KeyOpt<'a> for BaseRecord<'a, [u8], [u8], Box<Tag>> {
    fn key_opt(self, key: Option<&'a [u8]>) -> Self {
        match key {
            Some(k) => self.key(k),
            None => self,
        }
    }
}
