//! `kafka.delivery = "exactly-once"` on librdkafka's in-process mock
//! cluster, for what only the mock can do: inject request errors into every
//! step of a transaction. The guarantee itself is proven on Apache Kafka
//! (tests/exactly_once.rs); here the worker must retry each injected error
//! inside the transaction and duplicate nothing. (A restart is shown on
//! Apache Kafka: the mock does not store offsets committed in a
//! transaction, so a restarted worker there starts from the beginning.)

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use posting_enricher::config::{Config, Delivery};
use rdkafka::message::OwnedMessage;
use rdkafka::mocking::{MockCluster, MockCoordinator};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

use common::kafka::{per_input, produce, read_topics, spread};
use common::worker::{Running, holds_for, wait};
use posting_enricher::telemetry::Metrics;
use posting_enricher::worker::RunSummary;

const IN: &str = "in";
const OUT: &str = "out";
const DLQ: &str = "dlq";
const GROUP: &str = "eos-group";
const TXN_ID: &str = "eos-worker-1";
const RECORDS: usize = 240;

fn cluster() -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let mock = MockCluster::new(3).unwrap();
    mock.create_topic(IN, 2, 1).unwrap();
    mock.create_topic(OUT, 2, 1).unwrap();
    mock.create_topic(DLQ, 1, 1).unwrap();
    mock.coordinator(MockCoordinator::Group(GROUP.into()), 1)
        .unwrap();
    mock.coordinator(MockCoordinator::Transaction(TXN_ID.into()), 2)
        .unwrap();
    mock
}

fn start(brokers: &str) -> Running {
    common::worker::start(config(brokers))
}

/// The worker's settings in these tests (and the test's log output).
fn config(brokers: &str) -> Config {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn,posting_enricher=debug")
        .try_init();
    let mut config = Config::default();
    config.kafka.brokers = brokers.to_string();
    config.kafka.group_id = GROUP.into();
    config.kafka.input_topics = vec![IN.into()];
    config.kafka.output_topic = OUT.into();
    config.kafka.dead_letter_topic = DLQ.into();
    config.kafka.delivery = Delivery::ExactlyOnce;
    config.kafka.transactional_id = TXN_ID.into();
    config.worker.commit_interval = Duration::from_millis(200);
    config.worker.transaction_records = 30;
    config.worker.shutdown_timeout = Duration::from_secs(10);
    config
}

/// Corpus lines, with bad input mixed in (dead letters are part of the
/// transaction too).
fn input_values() -> Vec<Vec<u8>> {
    let lines = common::corpus_lines();
    let bad: Vec<Vec<u8>> = vec![b"{not json".to_vec(), b"{}".to_vec(), vec![0xff, 0xfe]];
    lines
        .into_iter()
        .take(RECORDS - 3 * 4)
        .chain(bad.into_iter().cycle().take(3 * 4))
        .collect()
}

fn produce_values(brokers: &str, values: &[Vec<u8>]) {
    produce(brokers, IN, &spread(values.iter().map(Vec::as_slice), 2));
}

fn produce_inputs(brokers: &str) {
    produce_values(brokers, &input_values());
}

/// Records per input (partition, offset) as a `read_committed` reader sees
/// them (librdkafka's default isolation level).
fn results_per_input(brokers: &str) -> HashMap<(i32, i64), usize> {
    let read: Vec<OwnedMessage> =
        read_topics(brokers, &[OUT, DLQ], usize::MAX, Duration::from_secs(30));
    per_input(&read, DLQ)
}

fn assert_exactly_once(brokers: &str) {
    let seen = results_per_input(brokers);
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    let lost = RECORDS - seen.len();
    println!(
        "records in {RECORDS}, results {}, duplicates {duplicates}, lost {lost}",
        seen.len() + duplicates
    );
    assert_eq!(lost, 0, "inputs without a result");
    assert_eq!(duplicates, 0, "inputs with more than one result");
}

fn consumed(w: &Running) -> u64 {
    w.metrics.consumed.with_label_values(&[IN]).get()
}

/// Waits until every input is counted (counted only once its transaction
/// committed), then stops the worker: its summary and metrics.
fn run_to_end(w: Running, timeout: Duration) -> (RunSummary, Arc<Metrics>) {
    wait("all committed", timeout, || {
        if w.thread.is_finished() {
            return true; // stopped early: its result says why below
        }
        consumed(&w) == RECORDS as u64
    });
    w.shutdown.request();
    let summary = w.thread.join().unwrap().unwrap();
    (summary, w.metrics)
}

