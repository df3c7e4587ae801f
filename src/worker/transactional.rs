//! `kafka.delivery = "exactly-once"`: outputs, dead letters and the
//! consumed offsets are written in Kafka transactions. A transaction opens
//! with the first record after the last commit, takes the records of
//! several polls, and commits after `worker.transaction_records` records,
//! once they reach `worker.max_in_flight_bytes`, or after
//! `worker.commit_interval`. A `read_committed` reader downstream sees each
//! input's result exactly once: an aborted transaction's records stay
//! invisible and its offsets uncommitted, and its records are read again.
//!
//! The guarantee's limits, and what keeps it:
//! - **A rebalance ends the open transaction.** Partitions are revoked
//!   inside `poll`; the revoke callback commits the open transaction while
//!   this member still owns them (its offsets carry the current group
//!   generation), so the next owner starts after what was committed, never
//!   before it. Records read but not yet written for a revoked partition are
//!   dropped (the next owner reads them).
//! - **A zombie is fenced by the broker**: an instance that lost its
//!   partitions writes offsets with an old generation, and a restarted
//!   instance with the same `transactional.id` bumps the producer epoch and
//!   aborts the transaction it left open.
//! - **A record the broker refuses** (larger than the topic takes) aborts
//!   the transaction; the refused record is then dead-lettered, trimmed, the
//!   next time it is read, so the same batch never aborts for it again.
//!   Other aborts are retried with backoff, `worker.delivery_retries` times
//!   in a row at most; then the worker exits 1 (a restart resumes from the
//!   last commit).
//! - **Every abort gets a new producer.** A broker that hangs or dies with
//!   produce requests in flight leaves librdkafka's idempotent sequences
//!   out of step with what the broker kept. The producer that aborted would
//!   then either fail fatally ("sequence desynchronization") or, worse, see
//!   a record sent again taken by the broker as a duplicate of the aborted
//!   copy: acknowledged, never written, its input committed. A new producer
//!   registers the same `transactional.id` under a new epoch, so its
//!   sequences start afresh; an abort that fails is finished the same way
//!   (the new registration aborts what the old one left open), unless
//!   another instance fenced this one: then the worker exits. The new
//!   producer is made before the next transaction begins, not inside the
//!   abort (which may run in the rebalance callback or near the shutdown
//!   deadline), and only when the aborted transaction wrote something.
//!   A replaced producer's callbacks are ignored (by serial number), except
//!   its refusals of records for their size.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, ClientContext, Offset, Statistics, TopicPartitionList};
use tracing::{debug, info, warn};

use super::batch::{self, OUTPUT_FACTOR, Sent};
use super::context::{self, Shared, lock};
use super::offsets::TopicPartition;
use super::outcome::{RunSummary, WorkerError};
use super::records::Kind;
use super::records::{self, Limits, Refused};
use super::settings::Settings;
use super::shutdown::Shutdown;
use super::{client, setup};
use crate::config::Config;
use crate::enrich::{Outcomes, WarningCode};
use crate::pipeline::{Enriched, SharedPipeline};
use crate::posting::Rejection;
use crate::telemetry::{Health, Metrics};

/// Longest a transaction call may take in all before it counts as failed.
const TXN_TIMEOUT: Duration = Duration::from_secs(60);
/// Each call waits at most this long at a time (then beats and calls again:
/// a timed-out transaction call may be called again to go on waiting).
const TXN_STEP: Duration = Duration::from_secs(5);
/// The least time between two attempts of a transaction call.
const RETRY_GAP: Duration = Duration::from_millis(200);
const POLL_WAIT: Duration = Duration::from_millis(100);

/// The transactional.id: configured, else derived from group and host.
pub fn transactional_id(config: &Config) -> String {
    let k = &config.kafka;
    if !k.transactional_id.is_empty() {
        return k.transactional_id.clone();
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| "local".to_string());
    format!("posting-enricher-{}-{host}", k.group_id)
}

/// Identifies a produced record in its delivery report.
struct TxnTag {
    source: TopicPartition,
    offset: i64,
    kind: Kind,
    /// The transaction it was written in.
    generation: u64,
}

