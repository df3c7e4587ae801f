//! librdkafka settings: the worker's defaults, then the operator's
//! pass-through properties, then the few the delivery guarantee depends on.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::RDKafkaLogLevel;

use crate::config::{Config, GroupProtocol};

/// Producer `message.max.bytes` default: room for the largest accepted
/// event enriched (about twice its size) and for its dead letter.
pub fn default_message_max_bytes(config: &Config) -> u64 {
    u64::try_from(config.decode.max_record_bytes)
        .unwrap_or(u64::MAX)
        .saturating_mul(2)
        .saturating_add(64 * 1024)
        .clamp(1_000_000, 1_000_000_000)
}

/// The properties every client gets from the config: the operator's
/// `kafka.common` (TLS, SASL), then the brokers.
fn common(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let mut c = ClientConfig::new();
    c.set("client.id", CLIENT_ID);
    for (key, value) in &k.common {
        c.set(key, value);
    }
    c
}

/// The `client.id` of the worker's clients (broker quotas and logs name it).
pub const CLIENT_ID: &str = "posting-enricher";

pub fn consumer(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let mut c = common(config);
    // A new group starts at the beginning: a pipeline must not skip
    // what was published before its first start.
    c.set("auto.offset.reset", "earliest")
        // Bounds the prefetch buffer (memory) at 16 MB, and one fetch
        // response with it (librdkafka's default allows 50 MB).
        .set("queued.max.messages.kbytes", "16384")
        .set("fetch.max.bytes", "16777216")
        // When that buffer is full librdkafka waits this long before the
        // next fetch (1 s by default): a worker that drains 16 MB in a
        // fraction of a second then sat idle for the rest of it.
        .set("fetch.queue.backoff.ms", "20")
        .set(crate::config::STATISTICS_INTERVAL, "5000");
    if k.group_protocol == GroupProtocol::Classic {
        c.set("session.timeout.ms", "45000");
    }
    for (key, value) in &k.consumer {
        c.set(key, value);
    }
    c.set("bootstrap.servers", &k.brokers)
        .set("group.id", &k.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false");
    match k.group_protocol {
        GroupProtocol::Classic => {
            c.set("partition.assignment.strategy", "cooperative-sticky");
        }
        // KIP-848: the broker assigns; the classic-only settings are not
        // sent (librdkafka refuses them under this protocol).
        GroupProtocol::Consumer => {
            c.set("group.protocol", "consumer");
        }
    }
    if !k.group_instance_id.is_empty() {
        c.set("group.instance.id", &k.group_instance_id);
    }
    // librdkafka's warnings are needed whatever the log level: COMMITFAIL is
    // the only report of a failed asynchronous commit (the worker counts it
    // and re-sends). What is printed is still filtered by `tracing`.
    if matches!(
        c.log_level,
        RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
    ) {
        c.set_log_level(RDKafkaLogLevel::Warning);
    }
    c
}

pub fn producer(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let w = &config.worker;
    let mut c = common(config);
    c.set("linger.ms", "5").set(
        "message.max.bytes",
        default_message_max_bytes(config).to_string(),
    );
    for (key, value) in &k.producer {
        c.set(key, value);
    }
    // librdkafka's queue holds what the worker has in flight, which the
    // worker bounds itself (worker.max_in_flight_bytes; exactly-once, the
    // open transaction's records), past the bound by the last batch at
    // most: room for one more record of the largest size and a margin. A
    // full queue would make the worker wait without polling the group.
    let largest = message_max_bytes(&c) as u64;
    let kbytes = w
        .max_in_flight_bytes
        .saturating_add(largest)
        .div_ceil(1024)
        .saturating_add(32 * 1024)
        .min(i32::MAX as u64);
    // In records: the in-flight cap (or a whole transaction) and a batch.
    let records = w
        .max_in_flight
        .max(w.transaction_records)
        .saturating_add(w.batch_size)
        .clamp(100_000, i32::MAX as u64);
    for (key, value) in [
        ("queue.buffering.max.kbytes", kbytes),
        ("queue.buffering.max.messages", records),
    ] {
        // The operator's setting wins.
        if !k.producer.contains_key(key) {
            c.set(key, value.to_string());
        }
    }
    // Idempotence keeps each output partition in send order across
    // librdkafka's own retries, and writes each record once.
    c.set("bootstrap.servers", &k.brokers)
        .set("enable.idempotence", "true");
    c
}

/// An admin client's settings: the brokers, `kafka.common`, and the
/// consumer's security settings (where an operator put TLS and SASL before
/// `kafka.common` existed).
pub fn admin(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let mut c = common(config);
    for (key, value) in &k.consumer {
        if ["security.", "sasl.", "ssl."]
            .iter()
            .any(|p| key.starts_with(p))
        {
            c.set(key, value);
        }
    }
    c.set("bootstrap.servers", &k.brokers);
    c
}

/// The largest record each topic takes: its `max.message.bytes` as the
/// brokers report it (DescribeConfigs). A topic missing from the answer
/// (not allowed to describe it, or no answer in time) is left out; the
/// caller falls back to the producer's own limit for it.
pub fn topic_limits(config: &Config, topics: &[&str]) -> BTreeMap<String, usize> {
    use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
    let Ok(admin) = admin(config).create::<AdminClient<DefaultClientContext>>() else {
        return BTreeMap::new();
    };
    let specifiers: Vec<ResourceSpecifier<'_>> =
        topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
    let answer = block_on(admin.describe_configs(&specifiers, &options));
    let mut limits = BTreeMap::new();
    let Some(Ok(results)) = answer else {
        return limits;
    };
    for (topic, result) in topics.iter().zip(results) {
        let Ok(resource) = result else { continue };
        if let Some(limit) = resource
            .get("max.message.bytes")
            .and_then(|e| e.value.as_deref())
            .and_then(|v| v.parse().ok())
        {
            limits.insert((*topic).to_string(), limit);
        }
    }
    limits
}

/// Runs a future of the admin API to completion (None if no runtime could
/// start). The admin client completes its futures from its own thread, so
/// a current-thread runtime on a thread of its own is all it needs (the
/// caller may itself be inside the shell's runtime, where blocking on one
/// is not allowed).
fn block_on<F>(future: F) -> Option<F::Output>
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .ok()
                    .map(|rt| rt.block_on(future))
            })
            .join()
            .ok()
            .flatten()
    })
}