#[test]
fn each_input_is_seen_exactly_once_by_a_read_committed_reader() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    produce_inputs(&brokers);
    let w = start(&brokers);
    let (summary, metrics) = run_to_end(w, Duration::from_secs(60));
    assert_eq!(summary.consumed, RECORDS as u64);
    // The 12 bad inputs and corpus line 106 (`{}`).
    assert_eq!(summary.dead_lettered.values().sum::<u64>(), 13);
    assert!(metrics.commits.get() >= (RECORDS / 30) as u64);
    assert_eq!(metrics.commit_failures.get(), 0);
    assert_exactly_once(&brokers);
}

/// Retriable errors on Produce (`produce_errors` of them), TxnOffsetCommit
/// and EndTxn (2 each): each is retried inside the transaction.
fn inject_retriable_errors(
    mock: &MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    produce_errors: usize,
) {
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &vec![RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; produce_errors],
    );
    mock.request_errors(
        RDKafkaApiKey::TxnOffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS; 2],
    );
    mock.request_errors(
        RDKafkaApiKey::EndTxn,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR; 2],
    );
}

/// Review finding (CI, Apache Kafka killed while offsets were being added
/// to a transaction): librdkafka retries a transaction request twice and
/// then returns the error as retriable, which the worker took as fatal and
/// exited. A retriable error means "call again": the commit goes on, and
/// nothing is aborted or duplicated.
#[test]
fn transaction_calls_that_return_retriable_errors_are_called_again() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    produce_inputs(&brokers);
    // librdkafka retries inside a call until the call's timeout (one step
    // of the worker's wait) and then returns the last error: twenty
    // refusals at its backoff outlast a step.
    mock.request_errors(
        RDKafkaApiKey::AddOffsetsToTxn,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS; 20],
    );
    let w = start(&brokers);
    let (summary, _) = run_to_end(w, Duration::from_secs(90));
    assert_eq!(summary.consumed, RECORDS as u64);
    assert_eq!(summary.aborted_records, 0);
    assert_exactly_once(&brokers);
}

/// Retriable errors on every step of a transaction: retried inside it,
/// nothing aborted, nothing duplicated.
#[test]
fn injected_request_errors_leave_no_duplicates() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    produce_inputs(&brokers);
    inject_retriable_errors(&mock, 3);
    mock.request_errors(
        RDKafkaApiKey::AddPartitionsToTxn,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS; 2],
    );
    let w = start(&brokers);
    let (summary, _) = run_to_end(w, Duration::from_secs(90));
    assert_eq!(summary.consumed, RECORDS as u64);
    assert_eq!(summary.aborted_records, 0);
    assert_exactly_once(&brokers);
}

/// Review finding (CI, Apache Kafka hung and then killed): a failed
/// transaction stayed marked failed after its abort until the next one
/// began. While its records could not be read again (their partition's
/// leader away, or the partitions lost), every turn of the loop "aborted"
/// the transaction already gone and counted it, so the worker gave up
/// ("aborted 6 times in a row") after a single real abort.
#[test]
fn one_abort_counts_once_while_its_records_cannot_be_read_again() {
    const IN_LEADER: i32 = 3;
    const OUT_LEADER: i32 = 4;
    let mock = MockCluster::new(4).unwrap();
    mock.create_topic(IN, 2, 1).unwrap();
    mock.create_topic(OUT, 2, 1).unwrap();
    mock.create_topic(DLQ, 1, 1).unwrap();
    for p in 0..2 {
        mock.partition_leader(IN, p, Some(IN_LEADER)).unwrap();
        mock.partition_leader(OUT, p, Some(OUT_LEADER)).unwrap();
    }
    mock.partition_leader(DLQ, 0, Some(OUT_LEADER)).unwrap();
    mock.coordinator(MockCoordinator::Group(GROUP.into()), 1)
        .unwrap();
    mock.coordinator(MockCoordinator::Transaction(TXN_ID.into()), 2)
        .unwrap();
    let brokers = mock.bootstrap_servers();
    produce_inputs(&brokers);
    // The first writes fail for good (the transaction can only be
    // aborted), and only after the input's leader has gone away: their
    // records cannot be read again until it is back.
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_RECORD; 4],
    );
    mock.broker_round_trip_time(OUT_LEADER, Duration::from_secs(3))
        .unwrap();
    let w = start(&brokers);
    wait(
        "a transaction with records",
        Duration::from_secs(30),
        || w.metrics.transaction_open_records.get() >= 1,
    );
    mock.broker_down(IN_LEADER).unwrap();
    wait(
        "the failed transaction aborted",
        Duration::from_secs(30),
        || w.metrics.transactions_aborted.get() >= 1,
    );
    mock.broker_round_trip_time(OUT_LEADER, Duration::ZERO)
        .unwrap();
    // Longer than the retries' backoff takes to run out.
    std::thread::sleep(Duration::from_secs(12));
    if w.thread.is_finished() {
        panic!(
            "the worker stopped after one abort: {:?}",
            w.thread.join().unwrap().err()
        );
    }
    mock.broker_up(IN_LEADER).unwrap();
    let (summary, _) = run_to_end(w, Duration::from_secs(90));
    assert_eq!(summary.consumed, RECORDS as u64);
    assert!(summary.aborted_records >= 1);
    assert_exactly_once(&brokers);
}