/// The open transaction: what it holds and what to count once committed.
#[derive(Default)]
struct OpenTxn {
    open: bool,
    opened_at: Option<Instant>,
    records: usize,
    /// Bytes of the records written in it: librdkafka holds them until the
    /// broker acknowledges them, and the commit waits for all of them.
    bytes: usize,
    /// Per input partition: the first offset written in this transaction
    /// and the next one to read.
    offsets: BTreeMap<TopicPartition, (i64, i64)>,
    /// Per input topic: records read, enriched, and dead-lettered by reason.
    consumed: BTreeMap<String, u64>,
    enriched: BTreeMap<String, u64>,
    dead: BTreeMap<(String, &'static str), u64>,
    outcomes: Vec<(Outcomes, Vec<WarningCode>)>,
}

type TxnProducer = ThreadedProducer<TxnDeliveries>;

/// What the loop, the revoke callback and the delivery reports share.
struct TxnShared {
    shared: Arc<Shared>,
    /// Itself, for the delivery callbacks of each new producer.
    me: Weak<TxnShared>,
    /// The producer's settings, `transactional.id` included.
    producer_config: ClientConfig,
    /// The producer in use: replaced after every abort
    /// ([`TxnShared::renew_producer`]).
    producer: RwLock<Option<Arc<TxnProducer>>>,
    /// Counts the producers made; the one in use has the latest number.
    producer_serial: AtomicU64,
    /// An abort asked for a new producer before the next transaction.
    renew: AtomicBool,
    txn: Mutex<OpenTxn>,
    summary: Mutex<RunSummary>,
    /// Partitions to read again from an offset, after an abort the revoke
    /// callback had to make (the loop seeks; the callback runs inside poll).
    rewinds: Mutex<Vec<(TopicPartition, i64)>>,
    /// A delivery in the open transaction failed: it cannot commit.
    failed: AtomicBool,
    /// Counts transactions begun: a late report of an earlier one's record
    /// (purged by its abort, say) says nothing of the open one.
    generation: AtomicU64,
    /// Inputs whose record the broker refused for its size.
    refused: Mutex<HashMap<TopicPartition, BTreeMap<i64, Refused>>>,
    /// Counts refusals for size reported by the producer in use. An abort
    /// with one made since the transaction began does not count toward the
    /// retries (the record is dead-lettered next time); the set above cannot
    /// tell, as it keeps old refusals until a revoke.
    refusals: AtomicU64,
    /// `refusals` when the open transaction began.
    refusals_at_begin: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// The producer's callbacks: failed deliveries mark the transaction.
struct TxnDeliveries {
    shared: Arc<Shared>,
    txn: Weak<TxnShared>,
    /// Which of the worker's producers these callbacks serve: an old one's
    /// errors say nothing of the producer in use.
    serial: u64,
}

impl TxnDeliveries {
    /// What is shared, while this is the producer in use.
    fn current(&self) -> Option<Arc<TxnShared>> {
        self.txn
            .upgrade()
            .filter(|txn| txn.producer_serial.load(Ordering::SeqCst) == self.serial)
    }
}

impl ClientContext for TxnDeliveries {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        // librdkafka logs TXNERR exactly when the current transaction has
        // failed and can only be aborted. Its records then stay queued, and
        // rust-rdkafka's commit flushes before committing, so a commit would
        // wait for them until it timed out instead of returning the error:
        // the loop aborts as soon as it sees this.
        if fac == "TXNERR"
            && let Some(txn) = self.current()
        {
            txn.failed.store(true, Ordering::SeqCst);
            *lock(&txn.last_error) = Some(message.to_string());
        }
        context::forward_log(level, fac, message);
    }

    fn stats(&self, _: Statistics) {}

    fn error(&self, error: KafkaError, reason: &str) {
        // A replaced producer's errors (its fatal one included) say nothing
        // of the producer in use.
        if self.current().is_some() {
            self.shared.classify_error(&error, reason);
        }
    }
}

impl ProducerContext for TxnDeliveries {
    type DeliveryOpaque = Box<TxnTag>;

    fn delivery(&self, result: &DeliveryResult<'_>, tag: Box<TxnTag>) {
        let Err((error, _)) = result else {
            return;
        };
        let code = error.rdkafka_error_code();
        let purged = matches!(
            code,
            Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight)
        );
        // An abort (or a producer dropped after one) purges what the
        // producer still held: no broker refused those records, and counted
        // here every abort would look like a burst of failed deliveries.
        if !purged {
            self.shared
                .metrics
                .delivery_failures
                .with_label_values(&[&context::error_code(error)])
                .inc();
        }
        // A refusal for size holds whichever producer reported it: the
        // record is dead-lettered the next time it is read. It excuses an
        // abort only from the open transaction's own producer.
        if code == Some(RDKafkaErrorCode::MessageSizeTooLarge)
            && let Some(txn) = self.txn.upgrade()
        {
            let of_open =
                self.current().is_some() && tag.generation == txn.generation.load(Ordering::SeqCst);
            txn.refuse(&tag, of_open);
            self.shared.limits_stale.store(true, Ordering::Relaxed);
        }
        let Some(txn) = self.current() else {
            return;
        };
        if !purged && tag.generation == txn.generation.load(Ordering::SeqCst) {
            txn.failed.store(true, Ordering::SeqCst);
            *lock(&txn.last_error) = Some(error.to_string());
        }
        debug!(error = %error, source = %tag.source, offset = tag.offset, "delivery failed in a transaction");
    }
}

/// The consumer's callbacks: a revoke commits the open transaction first.
struct TxnConsumerContext {
    txn: Arc<TxnShared>,
}

impl ClientContext for TxnConsumerContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        context::forward_log(level, fac, message);
    }

    fn stats(&self, statistics: Statistics) {
        self.txn.shared.on_stats(&statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.txn.shared.classify_error(&error, reason);
    }
}

