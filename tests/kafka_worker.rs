//! The worker against Apache Kafka (one KRaft node), started by each test on
//! free ports. Inputs are produced and outputs read with plain `rdkafka`
//! clients, never the worker's own code.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use common::kafka::{
    Broker, DLQ, IN, Input, OUT, WorkerProcess, WorkerSetup, corpus_inputs, expected_inputs,
    header, loss, produce, read_all, read_outputs, replay_dlq, setup, source_of, stop_cleanly,
    topics, wait_committed_to_end, wait_committed_to_end_within,
};
use rdkafka::Message;

#[test]
fn the_whole_corpus_goes_through_once_in_order_and_commits_to_the_end() {
    let broker = Broker::start("corpus");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    assert_eq!(lines.len(), 7685);
    produce(&addr, IN, &corpus_inputs(&lines));

    let started = std::time::Instant::now();
    let mut worker = WorkerProcess::start(&setup(&addr, &broker.dir), "w1");
    let out = read_outputs(&addr, 7685, Duration::from_secs(240));
    let took = started.elapsed();
    eprintln!(
        "corpus through Apache Kafka: {} enriched + {} dead letters in {:.1} s ({:.0} postings/s incl. start)",
        out.enriched,
        out.dead.len(),
        took.as_secs_f64(),
        7685.0 / took.as_secs_f64()
    );
    assert_eq!(out.enriched, 7683, "log:\n{}", worker.log_text());
    assert_eq!(out.dead.len(), 2);
    let reasons: BTreeMap<String, usize> = out.dead.iter().fold(BTreeMap::new(), |mut m, d| {
        let r = String::from_utf8_lossy(header(d, "posting-enricher-reason").unwrap()).into_owned();
        *m.entry(r).or_default() += 1;
        m
    });
    assert_eq!(
        reasons,
        BTreeMap::from([
            ("empty".to_string(), 1),
            ("no_posting_fields".to_string(), 1)
        ])
    );
    // Dead letters keep the original bytes.
    for d in &out.dead {
        let (p, o) = source_of(d, true);
        let line = &lines[(o as usize) * 3 + p as usize];
        assert_eq!(d.payload().unwrap_or_default(), line.as_slice());
    }
    // Every input exactly once.
    let expected = expected_inputs(&addr);
    assert_eq!(expected.len(), 7685);
    let got: HashSet<_> = out.seen.keys().copied().collect();
    assert_eq!(got, expected, "every input offset has an output");
    assert!(out.seen.values().all(|&n| n == 1), "no duplicates");

    // Per input partition, outputs were produced in offset order: within
    // each output partition the source offsets of one input partition rise.
    let enriched = read_all(&addr, OUT, 7683, Duration::from_secs(30));
    let mut last: HashMap<(i32, i32), i64> = HashMap::new();
    for m in &enriched {
        let (p, o) = source_of(m, false);
        let prev = last.insert((m.partition(), p), o);
        assert!(
            prev.is_none_or(|prev| prev < o),
            "out of order: {prev:?} then {o}"
        );
    }

    wait_committed_to_end(&worker, &addr);
    // What an ops dashboard sees after the run.
    assert_eq!(
        worker.metric("posting_enricher_records_consumed_total"),
        7685.0
    );
    assert_eq!(
        worker.metric("posting_enricher_records_produced_total"),
        7683.0
    );
    for reason in ["empty", "no_posting_fields"] {
        let series = format!(
            "posting_enricher_records_dead_lettered_total{{reason=\"{reason}\",topic=\"{IN}\"}}"
        );
        assert_eq!(worker.metric(&series), 1.0, "{series}");
    }
    assert_eq!(
        worker.metric("posting_enricher_records_dead_lettered_total"),
        2.0
    );
    assert_eq!(worker.metric("posting_enricher_assigned_partitions"), 3.0);
    // Lag comes from librdkafka statistics (every 5 s): every assigned
    // partition reports, and reaches 0.
    worker.wait_until("lag 0 on every partition", Duration::from_secs(30), || {
        let Some((200, body)) = worker.get("/metrics") else {
            return false;
        };
        let lags: Vec<f64> = body
            .lines()
            .filter(|l| l.starts_with("posting_enricher_consumer_lag_records{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
            .collect();
        lags.len() == 3 && lags.iter().all(|&l| l == 0.0)
    });
    assert_eq!(worker.get("/health/ready").map(|r| r.0), Some(200));
    let geo_ok = "posting_enricher_enrichment_outcomes_total{outcome=\"ok\",stage=\"geo\"}";
    assert!(worker.metric(geo_ok) >= 7600.0);
    worker.signal("-TERM");
    let status = worker
        .wait_exit(Duration::from_secs(35))
        .expect("exits on SIGTERM");
    assert!(
        status.success(),
        "exit {status:?}; log:\n{}",
        worker.log_text()
    );
}

#[test]
fn a_worker_killed_mid_run_loses_nothing_after_restart() {
    let broker = Broker::start("kill9");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines));

    let worker = WorkerProcess::start(&setup(&addr, &broker.dir), "first");
    worker.wait_until("some output", Duration::from_secs(60), || {
        worker.metric("posting_enricher_records_produced_total") >= 1500.0
    });
    worker.signal("-KILL");
    drop(worker);

    let mut again = WorkerProcess::start(&setup(&addr, &broker.dir), "second");
    wait_committed_to_end(&again, &addr);
    let (out, expected, missing, duplicates) = loss(&addr);
    eprintln!(
        "kill -9 mid-run: inputs {}, outputs {}, duplicates {duplicates}, lost {missing}",
        expected.len(),
        out.enriched + out.dead.len()
    );
    assert_eq!(missing, 0, "no input lost");
    stop_cleanly(&mut again);
}

