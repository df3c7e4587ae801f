//! `kafka.delivery = "exactly-once"`: one loop that polls up to
//! `worker.transaction_records` records (or for `worker.commit_interval`),
//! enriches them, and writes outputs, dead letters and the consumed offsets
//! in one Kafka transaction. A `read_committed` reader downstream sees each
//! input's result exactly once: an aborted transaction's records stay
//! invisible and its offsets uncommitted, so the batch is read again.
//!
//! Transactions are never open across a poll, so a rebalance (which runs
//! inside poll) never meets one. A zombie (an instance that lost its
//! partitions but still writes) is fenced by the broker: its offsets carry
//! an old group generation, and a restarted instance with the same
//! `transactional.id` bumps the producer epoch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tracing::{debug, info, warn};

use super::dead_letter;
use super::{RECORD_OVERHEAD, RunSummary, Shutdown, WorkerError, client};
use crate::config::Config;
use crate::pipeline::{Enriched, Pipeline};
use crate::posting::Rejection;
use crate::telemetry::{Health, Metrics};

/// Longest wait for a transaction call before it counts as failed.
const TXN_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_WAIT: Duration = Duration::from_millis(100);

/// Rebalances are logged and counted; nothing is in flight during them.
struct TxnConsumerContext {
    metrics: Arc<Metrics>,
}

impl ClientContext for TxnConsumerContext {
    // Statistics are not logged (the at-least-once loop reads lag from them).
    fn stats(&self, _: rdkafka::Statistics) {}
}

impl ConsumerContext for TxnConsumerContext {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &rdkafka::consumer::Rebalance<'_>) {
        let kind = match rebalance {
            rdkafka::consumer::Rebalance::Assign(_) => "assign",
            rdkafka::consumer::Rebalance::Revoke(_) => "revoke",
            rdkafka::consumer::Rebalance::Error(_) => "error",
        };
        self.metrics.rebalances.with_label_values(&[kind]).inc();
        info!(kind, "rebalance");
    }
}

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

pub fn run(
    config: &Config,
    pipeline: Arc<Pipeline>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: Arc<Shutdown>,
) -> Result<RunSummary, WorkerError> {
    let started = Instant::now();
    let consumer: BaseConsumer<TxnConsumerContext> = client::consumer(config)
        .set("isolation.level", "read_committed")
        .create_with_context(TxnConsumerContext {
            metrics: metrics.clone(),
        })?;
    let mut producer_config = client::producer(config);
    let max_message_bytes = client::message_max_bytes(&producer_config);
    let txn_id = transactional_id(config);
    producer_config.set("transactional.id", &txn_id);
    let producer: BaseProducer = producer_config.create()?;
    let threads = usize::try_from(config.worker.threads).unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("enrich-{i}"))
        .build()
        .map_err(|e| WorkerError::Pool(e.to_string()))?;
    metrics.init_topics(&config.kafka.input_topics);

    // Registers the transactional.id (and fences an older instance of it).
    producer
        .init_transactions(TXN_TIMEOUT)
        .map_err(|e| unsupported_or(e, "initializing transactions"))?;
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
    info!(topics = %topics.join(","), transactional_id = %txn_id, "consuming, exactly-once");

    let max_records = usize::try_from(config.worker.transaction_records.max(1)).unwrap_or(1000);
    let max_time = Config::duration(&config.worker.commit_interval);
    let txn = Transactions {
        config,
        pipeline: &pipeline,
        consumer: &consumer,
        producer: &producer,
        pool: &pool,
        metrics: &metrics,
        max_message_bytes,
    };
    let mut summary = RunSummary::default();
    let mut batch: Vec<BorrowedMessage<'_>> = Vec::with_capacity(max_records);
    while !shutdown.is_requested() {
        health.beat();
        let opened = Instant::now();
        while batch.len() < max_records && opened.elapsed() < max_time && !shutdown.is_requested() {
            match consumer.poll(POLL_WAIT) {
                Some(Ok(m)) => batch.push(m),
                Some(Err(e)) if e.rdkafka_error_code() != Some(RDKafkaErrorCode::PartitionEOF) => {
                    warn!(error = %e, "consume error; retrying");
                }
                Some(Err(_)) => {}
                None if batch.is_empty() => break,
                None => {}
            }
        }
        if batch.is_empty() {
            continue;
        }
        match txn.write(&batch, &mut summary) {
            Ok(()) => metrics.commits.inc(),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                // Aborted: nothing of it is visible; read the batch again.
                metrics.commit_failures.inc();
                summary.aborted_records += batch.len() as u64;
                warn!(error = %e, records = batch.len(), "transaction aborted; reading its records again");
                txn.rewind(&batch);
            }
        }
        batch.clear();
    }
    drop(batch);
    consumer.unsubscribe();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

