//! Raw event bytes to a [`PostingView`], or a typed [`Rejection`].
//!
//! Two steps, so that the view can borrow from whichever buffer holds the
//! posting: [`locate`] checks size and UTF-8 and follows the optional
//! envelope pointer (which may lead to a JSON document inside a string);
//! [`parse`] reads the posting object (directly, inside `@graph`, or as the
//! first JobPosting of an array). Neither allocates for fields it skips.

mod depth;
mod fields;
pub mod lenient;
mod raw_object;
mod reject;
mod view;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

pub use reject::{RejectReason, Rejection};
pub use view::{Address, Identifier, Location, PostingView};

use fields::RawFields;
use raw_object::RawObject;

/// How raw events are read (`[decode]` in `config/default.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecodeOptions {
    /// Largest event accepted, in bytes.
    pub max_record_bytes: usize,
    /// Deepest nesting of arrays and objects accepted.
    pub max_depth: usize,
    /// RFC 6901 JSON pointer to the posting inside a wrapper event (`None`,
    /// written "": the event is the posting).
    #[serde(with = "crate::unset_if_empty")]
    pub envelope_pointer: Option<String>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_record_bytes: 1024 * 1024,
            max_depth: 64,
            envelope_pointer: None,
        }
    }
}

/// Checks size and encoding, strips a BOM and surrounding whitespace, and
/// follows the envelope pointer. Returns the posting document's JSON text.
pub fn locate<'a>(bytes: &'a [u8], opts: &DecodeOptions) -> Result<Cow<'a, str>, Rejection> {
    if bytes.len() > opts.max_record_bytes {
        return Err(Rejection::too_large(
            bytes.len() as u64,
            opts.max_record_bytes,
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Rejection::new(
            RejectReason::InvalidUtf8,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Err(Rejection::new(RejectReason::Empty, "no bytes to decode"));
    }
    if depth::exceeds(text.as_bytes(), opts.max_depth) {
        return Err(Rejection::new(
            RejectReason::TooDeep,
            format!(
                "arrays and objects nest deeper than {} (decode.max_depth)",
                opts.max_depth
            ),
        ));
    }
    match opts.envelope_pointer.as_deref() {
        None | Some("") => Ok(Cow::Borrowed(text)),
        Some(pointer) => follow_pointer(text, pointer),
    }
}

/// Follows an RFC 6901 pointer through raw JSON without building the tree.
/// When the target is a string, it is taken as an embedded JSON document
/// (wrappers that carry the posting double-encoded).
fn follow_pointer<'a>(text: &'a str, pointer: &str) -> Result<Cow<'a, str>, Rejection> {
    let missing = |what: String| {
        Rejection::new(
            RejectReason::EnvelopeMissing,
            format!("envelope pointer {pointer}: {what}"),
        )
    };
    let mut current: &'a str = text;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        current = match current.as_bytes().first() {
            Some(b'{') => {
                let map =
                    RawObject::parse(current).map_err(|e| Rejection::invalid_json(text, &e))?;
                map.into_entries()
                    .into_iter()
                    .rev()
                    .find(|(k, _)| *k == token)
                    .ok_or_else(|| missing(format!("no key {token:?}")))?
                    .1
                    .get()
            }
            Some(b'[') => {
                let items: Vec<&'a RawValue> =
                    serde_json::from_str(current).map_err(|e| Rejection::invalid_json(text, &e))?;
                let index: usize = token
                    .parse()
                    .map_err(|_| missing(format!("{token:?} is not an array index")))?;
                items
                    .get(index)
                    .ok_or_else(|| missing(format!("no array item {index}")))?
                    .get()
            }
            _ => return Err(missing(format!("cannot descend into {token:?}"))),
        };
    }
    match current.as_bytes().first() {
        Some(b'"') => {
            let inner: String =
                serde_json::from_str(current).map_err(|e| Rejection::invalid_json(text, &e))?;
            let trimmed = inner.trim();
            if trimmed.is_empty() {
                return Err(Rejection::new(
                    RejectReason::Empty,
                    "the envelope's posting is an empty string",
                ));
            }
            Ok(Cow::Owned(trimmed.to_string()))
        }
        Some(b'n') => Err(missing("the target is null".to_string())),
        _ => Ok(Cow::Borrowed(current)),
    }
}

