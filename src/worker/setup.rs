//! Start-up steps both delivery modes share: waiting for the brokers and
//! topics, the producer's settings and limits, the enrichment thread pool.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use tracing::{info, warn};

use super::batch::on_poll_error;
use super::client;
use super::context::Shared;
use super::outcome::WorkerError;
use super::records::Limits;
use super::settings::Settings;
use crate::config::Config;

/// The producer's settings, with `batch.size` lowered to the smallest
/// topic limit, and the limits themselves.
pub(super) fn producer_config(config: &Config) -> (rdkafka::ClientConfig, Limits) {
    let mut producer = client::producer(config);
    let producer_max = client::message_max_bytes(&producer);
    let topics = [
        config.kafka.output_topic.as_str(),
        config.kafka.dead_letter_topic.as_str(),
    ];
    let reported = client::topic_limits(config, &topics);
    if reported.len() < topics.len() {
        warn!(
            "could not read max.message.bytes of the output topics (DescribeConfigs); records larger than a topic takes are dead-lettered when the broker refuses them"
        );
    }
    let limits = Limits::new(&config.kafka, producer_max, &reported);
    let batch = producer
        .get("batch.size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1_000_000)
        .min(limits.smallest().saturating_sub(4096).max(1024));
    producer.set("batch.size", batch.to_string());
    info!(
        output_limit = limits.output,
        dead_letter_limit = limits.dead_letter,
        batch_size = batch,
        "record size limits"
    );
    (producer, limits)
}

pub(super) fn enrichment_pool(config: &Config) -> Result<rayon::ThreadPool, WorkerError> {
    let threads = usize::try_from(config.worker.threads).unwrap_or(0);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("enrich-{i}"))
        .build()
        .map_err(|e| WorkerError::Pool(e.to_string()))
}

/// Waits for the brokers (retrying, never exiting on an outage; an
/// authentication failure only after its grace period), then checks that
/// every topic exists. Ok(false): shutdown while waiting.
pub(super) fn waiting_for_brokers<C: ConsumerContext>(
    config: &Config,
    consumer: &BaseConsumer<C>,
    shared: &Shared,
    settings: &Settings,
) -> Result<Option<rdkafka::metadata::Metadata>, WorkerError> {
    let mut warned = false;
    loop {
        if shared.shutdown.is_requested() {
            return Ok(None);
        }
        shared.check_auth_grace(settings.auth_grace);
        if let Some(reason) = shared.fatal() {
            return Err(WorkerError::Fatal(reason));
        }
        shared.health.beat();
        // Before subscribing, a poll serves only the client's logs and
        // errors (authentication among them, for classify_error).
        let until = Instant::now() + Duration::from_millis(300);
        while Instant::now() < until {
            if let Some(Err(e)) = consumer.poll(Duration::from_millis(100)) {
                on_poll_error(consumer, shared, e, &mut None);
            }
        }
        match consumer.fetch_metadata(None, Duration::from_secs(5)) {
            Ok(m) => {
                shared.auth_ok();
                return Ok(Some(m));
            }
            Err(e) => {
                if !warned {
                    warn!(error = %e, brokers = %config.kafka.brokers, "waiting for the brokers");
                    warned = true;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

pub(super) fn wait_for_topics<C: ConsumerContext>(
    config: &Config,
    consumer: &BaseConsumer<C>,
    shared: &Shared,
    settings: &Settings,
) -> Result<bool, WorkerError> {
    let Some(metadata) = waiting_for_brokers(config, consumer, shared, settings)? else {
        return Ok(false);
    };
    shared.health.set_broker_up(true);
    shared.metrics.broker_up.set(1);
    let k = &config.kafka;
    let missing: Vec<&str> = k
        .input_topics
        .iter()
        .chain([&k.output_topic, &k.dead_letter_topic])
        .map(String::as_str)
        .filter(|name| {
            !metadata
                .topics()
                .iter()
                .any(|t| t.name() == *name && t.error().is_none() && !t.partitions().is_empty())
        })
        .collect();
    if !missing.is_empty() {
        return Err(WorkerError::MissingTopics(missing.join(", ")));
    }
    Ok(true)
}
