//! Why a raw event could not be turned into a posting.
//!
//! Every rejection carries a stable, machine-readable reason code (used in
//! dead-letter headers, rejects files and metric labels) and a human detail.
//! Codes are part of the output contract: add new ones, never rename.

use std::fmt;

/// The stable reason a raw event was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// Zero bytes, or only whitespace.
    Empty,
    /// Larger than `decode.max_record_bytes`.
    TooLarge,
    /// Not valid UTF-8.
    InvalidUtf8,
    /// Arrays/objects nested deeper than `decode.max_depth`.
    TooDeep,
    /// Not valid JSON (syntax error, truncated, nested too deeply).
    InvalidJson,
    /// `decode.envelope_pointer` names nothing in this event.
    EnvelopeMissing,
    /// Valid JSON, but not a JobPosting (wrong `@type`, not an object, ...).
    NotAPosting,
    /// An object with no posting fields, such as `{}`.
    NoPostingFields,
    /// The enriched record could not be encoded (a bug, kept typed so it
    /// dead-letters instead of crashing).
    EncodeFailed,
    /// The enriched record is larger than the output topic accepts
    /// (producer `message.max.bytes`); the original goes to the dead letters.
    OutputTooLarge,
    /// Enrichment failed unexpectedly (a bug, caught so that the record is
    /// dead-lettered instead of stopping the worker).
    InternalError,
}

impl RejectReason {
    /// Every reason, in a stable order (for metrics initialisation and docs).
    pub const ALL: [RejectReason; 11] = [
        RejectReason::Empty,
        RejectReason::TooLarge,
        RejectReason::InvalidUtf8,
        RejectReason::TooDeep,
        RejectReason::InvalidJson,
        RejectReason::EnvelopeMissing,
        RejectReason::NotAPosting,
        RejectReason::NoPostingFields,
        RejectReason::EncodeFailed,
        RejectReason::OutputTooLarge,
        RejectReason::InternalError,
    ];

    /// The stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            RejectReason::Empty => "empty",
            RejectReason::TooLarge => "too_large",
            RejectReason::InvalidUtf8 => "invalid_utf8",
            RejectReason::TooDeep => "too_deep",
            RejectReason::InvalidJson => "invalid_json",
            RejectReason::EnvelopeMissing => "envelope_missing",
            RejectReason::NotAPosting => "not_a_posting",
            RejectReason::NoPostingFields => "no_posting_fields",
            RejectReason::EncodeFailed => "encode_failed",
            RejectReason::OutputTooLarge => "output_too_large",
            RejectReason::InternalError => "internal_error",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A raw event that cannot be enriched: the reason code and a detail a
/// person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Rejection {
    pub reason: RejectReason,
    pub detail: String,
}

impl Rejection {
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Self {
        Rejection {
            reason,
            detail: detail.into(),
        }
    }

    /// A record of `length` bytes, over `decode.max_record_bytes` (`max`).
    pub fn too_large(length: u64, max: usize) -> Self {
        Rejection::new(
            RejectReason::TooLarge,
            format!("{length} bytes is over the limit of {max} (decode.max_record_bytes)"),
        )
    }

    /// A JSON syntax error, located by byte offset into `text`.
    pub(crate) fn invalid_json(text: &str, err: &serde_json::Error) -> Self {
        let offset = byte_offset(text, err.line(), err.column());
        Rejection::new(
            RejectReason::InvalidJson,
            format!("{} at byte {offset}", strip_position(err)),
        )
    }
}

/// serde_json reports 1-based line and column (in bytes); turn them into a
/// 0-based byte offset, which is what someone looking at a binary payload needs.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// serde_json's message without its own "at line L column C" suffix.
fn strip_position(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    match msg.rfind(" at line ") {
        Some(pos) => msg[..pos].to_string(),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut codes: Vec<&str> = RejectReason::ALL.iter().map(|r| r.code()).collect();
        assert!(codes.iter().all(|c| {
            c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        }));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RejectReason::ALL.len());
    }

    #[test]
    fn invalid_json_reports_byte_offset() {
        let text = "{\"a\": 1,\n \"b\": ]}";
        let err = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        let r = Rejection::invalid_json(text, &err);
        assert_eq!(r.reason, RejectReason::InvalidJson);
        assert!(r.detail.ends_with("at byte 15"), "{}", r.detail);
        assert_eq!(&text[15..16], "]");
    }
}