impl ConsumerContext for TxnConsumerContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let shared = &self.txn.shared;
        let tps = context::partitions(tpl);
        shared.deactivate(&tps);
        let _ = consumer.resume(tpl);
        let lost = consumer.assignment_lost();
        let kind = if lost { "lost" } else { "revoke" };
        shared.metrics.rebalances.with_label_values(&[kind]).inc();
        if lost {
            // Someone else owns them: the open transaction's offsets would be
            // fenced. Abort it; what it held of other partitions is read again.
            if let Err(e) = self.txn.abort_open(&tps) {
                shared.set_fatal(e.to_string());
            }
        } else if let Err(e) = self.txn.commit_open(consumer) {
            // Aborted: read again by this member for the partitions it
            // keeps, the revoked ones by their next owner.
            if !matches!(e, WorkerError::Aborted(_)) {
                shared.set_fatal(e.to_string());
            }
        }
        // No rewind of a partition this member no longer reads, whichever
        // abort queued it (this one, or an earlier one in the same batch
        // fill): seeking it would fail, and a failed seek stops the worker.
        lock(&self.txn.rewinds).retain(|(tp, _)| !tps.contains(tp));
        lock(&self.txn.refused).retain(|tp, _| !tps.contains(tp));
        shared.forget(&tps);
        info!(partitions = %context::names(&tps), kind, "partitions revoked");
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let shared = &self.txn.shared;
        match rebalance {
            Rebalance::Assign(tpl) => {
                let tps = context::partitions(tpl);
                if tps.is_empty() {
                    return;
                }
                let _ = consumer.resume(tpl);
                shared.assigned(&tps);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => shared.rebalance_error(e),
        }
    }
}

pub fn run(
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
    let (mut producer_config, limits) = setup::producer_config(config);
    let producer_max = client::message_max_bytes(&producer_config);
    let txn_id = transactional_id(config);
    producer_config.set("transactional.id", &txn_id);
    let txn = Arc::new_cyclic(|me| TxnShared {
        shared: shared.clone(),
        me: me.clone(),
        producer_config,
        producer: RwLock::new(None),
        producer_serial: AtomicU64::new(0),
        renew: AtomicBool::new(false),
        txn: Mutex::new(OpenTxn::default()),
        summary: Mutex::new(RunSummary::default()),
        rewinds: Mutex::new(Vec::new()),
        failed: AtomicBool::new(false),
        generation: AtomicU64::new(0),
        refused: Mutex::new(HashMap::new()),
        refusals: AtomicU64::new(0),
        refusals_at_begin: AtomicU64::new(0),
        last_error: Mutex::new(None),
    });
    let consumer: BaseConsumer<TxnConsumerContext> = client::consumer(config)
        .set("isolation.level", "read_committed")
        .create_with_context(TxnConsumerContext { txn: txn.clone() })?;
    if !setup::wait_for_topics(config, &consumer, &shared, &settings)? {
        return Ok(RunSummary::default());
    }
    let pool = setup::enrichment_pool(config)?;
    metrics.init_topics(&config.kafka.input_topics);
    *write_lock(&txn.producer) = Some(txn.new_producer()?);
    let topics: Vec<&str> = config
        .kafka
        .input_topics
        .iter()
        .map(String::as_str)
        .collect();
    consumer.subscribe(&topics)?;
    health.set_started();
    health.set_broker_up(true);
    metrics.broker_up.set(1);
    info!(topics = %topics.join(","), transactional_id = %txn_id, protocol = ?config.kafka.group_protocol, "consuming, exactly-once");

    let lp = TxnLoop {
        config,
        settings: &settings,
        pipeline: &pipeline,
        consumer: &consumer,
        txn: &txn,
        pool: &pool,
        shutdown: &shutdown,
        producer_max,
    };
    let result = lp.run(limits);
    if result.is_ok() {
        // Whatever is open is written before leaving the group.
        if let Err(e) = txn.commit_open(&consumer) {
            warn!(error = %e, "the last transaction did not commit; its records are read again after a restart");
        }
    }
    consumer.unsubscribe();
    result?;
    let mut summary = lock(&txn.summary).clone();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

struct TxnLoop<'a> {
    config: &'a Config,
    settings: &'a Settings,
    pipeline: &'a SharedPipeline,
    consumer: &'a BaseConsumer<TxnConsumerContext>,
    txn: &'a TxnShared,
    pool: &'a rayon::ThreadPool,
    shutdown: &'a Shutdown,
    producer_max: usize,
}

