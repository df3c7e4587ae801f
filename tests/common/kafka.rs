//! Real-broker fixtures: Apache Kafka (from [`super::broker`]), the worker
//! binary as a child process, and test clients built on the `rdkafka` crate
//! directly (never the worker's code).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

pub use super::broker::{Broker, free_port};

/// One record to produce.
pub struct Input<'a> {
    pub partition: i32,
    pub key: Option<&'a [u8]>,
    pub value: &'a [u8],
    pub headers: Vec<(&'a str, &'a [u8])>,
}

/// Values spread round-robin over `partitions`, without keys or headers.
pub fn spread<'a>(values: impl IntoIterator<Item = &'a [u8]>, partitions: i32) -> Vec<Input<'a>> {
    values
        .into_iter()
        .zip((0..partitions).cycle())
        .map(|(value, partition)| Input {
            partition,
            key: None,
            value,
            headers: Vec::new(),
        })
        .collect()
}

/// Produces with a plain rdkafka producer and waits for every acknowledgement.
pub fn produce(brokers: &str, topic: &str, records: &[Input<'_>]) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("message.max.bytes", "20000000")
        .create()
        .unwrap();
    for r in records {
        let mut headers = OwnedHeaders::new();
        for (k, v) in &r.headers {
            headers = headers.insert(rdkafka::message::Header {
                key: k,
                value: Some(*v),
            });
        }
        let mut rec = BaseRecord::to(topic)
            .partition(r.partition)
            .payload(r.value)
            .headers(headers);
        if let Some(k) = r.key {
            rec = rec.key(k);
        }
        let mut rec = rec;
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((_, back)) => {
                    rec = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    // Generous: a large run shares the machine with brokers and workers.
    producer.flush(Duration::from_secs(600)).expect("flush");
}

/// Partition count of `topic`.
pub fn partitions(brokers: &str, topic: &str) -> i32 {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let md = retried("metadata", || {
        c.fetch_metadata(Some(topic), Duration::from_secs(10))
    });
    md.topics()[0].partitions().len() as i32
}

/// Reads `topic` from the beginning until `want` records arrived or
/// `timeout` passed (then returns what arrived).
pub fn read_all(brokers: &str, topic: &str, want: usize, timeout: Duration) -> Vec<OwnedMessage> {
    read_topics(brokers, &[topic], want, timeout)
}

/// Reads `topics` from the beginning until `want` records arrived in all,
/// or `timeout` passed. With `want == usize::MAX`, also stops after 3 s
/// without a new record (everything there was read).
pub fn read_topics(
    brokers: &str,
    topics: &[&str],
    want: usize,
    timeout: Duration,
) -> Vec<OwnedMessage> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("reader-{}", free_port()))
        .set("enable.auto.commit", "false")
        .set("max.partition.fetch.bytes", "16000000")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        for p in 0..partitions(brokers, topic) {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
    }
    c.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + timeout;
    let mut last_new = Instant::now();
    while out.len() < want && Instant::now() < deadline {
        if want == usize::MAX && last_new.elapsed() > Duration::from_secs(3) {
            break;
        }
        match c.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                out.push(m.detach());
                last_new = Instant::now();
            }
            // Transient (a restarting broker): librdkafka retries itself.
            Some(Err(e)) => eprintln!("read: {e}"),
            None => {}
        }
    }
    out
}

/// End offsets (high watermarks) per partition.
pub fn end_offsets(brokers: &str, topic: &str) -> HashMap<i32, i64> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    (0..partitions(brokers, topic))
        .map(|p| {
            let (_, high) = retried("watermarks", || {
                c.fetch_watermarks(topic, p, Duration::from_secs(10))
            });
            (p, high)
        })
        .collect()
}

/// The group's committed offsets for `topic`.
pub fn committed(brokers: &str, group: &str, topic: &str) -> HashMap<i32, i64> {
    try_committed(brokers, group, topic).expect("committed offsets")
}

/// `None` when the broker did not answer in time (a loaded or restarting
/// broker: the caller waits and asks again).
pub fn try_committed(brokers: &str, group: &str, topic: &str) -> Option<HashMap<i32, i64>> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions(brokers, topic) {
        tpl.add_partition(topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(10)).ok()?;
    Some(
        got.elements()
            .iter()
            .map(|e| {
                (
                    e.partition(),
                    match e.offset() {
                        Offset::Offset(o) => o,
                        _ => -1,
                    },
                )
            })
            .collect(),
    )
}

