//! Broker failures that a real broker cannot stage cheaply, on librdkafka's
//! in-process mock cluster: the output topic's leader down (deliveries fail
//! and their partitions are read again), a delivery that keeps failing (its
//! partition stops, nothing past it is committed, readiness fails, and it is
//! tried again later), a worker whose every delivery fails keeping its
//! group membership, outputs keeping
//! each key's order through failed deliveries, offset commits refused
//! while the last records are processed (they are sent again), and a
//! producer librdkafka declares fatal (the worker stops; a restart
//! delivers everything). The worker
//! runs in-process through its library entry point; inputs and outputs go
//! through plain rdkafka clients.

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
use common::worker::{Running, holds_for, wait};

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
    start_with(brokers, retries, |_| {})
}

fn start_with(brokers: &str, retries: u64, adjust: impl FnOnce(&mut Config)) -> Running {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn,posting_enricher=info")
        .try_init();
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
    config.worker.commit_interval = Duration::from_millis(100);
    config.worker.retry_backoff_max = Duration::from_millis(300);
    config.worker.delivery_retries = retries;
    config.worker.shutdown_timeout = Duration::from_secs(10);
    adjust(&mut config);
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

/// The inputs (partition, offset) that have an output or a dead letter,
/// reading up to `outputs` outputs (`usize::MAX`: every one there is).
fn inputs_with_a_result(brokers: &str, outputs: usize) -> HashSet<(i32, i64)> {
    let enriched = read_all(brokers, OUT, outputs, Duration::from_secs(20));
    let dead = read_all(brokers, DLQ, usize::MAX, Duration::from_secs(2));
    enriched
        .iter()
        .map(|m| source_of(m, false))
        .chain(dead.iter().map(|m| source_of(m, true)))
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
    // Partitions read again from a failed delivery count their records again.
    assert!(summary.consumed >= RECORDS as u64);
}

/// Review finding (22nd session): readiness counted only records in the
/// producer as waiting, so each failed attempt (its records out of the
/// producer, their partition waiting for its backoff, then read again)
/// reset the no-progress clock: through a whole output outage readiness
/// went back to ready between attempts, and the not-ready alert, which
/// waits for a continuous failure, never fired.
#[test]
fn readiness_stays_failed_through_an_output_outage_until_an_output_is_acknowledged() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let lines = common::corpus_lines();
    produce_inputs(&brokers, &lines);
    mock.broker_down(2).unwrap();
    let w = start_with(&brokers, 1_000, |c| {
        c.worker.progress_timeout = std::time::Duration::from_secs(2);
        c.worker.commit_interval = std::time::Duration::from_millis(100);
    });
    wait("not ready: no progress", Duration::from_secs(60), || {
        w.health
            .ready()
            .is_err_and(|reason| reason.contains("no progress"))
    });
    // Several attempts (a second each, then a backoff of up to 300 ms):
    // not ready at every look.
    holds_for(
        Duration::from_secs(8),
        || w.health.ready().is_err(),
        |looks| {
            format!(
                "ready again after {looks} looks, with nothing delivered (retries so far: {})",
                w.metrics.delivery_retries.get()
            )
        },
    );
    assert!(
        w.metrics.delivery_retries.get() >= 3,
        "several attempts failed meanwhile: {} ({:?})",
        w.metrics.delivery_retries.get(),
        w.health.ready()
    );
    mock.broker_up(2).unwrap();
    wait(
        "ready once outputs are acknowledged",
        Duration::from_secs(30),
        || w.health.ready().is_ok(),
    );
    w.shutdown.request();
    w.thread.join().unwrap().unwrap();
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
    wait("not ready", Duration::from_secs(5), || {
        w.health.ready().is_err()
    });
    let not_ready = w.health.ready().unwrap_err();
    assert!(not_ready.contains("stopped"), "{not_ready}");
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

/// Review finding: a stopped partition never recovered without a restart.
/// Now it is tried again after `worker.stopped_partition_retry`.
#[test]
fn a_stopped_partition_is_tried_again_later_and_recovers() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let lines = common::corpus_lines();
    produce_inputs(&brokers, &lines);
    mock.broker_down(2).unwrap();
    let w = start_with(&brokers, 1, |c| {
        c.worker.stopped_partition_retry = Duration::from_secs(3);
    });
    wait("partitions stopped", Duration::from_secs(30), || {
        w.metrics.stopped_partitions.get() == 2
    });
    wait("not ready", Duration::from_secs(5), || {
        w.health.ready().is_err()
    });
    mock.broker_up(2).unwrap();
    let half = (RECORDS / 2) as i64;
    wait(
        "commits at the end after the retry",
        Duration::from_secs(60),
        || committed(&brokers) == vec![half, half],
    );
    assert_eq!(w.metrics.stopped_partitions.get(), 0);
    wait("ready again", Duration::from_secs(10), || {
        w.health.ready().is_ok()
    });
    let seen = inputs_with_a_result(&brokers, RECORDS);
    assert_eq!(seen.len(), RECORDS, "every input delivered");
    w.shutdown.request();
    w.thread.join().unwrap().unwrap();
}

