//! Memory is bounded by bytes, not only by records: 1,200 postings of about
//! 900 KB each meet an output the broker throttles (a client quota), and
//! the worker's resident memory stays under the figure deploy/README.md
//! documents for the defaults ("Resources"), instead of holding up to
//! `worker.max_in_flight` enriched copies of them.

mod common;

use std::time::{Duration, Instant};

use common::kafka::{Broker, DLQ, IN, Input, OUT, WorkerProcess, produce, setup, stop_cleanly};

/// deploy/README.md, "Resources": the worker's RSS with the default
/// settings, whatever the records' sizes.
const DOCUMENTED_RSS_MIB: u64 = 400;

/// A corpus posting whose description is repeated to about `size` bytes.
fn big_posting(line: &[u8], size: usize) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(line).unwrap();
    let description = v["description"]
        .as_str()
        .unwrap_or("a description")
        .to_string();
    let mut long = String::with_capacity(size);
    while long.len() < size {
        long.push_str(&description);
        long.push(' ');
    }
    v["description"] = serde_json::Value::String(long);
    serde_json::to_vec(&v).unwrap()
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn rss_stays_bounded_with_900_kb_postings_and_a_slow_output() {
    let broker = Broker::start("memory");
    broker.create_topic(IN, 3);
    // Room for the enriched copies of such postings (about 1.3 MB each).
    broker.create_topic_with(OUT, 3, &[("max.message.bytes", "4194304")]);
    broker.create_topic(DLQ, 1);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    let postings: Vec<Vec<u8>> = lines
        .iter()
        .filter(|l| l.len() > 1000)
        .take(40)
        .map(|l| big_posting(l, 900_000))
        .collect();
    let inputs: Vec<Input<'_>> = (0..1200)
        .map(|i| Input {
            partition: (i % 3) as i32,
            key: None,
            value: &postings[i % postings.len()],
            headers: Vec::new(),
        })
        .collect();
    produce(&addr, IN, &inputs);
    // The worker's output: 4 MB/s, against about 1.3 MB a record.
    broker.throttle_producer("posting-enricher", 4_000_000);
    let mut worker = WorkerProcess::start(&setup(&addr, &broker.dir), "w");
    let pid = worker.child.id();
    let started = Instant::now();
    let mut peak = 0;
    while started.elapsed() < Duration::from_secs(60) {
        peak = peak.max(rss_kib(pid, "VmRSS:"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let hwm = rss_kib(pid, "VmHWM:");
    let consumed = worker.metric("posting_enricher_records_consumed_total");
    let acked = worker.metric("posting_enricher_records_produced_total")
        + worker.metric("posting_enricher_records_dead_lettered_total");
    let in_flight_bytes = worker.metric("posting_enricher_in_flight_bytes");
    println!(
        "900 KB postings, output throttled to 4 MB/s: {consumed} consumed, {acked} acknowledged in 60 s; RSS peak {} MiB (VmHWM {} MiB), {:.0} MiB in flight at the end",
        peak / 1024,
        hwm / 1024,
        in_flight_bytes / 1048576.0
    );
    assert!(
        acked >= 20.0,
        "the throttled output made no progress: {}",
        worker.log_text()
    );
    assert!(
        hwm / 1024 < DOCUMENTED_RSS_MIB,
        "RSS peaked at {} MiB, over the documented {DOCUMENTED_RSS_MIB} MiB",
        hwm / 1024
    );
    stop_cleanly(&mut worker);
}
