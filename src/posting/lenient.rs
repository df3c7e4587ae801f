//! Tolerant readers for the loosely typed values real feeds send: numbers as
//! strings, strings as numbers, nulls anywhere, a value wrapped in a one-item
//! array. Each returns `None` rather than failing: a field we cannot read is
//! a missing field, never a rejected posting.

use std::borrow::Cow;

use serde_json::Value;
use serde_json::value::RawValue;

/// A string from a raw JSON value, borrowed when it has no escapes.
/// Numbers and booleans are returned as their text; in an array, the first
/// item that reads; empty strings, null and objects give `None`.
pub fn raw_string<'a>(raw: &'a RawValue) -> Option<Cow<'a, str>> {
    let text = raw.get();
    match text.as_bytes().first()? {
        // A string without escapes is its own text between the quotes (the
        // raw value is valid JSON); only escaped ones need decoding.
        b'"' => trimmed(string_literal(text)?),
        b'-' | b'0'..=b'9' | b't' | b'f' => Some(Cow::Borrowed(text)),
        b'[' => super::raw_object::items(raw)?
            .into_iter()
            .find_map(raw_string),
        _ => None,
    }
}

/// A string from a raw JSON value, as [`string`] reads a parsed one: only
/// a string (or the first string of an array) counts, trimmed, never empty.
pub fn raw_text<'a>(raw: &'a RawValue) -> Option<Cow<'a, str>> {
    match raw.get().as_bytes().first()? {
        b'"' => trimmed(string_literal(raw.get())?),
        b'[' => super::raw_object::items(raw)?
            .into_iter()
            .find_map(raw_text),
        _ => None,
    }
}

/// A number from a raw JSON value, as [`number`] reads a parsed one.
pub fn raw_number(raw: &RawValue) -> Option<f64> {
    match raw.get().as_bytes().first()? {
        b'-' | b'0'..=b'9' => serde_json::from_str::<f64>(raw.get())
            .ok()
            .filter(|f| f.is_finite()),
        b'"' => number_from_text(&string_literal(raw.get())?),
        b'[' => match super::raw_object::items(raw)?.as_slice() {
            [only] => raw_number(only),
            _ => None,
        },
        _ => None,
    }
}

/// A string or a number's text from a raw JSON value, as
/// [`string_or_number`] reads a parsed one (a number written as
/// `serde_json` writes it: `1e5` is "100000.0").
pub fn raw_string_or_number<'a>(raw: &'a RawValue) -> Option<Cow<'a, str>> {
    match raw.get().as_bytes().first()? {
        b'-' | b'0'..=b'9' => serde_json::from_str::<serde_json::Number>(raw.get())
            .ok()
            .map(|n| Cow::Owned(n.to_string())),
        _ => raw_text(raw),
    }
}

/// The text of a string literal that is valid JSON, borrowed when it has
/// no escapes.
fn string_literal(literal: &str) -> Option<Cow<'_, str>> {
    if literal.contains('\\') {
        unescape_string_literal(literal).map(Cow::Owned)
    } else {
        literal
            .get(1..literal.len().checked_sub(1)?)
            .map(Cow::Borrowed)
    }
}

/// `s` trimmed; `None` when nothing is left.
fn trimmed(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(Cow::Owned(t.to_string()))
    }
}

/// The text of a JSON string literal that is valid JSON (a raw value):
/// runs between backslashes copied whole, escapes decoded. `None` where
/// serde_json would refuse it as a Rust string (unpaired surrogates).
/// Descriptions carry a few escapes in several KB: serde_json scanned and
/// copied such a string twice more (the cost is in docs/performance.md).
fn unescape_string_literal(literal: &str) -> Option<String> {
    let mut rest = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(rest.len());
    while let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(rest.get(..at)?);
        let escape = *rest.as_bytes().get(at + 1)?;
        rest = rest.get(at + 2..)?;
        out.push(match escape {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let (c, used) = unicode_escape(rest)?;
                rest = rest.get(used..)?;
                c
            }
            _ => return None,
        });
    }
    out.push_str(rest);
    Some(out)
}

/// The character of a `\u` escape (after the "\u"), with a surrogate pair
/// read whole, and the bytes it used.
fn unicode_escape(after_u: &str) -> Option<(char, usize)> {
    let hex4 = |s: &str| {
        let digits = s.get(..4)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(digits, 16).ok())?
    };
    let first = hex4(after_u)?;
    match first {
        0xD800..=0xDBFF => {
            let second = hex4(after_u.get(4..)?.strip_prefix("\\u")?)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return None;
            }
            let c = char::from_u32(0x1_0000 + ((first - 0xD800) << 10) + (second - 0xDC00))?;
            Some((c, 10))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(first)?, 4)),
    }
}

/// A string from a parsed JSON value: a string (or the first string of an
/// array), trimmed, never empty; unlike [`raw_string`], not a number's or
/// a boolean's text.
pub fn string(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then_some(t)
        }
        Value::Array(items) => items.iter().find_map(string),
        _ => None,
    }
}

