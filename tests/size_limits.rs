//! Size limits Apache Kafka enforces (a topic's `max.message.bytes`), in
//! both delivery modes: an enriched record larger than the output topic
//! takes is dead-lettered (`output_too_large`) and its partition goes on;
//! an input with about 1 MB of headers, whose output and dead letter would
//! both be too large with those headers, is dead-lettered without them
//! (the original value kept).

mod common;

use std::time::Duration;

use common::kafka::{
    Broker, DLQ, IN, Input, OUT, WorkerProcess, WorkerSetup, committed_results, cycled_inputs,
    expected_inputs, header, produce, setup, stop_cleanly, wait_committed_to_end_within,
};
use rdkafka::Message;

/// The output topic's limit: below a few of the corpus's enriched records.
const OUTPUT_LIMIT: usize = 60_000;

const EXACTLY_ONCE: &str = "[kafka]\ndelivery = \"exactly-once\"\ntransactional_id = \"size-limits-1\"\n\n[worker]\ntransaction_records = 200\n";

fn run(name: &str, extra: &str) {
    let broker = Broker::start(name);
    broker.create_topic(IN, 3);
    let limit = OUTPUT_LIMIT.to_string();
    broker.create_topic_with(OUT, 3, &[("max.message.bytes", &limit)]);
    // The dead-letter topic takes a little less than the input topic
    // (1,048,588 bytes, the broker's default).
    broker.create_topic_with(DLQ, 1, &[("max.message.bytes", "1030000")]);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    let mut inputs = cycled_inputs(&lines, 900);
    // About 1 MB of headers on one input (1,030,000 bytes): it fits the
    // input topic; neither its output nor its dead letter fits with them.
    let seed = std::fs::read(common::shared_dir().join("seed/posting.json")).unwrap();
    let big_header = vec![b'h'; 103_000];
    let names: Vec<String> = (0..10).map(|i| format!("x-bulk-{i}")).collect();
    inputs.push(Input {
        partition: 0,
        key: Some(b"heavy-headers"),
        value: &seed,
        headers: names
            .iter()
            .map(|n| (n.as_str(), big_header.as_slice()))
            .collect(),
    });
    produce(&addr, IN, &inputs);
    let s = WorkerSetup {
        extra,
        ..setup(&addr, &broker.dir)
    };
    let mut worker = WorkerProcess::start(&s, "w");
    wait_committed_to_end_within(&worker, &addr, Duration::from_secs(240));
    let stopped = worker.metric("posting_enricher_stopped_partitions");
    stop_cleanly(&mut worker);
    assert_eq!(stopped, 0.0, "a partition stopped: {}", worker.log_text());

    let out = committed_results(&addr);
    let expected = expected_inputs(&addr);
    let missing = expected
        .iter()
        .filter(|k| !out.seen.contains_key(k))
        .count();
    assert_eq!(missing, 0, "inputs without a result");
    let too_large: Vec<_> = out
        .dead
        .iter()
        .filter(|d| header(d, "posting-enricher-reason") == Some(b"output_too_large".as_slice()))
        .collect();
    println!(
        "{name}: {} enriched, {} dead letters, {} of them output_too_large",
        out.enriched,
        out.dead.len(),
        too_large.len()
    );
    // Corpus postings whose record is over the limit, and the heavy one.
    assert!(too_large.len() >= 2, "nothing dead-lettered for its size");
    let heavy = too_large
        .iter()
        .find(|d| d.key() == Some(b"heavy-headers".as_slice()))
        .expect("the input with 1 MB of headers is dead-lettered");
    assert!(
        header(heavy, "x-bulk-0").is_none(),
        "its headers were dropped to fit"
    );
    assert!(header(heavy, "posting-enricher-headers-omitted").is_some());
    assert_eq!(
        heavy.payload(),
        Some(seed.as_slice()),
        "the original value is kept"
    );
    for d in &too_large {
        assert_eq!(d.topic(), DLQ);
    }
}

#[test]
fn at_least_once_dead_letters_what_the_output_topic_cannot_take() {
    run("size-alo", "");
}

#[test]
fn exactly_once_dead_letters_what_the_output_topic_cannot_take_without_an_abort_loop() {
    run("size-eos", EXACTLY_ONCE);
}