/// Reads the posting out of a JSON document: a JobPosting object, an object
/// with a `@graph` holding one, or an array holding one.
pub fn parse(doc: &str) -> Result<PostingView<'_>, Rejection> {
    match doc.as_bytes().first() {
        Some(b'{') => {
            let fields: RawFields<'_> =
                serde_json::from_str(doc).map_err(|e| Rejection::invalid_json(doc, &e))?;
            // A `@graph` wrapper, unless the object itself is the posting.
            if let Some(graph) = fields.graph
                && !is_job_posting_type(fields.type_)
            {
                return from_items(doc, graph.get(), "@graph");
            }
            accept_object(doc, &fields)
        }
        Some(b'[') => from_items(doc, doc, "the array"),
        _ => match serde_json::from_str::<Value>(doc) {
            Ok(v) => Err(Rejection::new(
                RejectReason::NotAPosting,
                format!("a JSON {}, not an object", json_kind(&v)),
            )),
            Err(e) => Err(Rejection::invalid_json(doc, &e)),
        },
    }
}

/// The first JobPosting among the items of a JSON array.
fn from_items<'a>(doc: &'a str, array: &'a str, what: &str) -> Result<PostingView<'a>, Rejection> {
    let items: Vec<&'a RawValue> = serde_json::from_str(array).map_err(|e| {
        if array.starts_with('[') {
            Rejection::invalid_json(doc, &e)
        } else {
            Rejection::new(RejectReason::NotAPosting, format!("{what} is not an array"))
        }
    })?;
    let mut first_error = None;
    for item in items {
        if !item.get().starts_with('{') {
            continue;
        }
        let fields: RawFields<'a> =
            serde_json::from_str(item.get()).map_err(|e| Rejection::invalid_json(doc, &e))?;
        match accept_object(item.get(), &fields) {
            Ok(view) => return Ok(view),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        Rejection::new(
            RejectReason::NotAPosting,
            format!("{what} holds no JobPosting object"),
        )
    }))
}

fn accept_object<'a>(raw: &'a str, f: &RawFields<'a>) -> Result<PostingView<'a>, Rejection> {
    match f.type_ {
        Some(t) if !is_job_posting_type(Some(t)) => {
            return Err(Rejection::new(
                RejectReason::NotAPosting,
                format!(
                    "@type is {}, not JobPosting",
                    &t.get()[..t.get().floor_char_boundary(80)]
                ),
            ));
        }
        Some(_) if f.property_count == 0 => {
            return Err(Rejection::new(
                RejectReason::NoPostingFields,
                "a JobPosting with no properties",
            ));
        }
        None if !has_core_posting_field(f) => {
            return Err(Rejection::new(
                RejectReason::NoPostingFields,
                if f.property_count == 0 {
                    "an empty object".to_string()
                } else {
                    "an object with no @type and none of title, description, \
                     hiringOrganization, jobLocation, datePosted, baseSalary"
                        .to_string()
                },
            ));
        }
        _ => {}
    }
    Ok(PostingView::from_fields(raw, f))
}

/// Without `@type`, an object is taken as a posting only if it carries a
/// field no other common schema.org type has together with a title or text.
fn has_core_posting_field(f: &RawFields<'_>) -> bool {
    let present = |r: Option<&RawValue>| r.is_some_and(|r| r.get() != "null");
    present(f.title)
        || present(f.description)
        || present(f.hiring_organization)
        || present(f.job_location)
        || present(f.date_posted)
        || present(f.base_salary)
        || present(f.estimated_salary)
}

/// `@type` as a string or array of strings; any letter case, with or
/// without a vocabulary prefix (`schema:JobPosting`,
/// `http://schema.org/JobPosting`).
fn is_job_posting_type(t: Option<&RawValue>) -> bool {
    let Some(t) = t else { return false };
    let names: Vec<Cow<'_, str>> = match t.get().as_bytes().first() {
        Some(b'[') => serde_json::from_str::<Vec<&RawValue>>(t.get())
            .map(|items| items.into_iter().filter_map(lenient::raw_string).collect())
            .unwrap_or_default(),
        _ => lenient::raw_string(t).into_iter().collect(),
    };
    names.iter().any(|n| {
        let local = n.rsplit(['/', ':', '#']).next().unwrap_or(n);
        local.trim().eq_ignore_ascii_case("jobposting")
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Convenience for tests and tools: [`locate`] and [`parse`] in one, with
/// the posting's JSON text returned owned.
pub fn decode_owned(bytes: &[u8], opts: &DecodeOptions) -> Result<String, Rejection> {
    let doc = locate(bytes, opts)?;
    parse(&doc).map(|v| v.raw.to_string())
}

#[cfg(test)]
mod tests;