#[test]
fn two_workers_split_the_partitions_and_one_leaving_loses_nothing() {
    let broker = Broker::start("group");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    let inputs = corpus_inputs(&lines);
    let (first, rest) = inputs.split_at(600);
    produce(&addr, IN, first);

    let s = setup(&addr, &broker.dir);
    let a = WorkerProcess::start(&s, "a");
    let mut b = WorkerProcess::start(&s, "b");
    let assigned = |w: &WorkerProcess| w.metric("posting_enricher_assigned_partitions");
    a.wait_until("both workers assigned", Duration::from_secs(60), || {
        let (x, y) = (assigned(&a), assigned(&b));
        x >= 1.0 && y >= 1.0 && x + y == 3.0
    });
    eprintln!("partitions split: a={} b={}", assigned(&a), assigned(&b));
    produce(&addr, IN, rest);
    // b leaves mid-run (a clean shutdown); a takes its partitions over.
    b.wait_until("b consuming", Duration::from_secs(60), || {
        b.metric("posting_enricher_records_consumed_total") >= 100.0
    });
    b.signal("-TERM");
    assert!(
        b.wait_exit(Duration::from_secs(35))
            .is_some_and(|s| s.success()),
        "b exits 0"
    );
    a.wait_until("a owns all partitions", Duration::from_secs(60), || {
        assigned(&a) == 3.0
    });
    wait_committed_to_end(&a, &addr);
    let (_, expected, missing, duplicates) = loss(&addr);
    eprintln!(
        "group 2 -> 1: inputs {}, duplicates {duplicates}, lost {missing}",
        expected.len()
    );
    assert_eq!(missing, 0);
    assert_eq!(
        duplicates, 0,
        "a clean SIGTERM hand-over commits before it lets go: nothing twice"
    );
}

