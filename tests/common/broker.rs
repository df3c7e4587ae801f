//! Apache Kafka for the real-broker tests: one KRaft node (broker and
//! controller in one process), or a cluster of three brokers with a
//! controller of their own, each JVM started from the jars that
//! `scripts/lib/setup.sh` (`ensure_kafka`) fetched from Maven Central.
//!
//! Every [`Broker`] lives in a fresh temporary directory, listens on free
//! loopback ports, formats its storage with Kafka's own `StorageTool`, and
//! is stopped when dropped. Its directory (configs, data and each node's
//! `server.log`, and the logs of the workers a test started there) is
//! deleted then, unless the test is failing or `KEEP_BROKER_DIRS` is set:
//! then it is kept and its path printed.
//!
//! When a broker or cluster is up, one line says so:
//! `Apache Kafka <version> started on <addresses> in <ms> ms`.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// The folder of broker jars: `$KAFKA_LIBS`, else where
/// `scripts/lib/setup.sh` puts them. Missing is a failure (run
/// `scripts/test`), never a skip.
pub fn kafka_libs() -> PathBuf {
    if let Some(p) = std::env::var_os("KAFKA_LIBS") {
        return PathBuf::from(p);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"));
    let p = cargo_home.join(format!(
        "posting-enricher-tools/kafka-{}/libs",
        kafka_version()
    ));
    assert!(
        p.join(format!("kafka_2.13-{}.jar", kafka_version()))
            .is_file(),
        "Apache Kafka is not installed at {} (scripts/test installs it; or set KAFKA_LIBS)",
        p.display()
    );
    p
}

/// The pinned broker version (scripts/lib/setup.sh, `KAFKA_VERSION`).
pub fn kafka_version() -> String {
    std::env::var("KAFKA_VERSION").unwrap_or_else(|_| "4.4.0".to_string())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

pub fn unique_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("pe-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a node does in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Broker and controller in one process (the single-node setup).
    Combined,
    Controller,
    Broker,
}

/// A client listener with SASL_SSL (SCRAM-SHA-512 over TLS), beside the
/// plaintext one the test clients use.
#[derive(Debug, Clone)]
pub struct SaslSsl {
    pub user: String,
    pub password: String,
}

/// The TLS material a [`SaslSsl`] listener was made with.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The certificate authority that signed the broker's certificate
    /// (for the clients' `ssl.ca.location`).
    pub ca_pem: PathBuf,
}

struct Node {
    id: u32,
    role: Role,
    dir: PathBuf,
    /// PLAINTEXT client port (0 for a controller).
    port: u16,
    /// SASL_SSL client port, when the broker has that listener.
    sasl_port: u16,
    child: Option<Child>,
}

impl Node {
    fn config(&self) -> PathBuf {
        self.dir.join("server.properties")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn is_broker(&self) -> bool {
        self.role != Role::Controller
    }
}

/// A running Apache Kafka: one node, or a controller and three brokers.
pub struct Broker {
    nodes: Vec<Node>,
    pub dir: PathBuf,
    /// Set for a broker started with [`Broker::start_with_sasl_ssl`].
    pub tls: Option<Tls>,
}

/// Settings every node gets: fast group joins, no automatic topics (the
/// worker must see a missing topic as one), small internal topics (their
/// 50 default partitions take seconds to create on 2 cores).
const COMMON_PROPERTIES: &str = "\
num.partitions=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.enable=false
# KIP-848 groups: the session timeout is the broker's; shorter than the
# 45 s default so that a killed member leaves within a test's patience.
group.consumer.min.session.timeout.ms=6000
group.consumer.session.timeout.ms=15000
group.consumer.min.heartbeat.interval.ms=1000
group.consumer.heartbeat.interval.ms=2000
# A stopped broker is fenced (and leaves the ISR) after 6 s, not 9 s.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000
";

impl Broker {
    /// One KRaft node, broker and controller in one process.
    pub fn start(name: &str) -> Broker {
        Self::launch(name, false, None)
    }

    /// One node with a SASL_SSL listener (SCRAM-SHA-512 over TLS, with a
    /// certificate authority and a certificate made for this run) for
    /// `credentials`, beside the plaintext one.
    pub fn start_with_sasl_ssl(name: &str, credentials: SaslSsl) -> Broker {
        Self::launch(name, false, Some(credentials))
    }

    /// A controller and three brokers; topics default to replication
    /// factor 3 with `min.insync.replicas = 2`.
    pub fn start_cluster(name: &str) -> Broker {
        Self::launch(name, true, None)
    }

    fn launch(name: &str, cluster: bool, sasl: Option<SaslSsl>) -> Broker {
        let started = Instant::now();
        let dir = unique_dir(name);
        let roles: Vec<(u32, Role)> = if cluster {
            vec![
                (0, Role::Controller),
                (1, Role::Broker),
                (2, Role::Broker),
                (3, Role::Broker),
            ]
        } else {
            vec![(1, Role::Combined)]
        };
        let controller_port = free_port();
        let mut nodes: Vec<Node> = roles
            .into_iter()
            .map(|(id, role)| {
                let node_dir = dir.join(format!("node-{id}"));
                std::fs::create_dir_all(&node_dir).unwrap();
                Node {
                    id,
                    role,
                    dir: node_dir,
                    port: if role == Role::Controller {
                        0
                    } else {
                        free_port()
                    },
                    sasl_port: if sasl.is_some() { free_port() } else { 0 },
                    child: None,
                }
            })
            .collect();
        let tls = sasl.as_ref().map(|_| make_tls(&dir));
        for node in &nodes {
            write_properties(node, controller_port, cluster, tls.as_ref());
        }
        let cluster_id = random_cluster_id();
        // Formatting is a JVM start each: run them side by side.
        let formats: Vec<Child> = nodes
            .iter()
            .map(|node| format_storage(node, &cluster_id, sasl.as_ref()))
            .collect();
        for (mut child, node) in formats.into_iter().zip(&nodes) {
            let status = child.wait().unwrap();
            assert!(
                status.success(),
                "formatting node {} failed: {}",
                node.id,
                std::fs::read_to_string(node.dir.join("format.log")).unwrap_or_default()
            );
        }
        for node in &mut nodes {
            spawn(node);
        }
        let broker = Broker {
            nodes,
            dir,
            tls: tls.map(|ca_pem| Tls { ca_pem }),
        };
        broker.wait_until_up(Duration::from_secs(90));
        println!(
            "Apache Kafka {} started on {} in {} ms",
            kafka_version(),
            broker.addr(),
            started.elapsed().as_millis()
        );
        broker
    }

    /// The bootstrap list of the plaintext listeners of every broker.
    pub fn addr(&self) -> String {
        self.nodes
            .iter()
            .filter(|n| n.is_broker())
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The bootstrap list of the SASL_SSL listeners.
    pub fn sasl_addr(&self) -> String {
        self.nodes
            .iter()
            .filter(|n| n.is_broker() && n.sasl_port != 0)
            .map(|n| format!("127.0.0.1:{}", n.sasl_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The broker node ids (1 for a single node; 1, 2, 3 in a cluster).
    pub fn broker_ids(&self) -> Vec<u32> {
        self.nodes
            .iter()
            .filter(|n| n.is_broker())
            .map(|n| n.id)
            .collect()
    }

    /// The process id of the (first) broker, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.nodes
            .iter()
            .find(|n| n.is_broker())
            .and_then(|n| n.child.as_ref().map(Child::id))
    }

    fn node_mut(&mut self, id: u32) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node {id}"))
    }

    /// SIGKILL of every node, as a crash (for a single node: the broker).
    pub fn kill(&mut self) {
        for node in &mut self.nodes {
            kill(node);
        }
    }

    /// Starts every node again on the same ports and storage, and waits
    /// until the brokers answer.
    pub fn restart(&mut self) {
        self.kill();
        for node in &mut self.nodes {
            spawn(node);
        }
        self.wait_until_up(Duration::from_secs(90));
    }

    /// SIGSTOP of every node: the brokers hang (connections stay open,
    /// nothing is answered), as under a long GC pause or a frozen VM.
    pub fn freeze(&self) {
        self.signal_all("-STOP");
    }

    /// SIGCONT after [`Broker::freeze`].
    pub fn thaw(&self) {
        self.signal_all("-CONT");
    }

    fn signal_all(&self, sig: &str) {
        for node in &self.nodes {
            if let Some(c) = &node.child {
                let _ = Command::new("kill")
                    .args([sig, &c.id().to_string()])
                    .status();
            }
        }
    }

    /// SIGKILL of one node.
    pub fn kill_node(&mut self, id: u32) {
        kill(self.node_mut(id));
    }

    /// SIGTERM of one node (a controlled shutdown), waiting for its exit.
    pub fn stop_node(&mut self, id: u32) {
        let node = self.node_mut(id);
        if let Some(mut child) = node.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(60);
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Starts one node again (same port and storage) and waits until every
    /// broker that should run answers.
    pub fn start_node(&mut self, id: u32) {
        spawn(self.node_mut(id));
        self.wait_until_up(Duration::from_secs(90));
    }

    /// Waits until the metadata lists every running broker.
    fn wait_until_up(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let running: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.is_broker() && n.child.is_some())
            .collect();
        for node in &running {
            while TcpStream::connect(("127.0.0.1", node.port)).is_err() {
                self.check_alive(node, deadline);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.addr())
            .set("log_level", "3")
            .create()
            .unwrap();
        loop {
            if let Ok(md) = client.fetch_metadata(None, Duration::from_secs(2))
                && running
                    .iter()
                    .all(|n| md.brokers().iter().any(|b| b.id() == n.id as i32))
            {
                return;
            }
            for node in &running {
                self.check_alive(node, deadline);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn check_alive(&self, node: &Node, deadline: Instant) {
        let tail = || {
            let text = std::fs::read_to_string(node.log()).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        assert!(
            Instant::now() < deadline,
            "Apache Kafka node {} did not come up; its log ends:\n{}",
            node.id,
            tail()
        );
    }

    /// The broker id leading `topic`/`partition` now (None while it has no
    /// leader).
    pub fn leader(&self, topic: &str, partition: i32) -> Option<u32> {
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.addr())
            .set("log_level", "3")
            .create()
            .unwrap();
        let md = client
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .ok()?;
        let p = md
            .topics()
            .first()?
            .partitions()
            .iter()
            .find(|p| p.id() == partition)?;
        u32::try_from(p.leader()).ok()
    }

    /// A topic with the default replication (1 on one node, 3 on a cluster).
    pub fn create_topic(&self, name: &str, partitions: i32) {
        self.create_topic_with(name, partitions, &[]);
    }

    /// A topic with topic-level settings, e.g. `("max.message.bytes", "200000")`.
    pub fn create_topic_with(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        let replication = i32::try_from(self.broker_ids().len()).unwrap_or(1);
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", self.addr())
            .create()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replication));
        for (k, v) in configs {
            topic = topic.set(k, v);
        }
        let results = rt
            .block_on(admin.create_topics(
                &[topic],
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
            ))
            .expect("create topics");
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
        }
        // Wait until every partition has a leader: a produce right after
        // creation must not race the leader election.
        let deadline = Instant::now() + Duration::from_secs(30);
        while (0..partitions).any(|p| self.leader(name, p).is_none()) {
            assert!(Instant::now() < deadline, "topic {name} has no leaders");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs one of Kafka's own command-line tools (a class of the jars,
    /// e.g. `org.apache.kafka.tools.ConfigCommand`) against this broker;
    /// its output, or a failure with it.
    pub fn tool(&self, class: &str, args: &[&str]) -> String {
        let out = Command::new("java")
            .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp"])
            .arg(classpath())
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                log4j_config().display()
            ))
            .arg(class)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run a Kafka tool");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{class} {args:?} failed:\n{text}");
        text
    }

    /// Each time a broker dropped transaction markers, by its logs: the
    /// partitions they were for (see [`dropped_marker_partitions`]).
    pub fn dropped_markers(&self) -> Vec<Vec<(String, i32)>> {
        self.nodes
            .iter()
            .flat_map(|n| {
                let log = std::fs::read_to_string(n.log()).unwrap_or_default();
                dropped_marker_partitions(&log)
            })
            .collect()
    }

    /// Ends every transaction left open on `partitions` as an operator
    /// would: `kafka-transactions.sh describe-producers` finds each open
    /// transaction's first offset on every partition before anything is
    /// aborted, then `abort --start-offset` writes abort markers, on the
    /// group offsets' partitions last: until those are free the worker
    /// reads nothing, so no transaction of its own can be open when a
    /// partition is looked at or aborted. What it aborted, as
    /// `topic/partition@offset`.
    pub fn abort_open_transactions(&self, partitions: &[(String, i32)]) -> Vec<String> {
        const TRANSACTIONS: &str = "org.apache.kafka.tools.TransactionsCommand";
        let bootstrap = self.addr();
        let mut open: Vec<(&str, String, String)> = Vec::new();
        for (topic, partition) in partitions {
            let p = partition.to_string();
            let table = self.tool(
                TRANSACTIONS,
                &[
                    "--bootstrap-server",
                    &bootstrap,
                    "describe-producers",
                    "--topic",
                    topic,
                    "--partition",
                    &p,
                ],
            );
            for start in open_transaction_starts(&table) {
                open.push((topic.as_str(), p.clone(), start.to_string()));
            }
        }
        // Stable: the data partitions first, in the order given.
        open.sort_by_key(|(topic, _, _)| *topic == "__consumer_offsets");
        let mut aborted = Vec::new();
        for (topic, p, start) in open {
            self.tool(
                TRANSACTIONS,
                &[
                    "--bootstrap-server",
                    &bootstrap,
                    "abort",
                    "--topic",
                    topic,
                    "--partition",
                    &p,
                    "--start-offset",
                    &start,
                ],
            );
            aborted.push(format!("{topic}/{p}@{start}"));
        }
        aborted
    }

    /// Caps the produce rate of every client whose `client.id` is
    /// `client_id` (a broker quota): the output of a slow cluster.
    pub fn throttle_producer(&self, client_id: &str, bytes_per_second: u64) {
        let rate = format!("producer_byte_rate={bytes_per_second}");
        self.client_quota(client_id, &["--add-config", &rate]);
    }

    /// Lifts what [`Broker::throttle_producer`] set.
    pub fn unthrottle_producer(&self, client_id: &str) {
        self.client_quota(client_id, &["--delete-config", "producer_byte_rate"]);
    }

    fn client_quota(&self, client_id: &str, change: &[&str]) {
        let addr = self.addr();
        let mut args = vec!["--bootstrap-server", &addr, "--alter"];
        args.extend_from_slice(change);
        args.extend_from_slice(&["--entity-type", "clients", "--entity-name", client_id]);
        self.tool("org.apache.kafka.tools.ConfigCommand", &args);
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.thaw();
        self.kill();
        if std::thread::panicking() || std::env::var_os("KEEP_BROKER_DIRS").is_some() {
            eprintln!(
                "Apache Kafka's data and logs kept in {} (node-*/server.log)",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn classpath() -> String {
    format!("{}/*", kafka_libs().display())
}

/// `scripts/kafka/log4j2.yaml`: the brokers' log format and levels.
fn log4j_config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka/log4j2.yaml")
}

/// A cluster id in Kafka's format (16 random bytes, base64url without
/// padding), from the clock and process: unique per test run.
fn random_cluster_id() -> String {
    use base64::Engine as _;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut bytes = [0u8; 16];
    bytes[..12].copy_from_slice(&nanos.to_le_bytes()[..12]);
    bytes[12..].copy_from_slice(&std::process::id().to_le_bytes());
    // A first character of '-' would read as an option to the storage tool.
    bytes[0] &= 0x7f;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn write_properties(node: &Node, controller_port: u16, cluster: bool, tls: Option<&PathBuf>) {
    let mut p = String::new();
    let data = node.dir.join("data");
    let controller = format!("127.0.0.1:{controller_port}");
    let mut protocols = vec!["CONTROLLER:PLAINTEXT", "PLAINTEXT:PLAINTEXT"];
    match node.role {
        Role::Combined => {
            p.push_str("process.roles=broker,controller\n");
            let mut listeners = format!(
                "PLAINTEXT://127.0.0.1:{},CONTROLLER://{controller}",
                node.port
            );
            let mut advertised = format!("PLAINTEXT://127.0.0.1:{}", node.port);
            if node.sasl_port != 0 {
                listeners.push_str(&format!(",SASL_SSL://127.0.0.1:{}", node.sasl_port));
                advertised.push_str(&format!(",SASL_SSL://127.0.0.1:{}", node.sasl_port));
                protocols.push("SASL_SSL:SASL_SSL");
            }
            p.push_str(&format!(
                "listeners={listeners}\nadvertised.listeners={advertised}\n"
            ));
        }
        Role::Controller => {
            p.push_str("process.roles=controller\n");
            p.push_str(&format!("listeners=CONTROLLER://{controller}\n"));
        }
        Role::Broker => {
            p.push_str("process.roles=broker\n");
            p.push_str(&format!(
                "listeners=PLAINTEXT://127.0.0.1:{port}\nadvertised.listeners=PLAINTEXT://127.0.0.1:{port}\n",
                port = node.port
            ));
        }
    }
    p.push_str(&format!(
        "node.id={}\ncontroller.quorum.bootstrap.servers={controller}\ncontroller.listener.names=CONTROLLER\ninter.broker.listener.name=PLAINTEXT\nlistener.security.protocol.map={}\nlog.dirs={}\n",
        node.id,
        protocols.join(","),
        data.display()
    ));
    p.push_str(COMMON_PROPERTIES);
    if cluster {
        p.push_str(
            "default.replication.factor=3\nmin.insync.replicas=2\noffsets.topic.replication.factor=3\ntransaction.state.log.replication.factor=3\ntransaction.state.log.min.isr=2\n",
        );
    } else {
        p.push_str(
            "offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1\nshare.coordinator.state.topic.replication.factor=1\nshare.coordinator.state.topic.min.isr=1\n",
        );
    }
    if let (Some(tls_dir), true) = (tls, node.sasl_port != 0) {
        let dir = tls_dir.parent().unwrap();
        p.push_str(&format!(
            "sasl.enabled.mechanisms=SCRAM-SHA-512\n\
             listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n\
             listener.name.sasl_ssl.ssl.keystore.type=PEM\n\
             listener.name.sasl_ssl.ssl.keystore.location={}\n",
            dir.join("broker-keystore.pem").display()
        ));
    }
    std::fs::write(node.config(), p).unwrap();
}

/// `StorageTool format` for one node, started (the caller waits).
fn format_storage(node: &Node, cluster_id: &str, sasl: Option<&SaslSsl>) -> Child {
    let log = std::fs::File::create(node.dir.join("format.log")).unwrap();
    let mut cmd = Command::new("java");
    cmd.args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])
        .arg("-cp")
        .arg(classpath())
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            log4j_config().display()
        ))
        .args(["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c"])
        .arg(node.config());
    if node.role != Role::Broker {
        // The one controller is the whole initial quorum.
        cmd.arg("--standalone");
    }
    if let Some(s) = sasl {
        cmd.args([
            "--add-scram",
            &format!("SCRAM-SHA-512=[name={},password={}]", s.user, s.password),
        ]);
    }
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("run Kafka's StorageTool (is java on the PATH?)")
}

fn spawn(node: &mut Node) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(node.log())
        .unwrap();
    let heap = if node.role == Role::Controller {
        "-Xmx256m"
    } else {
        "-Xmx512m"
    };
    let child = Command::new("java")
        .args([
            heap,
            "-Xms128m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
        ])
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            log4j_config().display()
        ))
        .arg("-cp")
        .arg(classpath())
        .arg("kafka.Kafka")
        .arg(node.config())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start Apache Kafka (is java on the PATH?)");
    node.child = Some(child);
}

fn kill(node: &mut Node) {
    if let Some(mut c) = node.child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// A certificate authority and a broker certificate for 127.0.0.1, made
/// with openssl in `dir/tls`; returns the CA certificate's path.
fn make_tls(dir: &Path) -> PathBuf {
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&tls)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=posting-enricher test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "broker.key",
        "-out",
        "broker.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        tls.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "broker.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    // Kafka's PEM keystore: the private key (PKCS#8, unencrypted) and the
    // certificate chain in one file.
    run(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        "broker.key",
        "-out",
        "broker.p8",
    ]);
    let mut keystore = std::fs::File::create(tls.join("broker-keystore.pem")).unwrap();
    for part in ["broker.p8", "broker.pem", "ca.pem"] {
        keystore
            .write_all(&std::fs::read(tls.join(part)).unwrap())
            .unwrap();
    }
    tls.join("ca.pem")
}

