//! Turns fuzzer bytes into input records, shared by the fuzz target
//! (`fuzz/fuzz_targets/decode_enrich.rs`) and the regression test that
//! replays what it found (`tests/robustness.rs`).
//!
//! Random bytes alone rarely get past JSON parsing, so the first byte picks
//! where the rest goes: the raw record, or one field of an otherwise valid
//! posting (description HTML, salary, coordinates and address), so that
//! every enricher sees hostile input.

use serde_json::{Value, json};

/// The record bytes for one fuzz input.
pub fn record_from_fuzz_input(data: &[u8]) -> Vec<u8> {
    let Some((&mode, rest)) = data.split_first() else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.split('\u{1f}');
    let mut next = || parts.next().unwrap_or("").to_string();
    let posting = match mode % 5 {
        0 => return rest.to_vec(),
        1 => base(json!(text), json!(null), json!(null)),
        2 => base(
            json!("<p>Pay</p>"),
            json!({
                "@type": "MonetaryAmount",
                "currency": next(),
                "value": { "@type": "QuantitativeValue", "value": next(), "minValue": next(), "unitText": next() }
            }),
            json!(null),
        ),
        3 => base(
            json!(format!("<p>{}</p><p>Salary: {}</p>", next(), next())),
            json!(null),
            json!(null),
        ),
        _ => base(
            json!("<p>Geo</p>"),
            json!(null),
            json!({
                "@type": "Place",
                "latitude": next(),
                "longitude": next(),
                "address": {
                    "addressCountry": next(),
                    "addressRegion": next(),
                    "addressLocality": next()
                }
            }),
        ),
    };
    serde_json::to_vec(&posting).unwrap_or_default()
}

fn base(description: Value, salary: Value, location: Value) -> Value {
    let location = if location.is_null() {
        json!({
            "@type": "Place",
            "latitude": 37.44,
            "longitude": -122.16,
            "address": { "addressCountry": "US", "addressRegion": "CA", "addressLocality": "Palo Alto" }
        })
    } else {
        location
    };
    json!({
        "@context": "http://schema.org",
        "@type": "JobPosting",
        "title": "Data Engineer",
        "datePosted": "2021-08-21T04:00:20.000Z",
        "hiringOrganization": { "@type": "Organization", "name": "Acme" },
        "description": description,
        "baseSalary": salary,
        "jobLocation": location
    })
}