#[test]
fn keys_and_headers_pass_through_and_dead_letters_say_why() {
    let broker = Broker::start("headers");
    topics(&broker);
    let addr = broker.addr();
    let seed = std::fs::read(common::shared_dir().join("seed/posting.json")).unwrap();
    let traceparent: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    produce(
        &addr,
        IN,
        &[
            Input {
                partition: 0,
                key: Some(b"posting-42"),
                value: &seed,
                headers: vec![("traceparent", traceparent), ("tenant", b"acme")],
            },
            Input {
                partition: 0,
                key: None,
                value: &seed,
                headers: Vec::new(),
            },
            Input {
                partition: 1,
                key: Some(b"bad-1"),
                value: b"{\"title\": \"truncated",
                headers: vec![("traceparent", traceparent)],
            },
        ],
    );
    let worker = WorkerProcess::start(&setup(&addr, &broker.dir), "w");
    let out = read_all(&addr, OUT, 2, Duration::from_secs(60));
    assert_eq!(out.len(), 2, "log:\n{}", worker.log_text());
    let keyed = out
        .iter()
        .find(|m| m.key() == Some(b"posting-42".as_slice()))
        .expect("the input key is the output key");
    assert_eq!(header(keyed, "traceparent"), Some(traceparent));
    assert_eq!(header(keyed, "tenant"), Some(b"acme".as_slice()));
    assert_eq!(
        header(keyed, "posting-enricher-schema-version"),
        Some(b"1".as_slice())
    );
    let unkeyed = out
        .iter()
        .find(|m| m.key() != Some(b"posting-42".as_slice()))
        .unwrap();
    let record: serde_json::Value = serde_json::from_slice(unkeyed.payload().unwrap()).unwrap();
    assert_eq!(
        unkeyed.key(),
        Some(record["id"].as_str().unwrap().as_bytes()),
        "without an input key, the record id is the key"
    );
    assert_eq!(record["source"]["topic"], IN);

    let dead = read_all(&addr, DLQ, 1, Duration::from_secs(30));
    assert_eq!(dead.len(), 1);
    let d = &dead[0];
    assert_eq!(d.payload(), Some(b"{\"title\": \"truncated".as_slice()));
    assert_eq!(d.key(), Some(b"bad-1".as_slice()));
    assert_eq!(header(d, "traceparent"), Some(traceparent));
    assert_eq!(
        header(d, "posting-enricher-reason"),
        Some(b"invalid_json".as_slice())
    );
    assert_eq!(
        header(d, "posting-enricher-source-topic"),
        Some(IN.as_bytes())
    );
    assert_eq!(
        header(d, "posting-enricher-source-partition"),
        Some(b"1".as_slice())
    );
    assert_eq!(
        header(d, "posting-enricher-source-offset"),
        Some(b"0".as_slice())
    );
    assert!(header(d, "posting-enricher-detail").is_some_and(|v| !v.is_empty()));
    assert!(header(d, "posting-enricher-version").is_some());
    assert!(header(d, "posting-enricher-failed-at").is_some());
    // Health and metrics while running.
    assert_eq!(worker.get("/health/live").map(|r| r.0), Some(200));
    worker.wait_until("ready", Duration::from_secs(20), || {
        worker.get("/health/ready").map(|r| r.0) == Some(200)
    });
    assert_eq!(
        worker.metric("posting_enricher_records_dead_lettered_total"),
        1.0
    );
}

#[test]
fn readiness_follows_a_broker_outage_and_nothing_is_lost() {
    let mut broker = Broker::start("outage");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    let inputs = corpus_inputs(&lines);
    let (first, rest) = inputs.split_at(3000);
    produce(&addr, IN, first);
    let mut worker = WorkerProcess::start(&setup(&addr, &broker.dir), "w");
    let ready = |w: &WorkerProcess| w.get("/health/ready").map(|r| r.0);
    worker.wait_until("ready", Duration::from_secs(30), || {
        ready(&worker) == Some(200)
    });
    worker.wait_until("first records", Duration::from_secs(60), || {
        worker.metric("posting_enricher_records_produced_total") >= 500.0
    });

    broker.kill();
    worker.wait_until(
        "not ready while the broker is down",
        Duration::from_secs(60),
        || ready(&worker) == Some(503),
    );
    let (_, body) = worker.get("/health/ready").unwrap();
    assert!(body.contains("broker unreachable"), "{body}");
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "the worker keeps running"
    );
    std::thread::sleep(Duration::from_secs(5));

    broker.restart();
    worker.wait_until("ready again", Duration::from_secs(60), || {
        ready(&worker) == Some(200)
    });
    produce(&addr, IN, rest);
    wait_committed_to_end(&worker, &addr);
    let (_, expected, missing, duplicates) = loss(&addr);
    eprintln!(
        "broker killed and restarted: inputs {}, duplicates {duplicates}, lost {missing}",
        expected.len()
    );
    assert_eq!(expected.len(), 7685);
    assert_eq!(missing, 0);
    stop_cleanly(&mut worker);
}