/// The `CurrentTransactionStartOffset` column of `describe-producers`'
/// table where a transaction is open (`None` where none is). Rows are
/// those with as many fields as the header: the tool's log lines are not.
pub fn open_transaction_starts(table: &str) -> Vec<i64> {
    let mut lines = table
        .lines()
        .skip_while(|l| !l.contains("CurrentTransactionStartOffset"));
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let header: Vec<&str> = header.split_whitespace().collect();
    let Some(column) = header
        .iter()
        .position(|h| *h == "CurrentTransactionStartOffset")
    else {
        return Vec::new();
    };
    lines
        .map(|row| row.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.len() == header.len())
        .filter_map(|fields| fields[column].parse::<i64>().ok())
        .collect()
}

/// The partitions named in each broker log line of a transaction
/// coordinator that dropped markers for want of a leader ("Couldn't find
/// leader endpoint for partitions HashSet(out-0, __consumer_offsets-1)
/// while trying to send transaction markers ... likely deleted already and
/// hence can be skipped"), as (topic, partition).
pub fn dropped_marker_partitions(log: &str) -> Vec<Vec<(String, i32)>> {
    log.lines()
        .filter(|l| l.contains("likely deleted already"))
        .filter_map(|line| {
            // Scala's `Set(a, b)` or, for more partitions, `HashSet(a, b, ...)`.
            let set = line
                .split_once("for partitions ")
                .and_then(|(_, rest)| rest.split_once('('))
                .and_then(|(_, rest)| rest.split_once(')'))
                .map(|(set, _)| set)?;
            Some(
                set.split(", ")
                    .filter_map(|name| {
                        let (topic, p) = name.trim().rsplit_once('-')?;
                        Some((topic.to_string(), p.parse::<i32>().ok()?))
                    })
                    .collect(),
            )
        })
        .collect()
}
