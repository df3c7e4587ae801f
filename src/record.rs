//! The output record, v1 (see `schemas/enriched-posting.v1.json`).
//!
//! Written by hand around serde so that `posting` is the original JSON text,
//! byte for byte, without parsing it into a tree and printing it again.

use serde::Serialize;

use crate::enrich::Enrichment;

/// The version of the record's shape; bumped only on breaking changes.
pub const SCHEMA_VERSION: u32 = 1;

/// The enricher's own version, from Cargo.toml.
pub const ENRICHER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the input came from, when it came from Kafka.
#[derive(Debug, Clone, Serialize)]
pub struct Source<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
}

/// Per-record facts that are not in the posting.
#[derive(Debug, Clone)]
pub struct RecordContext<'a> {
    pub source: Option<Source<'a>>,
    /// RFC 3339 UTC time of enrichment.
    pub enriched_at: &'a str,
}

#[derive(Serialize)]
struct Enricher<'a> {
    version: &'a str,
    enriched_at: &'a str,
}

/// The parts of one record.
pub struct Record<'a> {
    pub id: &'a str,
    pub fingerprint: &'a str,
    /// The posting's original JSON text; `None` leaves it out of the record.
    pub posting: Option<&'a str>,
    pub enrichment: &'a Enrichment,
    pub context: &'a RecordContext<'a>,
}

impl Record<'_> {
    /// Appends the record as one line of JSON (no trailing newline).
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"schema_version\":");
        serde_json::to_writer(&mut *out, &SCHEMA_VERSION)?;
        out.extend_from_slice(b",\"id\":");
        serde_json::to_writer(&mut *out, self.id)?;
        out.extend_from_slice(b",\"fingerprint\":");
        serde_json::to_writer(&mut *out, self.fingerprint)?;
        out.extend_from_slice(b",\"source\":");
        serde_json::to_writer(&mut *out, &self.context.source)?;
        out.extend_from_slice(b",\"posting\":");
        match self.posting {
            Some(raw) => out.extend_from_slice(raw.as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"enrichment\":");
        serde_json::to_writer(&mut *out, self.enrichment)?;
        out.extend_from_slice(b",\"enricher\":");
        serde_json::to_writer(
            &mut *out,
            &Enricher {
                version: ENRICHER_VERSION,
                enriched_at: self.context.enriched_at,
            },
        )?;
        out.push(b'}');
        Ok(())
    }
}
