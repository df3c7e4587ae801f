//! Consumer-group protocols on Apache Kafka: the classic protocol
//! (cooperative-sticky) and KIP-848's (`kafka.group_protocol =
//! "consumer"`), and static membership (`kafka.group_instance_id`).

mod common;

use std::time::Duration;

use common::kafka::{
    Broker, IN, WorkerProcess, WorkerSetup, corpus_inputs, loss, produce, setup, stop_cleanly,
    topics, wait_committed_to_end_within,
};

fn assigned(w: &WorkerProcess) -> f64 {
    w.metric("posting_enricher_assigned_partitions")
}

fn rebalances(w: &WorkerProcess) -> f64 {
    w.metric("posting_enricher_rebalances_total")
}

/// Two workers under KIP-848 split the three partitions; one leaves with
/// SIGTERM and hands its partitions over: nothing lost, nothing twice.
#[test]
fn two_workers_under_kip_848_split_the_partitions_and_hand_over_on_sigterm() {
    let broker = Broker::start("kip848");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    let inputs = corpus_inputs(&lines);
    let (first, rest) = inputs.split_at(900);
    produce(&addr, IN, first);
    let s = WorkerSetup {
        extra: "[kafka]\ngroup_protocol = \"consumer\"\n",
        ..setup(&addr, &broker.dir)
    };
    let a = WorkerProcess::start(&s, "a");
    let mut b = WorkerProcess::start(&s, "b");
    a.wait_until("both workers assigned", Duration::from_secs(90), || {
        let (x, y) = (assigned(&a), assigned(&b));
        x >= 1.0 && y >= 1.0 && x + y == 3.0
    });
    println!(
        "KIP-848: partitions split a={} b={}",
        assigned(&a),
        assigned(&b)
    );
    produce(&addr, IN, rest);
    b.wait_until("b consuming", Duration::from_secs(60), || {
        b.metric("posting_enricher_records_consumed_total") >= 100.0
    });
    stop_cleanly(&mut b);
    a.wait_until("a owns all partitions", Duration::from_secs(90), || {
        assigned(&a) == 3.0
    });
    let mut a = a;
    wait_committed_to_end_within(&a, &addr, Duration::from_secs(180));
    stop_cleanly(&mut a);
    let (_, expected, missing, duplicates) = loss(&addr);
    println!(
        "KIP-848 hand-over on SIGTERM: inputs {}, duplicates {duplicates}, lost {missing}",
        expected.len()
    );
    assert_eq!(missing, 0);
    assert_eq!(duplicates, 0, "a clean hand-over repeats nothing");
}

fn static_setup<'a>(addr: &'a str, dir: &'a std::path::Path, extra: &'a str) -> WorkerSetup<'a> {
    WorkerSetup {
        extra,
        ..setup(addr, dir)
    }
}

/// A static member (`group.instance.id`) that restarts within its session
/// timeout gets its own partitions back, and the other member sees no
/// rebalance at all.
#[test]
fn a_static_member_restarted_within_its_session_timeout_gets_its_partitions_back() {
    let broker = Broker::start("static");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..1200]));
    let session = "\n[kafka.consumer]\n\"session.timeout.ms\" = \"30000\"\n";
    let extra_a = format!("[kafka]\ngroup_instance_id = \"worker-a\"\n{session}");
    let extra_b = format!("[kafka]\ngroup_instance_id = \"worker-b\"\n{session}");
    let a = WorkerProcess::start(&static_setup(&addr, &broker.dir, &extra_a), "a");
    let b = WorkerProcess::start(&static_setup(&addr, &broker.dir, &extra_b), "b");
    a.wait_until("both workers assigned", Duration::from_secs(90), || {
        let (x, y) = (assigned(&a), assigned(&b));
        x >= 1.0 && y >= 1.0 && x + y == 3.0
    });
    // Settled: b's rebalance count no longer moves.
    std::thread::sleep(Duration::from_secs(3));
    let (a_had, b_rebalances) = (assigned(&a), rebalances(&b));
    let mut a = a;
    stop_cleanly(&mut a);
    let mut a = WorkerProcess::start(&static_setup(&addr, &broker.dir, &extra_a), "a-again");
    a.wait_until(
        "a has its partitions again",
        Duration::from_secs(25),
        || assigned(&a) == a_had,
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        rebalances(&b),
        b_rebalances,
        "b saw a rebalance when the static member a came back"
    );
    assert_eq!(assigned(&b), 3.0 - a_had);
    let mut b = b;
    wait_committed_to_end_within(&a, &addr, Duration::from_secs(120));
    stop_cleanly(&mut a);
    stop_cleanly(&mut b);
    let (_, _, missing, _) = loss(&addr);
    assert_eq!(missing, 0);
}

/// A second worker with the same `group.instance.id` fences the first:
/// the fenced one exits non-zero saying so, instead of retrying forever.
#[test]
fn a_fenced_static_member_exits_non_zero_saying_why() {
    let broker = Broker::start("fenced");
    topics(&broker);
    let addr = broker.addr();
    let lines = common::corpus_lines();
    produce(&addr, IN, &corpus_inputs(&lines[..300]));
    let extra = "[kafka]\ngroup_instance_id = \"pod-0\"\n";
    let mut first = WorkerProcess::start(&static_setup(&addr, &broker.dir, extra), "first");
    first.wait_until("first assigned", Duration::from_secs(60), || {
        assigned(&first) == 3.0
    });
    let mut second = WorkerProcess::start(&static_setup(&addr, &broker.dir, extra), "second");
    let status = first
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("the fenced worker kept running: {}", first.log_text()));
    let log = std::fs::read_to_string(&first.log).unwrap();
    println!("fenced worker: exit {:?}", status.code());
    assert_eq!(status.code(), Some(1), "{}", first.log_text());
    assert!(
        log.to_lowercase().contains("fenced"),
        "the log does not say it was fenced:\n{}",
        first.log_text()
    );
    assert!(
        !log.contains("consume error; retrying"),
        "a fatal error was taken for a transient one:\n{}",
        first.log_text()
    );
    second.wait_until(
        "the second owns the partitions",
        Duration::from_secs(60),
        || assigned(&second) == 3.0,
    );
    wait_committed_to_end_within(&second, &addr, Duration::from_secs(60));
    stop_cleanly(&mut second);
}
