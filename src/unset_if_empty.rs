//! The serde form of an optional setting written as text, where `""` means
//! "not set": `config/default.toml` can then list the key with its default
//! and an environment variable can set it (`#[serde(with = ...)]`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<T, S>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + Default,
    S: Serializer,
{
    match value {
        Some(v) => v.serialize(s),
        None => T::default().serialize(s),
    }
}

pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de> + Default + PartialEq,
    D: Deserializer<'de>,
{
    let value = T::deserialize(d)?;
    Ok((value != T::default()).then_some(value))
}
