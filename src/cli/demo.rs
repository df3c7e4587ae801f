//! `posting-enricher demo`: the whole pipeline on a laptop with no Kafka.
//! An in-process Kafka cluster (librdkafka's mock cluster), the sample
//! postings shipped in `data/sample/` produced to it, and the real `run`
//! path (same worker loop, same endpoints) consuming them.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use posting_enricher::config::{Config, LogFormat};
use posting_enricher::telemetry::logging;

use super::shell::{self, Telemetry};

/// 341 real postings from the corpus, one of them `{}` and one not JSON at all.
const SAMPLE: &[u8] = include_bytes!("../../data/sample/postings.jsonl");
const PARTITIONS: i32 = 3;

pub fn run(keep_running: bool, listen: String) -> anyhow::Result<ExitCode> {
    let mut config = Config::default();
    config.telemetry.listen = listen;
    config.telemetry.log_format = LogFormat::Text;
    // The demo prints its own summary; the worker's log lines stay quiet.
    config.telemetry.log_level = "warn".into();
    config.worker.commit_interval = Duration::from_millis(200);
    config.validate("demo")?;
    logging::init(config.telemetry.log_format, &config.telemetry.log_level);

    let lines: Vec<&[u8]> = SAMPLE
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    shell::runtime()?.block_on(async move {
        let cluster = MockCluster::new(1).context("starting the in-process Kafka cluster")?;
        let k = &mut config.kafka;
        k.brokers = cluster.bootstrap_servers();
        k.group_id = "posting-enricher-demo".into();
        for topic in [&k.input_topics[0], &k.output_topic, &k.dead_letter_topic] {
            cluster.create_topic(topic, PARTITIONS, 1)?;
        }
        produce(&config, &lines)?;
        println!(
            "posting-enricher demo: in-process Kafka at {}, {} sample postings produced to {} ({} partitions)",
            config.kafka.brokers,
            lines.len(),
            config.kafka.input_topics[0],
            PARTITIONS
        );
        println!(
            "  /metrics, /health/live, /health/ready on http://{}",
            config.telemetry.listen
        );

        let telemetry = Telemetry::new(&config);
        let total = lines.len() as f64;
        let (metrics, shutdown) = (telemetry.metrics.clone(), telemetry.shutdown.clone());
        let topic = config.kafka.input_topics[0].clone();
        let mut watcher = tokio::spawn(async move {
            // From the first record consumed: joining the group takes the
            // mock cluster about 3 s (its initial rebalance delay).
            let mut started: Option<Instant> = None;
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if started.is_none() && metrics.consumed.with_label_values(&[&topic]).get() > 0 {
                    started = Some(Instant::now());
                }
                let Some(started) = started else { continue };
                if started.elapsed() > Duration::from_secs(120) {
                    return None; // something is stuck: report what arrived
                }
                let delivered =
                    metrics.produced.with_label_values(&[&topic]).get() + dead_letters(&metrics, &topic);
                if delivered as f64 >= total {
                    return Some(started.elapsed());
                }
            }
        });
        let report_config = config.clone();
        let worker = shell::run(config, &telemetry);
        tokio::pin!(worker);
        let took = tokio::select! {
            done = &mut watcher => done.ok().flatten(),
            result = &mut worker => {
                // Stopped early (a signal or an error): report what happened.
                return result.map(|(code, _)| code);
            }
        };
        // Let the last commit land before stopping.
        tokio::time::sleep(Duration::from_millis(400)).await;
        report(&report_config, &telemetry, took);
        if keep_running {
            println!("\n--keep-running: the worker keeps serving; Ctrl-C to stop.");
        } else {
            shutdown.request();
        }
        let (code, _) = worker.await?;
        drop(cluster);
        Ok(code)
    })
}

fn dead_letters(metrics: &posting_enricher::telemetry::Metrics, topic: &str) -> u64 {
    posting_enricher::posting::RejectReason::ALL
        .iter()
        .map(|r| {
            metrics
                .dead_lettered
                .with_label_values(&[topic, r.code()])
                .get()
        })
        .sum()
}

fn produce(config: &Config, lines: &[&[u8]]) -> anyhow::Result<()> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &config.kafka.brokers)
        .set("message.max.bytes", "10000000")
        .create()?;
    for (i, line) in lines.iter().enumerate() {
        let partition = (i % PARTITIONS as usize) as i32;
        let record = BaseRecord::<(), [u8]>::to(&config.kafka.input_topics[0])
            .partition(partition)
            .payload(*line);
        posting_enricher::worker::client::send_waiting(&producer, record)
            .context("producing the sample")?;
    }
    producer.flush(Duration::from_secs(30))?;
    Ok(())
}

fn report(config: &Config, telemetry: &Telemetry, took: Option<Duration>) {
    let m = &telemetry.metrics;
    let topic = config.kafka.input_topics[0].as_str();
    let consumed = m.consumed.with_label_values(&[topic]).get();
    let enriched = m.produced.with_label_values(&[topic]).get();
    println!("\nconsumed      {consumed}");
    println!("enriched      {enriched}");
    println!("dead-lettered {}", dead_letters(m, topic));
    for reason in posting_enricher::posting::RejectReason::ALL {
        let n = m
            .dead_lettered
            .with_label_values(&[topic, reason.code()])
            .get();
        if n > 0 {
            println!("  {:<20}{n}", reason.code());
        }
    }
    if let Some(took) = took {
        println!(
            "{:.0} postings/s ({} in {:.2} s, consume to broker acknowledgement)",
            consumed as f64 / took.as_secs_f64().max(1e-6),
            consumed,
            took.as_secs_f64()
        );
    }
    if let Some(record) = first_enriched(config) {
        println!("\none enriched record from {}:", config.kafka.output_topic);
        println!("{record}");
    }
    println!("\nmetrics: http://{}/metrics", config.telemetry.listen);
}

/// The first record of the output topic, pretty-printed, read with a plain
/// consumer as a downstream user would.
fn first_enriched(config: &Config) -> Option<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &config.kafka.brokers)
        .set("group.id", "demo-reader")
        .create()
        .ok()?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&config.kafka.output_topic, 0, Offset::Beginning)
        .ok()?;
    consumer.assign(&tpl).ok()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let value: serde_json::Value = serde_json::from_slice(m.payload()?).ok()?;
            return serde_json::to_string_pretty(&value).ok();
        }
    }
    None
}