impl TxnLoop<'_> {
    fn run(&self, mut limits: Limits) -> Result<(), WorkerError> {
        let shared = &self.txn.shared;
        let s = self.settings;
        let max_records =
            usize::try_from(self.config.worker.transaction_records.max(1)).unwrap_or(1000);
        let mut batch: Vec<BorrowedMessage<'_>> = Vec::with_capacity(s.batch_size);
        let mut last_poll_error = None;
        // Aborts in a row without a commit between them.
        let mut aborts_in_a_row: u32 = 0;
        // Whether this loop aborted a transaction since the last commit:
        // its records wait to be written again, so the no-progress clock
        // keeps running between attempts (an abort closes the transaction,
        // which alone would restart it at every attempt of an outage).
        let mut aborted_since_commit = false;
        let mut limits_read = Instant::now();
        while !self.shutdown.is_requested() {
            shared.health.beat();
            shared.check_auth_grace(s.auth_grace);
            if let Some(reason) = shared.fatal() {
                return Err(WorkerError::Fatal(reason));
            }
            self.apply_rewinds()?;
            if limits_read.elapsed() >= Duration::from_secs(10)
                && shared.limits_stale.swap(false, Ordering::Relaxed)
            {
                let k = &self.config.kafka;
                let reported = client::topic_limits(
                    self.config,
                    &[k.output_topic.as_str(), k.dead_letter_topic.as_str()],
                );
                limits = Limits::new(k, self.producer_max, &reported);
                limits_read = Instant::now();
            }
            // A revoke or loss hands the aborted records to their new
            // owner (and `released` is only ever drained here in this mode).
            if !std::mem::take(&mut *lock(&shared.released)).is_empty() {
                aborted_since_commit = false;
            }
            let open = lock(&self.txn.txn).open;
            shared.update_progress(open || aborted_since_commit, s.progress_timeout, &[]);

            // A transaction holds transaction_records and
            // max_in_flight_bytes at most: the batch takes what is left of
            // them (at least one record, however large).
            let (room, room_bytes) = {
                let t = lock(&self.txn.txn);
                (
                    max_records.saturating_sub(t.records).clamp(1, s.batch_size),
                    s.max_in_flight_bytes.saturating_sub(t.bytes),
                )
            };
            let mut next = self.consumer.poll(POLL_WAIT);
            let mut batch_bytes = 0usize;
            while let Some(result) = next {
                match result {
                    Ok(m) => {
                        if last_poll_error.take().is_some() {
                            info!("consuming again");
                            shared.auth_ok();
                        }
                        batch_bytes += m.payload_len() * OUTPUT_FACTOR;
                        batch.push(m);
                    }
                    Err(e) => batch::on_poll_error(self.consumer, shared, e, &mut last_poll_error),
                }
                if batch.len() >= room || batch_bytes >= room_bytes {
                    break;
                }
                next = self.consumer.poll(Duration::ZERO);
            }
            // Records of partitions revoked while the batch filled, and of
            // those an abort in the revoke callback (inside the polls above)
            // left to read again: theirs come after the aborted records and
            // are read again after the seek. Written now, they would be
            // written twice, or the next abort would rewind to them and skip
            // the aborted ones.
            keep_writable(
                &mut batch,
                |m| (m.topic(), m.partition()),
                |topic, partition| shared.is_active(topic, partition),
                &self.txn.rewound_partitions(),
            );
            self.apply_rewinds()?;
            if !batch.is_empty() {
                shared.health.set_broker_up(true);
                self.write(&batch, limits)?;
                batch.clear();
            }
            let (open, records, bytes, age) = {
                let t = lock(&self.txn.txn);
                (t.open, t.records, t.bytes, t.opened_at.map(|o| o.elapsed()))
            };
            shared.metrics.transaction_open_records.set(records as i64);
            shared.metrics.transaction_open_bytes.set(bytes as i64);
            // A failure marks the open transaction only: once it is aborted
            // there is nothing left to abort (a late report of its records
            // must not count as another abort while they wait to be read
            // again).
            let failed = open && self.txn.failed.load(Ordering::SeqCst);
            // At the byte bound too: its records wait in librdkafka until the
            // commit, whose flush must finish within the transaction timeout.
            let due = open
                && (records >= max_records
                    || bytes >= s.max_in_flight_bytes
                    || age.is_some_and(|a| a >= s.commit_every));
            if !(failed || due) {
                continue;
            }
            let outcome = if failed {
                let error = lock(&self.txn.last_error).clone().unwrap_or_default();
                self.txn.abort_open(&[])?;
                Err(WorkerError::Aborted(format!("a delivery failed: {error}")))
            } else {
                self.txn.commit_open(self.consumer)
            };
            match outcome {
                Ok(()) => {
                    aborts_in_a_row = 0;
                    aborted_since_commit = false;
                }
                Err(WorkerError::Aborted(reason)) => {
                    aborted_since_commit = true;
                    // Only a refusal made in this transaction excuses its abort.
                    let refusal = self.txn.refusals.load(Ordering::SeqCst)
                        > self.txn.refusals_at_begin.load(Ordering::SeqCst);
                    if !refusal {
                        aborts_in_a_row += 1;
                    }
                    warn!(reason = %reason, aborts_in_a_row, "transaction aborted; its records are read again");
                    if aborts_in_a_row > s.delivery_retries {
                        return Err(WorkerError::Fatal(format!(
                            "transactions aborted {aborts_in_a_row} times in a row (worker.delivery_retries): {reason}"
                        )));
                    }
                    self.apply_rewinds()?;
                    self.pause(s.backoff(aborts_in_a_row));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Waits (beating) before reading an aborted batch again.
    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        while Instant::now() < until && !self.shutdown.is_requested() {
            self.txn.shared.health.beat();
            std::thread::sleep(Duration::from_millis(100).min(wait));
        }
    }

    /// Seeks back every partition an abort left to read again. A seek that
    /// fails would let the next transaction commit past the aborted
    /// records: the worker stops instead.
    fn apply_rewinds(&self) -> Result<(), WorkerError> {
        let rewinds = std::mem::take(&mut *lock(&self.txn.rewinds));
        for (tp, offset) in rewinds {
            seek(self.consumer, &tp, offset)?;
        }
        Ok(())
    }

    /// Enriches a batch and writes it into the open transaction (opening
    /// one if none is).
    fn write(&self, batch: &[BorrowedMessage<'_>], limits: Limits) -> Result<(), WorkerError> {
        let enriched_at = batch::enriched_at(self.config);
        // One pipeline for the whole batch: a reload never mixes data in it.
        let pipeline = self.pipeline.current();
        let results: Vec<Result<Enriched, Rejection>> = self.pool.install(|| {
            batch
                .par_iter()
                .map(|m| batch::enrich_message(&pipeline, m, &enriched_at))
                .collect()
        });
        self.txn.renew_producer()?;
        let producer = self.txn.producer()?;
        for (m, result) in batch.iter().zip(&results) {
            let tp = TopicPartition::new(m.topic(), m.partition());
            if !self.txn.shared.is_active(m.topic(), m.partition()) {
                continue;
            }
            {
                let mut txn = lock(&self.txn.txn);
                if !txn.open {
                    producer
                        .begin_transaction()
                        .map_err(|e| unsupported_or(e, "beginning a transaction"))?;
                    txn.open = true;
                    txn.opened_at = Some(Instant::now());
                    self.txn
                        .refusals_at_begin
                        .store(self.txn.refusals.load(Ordering::SeqCst), Ordering::SeqCst);
                    self.txn.generation.fetch_add(1, Ordering::SeqCst);
                    self.txn.failed.store(false, Ordering::SeqCst);
                }
            }
            let refused = lock(&self.txn.refused)
                .get(&tp)
                .and_then(|r| r.get(&m.offset()))
                .copied();
            let Some(out) =
                records::output_for(&self.config.kafka, m, result, refused, limits, &enriched_at)
            else {
                return Err(WorkerError::Fatal(format!(
                    "the broker refuses even the smallest dead letter of {tp} offset {} (check the dead-letter topic's max.message.bytes)",
                    m.offset()
                )));
            };
            let kind = out.kind;
            let bytes = out.bytes;
            let tag = Box::new(TxnTag {
                source: tp.clone(),
                offset: m.offset(),
                kind,
                generation: self.txn.generation.load(Ordering::SeqCst),
            });
            let mut record = BaseRecord::with_opaque_to(out.topic, tag)
                .payload(out.payload)
                .headers(out.headers);
            if let Some(k) = out.key {
                record = record.key(k);
            }
            if self.queue(&producer, record)? == Sent::Abandoned {
                // Shutdown: the transaction was aborted; nothing more is
                // written (a later one would commit past these records).
                return Ok(());
            }
            let mut txn = lock(&self.txn.txn);
            txn.records += 1;
            txn.bytes += bytes;
            let entry = txn
                .offsets
                .entry(tp)
                .or_insert((m.offset(), m.offset() + 1));
            entry.1 = m.offset() + 1;
            *txn.consumed.entry(m.topic().to_string()).or_default() += 1;
            match kind {
                Kind::Enriched => {
                    *txn.enriched.entry(m.topic().to_string()).or_default() += 1;
                    if let Ok(e) = result {
                        txn.outcomes.push((e.outcomes, e.warnings.clone()));
                    }
                }
                Kind::DeadLetter { reason, .. } => {
                    *txn.dead.entry((m.topic().to_string(), reason)).or_default() += 1;
                }
            }
        }
        Ok(())
    }

    /// Queues one record; a full producer queue waits for the broker, until
    /// the shutdown deadline nears (the open transaction is then aborted:
    /// nothing of it is committed).
    fn queue(
        &self,
        producer: &TxnProducer,
        mut record: BaseRecord<'_, [u8], [u8], Box<TxnTag>>,
    ) -> Result<Sent, WorkerError> {
        loop {
            match producer.send(record) {
                Ok(()) => return Ok(Sent::Yes),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    if self
                        .shutdown
                        .deadline()
                        .is_some_and(|at| Instant::now() + Duration::from_secs(2) >= at)
                    {
                        self.txn.abort_open(&[])?;
                        return Ok(Sent::Abandoned);
                    }
                    record = back;
                    self.txn.shared.health.beat();
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, back)) => {
                    // Refused at once (e.g. larger than message.max.bytes):
                    // like a failed delivery, the transaction cannot commit.
                    let tag = back.delivery_opaque;
                    if e.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageSizeTooLarge) {
                        self.txn.refuse(&tag, true);
                    }
                    *lock(&self.txn.last_error) = Some(e.to_string());
                    self.txn.failed.store(true, Ordering::SeqCst);
                    return Ok(Sent::Yes);
                }
            }
        }
    }
}