#[test]
fn a_missing_topic_is_an_error_that_names_it() {
    let broker = Broker::start("missing");
    broker.create_topic(IN, 1);
    broker.create_topic(OUT, 1);
    let addr = broker.addr();
    let mut worker = WorkerProcess::start(&setup(&addr, &broker.dir), "w");
    let status = worker.wait_exit(Duration::from_secs(30)).expect("exits");
    assert_eq!(status.code(), Some(1));
    let log = std::fs::read_to_string(&worker.log).unwrap();
    assert!(log.contains("missing topics") && log.contains(DLQ), "{log}");
}

#[test]
fn replayed_dead_letters_are_enriched_under_a_fixed_config_and_never_cycle() {
    let broker = Broker::start("replay");
    topics(&broker);
    let addr = broker.addr();
    let seed = std::fs::read(common::shared_dir().join("seed/posting.json")).unwrap();
    assert!(seed.len() > 2000);
    let traceparent: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    produce(
        &addr,
        IN,
        &[
            Input {
                partition: 0,
                key: Some(b"big"),
                value: &seed,
                headers: vec![("traceparent", traceparent)],
            },
            Input {
                partition: 1,
                key: None,
                value: b"{}",
                headers: Vec::new(),
            },
        ],
    );
    // Under a too small size limit the seed is dead-lettered as too_large.
    let strict = WorkerSetup {
        extra: "[decode]\nmax_record_bytes = 2000\n",
        ..setup(&addr, &broker.dir)
    };
    let mut first = WorkerProcess::start(&strict, "strict");
    let dead = read_all(&addr, DLQ, 2, Duration::from_secs(60));
    assert_eq!(dead.len(), 2, "{}", first.log_text());
    wait_committed_to_end(&first, &addr);
    first.signal("-TERM");
    assert!(first.wait_exit(Duration::from_secs(35)).is_some());

    // Replay only too_large, twice allowed at most.
    let s = setup(&addr, &broker.dir);
    let said = replay_dlq(&s, &["--reason", "too_large", "--max-replays", "1"]);
    assert!(said.contains("replayed 1 of 2"), "{said}");
    // A default worker (limit 1 MiB) now enriches it.
    let mut second = WorkerProcess::start(&s, "default");
    let out = read_all(&addr, OUT, 1, Duration::from_secs(60));
    assert_eq!(out.len(), 1, "{}", second.log_text());
    assert_eq!(out[0].key(), Some(b"big".as_slice()));
    assert_eq!(header(&out[0], "traceparent"), Some(traceparent));
    assert_eq!(
        header(&out[0], "posting-enricher-replay-count"),
        Some(b"1".as_slice())
    );
    let big = dead
        .iter()
        .find(|d| header(d, "posting-enricher-reason") == Some(b"too_large".as_slice()))
        .expect("a too_large dead letter");
    let from = format!("{DLQ}/{}/{}", big.partition(), big.offset());
    assert_eq!(
        header(&out[0], "posting-enricher-replayed-from"),
        Some(from.as_bytes())
    );
    wait_committed_to_end(&second, &addr);

    // `{}` fails under any config: replayed once, dead-lettered again with
    // its replay count, then refused.
    let said = replay_dlq(&s, &["--reason", "no_posting_fields", "--max-replays", "1"]);
    assert!(said.contains("replayed 1 of"), "{said}");
    second.wait_until("dead-lettered again", Duration::from_secs(60), || {
        second.metric("posting_enricher_records_dead_lettered_total") >= 1.0
    });
    let said = replay_dlq(&s, &["--reason", "no_posting_fields", "--max-replays", "1"]);
    assert!(
        said.contains("replayed 1 of") && said.contains("refused (replayed 1 times already) 1"),
        "{said}"
    );
    second.signal("-TERM");
    assert!(second.wait_exit(Duration::from_secs(35)).is_some());
}

