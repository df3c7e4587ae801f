//! End-to-end throughput against a real broker (Tansu, sqlite storage), in
//! one run: the worker binary vs a pass-through (consume and re-produce the
//! same bytes, no enrichment) over the same input. The ratio is what
//! enrichment costs on top of moving the bytes through Kafka.
//!
//! `cargo bench --bench e2e` (needs Tansu: scripts/test installs it);
//! `E2E_COPIES=N` sets how many copies of the corpus are produced (default 2).

#[path = "../tests/common/kafka.rs"]
#[allow(dead_code)]
mod kafka;

use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kafka::{Broker, Input, WorkerProcess, WorkerSetup, produce};
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

struct Counter(Arc<AtomicUsize>);
impl ClientContext for Counter {}
impl ProducerContext for Counter {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        if r.is_ok() {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Consume `input` as a group and produce each record unchanged (key,
/// headers, value) to `output`; returns records/s from the first record
/// consumed to the last acknowledged.
fn pass_through(brokers: &str, input: &str, output: &str, total: usize) -> f64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "pass-through")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let delivered = Arc::new(AtomicUsize::new(0));
    let producer: ThreadedProducer<Counter> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("enable.idempotence", "true")
        .set("message.max.bytes", "3000000")
        .create_with_context(Counter(delivered.clone()))
        .unwrap();
    consumer.subscribe(&[input]).unwrap();
    let mut first: Option<Instant> = None;
    let mut consumed = 0;
    while delivered.load(Ordering::Relaxed) < total {
        if consumed < total {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                first.get_or_insert_with(Instant::now);
                consumed += 1;
                let mut headers = OwnedHeaders::new();
                if let Some(h) = m.headers() {
                    for h in h.iter() {
                        headers = headers.insert(Header {
                            key: h.key,
                            value: h.value,
                        });
                    }
                }
                let mut rec = BaseRecord::to(output)
                    .payload(m.payload().unwrap_or_default())
                    .headers(headers);
                if let Some(k) = m.key() {
                    rec = rec.key(k);
                }
                while let Err((_, back)) = producer.send(rec) {
                    rec = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let _ = producer.flush(Duration::from_secs(30));
    total as f64 / first.map_or(1.0, |t| t.elapsed().as_secs_f64())
}

fn corpus() -> Vec<Vec<u8>> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/linkedin-2021.jsonl.gz");
    let file = std::fs::File::open(&path).expect("the shared corpus");
    BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .split(b'\n')
        .map(|l| l.unwrap())
        .collect()
}

fn main() {
    // `cargo bench` passes --bench; anything else (e.g. `cargo test --benches`) only checks it builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // Extra worker config (TOML appended to the generated file), for experiments.
    let extra = std::env::var("E2E_WORKER_CONFIG").unwrap_or_default();
    let copies: usize = std::env::var("E2E_COPIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let lines = corpus();
    let inputs: Vec<Input<'_>> = (0..copies)
        .flat_map(|_| lines.iter())
        .enumerate()
        .map(|(i, l)| Input {
            partition: (i % 3) as i32,
            key: None,
            value: l,
            headers: Vec::new(),
        })
        .collect();
    let total = inputs.len();
    // Each path gets a fresh broker with the same input: Tansu's sqlite
    // engine slows as its database grows, so sharing one would favour
    // whichever path ran first.
    let fresh = |name: &str| {
        let broker = Broker::start(name);
        for (t, p) in [("raw", 3), ("enriched", 3), ("dead", 1), ("copy", 3)] {
            broker.create_topic(t, p);
        }
        let t = Instant::now();
        produce(&broker.addr(), "raw", &inputs);
        let rate = total as f64 / t.elapsed().as_secs_f64();
        (broker, rate)
    };
    let (pass_broker, produce_rate) = fresh("e2e-pass");
    let pass = pass_through(&pass_broker.addr(), "raw", "copy", total);
    drop(pass_broker);

    let (broker, _) = fresh("e2e-worker");
    let addr = broker.addr();
    let setup = WorkerSetup {
        brokers: &addr,
        group: "enricher",
        input: "raw",
        output: "enriched",
        dead_letter: "dead",
        dir: &broker.dir,
        extra: &extra,
    };
    let spawned = Instant::now();
    let mut worker = WorkerProcess::start(&setup, "bench");
    worker.wait_until("ready", Duration::from_secs(60), || {
        worker
            .get("/health/ready")
            .is_some_and(|(code, _)| code == 200)
    });
    let start_to_ready = spawned.elapsed();
    let in_flight_peak = std::cell::Cell::new(0.0f64);
    let rss_peak = std::cell::Cell::new(0.0f64);
    let rss_at_quarter = std::cell::Cell::new(0.0f64);
    let done = |w: &WorkerProcess| {
        w.metric("posting_enricher_records_produced_total")
            + w.metric("posting_enricher_records_dead_lettered_total")
    };
    worker.wait_until("first record", Duration::from_secs(60), || {
        worker.metric("posting_enricher_records_consumed_total") > 0.0
    });
    let t = Instant::now();
    worker.wait_until("all delivered", Duration::from_secs(600), || {
        let f = worker.metric("posting_enricher_in_flight_records");
        in_flight_peak.set(in_flight_peak.get().max(f));
        let rss = worker.metric("process_resident_memory_bytes");
        rss_peak.set(rss_peak.get().max(rss));
        if rss_at_quarter.get() == 0.0 && done(&worker) >= total as f64 / 4.0 {
            rss_at_quarter.set(rss);
        }
        if std::env::var_os("E2E_TIMELINE").is_some() {
            eprintln!(
                "{:>6.1}s consumed {:>6.0} delivered {:>6.0} in-flight {f:>5.0}",
                t.elapsed().as_secs_f64(),
                worker.metric("posting_enricher_records_consumed_total"),
                done(&worker)
            );
        }
        done(&worker) >= total as f64
    });
    let enriched_rate = total as f64 / t.elapsed().as_secs_f64();
    let mean_latency = worker.metric("posting_enricher_processing_seconds_sum")
        / worker
            .metric("posting_enricher_processing_seconds_count")
            .max(1.0);
    worker.signal("-TERM");
    let _ = worker.wait_exit(Duration::from_secs(35));

    println!(
        "end-to-end against Tansu (sqlite), {total} records ({copies} x corpus), 3 partitions"
    );
    println!("| path | records/s |");
    println!("|---|---|");
    println!("| produce (test client) | {produce_rate:.0} |");
    println!("| pass-through (consume + re-produce, no enrichment) | {pass:.0} |");
    println!("| posting-enricher run | {enriched_rate:.0} |");
    println!(
        "| ratio worker / pass-through | {:.2} |",
        enriched_rate / pass
    );
    println!(
        "mean consume->ack latency in the worker (saturated): {:.1} ms",
        mean_latency * 1000.0
    );
    println!("peak in-flight records: {:.0}", in_flight_peak.get());
    println!(
        "start to ready (process spawn -> /health/ready 200): {:.0} ms",
        start_to_ready.as_secs_f64() * 1000.0
    );
    println!(
        "worker RSS: {:.0} MB after a quarter of the input, {:.0} MB peak",
        rss_at_quarter.get() / 1e6,
        rss_peak.get() / 1e6
    );
}
