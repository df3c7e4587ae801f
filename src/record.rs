//! The output record, v1 (see `schemas/enriched-posting.v1.json`).
//!
//! Written by hand around serde so that `posting` is the original JSON text,
//! byte for byte, without parsing it into a tree and printing it again.

use serde::Serialize;

use crate::enrich::{DescriptionOut, Enrichment};
use crate::text_scan;

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

/// The parts of one record.
pub struct Record<'a> {
    pub id: &'a str,
    pub fingerprint: &'a str,
    /// The posting's original JSON text; `None` leaves it out of the record.
    pub posting: Option<&'a str>,
    pub enrichment: &'a Enrichment,
    pub context: &'a RecordContext<'a>,
    /// `enricher.reference`: the JSON object of the reference data
    /// versions the record was made with
    /// ([`ReferenceVersions::json`](crate::reference::versions::ReferenceVersions::json)).
    pub reference: &'a str,
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
        write_enrichment(out, self.enrichment)?;
        out.extend_from_slice(b",\"enricher\":{\"version\":");
        serde_json::to_writer(&mut *out, ENRICHER_VERSION)?;
        out.extend_from_slice(b",\"enriched_at\":");
        serde_json::to_writer(&mut *out, self.context.enriched_at)?;
        out.extend_from_slice(b",\"reference\":");
        out.extend_from_slice(self.reference.as_bytes());
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

/// The enrichment as serde would write it, with the description (most of a
/// record's text, ~11 KB on an average corpus posting) through
/// [`write_str`] instead of serde_json's byte-by-byte escaping (the cost
/// is in docs/performance.md). Destructured so that a new field fails to
/// compile here; `enrichment_is_written_as_serde_writes_it` checks bytes.
fn write_enrichment(out: &mut Vec<u8>, enrichment: &Enrichment) -> serde_json::Result<()> {
    let Enrichment {
        description,
        geo,
        locations,
        salary,
        skills,
        lifecycle,
        employment,
        work_arrangement,
        seniority,
        experience,
        education,
        language,
        occupation,
        warnings,
        outcomes: _,
    } = enrichment;
    out.extend_from_slice(b"{\"description\":");
    write_description(out, description);
    out.extend_from_slice(b",\"geo\":");
    let geo_json = out.len()..;
    serde_json::to_writer(&mut *out, geo)?;
    let geo_json = geo_json.start..out.len();
    out.extend_from_slice(b",\"locations\":");
    match locations.split_first() {
        // `geo` is the first location: its JSON is copied, not made again.
        Some((first, others)) if geo.as_ref() == Some(first) => {
            out.push(b'[');
            out.extend_from_within(geo_json);
            for location in others {
                out.push(b',');
                serde_json::to_writer(&mut *out, location)?;
            }
            out.push(b']');
        }
        _ => serde_json::to_writer(&mut *out, locations)?,
    }
    out.extend_from_slice(b",\"salary\":");
    serde_json::to_writer(&mut *out, salary)?;
    out.extend_from_slice(b",\"skills\":");
    write_skills(out, skills);
    out.extend_from_slice(b",\"lifecycle\":");
    serde_json::to_writer(&mut *out, lifecycle)?;
    out.extend_from_slice(b",\"employment\":");
    serde_json::to_writer(&mut *out, employment)?;
    out.extend_from_slice(b",\"work_arrangement\":");
    serde_json::to_writer(&mut *out, work_arrangement)?;
    out.extend_from_slice(b",\"seniority\":");
    serde_json::to_writer(&mut *out, seniority)?;
    out.extend_from_slice(b",\"experience\":");
    serde_json::to_writer(&mut *out, experience)?;
    out.extend_from_slice(b",\"education\":");
    serde_json::to_writer(&mut *out, education)?;
    out.extend_from_slice(b",\"language\":");
    serde_json::to_writer(&mut *out, language)?;
    out.extend_from_slice(b",\"occupation\":");
    serde_json::to_writer(&mut *out, occupation)?;
    out.extend_from_slice(b",\"warnings\":");
    serde_json::to_writer(&mut *out, warnings)?;
    out.push(b'}');
    Ok(())
}

/// Skills as serde writes them, with [`write_str`]: serde_json's escaping
/// of each small string was the larger cost (docs/performance.md).
fn write_skills(out: &mut Vec<u8>, skills: &[crate::enrich::Skill]) {
    write_array(out, skills, |out, skill| {
        let crate::enrich::Skill {
            name,
            category,
            section,
        } = skill;
        out.extend_from_slice(b"{\"name\":");
        write_str(out, name);
        out.extend_from_slice(b",\"category\":");
        write_str(out, category);
        out.extend_from_slice(b",\"section\":");
        write_str(out, section);
        out.push(b'}');
    });
}