#[test]
fn shutdown_never_hangs_when_the_broker_is_gone_and_a_second_signal_exits_at_once() {
    let mut broker = Broker::start("gone");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..600]));
    let dir = broker.dir.clone();
    let s = setup(&addr, &dir);
    // The broker disappears mid-run; SIGTERM must still end the process
    // within the shutdown deadline (3 s here) plus the hard-stop grace.
    let mut worker = WorkerProcess::start_with_env(
        &s,
        "gone",
        &[("POSTING_ENRICHER__WORKER__SHUTDOWN_TIMEOUT", "3s")],
    );
    worker.wait_until("first records", Duration::from_secs(60), || {
        worker.metric("posting_enricher_records_consumed_total") >= 100.0
    });
    broker.kill();
    std::thread::sleep(Duration::from_secs(1));
    let asked = std::time::Instant::now();
    worker.signal("-TERM");
    let status = worker
        .wait_exit(Duration::from_secs(15))
        .expect("exits although the broker is gone");
    eprintln!(
        "shutdown with the broker gone: exit {:?} after {:.1} s",
        status.code(),
        asked.elapsed().as_secs_f64()
    );
    assert!(asked.elapsed() < Duration::from_secs(10));
    // Records were in flight and could not be acknowledged: not a clean
    // exit, whichever way it ended (drain deadline or hard stop).
    assert_eq!(status.code(), Some(1), "{}", worker.log_text());

    // A second signal while draining exits at once with 130: records are
    // in flight when the broker goes, so the drain waits for them.
    broker.restart();
    produce(&addr, IN, &corpus_inputs(&lines[..3000]));
    let mut worker = WorkerProcess::start_with_env(
        &s,
        "twice",
        &[("POSTING_ENRICHER__WORKER__SHUTDOWN_TIMEOUT", "30s")],
    );
    worker.wait_until("records in flight", Duration::from_secs(60), || {
        worker.metric("posting_enricher_in_flight_records") > 0.0
    });
    broker.kill();
    worker.signal("-TERM");
    std::thread::sleep(Duration::from_millis(300));
    worker.signal("-TERM");
    let status = worker
        .wait_exit(Duration::from_secs(5))
        .expect("exits at once");
    assert_eq!(status.code(), Some(130), "{}", worker.log_text());
}

/// SIGTERM with a healthy broker: the worker drains (every record it
/// consumed is acknowledged and committed), leaves the group and exits 0;
/// it does not reach the hard stop.
#[test]
fn sigterm_drains_commits_what_it_consumed_and_exits_0() {
    let broker = Broker::start("drain");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines));
    let mut worker = WorkerProcess::start(&setup(&addr, &broker.dir), "w");
    worker.wait_until("records in flight", Duration::from_secs(60), || {
        worker.metric("posting_enricher_in_flight_records") > 0.0
    });
    worker.signal("-TERM");
    let status = worker.wait_exit(Duration::from_secs(35)).expect("exits");
    let log = std::fs::read_to_string(&worker.log).unwrap();
    assert!(status.success(), "exit {status:?}: {}", worker.log_text());
    assert!(
        log.contains("\"stopped\""),
        "no drain summary: {}",
        worker.log_text()
    );
    assert!(
        !log.contains("did not finish"),
        "a hard stop: {}",
        worker.log_text()
    );
    // Every result written is of a committed input, and every committed
    // input has its result: the drain committed exactly what it finished.
    let committed = common::kafka::committed(&addr, common::kafka::GROUP, IN);
    let out = read_outputs(&addr, usize::MAX, Duration::from_secs(60));
    let done: usize = committed.values().map(|&c| c.max(0) as usize).sum();
    for (p, end) in &committed {
        for o in 0..*end {
            assert!(
                out.seen.contains_key(&(*p, o)),
                "{p}/{o} committed without a result"
            );
        }
    }
    eprintln!(
        "drained: {done} inputs committed, {} results",
        out.seen.len()
    );
    assert_eq!(out.seen.len(), done, "results past the committed offsets");
}

