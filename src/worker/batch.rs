//! What both delivery modes do with what they poll: read poll errors,
//! estimate output sizes, enrich one record (a panic dead-letters it), and
//! say whether a record reached the producer.

use std::time::SystemTime;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use tracing::warn;

use super::context::Shared;
use crate::config::Config;
use crate::pipeline::{Enriched, Pipeline};
use crate::posting::Rejection;
use crate::record::{RecordContext, Source};

/// An error a poll returned: partition ends are not errors; a fatal error
/// (a fenced static member, for one) stops the worker with its cause; the
/// rest go to [`Shared::classify_error`], and are logged once per change.
pub(super) fn on_poll_error<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    shared: &Shared,
    e: KafkaError,
    last: &mut Option<String>,
) {
    use RDKafkaErrorCode as C;
    match &e {
        KafkaError::PartitionEOF(_) => {}
        KafkaError::MessageConsumptionFatal(_) => {
            let cause = consumer.client().fatal_error().map_or_else(
                || e.to_string(),
                |(code, text)| format!("{text} ({code:?})"),
            );
            shared.set_fatal(format!("fatal consumer error: {cause}"));
        }
        _ => match e.rdkafka_error_code() {
            Some(C::UnknownTopicOrPartition | C::UnknownTopic) => {
                shared.set_fatal(format!("consuming: {e}"));
            }
            Some(
                C::AllBrokersDown
                | C::Authentication
                | C::SaslAuthenticationFailed
                | C::TopicAuthorizationFailed
                | C::GroupAuthorizationFailed
                | C::ClusterAuthorizationFailed
                | C::Fatal,
            ) => shared.classify_error(&e, "consumer"),
            _ => {
                let text = e.to_string();
                if last.as_deref() != Some(text.as_str()) {
                    warn!(error = %text, "consume error; retrying");
                    *last = Some(text);
                }
            }
        },
    }
}

/// An enriched record is at most about this many times its input (the
/// posting copied, its text, its sections): a batch's inputs count this
/// much against the in-flight bytes.
pub(super) const OUTPUT_FACTOR: usize = 3;

/// Whether a record reached the producer.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Sent {
    Yes,
    /// Shutdown: the producer's queue stayed full until the deadline.
    Abandoned,
}

/// `output.enriched_at` when fixed, else now (RFC 3339, seconds).
pub(super) fn enriched_at(config: &Config) -> String {
    let fixed = &config.output.enriched_at;
    if fixed.is_empty() {
        humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
    } else {
        fixed.clone()
    }
}

/// Enriches one consumed record. A bug in a parser must not stop the
/// worker on a record it would meet again after every restart: a panic
/// dead-letters the record (`internal_error`).
pub(super) fn enrich_message(
    pipeline: &Pipeline,
    m: &BorrowedMessage<'_>,
    enriched_at: &str,
) -> Result<Enriched, Rejection> {
    let context = RecordContext {
        source: Some(Source {
            topic: m.topic(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp_ms: m.timestamp().to_millis(),
        }),
        enriched_at,
    };
    pipeline.process_guarded(m.payload().unwrap_or_default(), &context)
}
