//! End-to-end throughput against Apache Kafka (one KRaft node, the broker of
//! record for every real-broker figure), in one run: the worker binary vs a
//! pass-through (consume and re-produce the same bytes, no enrichment) over
//! the same input. The ratio is what enrichment costs on top of moving the
//! bytes through Kafka.
//!
//! Then the latency a platform sees below saturation: both paths again, each
//! on a fresh broker, fed at half of the worker's measured rate, p50/p99 of
//! consume-to-ack.
//!
//! `cargo bench --bench e2e` (needs Apache Kafka's jars: scripts/test and
//! scripts/bench install them); `E2E_COPIES=N` sets how many copies of the
//! corpus are produced (default 4, 30,740 records);
//! `E2E_PACED_FRACTION` the paced rate as a fraction of the worker's (0.5).

#[path = "../tests/common/broker.rs"]
#[allow(dead_code)]
mod broker;
#[path = "../tests/common/kafka.rs"]
#[allow(dead_code)]
mod kafka;
#[path = "../tests/common/latency.rs"]
mod latency;

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kafka::{Broker, Input, WorkerProcess, WorkerSetup, metric_in, produce};
use latency::{bucket_quantile, cpu_seconds, exact_quantile, histogram_buckets, into_buckets};
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{
    BaseRecord, DefaultProducerContext, DeliveryResult, Producer, ProducerContext, ThreadedProducer,
};

/// Counts acknowledged records and keeps each one's consume-to-ack time.
struct Counter {
    delivered: Arc<AtomicUsize>,
    latencies: Arc<Mutex<Vec<f64>>>,
}
impl ClientContext for Counter {}
impl ProducerContext for Counter {
    type DeliveryOpaque = Box<Instant>;
    fn delivery(&self, r: &DeliveryResult<'_>, consumed_at: Box<Instant>) {
        if r.is_ok() {
            self.delivered.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut l) = self.latencies.lock() {
                l.push(consumed_at.elapsed().as_secs_f64());
            }
        }
    }
}

/// What one pass-through run measured.
struct PassThrough {
    rate: f64,
    /// Consume-to-ack seconds of every record.
    latencies: Vec<f64>,
}