struct Transactions<'a> {
    config: &'a Config,
    pipeline: &'a Pipeline,
    consumer: &'a BaseConsumer<TxnConsumerContext>,
    producer: &'a BaseProducer,
    pool: &'a rayon::ThreadPool,
    metrics: &'a Metrics,
    max_message_bytes: usize,
}

impl Transactions<'_> {
    /// Enriches a batch and commits outputs and offsets together.
    fn write(
        &self,
        batch: &[BorrowedMessage<'_>],
        summary: &mut RunSummary,
    ) -> Result<(), WorkerError> {
        let enriched_at = super::enriched_at(self.config);
        let results: Vec<Result<Enriched, Rejection>> = self.pool.install(|| {
            batch
                .par_iter()
                .map(|m| super::enrich_message(self.pipeline, m, &enriched_at))
                .collect()
        });
        debug!(records = batch.len(), "transaction begins");
        self.producer
            .begin_transaction()
            .map_err(|e| self.abort(e, "begin"))?;
        let mut dead: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut enriched = 0;
        for (m, result) in batch.iter().zip(&results) {
            match self.send(m, result, &enriched_at) {
                Ok(None) => enriched += 1,
                Ok(Some(reason)) => *dead.entry(reason).or_default() += 1,
                Err(e) => return Err(self.abort(e, "produce")),
            }
        }
        // The next offset to read, per input partition.
        let mut next: BTreeMap<(&str, i32), i64> = BTreeMap::new();
        for m in batch {
            let e = next.entry((m.topic(), m.partition())).or_insert(0);
            *e = (*e).max(m.offset() + 1);
        }
        let mut offsets = TopicPartitionList::new();
        for ((topic, partition), offset) in &next {
            offsets
                .add_partition_offset(topic, *partition, Offset::Offset(*offset))
                .map_err(|e| self.abort(e, "offsets"))?;
        }
        let group = self
            .consumer
            .group_metadata()
            .ok_or_else(|| WorkerError::Fatal("no consumer group metadata".into()))?;
        debug!("sending offsets");
        self.producer
            .send_offsets_to_transaction(&offsets, &group, TXN_TIMEOUT)
            .map_err(|e| self.abort(e, "sending offsets"))?;
        debug!("committing");
        self.commit()?;
        debug!("committed");
        // The same offsets again as a plain commit, after the transaction:
        // a no-op where the broker applied TxnOffsetCommit, and the group's
        // position where it did not (the librdkafka mock cluster), so a
        // restart resumes there. Never ahead of committed output; fenced by
        // the group generation like any commit. Synchronous, so that it
        // lands before the next transaction's offsets (an asynchronous one
        // arriving after them could win and move the group back).
        if let Err(e) = self.consumer.commit(&offsets, CommitMode::Sync) {
            // The transaction already moved the offsets where it counts.
            debug!(error = %e, "plain commit after the transaction failed");
        }
        // Counted once the transaction is committed.
        for (m, result) in batch.iter().zip(&results) {
            self.metrics.consumed.with_label_values(&[m.topic()]).inc();
            if let Ok(e) = result {
                self.metrics.record_outcomes(&e.outcomes, &e.warnings);
            }
        }
        summary.consumed += batch.len() as u64;
        summary.enriched += enriched;
        let out = &self.config.kafka.output_topic;
        self.metrics
            .produced
            .with_label_values(&[out])
            .inc_by(enriched);
        for (reason, n) in dead {
            *summary.dead_lettered.entry(reason).or_default() += n;
            self.metrics
                .dead_lettered
                .with_label_values(&[&self.config.kafka.dead_letter_topic, reason])
                .inc_by(n);
        }
        Ok(())
    }

    /// Queues one record in the open transaction; `Some(reason)` for a dead letter.
    fn send(
        &self,
        m: &BorrowedMessage<'_>,
        result: &Result<Enriched, Rejection>,
        now: &str,
    ) -> Result<Option<&'static str>, KafkaError> {
        let k = &self.config.kafka;
        let too_large;
        let rejection = match result {
            Ok(e) if e.json.len() + RECORD_OVERHEAD <= self.max_message_bytes => {
                let record = BaseRecord::to(&k.output_topic)
                    .payload(e.json.as_slice())
                    .key(m.key().unwrap_or(e.id.as_bytes()))
                    .headers(dead_letter::output_headers(m.headers()));
                self.queue(record)?;
                return Ok(None);
            }
            Ok(e) => {
                too_large = super::too_large(e, self.max_message_bytes);
                &too_large
            }
            Err(r) => r,
        };
        let reason = rejection.reason.code();
        let headers = super::dead_letter_headers_for(m, rejection, now);
        let payload = m.payload().unwrap_or_default();
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&k.dead_letter_topic);
        record = if payload.len() + RECORD_OVERHEAD > self.max_message_bytes {
            record
                .payload(&[][..])
                .headers(dead_letter::value_omitted(headers, payload.len()))
        } else {
            record.payload(payload).headers(headers)
        };
        if let Some(key) = m.key() {
            record = record.key(key);
        }
        self.queue(record)?;
        Ok(Some(reason))
    }

    /// A full producer queue waits for the broker; other refusals fail the
    /// transaction.
    fn queue(&self, mut record: BaseRecord<'_, [u8], [u8]>) -> Result<(), KafkaError> {
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    fn commit(&self) -> Result<(), WorkerError> {
        // A retriable failure (a timeout) may be retried as is.
        for _ in 0..3 {
            match self.producer.commit_transaction(TXN_TIMEOUT) {
                Ok(()) => return Ok(()),
                Err(e) if unsupported(&e) => return Err(unsupported_or(e, "committing")),
                Err(KafkaError::Transaction(e)) if e.is_retriable() => {
                    warn!(error = %e, "commit failed; retrying");
                }
                Err(e) => return Err(self.abort(e, "committing")),
            }
        }
        // The outcome is unknown and the producer cannot abort while the
        // commit is pending: exit; a restart fences the transaction.
        Err(WorkerError::Fatal(
            "transaction commit did not complete after 3 attempts".into(),
        ))
    }

    /// Aborts the open transaction (unless the error is fatal) and says why.
    fn abort(&self, e: KafkaError, during: &str) -> WorkerError {
        if is_fatal_kafka(&e) {
            return unsupported_or(e, during);
        }
        if let Err(abort) = self.producer.abort_transaction(TXN_TIMEOUT) {
            // Without an abort the producer is stuck: exit, and let the
            // restarted instance fence the open transaction.
            return WorkerError::Fatal(format!("transaction {during}: {e}; abort failed: {abort}"));
        }
        WorkerError::Aborted(format!("{during}: {e}"))
    }

    /// After an abort: back to the batch's first offset on each partition.
    fn rewind(&self, batch: &[BorrowedMessage<'_>]) {
        let mut first: BTreeMap<(&str, i32), i64> = BTreeMap::new();
        for m in batch {
            let e = first.entry((m.topic(), m.partition())).or_insert(i64::MAX);
            *e = (*e).min(m.offset());
        }
        for ((topic, partition), offset) in first {
            if let Err(e) = self.consumer.seek(
                topic,
                partition,
                Offset::Offset(offset),
                Duration::from_secs(10),
            ) {
                // Revoked meanwhile: the new owner reads from the committed offset.
                warn!(topic, partition, error = %e, "rewind failed");
            }
        }
    }
}

fn is_fatal_kafka(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(t) => t.is_fatal() || unsupported(e),
        _ => unsupported(e),
    }
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

fn is_fatal(e: &WorkerError) -> bool {
    !matches!(e, WorkerError::Aborted(_))
}