/// Sends `record`, waiting while the producer's queue is full (backpressure,
/// not an error); any other refusal is returned. For the tools that copy
/// records (demo, replay-dlq), not the worker's own delivery path.
pub fn send_waiting<C, K, P>(
    producer: &rdkafka::producer::ThreadedProducer<C>,
    mut record: rdkafka::producer::BaseRecord<'_, K, P, ()>,
) -> rdkafka::error::KafkaResult<()>
where
    C: rdkafka::producer::ProducerContext<DeliveryOpaque = ()> + 'static,
    K: rdkafka::message::ToBytes + ?Sized,
    P: rdkafka::message::ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((e, back))
                if e.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::QueueFull) =>
            {
                record = back;
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// The producer's effective `message.max.bytes`.
pub fn message_max_bytes(producer: &ClientConfig) -> usize {
    producer
        .get("message.max.bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review finding (23rd session): the queue was sized for the byte
    /// bound plus 32 MiB and librdkafka's default 100,000 records, so one
    /// record of the largest size the producer takes, or a transaction of
    /// more records than that, met a full queue, where `send` waits without
    /// polling the group.
    #[test]
    fn the_producer_queue_takes_what_the_worker_may_have_in_it() {
        let kbytes = |c: &ClientConfig| -> u64 {
            c.get("queue.buffering.max.kbytes")
                .unwrap()
                .parse()
                .unwrap()
        };
        let records = |c: &ClientConfig| -> u64 {
            c.get("queue.buffering.max.messages")
                .unwrap()
                .parse()
                .unwrap()
        };
        let mut config = Config::default();
        config.decode.max_record_bytes = 100 * 1024 * 1024;
        config.worker.transaction_records = 500_000;
        let c = producer(&config);
        let largest = message_max_bytes(&c) as u64;
        assert!(
            kbytes(&c) * 1024 >= config.worker.max_in_flight_bytes + largest,
            "{} KiB for a bound of {} bytes and records of up to {largest}",
            kbytes(&c),
            config.worker.max_in_flight_bytes
        );
        assert!(records(&c) >= 500_000 + config.worker.batch_size);
        // Defaults: at least librdkafka's own.
        let c = producer(&Config::default());
        assert!(records(&c) >= 100_000);
        // The operator's settings win.
        config
            .kafka
            .producer
            .insert("queue.buffering.max.kbytes".into(), "4096".into());
        assert_eq!(kbytes(&producer(&config)), 4096);
    }

    #[test]
    fn the_guarantee_settings_win_over_pass_through_properties() {
        let mut config = Config::default();
        config
            .kafka
            .consumer
            .insert("fetch.max.bytes".into(), "1000".into());
        config
            .kafka
            .producer
            .insert("compression.type".into(), "zstd".into());
        let c = consumer(&config);
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(c.get("fetch.max.bytes"), Some("1000"));
        let p = producer(&config);
        assert_eq!(p.get("compression.type"), Some("zstd"));
        assert_eq!(p.get("enable.idempotence"), Some("true"));
        assert_eq!(message_max_bytes(&p), 2 * 1024 * 1024 + 64 * 1024);
    }
}