fn write_description(out: &mut Vec<u8>, description: &DescriptionOut) {
    let DescriptionOut { text, sections } = description;
    out.extend_from_slice(b"{\"text\":");
    write_str(out, text);
    out.extend_from_slice(b",\"sections\":");
    write_array(out, sections, |out, section| {
        let crate::enrich::Section {
            kind,
            heading,
            text,
            items,
        } = section;
        out.extend_from_slice(b"{\"kind\":\"");
        out.extend_from_slice(kind.as_str().as_bytes());
        out.extend_from_slice(b"\",\"heading\":");
        match heading {
            Some(h) => write_str(out, h),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"text\":");
        write_str(out, text);
        out.extend_from_slice(b",\"items\":");
        write_array(out, items, |out, item| write_str(out, item));
        out.push(b'}');
    });
    out.push(b'}');
}

/// `[...]` with each item written by `write_item`, comma-separated.
fn write_array<T>(out: &mut Vec<u8>, items: &[T], mut write_item: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_item(out, item);
    }
    out.push(b']');
}

/// A JSON string exactly as serde_json writes it (`\"`, `\\`, `\n`, `\t`,
/// `\r`, `\b`, `\f`, other control bytes as `\u00xx`): the runs between
/// the few bytes that need escaping, found sixteen bytes at a time
/// ([`text_scan::first_json_escape`]), are copied whole.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut rest = bytes;
    while let Some(at) = text_scan::first_json_escape(rest) {
        let (run, tail) = rest.split_at(at);
        out.extend_from_slice(run);
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            // Other control bytes as `\u00xx`, lower-case hex like serde_json.
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                for nibble in [b >> 4, b & 0xf] {
                    out.extend(HEX.get(usize::from(nibble)));
                }
            }
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrichment_is_written_as_serde_writes_it() {
        use crate::enrich::{Section, SectionKind};
        let enrichment = Enrichment {
            description: DescriptionOut {
                text: "Intro \"quoted\"\n• item\tone".to_string(),
                sections: vec![
                    Section {
                        kind: SectionKind::Other,
                        heading: None,
                        text: "Intro".to_string(),
                        items: Vec::new(),
                    },
                    Section {
                        kind: SectionKind::EqualOpportunity,
                        heading: Some("EEO \\ statement".to_string()),
                        text: "• item\tone\n• two".to_string(),
                        items: vec!["item\tone".to_string(), "two".to_string()],
                    },
                ],
            },
            geo: None,
            locations: Vec::new(),
            salary: None,
            skills: Vec::new(),
            lifecycle: Some(crate::enrich::Lifecycle {
                posted_at: Some("2021-08-21T04:00:20Z".into()),
                valid_through: None,
            }),
            employment: Some(crate::enrich::Employment {
                types: vec![crate::enrich::EmploymentType::FullTime],
                source: crate::enrich::employment::EmploymentSource::Structured,
                evidence: "employmentType=FULL_TIME".into(),
            }),
            work_arrangement: None,
            seniority: None,
            experience: None,
            education: None,
            language: None,
            occupation: None,
            warnings: Vec::new(),
            outcomes: Default::default(),
        };
        let mut ours = Vec::new();
        write_enrichment(&mut ours, &enrichment).expect("write");
        let serde = serde_json::to_vec(&enrichment).expect("serialize");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&serde)
        );
    }

    #[test]
    fn random_strings_are_escaped_as_serde_json_escapes_them() {
        let pieces = [
            "a", "bc", "defghij", " ", "\n", "\t", "\"", "\\", "\r", "\u{1}", "\u{1f}", "\u{7f}",
            "é", "日本", "\u{8}", "\u{c}",
        ];
        let mut rng = crate::test_random::Lcg::new(29);
        for _ in 0..20_000 {
            let count = (rng.next_u64() >> 58) as usize;
            let s = rng.text(&pieces, count);
            let mut ours = Vec::new();
            write_str(&mut ours, &s);
            let serde = serde_json::to_vec(&s).expect("serialize");
            assert_eq!(ours, serde, "{s:?}");
        }
    }

    #[test]
    fn section_kinds_are_written_as_serde_names_them() {
        for kind in crate::enrich::SectionKind::ALL {
            let serde = serde_json::to_string(&kind).expect("serialize");
            assert_eq!(serde, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0u8..0x80)
            .map(|b| format!("ab{}cdefghij", char::from(b)))
            .collect();
        samples.extend(
            [
                "",
                "\"",
                "plain text of some length, no escapes at all",
                "line one\nline two\twith tab \"quoted\" back\\slash",
                "héllo wörld — “quotes” • bullet 日本語 \u{7f}\u{1f}",
                "12345678\n",
                "1234567\u{0}",
            ]
            .map(String::from),
        );
        for s in samples {
            let mut ours = Vec::new();
            write_str(&mut ours, &s);
            let serde = serde_json::to_vec(&s).expect("serialize");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&serde),
                "{s:?}"
            );
        }
    }
}