/// Retries a broker request that timed out (a loaded or restarting
/// broker), up to a minute; the last error fails the test.
fn retried<T, E: std::fmt::Debug>(what: &str, mut f: impl FnMut() -> Result<T, E>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() >= deadline => panic!("{what}: {e:?}"),
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

pub fn header<'a>(m: &'a OwnedMessage, key: &str) -> Option<&'a [u8]> {
    m.headers()?
        .iter()
        .filter(|h| h.key == key)
        .last()
        .and_then(|h| h.value)
}

/// How many results (enriched records or dead letters) each input
/// (partition, offset) has among `read`.
pub fn per_input(read: &[OwnedMessage], dead_letter_topic: &str) -> HashMap<(i32, i64), usize> {
    let mut seen = HashMap::new();
    for m in read {
        *seen
            .entry(source_of(m, m.topic() == dead_letter_topic))
            .or_insert(0) += 1;
    }
    seen
}

/// The (partition, offset) of the input behind an output record: from the
/// enriched record's `source`, or a dead letter's headers.
pub fn source_of(m: &OwnedMessage, dead_letter: bool) -> (i32, i64) {
    if dead_letter {
        let p = header(m, "posting-enricher-source-partition").expect("partition header");
        let o = header(m, "posting-enricher-source-offset").expect("offset header");
        (
            std::str::from_utf8(p).unwrap().parse().unwrap(),
            std::str::from_utf8(o).unwrap().parse().unwrap(),
        )
    } else {
        let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        (
            v["source"]["partition"].as_i64().unwrap() as i32,
            v["source"]["offset"].as_i64().unwrap(),
        )
    }
}

