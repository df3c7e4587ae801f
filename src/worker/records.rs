//! What the worker produces for one consumed record, in either delivery
//! mode: the enriched record, or a dead letter; and, when the record would
//! not fit the topic it goes to (or the broker refused it for its size
//! before), a dead letter trimmed until it does.
//!
//! Sizes are checked against each topic's `max.message.bytes` as the
//! brokers report it at start (and again after a refusal). The check counts
//! the value, the key and the worker's own headers; the headers an input
//! brought with it are not measured (rdkafka's accessors panic on a header
//! name that is not UTF-8), so a record made too large by them is found by
//! the broker's refusal instead, and trimmed when its input is read again.

use std::collections::BTreeMap;

use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};

use super::dead_letter::{self, DeadLetter};
use crate::config::KafkaConfig;
use crate::pipeline::Enriched;
use crate::posting::{RejectReason, Rejection};

/// Room for the record's framing and the worker's own headers (reason,
/// detail of up to 1 KiB, source, version, time), and a record batch's.
const FRAMING_BYTES: usize = 2048;

/// The largest record each of the worker's topics takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub output: usize,
    pub dead_letter: usize,
}

impl Limits {
    /// The producer's own limit, lowered to each topic's where the brokers
    /// reported one.
    pub fn new(
        config: &KafkaConfig,
        producer_max: usize,
        topics: &BTreeMap<String, usize>,
    ) -> Self {
        let of = |topic: &str| {
            topics
                .get(topic)
                .map_or(producer_max, |&t| t.min(producer_max))
        };
        Limits {
            output: of(&config.output_topic),
            dead_letter: of(&config.dead_letter_topic),
        }
    }

    /// The smallest of the two: the producer's `batch.size` must not exceed
    /// it (librdkafka never splits a batch the broker refuses).
    pub fn smallest(&self) -> usize {
        self.output.min(self.dead_letter)
    }
}

/// How much of a dead letter is left out to make it fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Trim {
    /// The original value and headers, as consumed.
    Nothing,
    /// The original value is left out (its size in a header).
    Value,
    /// The input's headers are left out (their count in a header).
    Headers,
    /// Both.
    Both,
}

/// What the broker refused for its size, and so what to send instead the
/// next time the same input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    Enriched,
    DeadLetter(Trim),
}

impl Refused {
    /// The trim to use after this refusal; None when nothing smaller is left.
    fn next_trim(self) -> Option<Trim> {
        match self {
            Refused::Enriched => Some(Trim::Nothing),
            Refused::DeadLetter(Trim::Nothing) => Some(Trim::Headers),
            Refused::DeadLetter(Trim::Value | Trim::Headers) => Some(Trim::Both),
            Refused::DeadLetter(Trim::Both) => None,
        }
    }
}

/// One record to produce.
pub(crate) struct Output<'a> {
    pub topic: &'a str,
    pub key: Option<&'a [u8]>,
    pub payload: &'a [u8],
    pub headers: OwnedHeaders,
    pub kind: Kind,
    /// Its size as far as known (value, key, the worker's headers).
    pub bytes: usize,
}

