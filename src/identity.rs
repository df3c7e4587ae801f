//! A posting's stable `id` and content `fingerprint`.
//!
//! - `id`: the employer's identifier when the posting has one, namespaced by
//!   the identifier's `name` (or else the hiring organization), because
//!   requisition numbers such as "JR-008133" are unique only within one
//!   employer: `"<name>:<value>"`. Without an identifier: `"fp:"` and the
//!   fingerprint. Note that one requisition posted in several cities keeps
//!   one `id` (the corpus has 487 such groups); use `fingerprint` to tell
//!   the copies apart.
//! - `fingerprint`: 32 hex digits of XXH3-128 over the canonical fields
//!   (title, organization, date posted, each location's address and point,
//!   description), joined with U+001F. XXH3 is a fixed, documented
//!   algorithm, so fingerprints are stable across versions and machines.

use std::fmt::Write as _;

use xxhash_rust::xxh3::Xxh3;

use crate::posting::PostingView;

/// Separates fields in the hashed text, so ("ab", "c") != ("a", "bc").
const SEPARATOR: &[u8] = b"\x1f";

pub fn fingerprint(view: &PostingView<'_>) -> String {
    let mut h = Xxh3::new();
    let mut field = |s: Option<&str>| {
        h.update(s.unwrap_or("").as_bytes());
        h.update(SEPARATOR);
    };
    field(view.title.as_deref());
    field(view.organization.as_deref());
    field(view.date_posted.as_deref());
    let mut point = String::new();
    for loc in &view.locations {
        field(loc.address.country.as_deref());
        field(loc.address.region.as_deref());
        field(loc.address.locality.as_deref());
        field(loc.address.postal_code.as_deref());
        point.clear();
        if let Some((lat, lon)) = loc.point() {
            let _ = write!(point, "{lat},{lon}");
        }
        field(Some(&point));
    }
    field(view.description.as_deref());
    format!("{:032x}", h.digest128())
}

pub fn id(view: &PostingView<'_>, fingerprint: &str) -> String {
    match &view.identifier {
        Some(ident) => match ident.name.as_deref().or(view.organization.as_deref()) {
            Some(name) => format!("{name}:{}", ident.value),
            None => ident.value.clone(),
        },
        None => format!("fp:{fingerprint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posting::{DecodeOptions, locate, parse};

    fn ids(json: &str) -> (String, String) {
        let doc = locate(json.as_bytes(), &DecodeOptions::default()).unwrap();
        let v = parse(&doc).unwrap();
        let fp = fingerprint(&v);
        (id(&v, &fp), fp)
    }

    #[test]
    fn identifier_is_namespaced() {
        let (id, _) = ids(
            r#"{"@type":"JobPosting","title":"x","identifier":{"@type":"PropertyValue","name":"Tesla","value":"99253"}}"#,
        );
        assert_eq!(id, "Tesla:99253");
        let (id, _) = ids(r#"{"@type":"JobPosting","title":"x","identifier":17698}"#);
        assert_eq!(id, "17698");
    }

    #[test]
    fn fingerprint_is_stable_and_content_sensitive() {
        let (id_a, fp_a) = ids(r#"{"@type":"JobPosting","title":"x","description":"d"}"#);
        let (_, fp_b) = ids(r#"{"description":"d","@type":"JobPosting","title":"x"}"#);
        let (_, fp_c) = ids(r#"{"@type":"JobPosting","title":"x","description":"e"}"#);
        assert_eq!(fp_a, fp_b, "key order does not matter");
        assert_ne!(fp_a, fp_c);
        assert_eq!(id_a, format!("fp:{fp_a}"));
        assert_eq!(fp_a.len(), 32);
        // Pinned: a change here breaks every downstream consumer's ids.
        assert_eq!(fp_a, "9cf2e8001fef1fd012fe13513d4689ac");
    }
}