/// Review finding: failed records counted in flight, so with a backlog the
/// loop stopped polling, the member dropped out of the group after
/// max.poll.interval.ms, and the probes stayed green.
#[test]
fn a_worker_whose_deliveries_all_fail_keeps_its_membership_and_is_not_ready() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let lines = common::corpus_lines();
    produce_inputs(&brokers, &lines);
    mock.broker_down(2).unwrap();
    let w = start_with(&brokers, 1, |c| {
        c.worker.max_in_flight = 10;
        c.worker.batch_size = 10;
        c.kafka
            .consumer
            .insert("session.timeout.ms".into(), "6000".into());
        c.kafka
            .consumer
            .insert("max.poll.interval.ms".into(), "7000".into());
    });
    wait("partitions stopped", Duration::from_secs(30), || {
        w.metrics.stopped_partitions.get() == 2
    });
    // Longer than max.poll.interval.ms.
    std::thread::sleep(Duration::from_secs(12));
    let lost = w.metrics.rebalances.with_label_values(&["lost"]).get();
    let revoked = w.metrics.rebalances.with_label_values(&["revoke"]).get();
    assert_eq!(
        (lost, revoked),
        (0, 0),
        "the worker dropped out of its group"
    );
    assert_eq!(w.metrics.assigned_partitions.get(), 2);
    let not_ready = w.health.ready().unwrap_err();
    assert!(not_ready.contains("stopped"), "{not_ready}");
    w.shutdown.request();
    w.thread.join().unwrap().unwrap();
}

