//! [`Json`]: a JSON document read straight from the payload's bytes, for binding NATS commands
//! without building a `serde_json::Value` (a `String` per key and per string, a map per object).
//! Strings and keys borrow from the payload unless they hold escapes; objects are their entries in
//! document order, arrays a `Vec`, numbers a `serde_json::Number`.
//!
//! It is parsed by `serde_json::from_slice`, so the syntax, the error messages and the recursion limit
//! (128 nested arrays or objects, then a clean error) are serde_json's. Objects hold each key once, as
//! `serde_json::Map` (with `preserve_order`) does: a repeated key keeps its first place and takes its
//! last value, so REST's `Value` and `Json` bind a payload the same way (see `wire::node`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::node::{Node, View};

/// A JSON document borrowing from the bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Each key once, in the order of its first appearance.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Parses `bytes`, borrowing every string without escapes from them.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

type JsonEntry<'n, 'a> = &'n (Cow<'a, str>, Json<'a>);

fn json_entry<'n, 'a>((k, v): JsonEntry<'n, 'a>) -> (&'n str, &'n Json<'a>) {
    (k, v)
}

impl<'a> Node for Json<'a> {
    type Entries<'n>
        = std::iter::Map<std::slice::Iter<'n, (Cow<'a, str>, Json<'a>)>, fn(JsonEntry<'n, 'a>) -> (&'n str, &'n Self)>
    where
        Self: 'n;

    fn view(&self) -> View<'_, Self> {
        match self {
            Json::Null => View::Null,
            Json::Bool(b) => View::Bool(*b),
            Json::Number(n) => View::Number(n),
            Json::String(s) => View::Str(s),
            Json::Array(items) => View::Array(items),
            Json::Object(entries) => View::Object(entries.iter().map(json_entry as fn(_) -> _)),
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Json::Number(n.into()))
    }

    /// A float JSON cannot hold is `null`, as `serde_json::Value` reads it.
    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    /// A string with escapes, unescaped into a scratch buffer: it has to be copied.
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Key(key)) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        merge_repeated_keys(&mut entries);
        Ok(Json::Object(entries))
    }
}

/// An object key, borrowed unless it holds escapes (serde's own `Cow<str>` always copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(s)))
    }
}

/// Up to this many entries, repeated keys are looked for by comparing every pair: cheaper than
/// hashing for the few fields a command has.
const PAIRWISE: usize = 16;

/// Keeps each key once, at its first place with its last value, as `serde_json::Map` (an `IndexMap`
/// under `preserve_order`) inserts them; binding then sees the same object whichever tree it reads.
/// Larger objects are checked through a hash map, so a payload of many keys stays linear.
fn merge_repeated_keys(entries: &mut Vec<(Cow<'_, str>, Json<'_>)>) {
    // (index of a repeat, index of the key's first appearance)
    let mut repeats = Vec::new();
    if entries.len() <= PAIRWISE {
        for (i, (key, _)) in entries.iter().enumerate().skip(1) {
            if let Some(first) = entries[..i].iter().position(|(k, _)| k == key) {
                repeats.push((i, first));
            }
        }
    } else {
        let mut first_at: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        for (i, (key, _)) in entries.iter().enumerate() {
            match first_at.entry(key) {
                Entry::Occupied(first) => repeats.push((i, *first.get())),
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
    }
    if repeats.is_empty() {
        return;
    }
    let mut repeated = vec![false; entries.len()];
    // In document order, so the last repeat's value is the one left at the first place.
    for (i, first) in repeats {
        entries[first].1 = std::mem::replace(&mut entries[i].1, Json::Null);
        repeated[i] = true;
    }
    let mut index = 0;
    entries.retain(|_| {
        let keep = !repeated[index];
        index += 1;
        keep
    });
}

#[cfg(test)]
mod parity;
#[cfg(test)]
mod tests;
