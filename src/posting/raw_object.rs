//! A JSON object read as its entries with every value left raw: a reader
//! looks up the few keys it wants without building a `serde_json::Value`
//! tree, which costs a `String` for every key and string and a map node
//! for every few entries of the parts it never reads (a posting's
//! `jobLocation`, `identifier` and `hiringOrganization` were about a
//! twentieth of the whole pipeline's instructions that way;
//! docs/performance.md).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// An object's entries in document order, duplicates kept.
pub struct RawObject<'a> {
    entries: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> RawObject<'a> {
    /// The entries of `text`, which must be a JSON object.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<Entries<'a>>(text).map(|e| RawObject { entries: e.0 })
    }

    /// The object of a raw value; `None` for anything but an object.
    pub fn of(raw: &'a RawValue) -> Option<Self> {
        raw.get()
            .starts_with('{')
            .then(|| RawObject::parse(raw.get()).ok())?
    }

    /// The value of `key` as `serde_json::Value::get` finds it (the last
    /// entry with that key wins), `None` when absent or null.
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
            .filter(|v| v.get() != "null")
    }

    /// Every entry, in document order.
    pub fn into_entries(self) -> Vec<(Cow<'a, str>, &'a RawValue)> {
        self.entries
    }
}

/// The items of a raw array; `None` for anything but an array.
pub fn items(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if !raw.get().starts_with('[') {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

/// A map deserialized as a sequence of pairs keeps duplicates and order.
struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some(Key(k)) = m.next_key()? {
                    out.push((k, m.next_value::<&'de RawValue>()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A key, borrowed from the text unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_entry_of_a_key_wins_and_null_is_absent() {
        let o = RawObject::parse(r#"{"a": 1, "b\u0041": "x", "a": 2, "n": null}"#).unwrap();
        assert_eq!(o.get("a").map(RawValue::get), Some("2"));
        assert_eq!(o.get("bA").map(RawValue::get), Some("\"x\""));
        assert!(o.get("n").is_none());
        assert!(o.get("z").is_none());
        let keys: Vec<String> = o
            .into_entries()
            .into_iter()
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(keys, ["a", "bA", "a", "n"]);
    }

    #[test]
    fn only_objects_and_arrays_are_read_as_such() {
        let raw = |t: &str| RawValue::from_string(t.to_string()).unwrap();
        assert!(RawObject::of(&raw("[1]")).is_none());
        assert!(RawObject::of(&raw("\"{}\"")).is_none());
        assert!(RawObject::of(&raw("{}")).is_some());
        assert_eq!(items(&raw("[1, {\"a\": 2}]")).map(|v| v.len()), Some(2));
        assert!(items(&raw("{}")).is_none());
    }
}