/// Review finding: with the output stalled and the producer's queue full,
/// SIGTERM was not seen inside the wait for room, and shutdown ended in
/// the hard stop without a final commit.
#[test]
fn sigterm_while_the_producer_queue_is_full_still_drains_and_commits() {
    let broker = Broker::start("queue-full");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..3000]));
    // An output that barely moves, and a producer queue of 20 records.
    broker.throttle_producer("posting-enricher", 20_000);
    let s = WorkerSetup {
        extra: "[worker]\nshutdown_timeout = \"6s\"\n[kafka.producer]\n\"queue.buffering.max.messages\" = \"20\"\n",
        ..setup(&addr, &broker.dir)
    };
    let mut worker = WorkerProcess::start(&s, "w");
    worker.wait_until("the queue full", Duration::from_secs(60), || {
        worker.metric("posting_enricher_in_flight_records") >= 20.0
    });
    std::thread::sleep(Duration::from_secs(1));
    let asked = std::time::Instant::now();
    worker.signal("-TERM");
    let status = worker.wait_exit(Duration::from_secs(20)).expect("exits");
    let took = asked.elapsed();
    let log = std::fs::read_to_string(&worker.log).unwrap();
    eprintln!(
        "SIGTERM with a full producer queue: exit {:?} after {:.1} s",
        status.code(),
        took.as_secs_f64()
    );
    assert!(
        !log.contains("did not finish"),
        "ended in the hard stop: {}",
        worker.log_text()
    );
    assert!(
        log.contains("\"stopped\""),
        "no drain summary: {}",
        worker.log_text()
    );
    assert!(took < Duration::from_secs(7), "{took:?}");
    // What was acknowledged is committed; the rest is read again later.
    let committed = common::kafka::committed(&addr, common::kafka::GROUP, IN);
    assert!(
        committed.values().any(|&c| c > 0),
        "no final commit: {committed:?}"
    );
}

/// `enable.partition.eof` set by an operator: the end of a partition is
/// not an error to log and retry.
#[test]
fn partition_ends_are_not_consume_errors() {
    let broker = Broker::start("eof");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..60]));
    let s = WorkerSetup {
        extra: "[kafka.consumer]\n\"enable.partition.eof\" = \"true\"\n",
        ..setup(&addr, &broker.dir)
    };
    let mut worker = WorkerProcess::start(&s, "w");
    wait_committed_to_end(&worker, &addr);
    stop_cleanly(&mut worker);
    let log = std::fs::read_to_string(&worker.log).unwrap();
    assert!(!log.contains("consume error"), "{}", worker.log_text());
}

/// A member that stops answering (SIGSTOP) past its session timeout loses
/// its partitions; when it wakes up it finds the assignment lost, drops
/// what it had in flight without committing, and nothing is lost.
#[test]
fn a_member_frozen_past_its_session_timeout_finds_its_partitions_lost() {
    let broker = Broker::start("lost");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    let inputs = corpus_inputs(&lines);
    produce(&addr, IN, &inputs[..3000]);
    let fast = "[kafka.consumer]\n\"session.timeout.ms\" = \"6000\"\n\"heartbeat.interval.ms\" = \"1000\"\n";
    let s = WorkerSetup {
        extra: fast,
        ..setup(&addr, &broker.dir)
    };
    let mut a = WorkerProcess::start(&s, "a");
    let mut b = WorkerProcess::start(&s, "b");
    a.wait_until("both assigned", Duration::from_secs(60), || {
        let (x, y) = (
            a.metric("posting_enricher_assigned_partitions"),
            b.metric("posting_enricher_assigned_partitions"),
        );
        x >= 1.0 && y >= 1.0 && x + y == 3.0
    });
    a.signal("-STOP");
    b.wait_until("b owns everything", Duration::from_secs(60), || {
        b.metric("posting_enricher_assigned_partitions") == 3.0
    });
    a.signal("-CONT");
    a.wait_until(
        "a finds its partitions lost",
        Duration::from_secs(60),
        || a.metric("posting_enricher_rebalances_total{kind=\"lost\"}") >= 1.0,
    );
    produce(&addr, IN, &inputs[3000..]);
    wait_committed_to_end_within(&b, &addr, Duration::from_secs(120));
    stop_cleanly(&mut a);
    stop_cleanly(&mut b);
    let (_, expected, missing, duplicates) = loss(&addr);
    eprintln!(
        "lost assignment: inputs {}, duplicates {duplicates}, lost {missing}",
        expected.len()
    );
    assert_eq!(missing, 0);
}