/// Review finding (21st session): whether an abort came from a size
/// refusal (which does not count toward `worker.delivery_retries`: the
/// refused record is dead-lettered the next time) was read from the set
/// of refused records, which is only emptied by a revoke. After one
/// refusal no abort counted again: a dead-letter topic the worker may not
/// write to aborted every transaction, forever, and the worker neither
/// stopped nor committed.
/// Review finding (22nd session, the exactly-once analogue of
/// docs/reliability.md 30): readiness counted only an open transaction as
/// waiting, so every abort restarted the no-progress clock: through an
/// output outage, readiness never failed (or went back to ready between
/// attempts), and the worker looked healthy until its retries ran out.
#[test]
fn readiness_stays_failed_while_transactions_keep_aborting() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    produce_inputs(&brokers);
    // Every write fails until the errors are cleared.
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_RECORD; 5_000],
    );
    let mut config = config(&brokers);
    config.worker.delivery_retries = 10_000;
    config.worker.retry_backoff_max = Duration::from_millis(300);
    config.worker.progress_timeout = Duration::from_secs(2);
    let w = common::worker::start(config);
    wait("not ready: no progress", Duration::from_secs(60), || {
        w.health
            .ready()
            .is_err_and(|reason| reason.contains("no progress"))
    });
    holds_for(
        Duration::from_secs(6),
        || w.health.ready().is_err(),
        |looks| {
            format!(
                "ready again after {looks} looks, with nothing committed ({} aborts)",
                w.metrics.transactions_aborted.get()
            )
        },
    );
    assert!(
        w.metrics.transactions_aborted.get() >= 3,
        "aborts meanwhile"
    );
    assert_eq!(w.metrics.commits.get(), 0);
    mock.clear_request_errors(RDKafkaApiKey::Produce);
    wait(
        "ready once a transaction commits",
        Duration::from_secs(60),
        || w.health.ready().is_ok(),
    );
    assert!(w.metrics.commits.get() > 0);
    w.shutdown.request();
    w.thread.join().unwrap().unwrap();
}

#[test]
fn aborts_after_a_size_refusal_still_count_toward_the_retries() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    produce_inputs(&brokers);
    // The first write is refused for its size; every write after it fails
    // for good.
    let mut errors = vec![RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE];
    errors.extend([RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_RECORD; 500]);
    mock.request_errors(RDKafkaApiKey::Produce, &errors);
    let mut config = config(&brokers);
    config.worker.delivery_retries = 2;
    config.worker.retry_backoff_max = Duration::from_millis(200);
    let w = common::worker::start(config);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !w.thread.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "still running after {} aborts and {} commits",
            w.metrics.transactions_aborted.get(),
            w.metrics.commits.get()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let error = w
        .thread
        .join()
        .unwrap()
        .expect_err("stopped by its retries");
    assert!(
        error.to_string().contains("aborted 3 times in a row"),
        "{error}"
    );
    assert!(w.metrics.transactions_aborted.get() >= 4);
    assert_eq!(w.metrics.commits.get(), 0);
    // An abort purges what its producer still held: those records were
    // not refused by anyone, and are not delivery failures.
    let text = String::from_utf8(w.metrics.render()).unwrap();
    let purged: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("posting_enricher_delivery_failures_total") && l.contains("Purge")
        })
        .collect();
    assert!(purged.is_empty(), "{purged:?}");
}