/// A string from a parsed value, numbers included (a postal code `700000`).
pub fn string_or_number(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => string(other).map(Cow::Borrowed),
    }
}

/// A number from a JSON number or from text such as `"100000"`,
/// `"$100,000.00"`, `"100k"`, `"1.5M"`, `" 37.44 "`.
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => number_from_text(s),
        Value::Array(items) if items.len() == 1 => items.first().and_then(number),
        _ => None,
    }
}

/// The first number written in `text`, with thousands separators and a
/// k/m suffix understood. Returns `None` when there is no digit, or when the
/// text holds more than one figure (e.g. "7-20"): a range is not a number.
pub fn number_from_text(text: &str) -> Option<f64> {
    let t = text.trim();
    let start = t.find(|c: char| c.is_ascii_digit() || c == '.')?;
    let sign = if t[..start].ends_with('-') { -1.0 } else { 1.0 };
    let rest = &t[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let digits: String = rest[..end].chars().filter(|&c| c != ',').collect();
    let mut n: f64 = digits.trim_end_matches('.').parse().ok()?;
    let tail = rest[end..].trim_start();
    let mut tail_chars = tail.chars();
    let multiplier = match tail_chars.next() {
        Some('k' | 'K') if !tail_chars.next().is_some_and(|c| c.is_alphabetic()) => 1e3,
        Some('m' | 'M') if !tail_chars.next().is_some_and(|c| c.is_alphabetic()) => 1e6,
        _ => 1.0,
    };
    // A second figure after the first ("7-20", "30 - 40") makes this a range.
    let after = &rest[end..];
    if after.trim_start().starts_with(['-', '–', '—']) && after.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    n *= multiplier * sign;
    n.is_finite().then_some(n)
}

/// Looks up `key` in an object value, treating null as absent.
pub fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.get(key).filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn string_literals_are_unescaped_as_serde_json_does() {
        let pieces = [
            "a",
            "é",
            " ",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b",
            "\\f",
            "\\n",
            "\\r",
            "\\t",
            "\\u0041",
            "\\u00e9",
            "\\u2019",
            "\\uD83D\\uDE00",
            "\\ud83d",
            "\\uDE00",
            "\\u0000",
            "\\uFFFF",
            "\\u12",
            "\\x",
            "\\",
            "\\uD800\\n",
            "\\uDBFF\\uDBFF",
            "日本",
            "\\uD83D\\u0041",
        ];
        let mut rng = crate::test_random::Lcg::new(17);
        let (mut valid, mut refused) = (0, 0);
        for _ in 0..30_000 {
            let count = (rng.next_u64() >> 61) as usize;
            let literal = format!("\"{}\"", rng.text(&pieces, count));
            // Only valid JSON reaches the unescaping (it comes from a raw value).
            if serde_json::from_str::<&RawValue>(&literal).is_err() {
                continue;
            }
            let serde = serde_json::from_str::<String>(&literal).ok();
            assert_eq!(unescape_string_literal(&literal), serde, "{literal}");
            valid += 1;
            refused += usize::from(serde.is_none());
        }
        assert!(valid > 10_000 && refused > 1_000, "{valid} {refused}");
    }

    #[test]
    fn raw_strings_borrow_when_unescaped() {
        let r = raw(r#""Data Engineer""#);
        assert!(matches!(
            raw_string(&r),
            Some(Cow::Borrowed("Data Engineer"))
        ));
        let r = raw(r#""Caf\u00e9""#);
        assert_eq!(raw_string(&r).as_deref(), Some("Café"));
        assert_eq!(raw_string(&raw("42")).as_deref(), Some("42"));
        assert_eq!(raw_string(&raw("null")), None);
        assert_eq!(raw_string(&raw(r#""  ""#)), None);
        assert_eq!(raw_string(&raw(r#"{"a":1}"#)), None);
        assert_eq!(raw_string(&raw(r#"["x"]"#)).as_deref(), Some("x"));
        assert_eq!(raw_string(&raw(r#"" padded ""#)).as_deref(), Some("padded"));
    }

    #[test]
    fn numbers_from_every_shape() {
        assert_eq!(number(&json!(96400)), Some(96400.0));
        assert_eq!(number(&json!("100000")), Some(100000.0));
        assert_eq!(number(&json!("$100,000.00")), Some(100000.0));
        assert_eq!(number(&json!("100k")), Some(100000.0));
        assert_eq!(number(&json!("1.5M")), Some(1_500_000.0));
        assert_eq!(number(&json!(" 37.445103 ")), Some(37.445103));
        assert_eq!(number(&json!("-122.16036")), Some(-122.16036));
        assert_eq!(number(&json!([12])), Some(12.0));
        assert_eq!(number(&json!("Negotiable")), None);
        assert_eq!(number(&json!("7-20 triệu")), None);
        assert_eq!(number(&json!(null)), None);
        assert_eq!(number(&json!("100 kms")), Some(100.0));
    }
}