/// A revoke whose in-flight records are not acknowledged within
/// `worker.revoke_timeout` (a slow output) lets the partitions go
/// uncommitted past them; the next owner reads them again.
#[test]
fn a_revoke_that_times_out_lets_the_partitions_go_and_loses_nothing() {
    let broker = Broker::start("revoke-timeout");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..2000]));
    broker.throttle_producer("posting-enricher", 50_000);
    let s = WorkerSetup {
        extra: "[worker]\nrevoke_timeout = \"2s\"\n",
        ..setup(&addr, &broker.dir)
    };
    let a = WorkerProcess::start(&s, "a");
    a.wait_until("records in flight", Duration::from_secs(60), || {
        a.metric("posting_enricher_in_flight_records") >= 50.0
    });
    let b = WorkerProcess::start(&s, "b");
    b.wait_until("b has partitions", Duration::from_secs(60), || {
        b.metric("posting_enricher_assigned_partitions") >= 1.0
    });
    let log = std::fs::read_to_string(&a.log).unwrap();
    assert!(
        log.contains("still unacknowledged after worker.revoke_timeout"),
        "{}",
        a.log_text()
    );
    broker.unthrottle_producer("posting-enricher");
    let (mut a, mut b) = (a, b);
    wait_committed_to_end_within(&a, &addr, Duration::from_secs(180));
    stop_cleanly(&mut a);
    stop_cleanly(&mut b);
    let (_, expected, missing, duplicates) = loss(&addr);
    eprintln!(
        "revoke timed out: inputs {}, duplicates {duplicates}, lost {missing}",
        expected.len()
    );
    assert_eq!(missing, 0);
}

/// Review finding: librdkafka keeps an application's pause across a revoke
/// and a new assignment, so a stopped partition that moved to another
/// member and back stayed paused while the stopped gauge read 0. Deliveries
/// fail here because the broker throttles the worker's output to a trickle
/// (a client quota) and records time out in the producer's queue, until the
/// quota is lifted.
#[test]
fn a_stopped_partition_that_moves_away_and_back_is_consumed_and_the_gauge_stays_true() {
    let broker = Broker::start("moved-back");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..600]));
    broker.throttle_producer("posting-enricher", 1_000);
    let s = WorkerSetup {
        extra: "[worker]\ndelivery_retries = 1\nretry_backoff_max = \"200ms\"\nstopped_partition_retry = \"10m\"\n[kafka.producer]\n\"message.timeout.ms\" = \"2000\"\n",
        ..setup(&addr, &broker.dir)
    };
    let a = WorkerProcess::start(&s, "a");
    let stopped = |w: &WorkerProcess| w.metric("posting_enricher_stopped_partitions");
    let assigned = |w: &WorkerProcess| w.metric("posting_enricher_assigned_partitions");
    a.wait_until("a's partitions stopped", Duration::from_secs(90), || {
        stopped(&a) == 3.0
    });
    assert_eq!(a.get("/health/ready").map(|r| r.0), Some(503));
    let mut b = WorkerProcess::start(&s, "b");
    b.wait_until("b takes partitions", Duration::from_secs(60), || {
        assigned(&b) >= 1.0 && assigned(&a) + assigned(&b) == 3.0
    });
    a.wait_until(
        "a's gauge counts what it kept",
        Duration::from_secs(10),
        || stopped(&a) == assigned(&a),
    );
    let kept = assigned(&a);
    // The quota is lifted; b leaves and its partitions come back to a,
    // which must consume them (its own stay stopped until their retry).
    broker.unthrottle_producer("posting-enricher");
    b.signal("-TERM");
    let _ = b.wait_exit(Duration::from_secs(35));
    a.wait_until(
        "a owns all partitions again",
        Duration::from_secs(60),
        || assigned(&a) == 3.0,
    );
    let ends = common::kafka::end_offsets(&addr, IN);
    a.wait_until(
        "the partitions that came back are consumed to their end",
        Duration::from_secs(60),
        || {
            common::kafka::try_committed(&addr, common::kafka::GROUP, IN).is_some_and(|c| {
                c.iter().filter(|(p, o)| **o == ends[p]).count() as f64 >= 3.0 - kept
            })
        },
    );
    assert_eq!(
        stopped(&a),
        kept,
        "the gauge counts a's still-stopped partitions"
    );
    assert_eq!(a.get("/health/ready").map(|r| r.0), Some(503));
}