/// The output of consumed record `m` whose enrichment gave `result`.
/// `refused`: what the broker refused of this input before. None when
/// even the smallest dead letter was refused (the caller treats that as a
/// failed delivery).
pub(crate) fn output_for<'a>(
    config: &'a KafkaConfig,
    m: &'a BorrowedMessage<'_>,
    result: &'a Result<Enriched, Rejection>,
    refused: Option<Refused>,
    limits: Limits,
    now: &str,
) -> Option<Output<'a>> {
    let key_len = m.key().map_or(0, <[u8]>::len);
    let mut trim = match refused {
        None => Trim::Nothing,
        Some(r) => r.next_trim()?,
    };
    let rejection = match result {
        Ok(e) if refused.is_none() => {
            let size = e.json.len() + key_len.max(e.id.len()) + FRAMING_BYTES;
            if size <= limits.output {
                return Some(Output {
                    topic: &config.output_topic,
                    key: Some(m.key().unwrap_or(e.id.as_bytes())),
                    payload: e.json.as_slice(),
                    headers: dead_letter::output_headers(m.headers()),
                    kind: Kind::Enriched,
                    bytes: size,
                });
            }
            too_large(e.json.len(), limits.output, false)
        }
        Ok(e) => too_large(e.json.len(), limits.output, true),
        Err(r) => r.clone(),
    };
    let payload = m.payload().unwrap_or_default();
    if trim < Trim::Value && payload.len() + key_len + FRAMING_BYTES > limits.dead_letter {
        trim = if trim == Trim::Headers {
            Trim::Both
        } else {
            Trim::Value
        };
    }
    let base = match trim {
        Trim::Nothing | Trim::Value => dead_letter::pass_through(m.headers(), 8),
        Trim::Headers | Trim::Both => headers_omitted(m.headers().map_or(0, |h| h.count())),
    };
    let mut headers = dead_letter::dead_letter_headers(
        base,
        &DeadLetter {
            reason: rejection.reason.code(),
            detail: &rejection.detail,
            topic: m.topic(),
            partition: m.partition(),
            offset: m.offset(),
            failed_at: now,
        },
    );
    let payload = match trim {
        Trim::Value | Trim::Both => {
            headers = dead_letter::value_omitted(headers, payload.len());
            &[][..]
        }
        Trim::Nothing | Trim::Headers => payload,
    };
    Some(Output {
        topic: &config.dead_letter_topic,
        key: m.key(),
        payload,
        headers,
        kind: Kind::DeadLetter {
            reason: rejection.reason.code(),
            trim,
        },
        bytes: payload.len() + key_len + FRAMING_BYTES,
    })
}

/// Headers of a dead letter that leaves the input's out: how many there were.
fn headers_omitted(count: usize) -> OwnedHeaders {
    OwnedHeaders::new_with_capacity(9).insert(Header {
        key: dead_letter::HEADER_HEADERS_OMITTED,
        value: Some(count.to_string().as_bytes()),
    })
}

/// An enriched record the output topic does not take.
fn too_large(size: usize, limit: usize, refused: bool) -> Rejection {
    let detail = if refused {
        format!(
            "the broker refused the enriched record ({size} bytes before headers) for its size; the output topic takes {limit} bytes"
        )
    } else {
        format!(
            "the enriched record ({size} bytes) is larger than the output topic takes ({limit} bytes: its max.message.bytes, or the producer's message.max.bytes)"
        )
    };
    Rejection::new(RejectReason::OutputTooLarge, detail)
}

/// What a produced record is, for its delivery report.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Enriched,
    DeadLetter { reason: &'static str, trim: Trim },
}

impl Kind {
    /// What a size refusal of this record means for its input's next read.
    pub fn refused(self) -> Refused {
        match self {
            Kind::Enriched => Refused::Enriched,
            Kind::DeadLetter { trim, .. } => Refused::DeadLetter(trim),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_trims_more_until_nothing_is_left() {
        assert_eq!(Refused::Enriched.next_trim(), Some(Trim::Nothing));
        assert_eq!(
            Refused::DeadLetter(Trim::Nothing).next_trim(),
            Some(Trim::Headers)
        );
        assert_eq!(
            Refused::DeadLetter(Trim::Headers).next_trim(),
            Some(Trim::Both)
        );
        assert_eq!(
            Refused::DeadLetter(Trim::Value).next_trim(),
            Some(Trim::Both)
        );
        assert_eq!(Refused::DeadLetter(Trim::Both).next_trim(), None);
    }

    #[test]
    fn limits_take_the_smaller_of_topic_and_producer() {
        let config = KafkaConfig::default();
        let topics = BTreeMap::from([(config.output_topic.clone(), 60_000)]);
        let l = Limits::new(&config, 2_000_000, &topics);
        assert_eq!(
            (l.output, l.dead_letter, l.smallest()),
            (60_000, 2_000_000, 60_000)
        );
    }
}