/// The worker binary as a child process with its own config file.
/// A metric's value in a `/metrics` text, summed over its series (0 when
/// absent).
pub fn metric_in(body: &str, name: &str) -> f64 {
    body.lines()
        .filter(|l| {
            l.starts_with(name) && matches!(l.as_bytes().get(name.len()), Some(b' ' | b'{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The worker's config file for `s`: the standard topics and a fast commit
/// interval, with `s.extra` (TOML) merged over it key by key.
pub fn worker_config(s: &WorkerSetup<'_>, metrics_port: u16) -> String {
    let base = format!(
        "[kafka]\nbrokers = \"{}\"\ngroup_id = \"{}\"\ninput_topics = [\"{}\"]\noutput_topic = \"{}\"\ndead_letter_topic = \"{}\"\n\n[worker]\ncommit_interval = \"200ms\"\n\n[telemetry]\nlisten = \"127.0.0.1:{metrics_port}\"\nlog_format = \"json\"\n",
        s.brokers, s.group, s.input, s.output, s.dead_letter
    );
    let mut table: toml::Table = base.parse().expect("base config");
    let extra: toml::Table = s.extra.parse().expect("extra config is TOML");
    merge(&mut table, extra);
    toml::to_string(&table).unwrap()
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

pub struct WorkerProcess {
    pub child: Child,
    pub metrics_port: u16,
    pub log: PathBuf,
}

pub struct WorkerSetup<'a> {
    pub brokers: &'a str,
    pub group: &'a str,
    pub input: &'a str,
    pub output: &'a str,
    pub dead_letter: &'a str,
    pub dir: &'a Path,
    pub extra: &'a str,
}

impl WorkerProcess {
    pub fn start(s: &WorkerSetup<'_>, name: &str) -> WorkerProcess {
        Self::start_with_env(s, name, &[])
    }

    /// With extra environment variables (config overrides).
    pub fn start_with_env(s: &WorkerSetup<'_>, name: &str, env: &[(&str, &str)]) -> WorkerProcess {
        let metrics_port = free_port();
        let config = s.dir.join(format!("{name}.toml"));
        std::fs::write(&config, worker_config(s, metrics_port)).unwrap();
        let log = s.dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_posting-enricher"))
            .args(["run", "--config"])
            .arg(&config)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the worker");
        WorkerProcess {
            child,
            metrics_port,
            log,
        }
    }

    /// `GET path` on the worker's telemetry port: (status, body).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.metrics_port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((status, body))
    }

    /// A metric's value summed over its series (0 when absent).
    pub fn metric(&self, name: &str) -> f64 {
        metric_in(&self.metrics(), name)
    }

    /// The `/metrics` text (empty when it cannot be read), for reading
    /// several values of one moment.
    pub fn metrics(&self) -> String {
        match self.get("/metrics") {
            Some((200, body)) => body,
            _ => String::new(),
        }
    }

    /// The worker's own counters and gauges that are not zero (no
    /// histograms): what a failed wait shows of where the worker stood.
    pub fn counters(&self) -> String {
        self.metrics()
            .lines()
            .filter(|l| l.starts_with("posting_enricher_") && !l.contains("_bucket"))
            .filter(|l| l.rsplit(' ').next().is_some_and(|v| v != "0"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn wait_until(&self, what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        while !ok() {
            // A worker that has exited will not get there: say so at once.
            let exited = self.has_exited();
            assert!(
                Instant::now() < deadline && !exited,
                "timed out waiting for {what}; worker process: {}\nworker metrics:\n{}\nworker log:\n{}",
                self.process_state(),
                self.counters(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the worker process has ended (a zombie until reaped).
    fn has_exited(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next())
                == Some("Z")
        })
    }

    /// Whether the worker still runs, and when it runs but its endpoints do
    /// not answer, where each of its threads is: what a failed wait needs
    /// to tell a dead worker, a hung one and a slow one apart.
    fn process_state(&self) -> String {
        let pid = self.child.id();
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return format!("pid {pid} gone");
        };
        // The state is the field after the parenthesised command name.
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        if state == Some("Z") {
            return format!(
                "pid {pid} has exited (a zombie: it ended without the test reaping it)"
            );
        }
        if self.get("/health/live").is_some() {
            return format!("pid {pid} running (state {state:?}), endpoints answer");
        }
        let stacks = Command::new("gdb")
            .args([
                "-batch",
                "-nx",
                "-p",
                &pid.to_string(),
                "-ex",
                "thread apply all bt 25",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_else(|e| format!("(gdb: {e})"));
        format!(
            "pid {pid} running (state {state:?}) but its endpoints do not answer; threads:\n{stacks}"
        )
    }

    pub fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for exit; None on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- the standard pipeline: topics, a worker setup, and what came out ----

pub const IN: &str = "postings.raw";
pub const OUT: &str = "postings.enriched";
pub const DLQ: &str = "postings.dead-letter";
pub const GROUP: &str = "enricher";

pub fn topics(broker: &Broker) {
    broker.create_topic(IN, 3);
    broker.create_topic(OUT, 3);
    broker.create_topic(DLQ, 1);
}

pub fn setup<'a>(broker_addr: &'a str, dir: &'a std::path::Path) -> WorkerSetup<'a> {
    WorkerSetup {
        brokers: broker_addr,
        group: GROUP,
        input: IN,
        output: OUT,
        dead_letter: DLQ,
        dir,
        extra: "",
    }
}

pub fn corpus_inputs(lines: &[Vec<u8>]) -> Vec<Input<'_>> {
    cycled_inputs(lines, lines.len())
}

/// `lines` cycled to `n` inputs, round-robin over the 3 input partitions.
pub fn cycled_inputs(lines: &[Vec<u8>], n: usize) -> Vec<Input<'_>> {
    lines
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, l)| Input {
            partition: (i % 3) as i32,
            key: None,
            value: l,
            headers: Vec::new(),
        })
        .collect()
}

/// The head of a reliability table (docs/reliability.md); each scenario
/// prints it with its row.
pub const TABLE_HEADER: &str = "| scenario | records in | enriched | dead-lettered | duplicates | lost | notes |\n|---|---|---|---|---|---|---|\n";

/// Every input (partition, offset) with how often it appears across the
/// enriched and dead-letter topics.
pub struct Outputs {
    pub seen: HashMap<(i32, i64), usize>,
    pub enriched: usize,
    pub dead: Vec<OwnedMessage>,
}

pub fn read_outputs(addr: &str, want: usize, timeout: Duration) -> Outputs {
    let (dead, enriched): (Vec<_>, Vec<_>) = read_topics(addr, &[OUT, DLQ], want, timeout)
        .into_iter()
        .partition(|m| m.topic() == DLQ);
    let mut seen = per_input(&enriched, DLQ);
    for (k, n) in per_input(&dead, DLQ) {
        *seen.entry(k).or_insert(0) += n;
    }
    Outputs {
        seen,
        enriched: enriched.len(),
        dead,
    }
}

pub fn expected_inputs(addr: &str) -> HashSet<(i32, i64)> {
    end_offsets(addr, IN)
        .into_iter()
        .flat_map(|(p, end)| (0..end).map(move |o| (p, o)))
        .collect()
}

/// SIGTERM, and a clean exit within the shutdown deadline.
pub fn stop_cleanly(worker: &mut WorkerProcess) {
    worker.signal("-TERM");
    let status = worker.wait_exit(Duration::from_secs(35));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit {status:?}: {}",
        worker.log_text()
    );
}

/// Everything in both output topics against the inputs: (outputs, inputs,
/// inputs without an output, extra copies).
/// Reads until every record the output topics hold has arrived: a slow
/// read must not look like a loss. (Records read = end offsets holds on a
/// at-least-once run: no transactions, so no control records.)
pub fn loss(addr: &str) -> (Outputs, HashSet<(i32, i64)>, usize, usize) {
    let held: i64 = [OUT, DLQ]
        .iter()
        .flat_map(|t| end_offsets(addr, t).into_values())
        .sum();
    let held = usize::try_from(held).unwrap_or(0);
    let timeout = Duration::from_secs(60) + Duration::from_millis(10 * held as u64);
    let out = read_outputs(addr, held, timeout);
    let read = out.enriched + out.dead.len();
    assert_eq!(
        read, held,
        "read {read} of the {held} output records in {timeout:?}"
    );
    let expected = expected_inputs(addr);
    let missing = expected
        .iter()
        .filter(|k| !out.seen.contains_key(k))
        .count();
    let duplicates = out.seen.values().map(|n| n - 1).sum();
    (out, expected, missing, duplicates)
}

/// What a `read_committed` reader finds in both output topics, read until
/// nothing new arrives for 3 s (a topic written in transactions ends in
/// control records, so its end offsets cannot say when all is read).
pub fn committed_results(addr: &str) -> Outputs {
    read_outputs(addr, usize::MAX, Duration::from_secs(600))
}

/// Sets topic-level settings of an existing topic (incrementally).
pub fn alter_topic(addr: &str, topic: &str, configs: &[(&str, &str)]) {
    use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, ResourceSpecifier};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .create()
        .unwrap();
    let mut change = AlterConfig::new(ResourceSpecifier::Topic(topic));
    for (k, v) in configs {
        change = change.set(k, v);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = rt
        .block_on(admin.alter_configs(&[change], &AdminOptions::new()))
        .expect("alter configs");
    for r in results {
        r.unwrap_or_else(|(what, e)| panic!("alter {what:?}: {e}"));
    }
}

/// Runs `posting-enricher replay-dlq` with `s`'s topics; its stdout (the
/// test fails when it exits non-zero).
pub fn replay_dlq(s: &WorkerSetup<'_>, args: &[&str]) -> String {
    let config = s.dir.join("replay.toml");
    std::fs::write(&config, worker_config(s, free_port())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_posting-enricher"))
        .args(["replay-dlq", "--config"])
        .arg(&config)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "replay-dlq exit {:?}: {stdout}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Waits until the group's committed offsets reach the end of the input.
pub fn wait_committed_to_end(worker: &WorkerProcess, addr: &str) {
    wait_committed_to_end_within(worker, addr, Duration::from_secs(60));
}

pub fn wait_committed_to_end_within(worker: &WorkerProcess, addr: &str, timeout: Duration) {
    let ends = end_offsets(addr, IN);
    worker.wait_until("commits at the end offsets", timeout, || {
        committed_to(addr, &ends)
    });
}

/// Whether the group's committed offsets are `ends` (a partition that
/// never had a record has nothing to commit: -1).
pub fn committed_to(addr: &str, ends: &HashMap<i32, i64>) -> bool {
    try_committed(addr, GROUP, IN).is_some_and(|done| {
        ends.iter()
            .all(|(p, end)| done.get(p).map_or(-1, |&c| c.max(0)) == *end)
    })
}