/// Review finding (21st session): a transaction's enriched and
/// dead-lettered counts all went to the first of its input topics, so with
/// two input topics neither topic's series (nor the dead-letter ratio
/// alerts computed from them) was right.
#[test]
fn outputs_are_counted_under_the_input_topic_they_came_from() {
    const OTHER_IN: &str = "in-2";
    const PER_TOPIC: usize = 40;
    let mock = cluster();
    mock.create_topic(OTHER_IN, 1, 1).unwrap();
    let brokers = mock.bootstrap_servers();
    let values = input_values();
    let values = &values[..PER_TOPIC];
    produce_values(&brokers, values);
    produce(
        &brokers,
        OTHER_IN,
        &spread(values.iter().map(Vec::as_slice), 1),
    );
    let mut config = config(&brokers);
    config.kafka.input_topics = vec![IN.into(), OTHER_IN.into()];
    let w = common::worker::start(config);
    let consumed = |topic: &str| w.metrics.consumed.with_label_values(&[topic]).get();
    wait("both topics committed", Duration::from_secs(60), || {
        consumed(IN) + consumed(OTHER_IN) == 2 * PER_TOPIC as u64
    });
    w.shutdown.request();
    let _ = w.thread.join().unwrap();
    let text = String::from_utf8(w.metrics.render()).unwrap();
    let dead = |topic: &str| -> f64 {
        text.lines()
            .filter(|l| {
                l.starts_with("posting_enricher_records_dead_lettered_total{")
                    && l.contains(&format!("topic=\"{topic}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    for topic in [IN, OTHER_IN] {
        let produced = w.metrics.produced.with_label_values(&[topic]).get() as f64;
        assert_eq!(consumed(topic), PER_TOPIC as u64, "{topic}");
        assert_eq!(
            produced + dead(topic),
            PER_TOPIC as f64,
            "{topic}: {produced} enriched, {} dead-lettered",
            dead(topic)
        );
    }
}

/// A corpus line with its description lengthened to about `bytes` (lines
/// without one stay as they are).
fn lengthened(line: Vec<u8>, bytes: usize) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut posting)) = serde_json::from_slice(&line) else {
        return line;
    };
    let Some(serde_json::Value::String(description)) = posting.get_mut("description") else {
        return line;
    };
    let sentence = "<p>The team ships software that people rely on every day.</p>";
    while description.len() < bytes {
        description.push_str(sentence);
    }
    serde_json::to_vec(&posting).unwrap()
}

/// Review finding (22nd session): only the batch being filled counted
/// against `worker.max_in_flight_bytes`. The open transaction took batch
/// after batch until `transaction_records` or `commit_interval`, so with
/// large postings librdkafka's queue held far more than the bound (and a
/// full queue made the loop wait without polling the group). A
/// transaction now ends once its records reach the bound.
#[test]
fn a_transaction_commits_once_its_records_reach_the_byte_bound() {
    const LARGE: usize = 120;
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let values: Vec<Vec<u8>> = common::corpus_lines()
        .into_iter()
        .take(LARGE)
        .map(|line| lengthened(line, 32 * 1024))
        .collect();
    let input_bytes: usize = values.iter().map(Vec::len).sum();
    produce_values(&brokers, &values);
    let mut config = config(&brokers);
    let bound = 1024 * 1024;
    config.worker.max_in_flight_bytes = bound as u64;
    // Neither the record count nor the clock ends a transaction here.
    config.worker.transaction_records = 100_000;
    config.worker.commit_interval = Duration::from_secs(25);
    let w = common::worker::start(config);
    // The clock starts at the assignment (the worker's set-up on the mock
    // takes seconds of its own).
    wait("the partitions assigned", Duration::from_secs(60), || {
        w.metrics.assigned_partitions.get() == 2
    });
    // Each output holds at least its input's description: the inputs'
    // bytes alone fill this many transactions at the bound.
    let at_least = (input_bytes / bound) as u64;
    let mut most_open = 0;
    wait(
        "transactions committed at the byte bound, well before commit_interval",
        Duration::from_secs(15),
        || {
            most_open = most_open.max(w.metrics.transaction_open_bytes.get());
            w.metrics.commits.get() >= at_least
        },
    );
    // The gauge shows the open transaction's bytes: read after each batch
    // is written, they are the bound at most plus what the last batch took
    // past it (its inputs were counted three times, as is the rule).
    assert!(
        most_open > 0 && most_open < 2 * bound as i64,
        "an open transaction held {most_open} bytes at a bound of {bound}"
    );
    w.shutdown.request();
    let _ = w.thread.join().unwrap();
}