impl TxnShared {
    /// Notes that the broker refused `tag`'s record for its size: its input
    /// is dead-lettered the next time it is read. `of_open`: the record was
    /// written in the open transaction (whose abort the refusal excuses).
    fn refuse(&self, tag: &TxnTag, of_open: bool) {
        lock(&self.refused)
            .entry(tag.source.clone())
            .or_default()
            .insert(tag.offset, tag.kind.refused());
        if of_open {
            self.refusals.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The partitions an abort left to read again that the loop has not
    /// sought back yet.
    fn rewound_partitions(&self) -> Vec<TopicPartition> {
        lock(&self.rewinds)
            .iter()
            .map(|(tp, _)| tp.clone())
            .collect()
    }

    /// The producer in use (a new one after each abort: hold it no longer
    /// than one transaction).
    fn producer(&self) -> Result<Arc<TxnProducer>, WorkerError> {
        read_lock(&self.producer)
            .clone()
            .ok_or_else(|| WorkerError::Fatal("no transactional producer".into()))
    }

    /// A producer registered under this worker's `transactional.id`:
    /// `init_transactions` fences every earlier producer of the id (this
    /// worker's own after an abort, or an older instance's) and aborts the
    /// transaction it left open.
    fn new_producer(&self) -> Result<Arc<TxnProducer>, WorkerError> {
        let serial = self.producer_serial.fetch_add(1, Ordering::SeqCst) + 1;
        // Only now: an earlier producer's late error could otherwise cancel
        // the registration.
        self.failed.store(false, Ordering::SeqCst);
        let deliveries = TxnDeliveries {
            shared: self.shared.clone(),
            txn: self.me.clone(),
            serial,
        };
        let producer: TxnProducer = self.producer_config.create_with_context(deliveries)?;
        let producer = Arc::new(producer);
        self.call("initializing transactions", |t| {
            producer.init_transactions(t)
        })
        .map_err(|e| {
            unsupported_or(
                e.unwrap_or(KafkaError::Canceled),
                "initializing transactions",
            )
        })?;
        Ok(producer)
    }

    /// Replaces the producer when an abort asked for it (see the module
    /// docs), before the next transaction begins: not inside the abort,
    /// which may run in the rebalance callback or near the shutdown
    /// deadline. The new one's sequences owe nothing to what the broker may
    /// or may not have kept of the aborted transaction.
    fn renew_producer(&self) -> Result<(), WorkerError> {
        if !self.renew.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        // Late reports of the old producer's records say nothing of the
        // transactions to come.
        self.generation.fetch_add(1, Ordering::SeqCst);
        let new = self.new_producer()?;
        let old = write_lock(&self.producer).replace(new);
        drop(old);
        self.shared.metrics.producer_renewals.inc();
        info!("a new transactional producer after the abort");
        Ok(())
    }

    /// One step of a transaction call, beating the heartbeat while it runs.
    /// An error that came back at once is not called again at once: the
    /// broker it waits for is given a moment.
    fn step(&self, f: impl Fn(Duration) -> KafkaResult<()> + Sync) -> KafkaResult<()> {
        let started = Instant::now();
        let result = self.shared.beating(|| f(TXN_STEP));
        if result.is_err() {
            std::thread::sleep(RETRY_GAP.saturating_sub(started.elapsed()));
        }
        result
    }

    /// A transaction call that may take long, in steps of [`TXN_STEP`] with
    /// a heartbeat between them, [`TXN_TIMEOUT`] in all. Between steps a
    /// failed delivery in the open transaction ends the wait (it can only
    /// be aborted now): `Err(None)`.
    fn call(
        &self,
        what: &str,
        f: impl Fn(Duration) -> KafkaResult<()> + Sync,
    ) -> Result<(), Option<KafkaError>> {
        let deadline = Instant::now() + TXN_TIMEOUT;
        loop {
            match self.step(&f) {
                Ok(()) => return Ok(()),
                Err(e) if call_again(&e) && Instant::now() < deadline => {
                    if self.failed.load(Ordering::SeqCst) {
                        return Err(None);
                    }
                    debug!(what, error = %e, "transaction call goes on");
                }
                Err(e) => return Err(Some(e)),
            }
        }
    }

    /// Commits the open transaction (outputs and offsets together); on an
    /// abortable error aborts it and queues the rewind of its partitions.
    fn commit_open<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
    ) -> Result<(), WorkerError> {
        let mut txn = lock(&self.txn);
        if !txn.open {
            return Ok(());
        }
        if self.failed.load(Ordering::SeqCst) {
            drop(txn);
            self.abort_open(&[])?;
            let error = lock(&self.last_error).clone().unwrap_or_default();
            return Err(WorkerError::Aborted(format!("a delivery failed: {error}")));
        }
        let mut offsets = TopicPartitionList::new();
        for (tp, (_, next)) in &txn.offsets {
            let _ = offsets.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*next));
        }
        let producer = self.producer()?;
        let Some(group) = consumer.group_metadata() else {
            drop(txn);
            return Err(WorkerError::Fatal("no consumer group metadata".into()));
        };
        let sent = self.call("sending offsets", |t| {
            producer.send_offsets_to_transaction(&offsets, &group, t)
        });
        let committed =
            sent.and_then(|()| self.call("committing", |t| producer.commit_transaction(t)));
        match committed {
            Ok(()) => {}
            Err(None) => {
                // A delivery failed while the commit waited for it.
                drop(txn);
                self.abort_open(&[])?;
                let error = lock(&self.last_error).clone().unwrap_or_default();
                return Err(WorkerError::Aborted(format!("a delivery failed: {error}")));
            }
            Err(Some(e)) if unsupported(&e) => {
                return Err(unsupported_or(e, "committing"));
            }
            Err(Some(KafkaError::Transaction(e))) if e.txn_requires_abort() => {
                drop(txn);
                self.abort_open(&[])?;
                return Err(WorkerError::Aborted(format!("committing: {e}")));
            }
            Err(Some(e)) => {
                // Fatal, or an outcome that stayed unknown for TXN_TIMEOUT:
                // the producer cannot go on; a restart fences the
                // transaction (it is aborted unless it committed).
                return Err(WorkerError::Fatal(format!(
                    "transaction commit: {e} (fenced, fatal or timed out; a restart resumes from the last commit)"
                )));
            }
        }
        let done = std::mem::take(&mut *txn);
        drop(txn);
        let m = &self.shared.metrics;
        m.commits.inc();
        m.transaction_open_records.set(0);
        m.transaction_open_bytes.set(0);
        let mut summary = lock(&self.summary);
        for (topic, n) in &done.consumed {
            m.consumed.with_label_values(&[topic]).inc_by(*n);
            summary.consumed += n;
        }
        for (topic, n) in &done.enriched {
            m.produced.with_label_values(&[topic]).inc_by(*n);
            summary.enriched += n;
        }
        for ((topic, reason), n) in done.dead {
            *summary.dead_lettered.entry(reason).or_default() += n;
            m.dead_lettered
                .with_label_values(&[&topic, reason])
                .inc_by(n);
        }
        for (outcomes, warnings) in &done.outcomes {
            m.record_outcomes(outcomes, warnings);
        }
        self.shared.progressed();
        Ok(())
    }

    /// Aborts the open transaction; its partitions are read again from its
    /// first offsets (except `gone`, revoked or lost ones). A transaction
    /// that wrote, and one whose abort failed, get a new producer before
    /// the next one begins (whose registration finishes a failed abort);
    /// a producer another instance fenced is fatal.
    fn abort_open(&self, gone: &[TopicPartition]) -> Result<(), WorkerError> {
        let mut txn = lock(&self.txn);
        if !txn.open {
            return Ok(());
        }
        let producer = self.producer()?;
        // An abort is what a failed delivery calls for: not interrupted.
        let deadline = Instant::now() + TXN_TIMEOUT;
        let mut failed = None;
        loop {
            match self.step(|t| producer.abort_transaction(t)) {
                Ok(()) => break,
                Err(e) if call_again(&e) && Instant::now() < deadline => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(fence) = fenced(&producer, failed.as_ref()) {
            return Err(WorkerError::Fatal(format!(
                "aborting a transaction: {fence} (another instance took this transactional.id)"
            )));
        }
        if let Some(e) = &failed {
            // The new producer's registration aborts it instead.
            warn!(error = %e, "aborting a transaction failed; a new producer fences it");
        }
        // A transaction that wrote nothing leaves no sequences behind (and
        // librdkafka aborts it without asking the broker): no new producer.
        if failed.is_some() || txn.records > 0 {
            self.renew.store(true, Ordering::SeqCst);
        }
        let done = std::mem::take(&mut *txn);
        // The failure belonged to the transaction just aborted.
        self.failed.store(false, Ordering::SeqCst);
        drop(txn);
        self.shared.metrics.transactions_aborted.inc();
        self.shared.metrics.commit_failures.inc();
        self.shared.metrics.transaction_open_records.set(0);
        self.shared.metrics.transaction_open_bytes.set(0);
        lock(&self.summary).aborted_records += done.records as u64;
        let mut rewinds = lock(&self.rewinds);
        for (tp, (first, _)) in done.offsets {
            if !gone.contains(&tp) {
                rewinds.push((tp, first));
            }
        }
        Ok(())
    }
}

/// Keeps the records of a batch that may be written now: not those of
/// partitions no longer `active` (revoked while the batch filled), nor of
/// partitions in `rewound` (an abort in the revoke callback left them to
/// read again from an earlier offset: what the batch holds of them follows
/// the aborted records and is read again after the seek).
fn keep_writable<M>(
    batch: &mut Vec<M>,
    place: impl Fn(&M) -> (&str, i32),
    active: impl Fn(&str, i32) -> bool,
    rewound: &[TopicPartition],
) {
    batch.retain(|m| {
        let (topic, partition) = place(m);
        active(topic, partition)
            && !rewound
                .iter()
                .any(|tp| tp.partition == partition && tp.topic == topic)
    });
}

/// Why `producer` may not go on when another producer of its
/// `transactional.id` fenced it: renewing would fence that one in turn.
fn fenced(producer: &TxnProducer, e: Option<&KafkaError>) -> Option<String> {
    let fence_codes = [
        RDKafkaErrorCode::Fenced,
        RDKafkaErrorCode::ProducerFenced,
        RDKafkaErrorCode::InvalidProducerEpoch,
    ];
    if let Some((code, reason)) = producer.client().fatal_error()
        && fence_codes.contains(&code)
    {
        return Some(reason);
    }
    let e = e?;
    e.rdkafka_error_code()
        .filter(|code| fence_codes.contains(code))
        .map(|_| e.to_string())
}

fn read_lock<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write_lock<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A transaction call that may be called again to go on: librdkafka
/// retries a request inside a call until the call's timeout and then
/// returns the last error as retriable (a timeout, but also a broker
/// connection lost or a coordinator still loading). rust-rdkafka flushes
/// before committing, and reports a flush that timed out as such.
fn call_again(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(t) => t.is_retriable(),
        KafkaError::Flush(code) => *code == RDKafkaErrorCode::OperationTimedOut,
        _ => false,
    }
}

