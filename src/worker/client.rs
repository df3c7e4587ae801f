//! librdkafka settings: the worker's defaults, then the operator's
//! pass-through properties, then the few the delivery guarantee depends on.

use rdkafka::ClientConfig;
use rdkafka::config::RDKafkaLogLevel;

use crate::config::Config;

/// Producer `message.max.bytes` default: room for the largest accepted
/// event enriched (about twice its size) and for its dead letter.
pub fn default_message_max_bytes(config: &Config) -> u64 {
    (config.decode.max_record_bytes.saturating_mul(2) + 64 * 1024).clamp(1_000_000, 1_000_000_000)
}

pub fn consumer(config: &Config) -> ClientConfig {
    let k = &config.kafka;
    let mut c = ClientConfig::new();
    c.set("client.id", "posting-enricher")
        // A new group starts at the beginning: a pipeline must not skip
        // what was published before its first start.
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "45000")
        // Bounds the prefetch buffer (memory) at 16 MB.
        .set("queued.max.messages.kbytes", "16384")
        .set("statistics.interval.ms", "5000");
    for (key, value) in &k.consumer {
        c.set(key, value);
    }
    c.set("bootstrap.servers", &k.brokers)
        .set("group.id", &k.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("partition.assignment.strategy", "cooperative-sticky");
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
    let mut c = ClientConfig::new();
    c.set("client.id", "posting-enricher")
        .set("linger.ms", "5")
        .set(
            "message.max.bytes",
            default_message_max_bytes(config).to_string(),
        );
    for (key, value) in &k.producer {
        c.set(key, value);
    }
    // Idempotence keeps each output partition in send order across
    // librdkafka's own retries, and writes each record once.
    c.set("bootstrap.servers", &k.brokers)
        .set("enable.idempotence", "true");
    c
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
