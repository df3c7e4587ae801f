//! Which reference data made a record (`enricher.reference`): for each data
//! set, a version that changes exactly when its content does, so a backfill
//! can tell records made with one day's rates or one taxonomy from another's.
//!
//! A version is `sha256:` and the first 16 hex digits of the SHA-256 of the
//! data as read (`sha256sum FILE | cut -c1-16` gives the same digits for a
//! file); the rates add their date before it. Embedded data sets are hashed
//! when the binary is built (build.rs), files when they are read.

use sha2::{Digest, Sha256};

/// How many hex digits of the SHA-256 a version keeps: 64 bits tell any
/// two files apart that anyone will ever deploy, at a quarter of the
/// length.
const DIGITS: usize = 16;

/// The versions of the data sets one pipeline uses, in a fixed order, and
/// their JSON object as written into every record.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceVersions {
    entries: Vec<(&'static str, String)>,
    json: String,
}

impl ReferenceVersions {
    /// `(data set, version)` pairs, each data set once.
    pub fn new(entries: Vec<(&'static str, String)>) -> Self {
        let members: Vec<String> = entries
            .iter()
            .map(|(name, version)| {
                let quote = |s: &str| serde_json::Value::from(s).to_string();
                format!("{}:{}", quote(name), quote(version))
            })
            .collect();
        let json = format!("{{{}}}", members.join(","));
        ReferenceVersions { entries, json }
    }

    pub fn entries(&self) -> &[(&'static str, String)] {
        &self.entries
    }

    /// The version of one data set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON object (`{"fx_rates":"2026-10-30 sha256:…",…}`).
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// The version of data read at run time.
pub fn content_version(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{}", &hex[..DIGITS])
}

/// The version of an embedded data set from its build-time hash.
fn embedded(sha256_hex: &str) -> String {
    format!("sha256:{}", &sha256_hex[..DIGITS])
}

/// The embedded rates (config/fx-rates.toml) as built.
pub fn embedded_fx_rates() -> String {
    embedded(env!("POSTING_ENRICHER_SHA256_FX_RATES"))
}

/// The embedded skills taxonomy (data/skills.tsv).
pub fn embedded_skills() -> String {
    embedded(env!("POSTING_ENRICHER_SHA256_SKILLS"))
}

/// The data sets that are always embedded: subdivisions and places (geo),
/// ESCO and the title tables (occupation), country, subdivision and
/// currency codes (codes). The phrase tables and rules are code: the
/// enricher's version names them.
pub fn embedded_fixed() -> [(&'static str, String); 3] {
    [
        ("geo", embedded(env!("POSTING_ENRICHER_SHA256_GEO"))),
        (
            "occupation",
            embedded(env!("POSTING_ENRICHER_SHA256_OCCUPATION")),
        ),
        ("codes", embedded(env!("POSTING_ENRICHER_SHA256_CODES"))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_the_start_of_the_sha256_sum() {
        // `printf abc | sha256sum`
        assert_eq!(content_version(b"abc"), "sha256:ba7816bf8f01cfea");
    }

    #[test]
    fn the_embedded_versions_are_the_files_hashes() {
        let fx =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/config/fx-rates.toml")).unwrap();
        assert_eq!(embedded_fx_rates(), content_version(&fx));
        let skills =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/skills.tsv")).unwrap();
        assert_eq!(embedded_skills(), content_version(&skills));
    }

    #[test]
    fn the_json_is_an_object_of_the_entries_in_order() {
        let v = ReferenceVersions::new(vec![
            ("fx_rates", "2026-10-30 sha256:0123456789abcdef".into()),
            ("skills", "sha256:fedcba9876543210".into()),
        ]);
        assert_eq!(
            v.json(),
            r#"{"fx_rates":"2026-10-30 sha256:0123456789abcdef","skills":"sha256:fedcba9876543210"}"#
        );
        assert_eq!(v.get("skills"), Some("sha256:fedcba9876543210"));
        assert_eq!(v.get("geo"), None);
    }
}