/// Review finding: a record re-sent after librdkafka gave up on it could
/// land after a newer record of the same key, and a compacted output topic
/// would then keep the older version. Staged at the end of the input: the
/// second-to-last version of each key is produced while the output broker
/// is down and times out; the last version is queued behind it and is
/// delivered once the broker is back. Each key's last output must still be
/// its newest version.
#[test]
fn each_key_ends_with_its_newest_version_through_failed_deliveries() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let seed = std::fs::read(common::shared_dir().join("seed/posting.json")).unwrap();
    let w = start_with(&brokers, 50, |c| {
        c.kafka
            .producer
            .insert("reconnect.backoff.max.ms".into(), "200".into());
    });
    const KEYS: usize = 4;
    const VERSIONS: usize = 30;
    let version = |v: usize, k: usize| {
        String::from_utf8(seed.clone())
            .unwrap()
            .replacen(
                "\"title\"",
                &format!("\"x-version\": {v}, \"x-key\": {k}, \"title\""),
                1,
            )
            .into_bytes()
    };
    let values: Vec<Vec<u8>> = (0..VERSIONS)
        .flat_map(|v| (0..KEYS).map(move |k| (v, k)))
        .map(|(v, k)| version(v, k))
        .collect();
    let keyed = |from: usize, to: usize| -> Vec<common::kafka::Input<'_>> {
        values[from * KEYS..to * KEYS]
            .iter()
            .enumerate()
            .map(|(j, v)| common::kafka::Input {
                partition: 0,
                key: Some(KEY_NAMES[j % KEYS].as_bytes()),
                value: v,
                headers: Vec::new(),
            })
            .collect()
    };
    produce(&brokers, IN, &keyed(0, VERSIONS - 2));
    wait(
        "the first versions committed",
        Duration::from_secs(60),
        || committed(&brokers)[0] == ((VERSIONS - 2) * KEYS) as i64,
    );
    mock.broker_down(2).unwrap();
    let down = std::time::Instant::now();
    produce(&brokers, IN, &keyed(VERSIONS - 2, VERSIONS - 1));
    std::thread::sleep(Duration::from_millis(600).saturating_sub(down.elapsed()));
    produce(&brokers, IN, &keyed(VERSIONS - 1, VERSIONS));
    // The second-to-last versions time out (message.timeout.ms = 1 s);
    // the broker comes back as soon as one has, so the last ones are
    // usually still waiting then. On a loaded machine they may time out
    // too and be sent again: the order must hold either way.
    let timed_out = || {
        w.metrics
            .delivery_failures
            .with_label_values(&["MessageTimedOut"])
            .get()
    };
    wait("a delivery timed out", Duration::from_secs(60), || {
        timed_out() > 0
    });
    mock.broker_up(2).unwrap();
    wait("commits at the end", Duration::from_secs(90), || {
        committed(&brokers)[0] == (KEYS * VERSIONS) as i64
    });
    let out = read_all(&brokers, OUT, usize::MAX, Duration::from_secs(5));
    let mut last: std::collections::HashMap<Vec<u8>, i64> = std::collections::HashMap::new();
    for m in &out {
        let record: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        let version = record["posting"]["x-version"]
            .as_i64()
            .expect("the version travels in the posting");
        last.insert(m.key().unwrap().to_vec(), version);
    }
    for k in KEY_NAMES.iter().take(KEYS) {
        assert_eq!(
            last.get(k.as_bytes()),
            Some(&((VERSIONS - 1) as i64)),
            "key {k}: the last output is not the newest version"
        );
    }
    w.shutdown.request();
    w.thread.join().unwrap().unwrap();
}

const KEY_NAMES: [&str; 4] = ["job-a", "job-b", "job-c", "job-d"];

/// A broker that answers a produce request with a sequence error (as one
/// that died with writes in flight can) leaves librdkafka's idempotent
/// producer in a fatal state: every later delivery fails with "Fatal".
/// The worker once took those for ordinary failed deliveries, retried
/// them, stopped its partitions and lived on with a dead producer (not
/// ready, never recovering). It must stop, with nothing committed past
/// what was acknowledged, so that a restart (a new producer) resumes.
#[test]
fn a_fatal_producer_error_stops_the_worker_and_a_restart_delivers_everything() {
    let mock = cluster();
    let brokers = mock.bootstrap_servers();
    let lines = common::corpus_lines();
    produce_inputs(&brokers, &lines);
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER],
    );
    // A worker that stops on an error leaves the group when its session
    // times out: a short one, so the restart gets the partitions soon.
    let short_session = |c: &mut Config| {
        c.kafka
            .consumer
            .insert("session.timeout.ms".into(), "6000".into());
    };
    let w = start_with(&brokers, 5, short_session);
    wait("the worker stops", Duration::from_secs(30), || {
        w.thread.is_finished()
    });
    let error = match w.thread.join().unwrap() {
        Ok(summary) => panic!("the worker ended without an error: {summary:?}"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("producer"), "{error}");
    let half = (RECORDS / 2) as i64;
    let before = committed(&brokers);
    assert!(
        before.iter().all(|&o| o < half),
        "committed {before:?} with no output acknowledged"
    );
    // The restart: a new producer, the records read again from the commit.
    let w = start_with(&brokers, 5, short_session);
    wait("commits at the end", Duration::from_secs(60), || {
        committed(&brokers) == vec![half, half]
    });
    // The first producer may have written some before it died: duplicates,
    // so every record of the topic is read.
    let seen = inputs_with_a_result(&brokers, usize::MAX);
    assert_eq!(
        seen.len(),
        RECORDS,
        "every input delivered after the restart"
    );
    w.shutdown.request();
    let summary = w.thread.join().unwrap().unwrap();
    assert_eq!(summary.undelivered, 0);
}
