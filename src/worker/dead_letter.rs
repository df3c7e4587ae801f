//! Dead-letter records: the original value and key unchanged (a replay is a
//! plain copy back to the input topic), the input headers kept, and headers
//! that say why and from where.

use rdkafka::message::{BorrowedHeaders, Header, Headers, OwnedHeaders};

use crate::record::{ENRICHER_VERSION, SCHEMA_VERSION};

pub const HEADER_REASON: &str = "posting-enricher-reason";
pub const HEADER_DETAIL: &str = "posting-enricher-detail";
pub const HEADER_SOURCE_TOPIC: &str = "posting-enricher-source-topic";
pub const HEADER_SOURCE_PARTITION: &str = "posting-enricher-source-partition";
pub const HEADER_SOURCE_OFFSET: &str = "posting-enricher-source-offset";
pub const HEADER_VERSION: &str = "posting-enricher-version";
pub const HEADER_FAILED_AT: &str = "posting-enricher-failed-at";
/// On a dead letter whose original value was too large for the broker: the
/// original's size in bytes (the value is then empty; the original stays
/// in the input topic at the source offset).
pub const HEADER_VALUE_OMITTED: &str = "posting-enricher-value-omitted";
/// On a dead letter that leaves the input's headers out (they made it too
/// large for the broker): how many there were. The originals stay on the
/// input record at the source offset.
pub const HEADER_HEADERS_OMITTED: &str = "posting-enricher-headers-omitted";
/// On enriched records: the record schema version.
pub const HEADER_SCHEMA_VERSION: &str = "posting-enricher-schema-version";

/// Header values are bounded so a pathological detail cannot blow up a record.
const MAX_DETAIL_BYTES: usize = 1024;

/// Copies the input headers, in order. Copied natively: rdkafka's header
/// iterator panics on a key that is not UTF-8, which any producer can send.
pub fn pass_through(input: Option<&BorrowedHeaders>, extra: usize) -> OwnedHeaders {
    input.map_or_else(
        || OwnedHeaders::new_with_capacity(extra),
        BorrowedHeaders::detach,
    )
}

/// Headers of an enriched record.
pub fn output_headers(input: Option<&BorrowedHeaders>) -> OwnedHeaders {
    pass_through(input, 1).insert(Header {
        key: HEADER_SCHEMA_VERSION,
        value: Some(SCHEMA_VERSION.to_string().as_bytes()),
    })
}

/// Where a dead letter came from and why.
pub struct DeadLetter<'a> {
    pub reason: &'a str,
    pub detail: &'a str,
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    /// RFC 3339.
    pub failed_at: &'a str,
}

fn truncated(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

/// Headers of a dead letter: `base` (the input headers), then ours.
pub fn dead_letter_headers(base: OwnedHeaders, dl: &DeadLetter<'_>) -> OwnedHeaders {
    let partition = dl.partition.to_string();
    let offset = dl.offset.to_string();
    let fields: [(&str, &str); 7] = [
        (HEADER_REASON, dl.reason),
        (HEADER_DETAIL, truncated(dl.detail, MAX_DETAIL_BYTES)),
        (HEADER_SOURCE_TOPIC, dl.topic),
        (HEADER_SOURCE_PARTITION, &partition),
        (HEADER_SOURCE_OFFSET, &offset),
        (HEADER_VERSION, ENRICHER_VERSION),
        (HEADER_FAILED_AT, dl.failed_at),
    ];
    let mut out = base;
    for (key, value) in fields {
        out = out.insert(Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    out
}

/// Marks a dead letter whose value is left out, with the original's size.
pub fn value_omitted(headers: OwnedHeaders, size: usize) -> OwnedHeaders {
    headers.insert(Header {
        key: HEADER_VALUE_OMITTED,
        value: Some(size.to_string().as_bytes()),
    })
}

/// The last value of header `key`, as text.
pub fn header_str<'a, H: Headers>(headers: &'a H, key: &str) -> Option<&'a str> {
    headers
        .iter()
        .filter(|h| h.key == key)
        .last()
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letter_headers_name_reason_source_and_version() {
        let dl = DeadLetter {
            reason: "invalid_json",
            detail: &"x".repeat(5000),
            topic: "postings.raw",
            partition: 2,
            offset: 41,
            failed_at: "2026-11-29T10:00:00Z",
        };
        let h = dead_letter_headers(OwnedHeaders::new(), &dl);
        assert_eq!(header_str(&h, HEADER_REASON), Some("invalid_json"));
        assert_eq!(header_str(&h, HEADER_SOURCE_PARTITION), Some("2"));
        assert_eq!(header_str(&h, HEADER_SOURCE_OFFSET), Some("41"));
        assert_eq!(header_str(&h, HEADER_VERSION), Some(ENRICHER_VERSION));
        assert_eq!(header_str(&h, HEADER_DETAIL).map(str::len), Some(1024));
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncated("aé", 2), "a");
        assert_eq!(truncated("abc", 5), "abc");
    }
}
