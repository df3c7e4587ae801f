//! Broker failures that a real broker cannot stage cheaply, on librdkafka's
//! in-process mock cluster: the output topic's leader down (deliveries fail
//! and are retried), a delivery that keeps failing (its partition stops;
//! nothing past it is committed), and offset commits refused while the last
//! records are processed (they are sent again). The worker runs in-process through
//! its library entry point; inputs and outputs go through plain rdkafka
//! clients.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use posting_enricher::config::Config;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::{MockCluster, MockCoordinator};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{Message, Offset, TopicPartitionList};

use common::kafka::{produce, read_all, source_of, spread};
use common::worker::{Running, wait};

const IN: &str = "in";
const OUT: &str = "out";
const DLQ: &str = "dlq";
const GROUP: &str = "mock-group";
const RECORDS: usize = 200;

fn cluster() -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let mock = MockCluster::new(3).unwrap();
    mock.create_topic(IN, 2, 1).unwrap();
    mock.create_topic(OUT, 2, 1).unwrap();
    mock.create_topic(DLQ, 1, 1).unwrap();
    // Input and group on broker 1; outputs on broker 2 (taken down below).
    for p in 0..2 {
        mock.partition_leader(IN, p, Some(1)).unwrap();
        mock.partition_leader(OUT, p, Some(2)).unwrap();
    }
    mock.partition_leader(DLQ, 0, Some(2)).unwrap();
    mock.coordinator(MockCoordinator::Group(GROUP.into()), 1)
        .unwrap();
    mock
}

fn start(brokers: &str, retries: u64) -> Running {
    let mut config = Config::default();
    config.kafka.brokers = brokers.to_string();
    config.kafka.group_id = GROUP.into();
    config.kafka.input_topics = vec![IN.into()];
    config.kafka.output_topic = OUT.into();
    config.kafka.dead_letter_topic = DLQ.into();
    config
        .kafka
        .producer
        .insert("message.timeout.ms".into(), "1000".into());
    config.worker.commit_interval = "100ms".into();
    config.worker.retry_backoff_max = "300ms".into();
    config.worker.delivery_retries = retries;
    config.worker.shutdown_timeout = "10s".into();
    common::worker::start(config)
}

fn committed(brokers: &str) -> Vec<i64> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", GROUP)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(IN, 0);
    tpl.add_partition(IN, 1);
    c.committed_offsets(tpl, Duration::from_secs(5))
        .unwrap()
        .elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(o) => o,
            _ => 0,
        })
        .collect()
}

fn produce_inputs(brokers: &str, lines: &[Vec<u8>]) {
    let inputs = spread(lines.iter().take(RECORDS).map(Vec::as_slice), 2);
    produce(brokers, IN, &inputs);
}

#[test]
fn failed_deliveries_are_retried_and_never_committed_past() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let lines = common::corpus_lines();
    produce_inputs(&brokers, &lines);
    mock.broker_down(2).unwrap();
    let w = start(&brokers, 50);
    wait("deliveries failing", Duration::from_secs(30), || {
        w.metrics.delivery_retries.get() >= 10
    });
    assert_eq!(
        committed(&brokers),
        vec![0, 0],
        "nothing committed while no output is acknowledged"
    );
    mock.broker_up(2).unwrap();
    let half = (RECORDS / 2) as i64;
    wait("commits at the end", Duration::from_secs(60), || {
        committed(&brokers) == vec![half, half]
    });
    let enriched = read_all(&brokers, OUT, RECORDS, Duration::from_secs(20));
    let dead = read_all(&brokers, DLQ, usize::MAX, Duration::from_secs(2));
    let seen: HashSet<(i32, i64)> = enriched
        .iter()
        .map(|m| source_of(m, false))
        .chain(dead.iter().map(|m| source_of(m, true)))
        .collect();
    assert_eq!(
        seen.len(),
        RECORDS,
        "every input delivered after the outage"
    );
    assert!(enriched.iter().all(|m| m.payload().is_some()));
    w.shutdown.request();
    let summary = w.thread.join().unwrap().unwrap();
    assert_eq!(summary.undelivered, 0);
    assert_eq!(summary.consumed, RECORDS as u64);
}

#[test]
fn a_delivery_that_keeps_failing_stops_its_partition_and_holds_its_commit() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let lines = common::corpus_lines();
    produce_inputs(&brokers, &lines);
    mock.broker_down(2).unwrap();
    let w = start(&brokers, 1);
    wait("partitions stopped", Duration::from_secs(30), || {
        w.metrics.stopped_partitions.get() == 2
    });
    // The outage ends, but a stopped partition is not skipped past.
    mock.broker_up(2).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let c = committed(&brokers);
    assert!(
        c.iter().all(|&o| o < (RECORDS / 2) as i64),
        "committed {c:?} passed a record that was never delivered"
    );
    w.shutdown.request();
    let summary = w.thread.join().unwrap().unwrap();
    assert!(summary.undelivered > 0, "the failed records are reported");
}

#[test]
fn commits_refused_while_the_input_runs_out_are_sent_again() {
    // The case behind a lost commit on the real broker: every record of a
    // partition done, its last (asynchronous) commit failed, and nothing
    // left to move the offset. librdkafka reports no outcome for such a
    // commit; the worker must send it again by itself.
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let lines = common::corpus_lines();
    produce_inputs(&brokers, &lines);
    // A permanent error (librdkafka does not retry it internally), for the
    // first 100 commits: ~10 s at a 100 ms interval, far longer than the
    // input takes.
    mock.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE; 100],
    );
    let w = start(&brokers, 5);
    wait("all input processed", Duration::from_secs(30), || {
        w.metrics.consumed.with_label_values(&[IN]).get() >= RECORDS as u64
            && w.metrics.in_flight.get() == 0
    });
    assert!(
        committed(&brokers)
            .iter()
            .any(|&o| o < (RECORDS / 2) as i64),
        "the refused commits left a partition behind (else the case is not staged)"
    );
    let half = (RECORDS / 2) as i64;
    wait("commits at the end", Duration::from_secs(30), || {
        committed(&brokers) == vec![half, half]
    });
    assert!(
        w.metrics.commit_failures.get() > 0,
        "the refused commits are counted"
    );
    w.shutdown.request();
    let summary = w.thread.join().unwrap().unwrap();
    assert_eq!(summary.undelivered, 0);
}
