//! The worker on a three-broker Apache Kafka cluster (a controller of its
//! own, replication factor 3, `min.insync.replicas = 2`, the worker's
//! idempotent producer with `acks=all`) while brokers fail: the leaders of
//! an input and an output partition SIGKILLed and restarted, one broker
//! stopped for 30 s, two brokers down so that produce gets
//! NOT_ENOUGH_REPLICAS. The worker stays up, `/health/ready` says when it
//! cannot make progress, nothing is lost, and commits reach the end once
//! the brokers are back. Each scenario prints its row of the table in
//! docs/reliability.md.

mod common;

use std::time::{Duration, Instant};

use common::kafka::{
    Broker, DLQ, IN, OUT, TABLE_HEADER, WorkerProcess, WorkerSetup, cycled_inputs, loss, produce,
    setup, stop_cleanly, wait_committed_to_end_within,
};

const RECORDS: usize = 3000;

/// The pipeline's topics on the cluster (replication 3, min ISR 2), with
/// the first `produced` of the `RECORDS` inputs in the input topic.
fn cluster_with_input(name: &str, produced: usize) -> (Broker, String) {
    let broker = Broker::start_cluster(name);
    broker.create_topic(IN, 3);
    broker.create_topic(OUT, 3);
    broker.create_topic(DLQ, 1);
    let addr = broker.addr();
    produce(&addr, IN, &inputs()[..produced]);
    (broker, addr)
}

fn inputs() -> Vec<common::kafka::Input<'static>> {
    static LINES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    cycled_inputs(LINES.get_or_init(common::corpus_lines), RECORDS)
}

/// Readiness follows progress within 10 s here (60 s by default).
const SETTINGS: &str = "[worker]\nprogress_timeout = \"10s\"\n";

fn cluster_setup<'a>(addr: &'a str, dir: &'a std::path::Path) -> WorkerSetup<'a> {
    WorkerSetup {
        extra: SETTINGS,
        ..setup(addr, dir)
    }
}

fn produced(w: &WorkerProcess) -> f64 {
    w.metric("posting_enricher_records_produced_total")
        + w.metric("posting_enricher_records_dead_lettered_total")
}

fn ready(w: &WorkerProcess) -> Option<u16> {
    w.get("/health/ready").map(|r| r.0)
}

fn report(scenario: &str, addr: &str, note: &str) {
    let (out, expected, lost, duplicates) = loss(addr);
    println!(
        "{TABLE_HEADER}| {scenario} | {} | {} | {} | {duplicates} | {lost} | {note} |",
        expected.len(),
        out.enriched,
        out.dead.len()
    );
    assert_eq!(expected.len(), RECORDS);
    assert_eq!(lost, 0, "{scenario}: inputs lost");
}

#[test]
fn the_leaders_of_an_input_and_an_output_partition_killed_and_restarted_lose_nothing() {
    let (mut broker, addr) = cluster_with_input("cluster-leaders", RECORDS);
    let mut worker = WorkerProcess::start(&cluster_setup(&addr, &broker.dir), "w");
    worker.wait_until("a third through", Duration::from_secs(120), || {
        produced(&worker) >= (RECORDS / 3) as f64
    });
    let input_leader = broker
        .leader(IN, 0)
        .expect("input partition 0 has a leader");
    let started = Instant::now();
    broker.kill_node(input_leader);
    std::thread::sleep(Duration::from_secs(5));
    broker.start_node(input_leader);
    // The output partition's leader now (it may have moved).
    let output_leader = broker
        .leader(OUT, 1)
        .expect("output partition 1 has a leader");
    broker.kill_node(output_leader);
    std::thread::sleep(Duration::from_secs(5));
    broker.start_node(output_leader);
    wait_committed_to_end_within(&worker, &addr, Duration::from_secs(240));
    let recovered = started.elapsed();
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "the worker stayed up"
    );
    stop_cleanly(&mut worker);
    report(
        "C1. leaders of input 0 and output 1 SIGKILLed, restarted after 5 s",
        &addr,
        &format!(
            "nodes {input_leader} then {output_leader}; end committed {:.0} s after the first kill",
            recovered.as_secs_f64()
        ),
    );
}

#[test]
fn one_broker_stopped_for_30_seconds_loses_nothing() {
    let (mut broker, addr) = cluster_with_input("cluster-one-down", RECORDS / 2);
    let mut worker = WorkerProcess::start(&cluster_setup(&addr, &broker.dir), "w");
    worker.wait_until("a third through", Duration::from_secs(120), || {
        produced(&worker) >= (RECORDS / 3) as f64
    });
    let victim = broker.leader(OUT, 0).unwrap_or(2);
    broker.stop_node(victim);
    let down = Instant::now();
    // With two of three replicas in sync, produce and commits go on: the
    // second half of the input arrives while the broker is away.
    let at_stop = produced(&worker);
    produce(&addr, IN, &inputs()[RECORDS / 2..]);
    worker.wait_until(
        "progress with one broker down",
        Duration::from_secs(60),
        || produced(&worker) > at_stop + 100.0,
    );
    std::thread::sleep(Duration::from_secs(30).saturating_sub(down.elapsed()));
    broker.start_node(victim);
    wait_committed_to_end_within(&worker, &addr, Duration::from_secs(240));
    assert_eq!(ready(&worker), Some(200));
    stop_cleanly(&mut worker);
    report(
        "C2. one broker stopped for 30 s",
        &addr,
        &format!("node {victim}; progress went on with 2 of 3 replicas"),
    );
}

#[test]
fn two_brokers_down_stall_produce_the_worker_says_not_ready_and_loses_nothing() {
    let (mut broker, addr) = cluster_with_input("cluster-two-down", RECORDS);
    // A slow output, so that records are on their way when the brokers go.
    broker.throttle_producer("posting-enricher", 400_000);
    let mut worker = WorkerProcess::start(&cluster_setup(&addr, &broker.dir), "w");
    worker.wait_until("ready", Duration::from_secs(60), || {
        ready(&worker) == Some(200)
    });
    worker.wait_until("a tenth through", Duration::from_secs(120), || {
        produced(&worker) >= (RECORDS / 10) as f64
    });
    let ids = broker.broker_ids();
    let (a, b) = (ids[0], ids[1]);
    broker.kill_node(a);
    broker.kill_node(b);
    let down = Instant::now();
    // One replica left: below min.insync.replicas, produce is refused
    // (NOT_ENOUGH_REPLICAS) and the worker can make no progress.
    worker.wait_until(
        "not ready while no progress is possible",
        Duration::from_secs(60),
        || ready(&worker) == Some(503),
    );
    let (_, body) = worker.get("/health/ready").unwrap();
    let not_ready_after = down.elapsed();
    println!(
        "two brokers down: not ready after {:.1} s: {body}",
        not_ready_after.as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(30).saturating_sub(down.elapsed()));
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "the worker stayed up: {}",
        worker.log_text()
    );
    let back = Instant::now();
    broker.start_node(a);
    broker.start_node(b);
    worker.wait_until("ready again", Duration::from_secs(120), || {
        ready(&worker) == Some(200)
    });
    broker.unthrottle_producer("posting-enricher");
    wait_committed_to_end_within(&worker, &addr, Duration::from_secs(240));
    let recovered = back.elapsed();
    stop_cleanly(&mut worker);
    report(
        "C3. two of three brokers down 30 s (NOT_ENOUGH_REPLICAS)",
        &addr,
        &format!(
            "not ready {:.0} s after the kill; end committed {:.0} s after the restart",
            not_ready_after.as_secs_f64(),
            recovered.as_secs_f64()
        ),
    );
}