/// Reads `tp` again from `offset`; a failure stops the worker (reading on
/// would commit past records whose output was aborted).
fn seek<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    tp: &TopicPartition,
    offset: i64,
) -> Result<(), WorkerError> {
    consumer
        .seek(
            &tp.topic,
            tp.partition,
            Offset::Offset(offset),
            Duration::from_secs(10),
        )
        .map_err(|e| {
            WorkerError::Fatal(format!(
                "reading {tp} again from offset {offset} after an aborted transaction failed: {e}"
            ))
        })
}

fn unsupported(e: &KafkaError) -> bool {
    let text = e.to_string();
    text.contains("not supported by broker")
        || text.contains("UnsupportedVersion")
        || e.rdkafka_error_code() == Some(RDKafkaErrorCode::UnsupportedFeature)
        || e.rdkafka_error_code() == Some(RDKafkaErrorCode::UnsupportedVersion)
}

/// The message for a broker without transactions, or a fatal error.
fn unsupported_or(e: KafkaError, during: &str) -> WorkerError {
    if unsupported(&e) {
        WorkerError::Unsupported(format!(
            "kafka.delivery = \"exactly-once\" needs a broker with transactions, and this one refused them ({during}: {e}); use \"at-least-once\""
        ))
    } else {
        WorkerError::Fatal(format!(
            "transaction {during}: {e} (fenced or fatal; another instance may own this transactional.id)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::ClientConfig;

    /// Review finding: a rewind that failed after an abort only warned, so
    /// the next transaction could commit past the aborted records.
    #[test]
    fn a_rewind_that_fails_stops_the_worker() {
        // Not assigned: librdkafka refuses the seek at once.
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("group.id", "rewind-test")
            .create()
            .unwrap();
        let e = seek(&consumer, &TopicPartition::new("in", 0), 42).unwrap_err();
        assert!(matches!(e, WorkerError::Fatal(_)), "{e}");
        assert!(e.to_string().contains("in/0"), "{e}");
    }

    /// Review finding (21st session): a batch filled across a revoke whose
    /// commit aborted was written before the seek back, so the records it
    /// held of a kept partition were written twice (or, if that transaction
    /// aborted too, the partition was rewound to them and the aborted ones
    /// were skipped). The librdkafka mock cannot show this end to end: it
    /// hands aborted records to read_committed readers.
    #[test]
    fn a_batch_filled_across_an_abort_writes_nothing_of_the_rewound_partitions() {
        // (topic, partition, offset) as polled: in/0 is kept and its open
        // transaction held 100..150 when the revoke's commit aborted it; in/1
        // was revoked; other/0 is untouched.
        let mut batch = vec![
            ("in", 0, 150),
            ("in", 1, 70),
            ("other", 0, 5),
            ("in", 0, 151),
            ("in", 10, 3),
        ];
        keep_writable(
            &mut batch,
            |m| (m.0, m.1),
            |topic, partition| !(topic == "in" && partition == 1),
            &[TopicPartition::new("in", 0)],
        );
        assert_eq!(batch, [("other", 0, 5), ("in", 10, 3)]);
        // Nothing rewound, all active: the batch is written whole.
        let mut batch = vec![("in", 0, 150), ("in", 1, 70)];
        keep_writable(&mut batch, |m| (m.0, m.1), |_, _| true, &[]);
        assert_eq!(batch.len(), 2);
    }

    #[test]
    fn a_broker_without_transactions_is_named() {
        let e = unsupported_or(
            KafkaError::MessageProduction(RDKafkaErrorCode::UnsupportedVersion),
            "initializing transactions",
        );
        assert!(matches!(e, WorkerError::Unsupported(_)));
        assert!(e.to_string().contains("needs a broker with transactions"));
    }
}