/// Consume `input` as a group and produce each record unchanged (key,
/// headers, value) to `output`, until `total` are acknowledged; records/s
/// from the first record consumed to the last acknowledged. `on_assigned`
/// runs once the group has given the consumer its partitions (a paced
/// producer starts there).
fn pass_through(
    brokers: &str,
    input: &str,
    output: &str,
    total: usize,
    on_assigned: impl FnOnce(),
) -> PassThrough {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "pass-through")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let delivered = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let producer: ThreadedProducer<Counter> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("enable.idempotence", "true")
        .set("message.max.bytes", "3000000")
        .create_with_context(Counter {
            delivered: delivered.clone(),
            latencies: latencies.clone(),
        })
        .unwrap();
    consumer.subscribe(&[input]).unwrap();
    let mut on_assigned = Some(on_assigned);
    let mut first: Option<Instant> = None;
    let mut consumed = 0;
    while delivered.load(Ordering::Relaxed) < total {
        if consumed < total {
            let polled = consumer.poll(Duration::from_millis(100));
            if on_assigned.is_some()
                && consumer.assignment().is_ok_and(|a| a.count() > 0)
                && let Some(f) = on_assigned.take()
            {
                f();
            }
            if let Some(Ok(m)) = polled {
                let consumed_at = Instant::now();
                first.get_or_insert(consumed_at);
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
                let mut rec = BaseRecord::with_opaque_to(output, Box::new(consumed_at))
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
    let rate = total as f64 / first.map_or(1.0, |t| t.elapsed().as_secs_f64());
    let latencies = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    PassThrough { rate, latencies }
}

/// Produces `records` to `topic` at `rate` records/s (each send at its
/// scheduled time, not in bursts), on its own thread.
fn produce_paced(
    brokers: &str,
    topic: &str,
    records: Vec<Vec<u8>>,
    rate: f64,
) -> std::thread::JoinHandle<()> {
    let (brokers, topic) = (brokers.to_string(), topic.to_string());
    std::thread::spawn(move || {
        let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set("linger.ms", "5")
            .set("message.max.bytes", "20000000")
            .create()
            .unwrap();
        let start = Instant::now();
        for (i, value) in records.iter().enumerate() {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let mut rec = BaseRecord::<(), [u8]>::to(&topic)
                .partition((i % 3) as i32)
                .payload(value.as_slice());
            while let Err((_, back)) = producer.send(rec) {
                rec = back;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let _ = producer.flush(Duration::from_secs(60));
    })
}

/// The worker's setup on a bench broker: `raw` in, `enriched` out.
fn worker_setup<'a>(brokers: &'a str, dir: &'a std::path::Path, extra: &'a str) -> WorkerSetup<'a> {
    WorkerSetup {
        brokers,
        group: "enricher",
        input: "raw",
        output: "enriched",
        dead_letter: "dead",
        dir,
        extra,
    }
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
        .unwrap_or(4);
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
    // Each path gets a fresh broker with the same input, so that neither
    // inherits the other's log segments, page cache or group state.
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
    // CPU per record of each path's client and of its broker: on two
    // shared cores their sum is what bounds the rate.
    let cpu_of = |pid: Option<u32>| pid.map_or(0.0, cpu_seconds);
    let (client_cpu, broker_cpu) = (cpu_of(Some(std::process::id())), cpu_of(pass_broker.pid()));
    let pass = pass_through(&pass_broker.addr(), "raw", "copy", total, || {}).rate;
    let per_record = |seconds: f64| seconds / total as f64 * 1e6;
    let pass_cpu = (
        per_record(cpu_of(Some(std::process::id())) - client_cpu),
        per_record(cpu_of(pass_broker.pid()) - broker_cpu),
    );
    drop(pass_broker);

    let (broker, _) = fresh("e2e-worker");
    let addr = broker.addr();
    let setup = worker_setup(&addr, &broker.dir, &extra);
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
    // One `/metrics` read per look, so the bench's polling costs the
    // worker little next to the pass-through, which is not polled.
    let done_in = |body: &str| {
        metric_in(body, "posting_enricher_records_produced_total")
            + metric_in(body, "posting_enricher_records_dead_lettered_total")
    };
    worker.wait_until("first record", Duration::from_secs(60), || {
        worker.metric("posting_enricher_records_consumed_total") > 0.0
    });
    let t = Instant::now();
    let (worker_cpu_start, broker_cpu_start) =
        (cpu_of(Some(worker.child.id())), cpu_of(broker.pid()));
    worker.wait_until("all delivered", Duration::from_secs(600), || {
        let body = worker.metrics();
        let done = done_in(&body);
        let f = metric_in(&body, "posting_enricher_in_flight_records");
        in_flight_peak.set(in_flight_peak.get().max(f));
        let rss = metric_in(&body, "process_resident_memory_bytes");
        rss_peak.set(rss_peak.get().max(rss));
        if rss_at_quarter.get() == 0.0 && done >= total as f64 / 4.0 {
            rss_at_quarter.set(rss);
        }
        if std::env::var_os("E2E_TIMELINE").is_some() {
            eprintln!(
                "{:>6.1}s consumed {:>6.0} delivered {done:>6.0} in-flight {f:>5.0}",
                t.elapsed().as_secs_f64(),
                metric_in(&body, "posting_enricher_records_consumed_total"),
            );
        }
        done >= total as f64
    });
    let enriched_rate = total as f64 / t.elapsed().as_secs_f64();
    let worker_cpu = (
        per_record(cpu_of(Some(worker.child.id())) - worker_cpu_start),
        per_record(cpu_of(broker.pid()) - broker_cpu_start),
    );
    let body = worker.metrics();
    let mean_latency = metric_in(&body, "posting_enricher_processing_seconds_sum")
        / metric_in(&body, "posting_enricher_processing_seconds_count").max(1.0);

    worker.signal("-TERM");
    let _ = worker.wait_exit(Duration::from_secs(35));
    drop(broker);

    // Latency where a platform runs a worker: at half of the rate it can
    // sustain (the worker's, measured above), the same offered load for
    // both paths, each on a fresh broker with an empty input. The first
    // tenth of each run is warm-up (connections, producer ids) and is left
    // out. The worker's consume-to-ack times come from its own histogram.
    let paced_fraction = std::env::var("E2E_PACED_FRACTION")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.5);
    let paced_rate = enriched_rate * paced_fraction;
    let paced_total = lines.len();
    let warm_up = paced_total / 10;
    let worker_paced = {
        let broker = Broker::start("e2e-worker-paced");
        for (t, p) in [("raw", 3), ("enriched", 3), ("dead", 1)] {
            broker.create_topic(t, p);
        }
        let addr = broker.addr();
        let setup = worker_setup(&addr, &broker.dir, &extra);
        let mut worker = WorkerProcess::start(&setup, "bench-paced");
        worker.wait_until("assigned", Duration::from_secs(60), || {
            worker.metric("posting_enricher_assigned_partitions") >= 3.0
        });
        let processing =
            |body: &str| histogram_buckets(body, "posting_enricher_processing_seconds");
        let pacer = produce_paced(&addr, "raw", lines.clone(), paced_rate);
        let mut before = Vec::new();
        worker.wait_until(
            "the paced input delivered",
            Duration::from_secs(600),
            || {
                let body = worker.metrics();
                let d = done_in(&body);
                if before.is_empty() && d >= warm_up as f64 {
                    before = processing(&body);
                }
                d >= paced_total as f64
            },
        );
        let _ = pacer.join();
        let after = processing(&worker.metrics());
        worker.signal("-TERM");
        let _ = worker.wait_exit(Duration::from_secs(35));
        after
            .iter()
            .zip(before.iter().chain(std::iter::repeat(&(0.0, 0.0))))
            .map(|(a, b)| (a.0, a.1 - b.1))
            .collect::<Vec<(f64, f64)>>()
    };
    let pass_paced = {
        let broker = Broker::start("e2e-pass-paced");
        for (t, p) in [("raw", 3), ("copy", 3)] {
            broker.create_topic(t, p);
        }
        let addr = broker.addr();
        let mut pacer = None;
        let mut run = pass_through(&addr, "raw", "copy", paced_total, || {
            pacer = Some(produce_paced(&addr, "raw", lines.clone(), paced_rate));
        });
        if let Some(p) = pacer {
            let _ = p.join();
        }
        run.latencies.drain(..warm_up.min(run.latencies.len()));
        run
    };
    let pass_buckets = into_buckets(&pass_paced.latencies, &worker_paced);
    let counted = |b: &[(f64, f64)]| b.last().map_or(0.0, |l| l.1);
    assert!(
        counted(&worker_paced) >= (paced_total - warm_up) as f64 / 2.0
            && counted(&pass_buckets) > 0.0,
        "the paced runs measured too few records: worker {}, pass-through {}",
        counted(&worker_paced),
        counted(&pass_buckets)
    );

    println!(
        "end-to-end against Apache Kafka {} (one KRaft node on the same 2 cores), {total} records ({copies} x corpus), 3 partitions",
        broker::kafka_version()
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
        "CPU per record, client + its broker: pass-through {:.0} + {:.0} µs, worker {:.0} + {:.0} µs",
        pass_cpu.0, pass_cpu.1, worker_cpu.0, worker_cpu.1
    );
    println!(
        "mean consume->ack latency in the worker (saturated): {:.1} ms",
        mean_latency * 1000.0
    );
    let ms = |s: f64| s * 1000.0;
    println!(
        "consume->ack latency at {:.0}% of the worker's rate ({paced_rate:.0} records/s offered, {} records each after {warm_up} of warm-up):",
        paced_fraction * 100.0,
        paced_total - warm_up
    );
    println!("| path | p50 ms | p99 ms |");
    println!("|---|---|---|");
    println!(
        "| pass-through | {:.1} | {:.1} |",
        ms(bucket_quantile(&pass_buckets, 0.5)),
        ms(bucket_quantile(&pass_buckets, 0.99))
    );
    println!(
        "| posting-enricher run | {:.1} | {:.1} |",
        ms(bucket_quantile(&worker_paced, 0.5)),
        ms(bucket_quantile(&worker_paced, 0.99))
    );
    println!(
        "(both from the worker's histogram bounds, 1-2.5-5 per decade, interpolated; \
         pass-through exact: p50 {:.1} ms, p99 {:.1} ms)",
        ms(exact_quantile(&pass_paced.latencies, 0.5)),
        ms(exact_quantile(&pass_paced.latencies, 0.99))
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
